package brcode

// crcTable is the byte-wise table of CRC-16/CCITT-FALSE (polynomial 0x1021).
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i) << 8
		for range 8 {
			if c&0x8000 != 0 {
				c = c<<1 ^ 0x1021
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC16 returns the CRC-16/CCITT-FALSE of s: polynomial 0x1021, initial value
// 0xFFFF, no reflection, no final XOR. A BR Code's CRC is computed over the
// whole payload up to and including "6304".
func CRC16(s string) uint16 {
	crc := uint16(0xFFFF)
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^s[i]]
	}
	return crc
}

// crcHex writes a CRC as a BR Code does: 4 upper-case hex digits.
func crcHex(c uint16) string {
	const hex = "0123456789ABCDEF"
	b := [4]byte{hex[c>>12], hex[c>>8&0xF], hex[c>>4&0xF], hex[c&0xF]}
	return string(b[:])
}
