package safetext

import (
	"unicode/utf8"
)

// JSON rewrites every unsafe rune (see Unsafe) inside the JSON text b as a
// \uXXXX escape. The value is unchanged — a JSON reader gets the same
// string — but the bytes written carry no C1 control, bidi override or
// invisible character. encoding/json already escapes C0 controls and
// invalid UTF-8; outside strings JSON has only ASCII, so every such rune
// is inside a string. Safe JSON is returned as it is.
func JSON(b []byte) []byte {
	i := firstUnsafeBytes(b)
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+12)
	out = append(out, b[:i]...)
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r >= 0x80 && Unsafe(r) && !(r == utf8.RuneError && n <= 1) {
			out = appendU(out, r)
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return out
}

// appendU appends r as one JSON \u escape, or a surrogate pair above the
// Basic Multilingual Plane.
func appendU(out []byte, r rune) []byte {
	const digits = "0123456789abcdef"
	u := func(v rune) {
		out = append(out, '\\', 'u', digits[v>>12&0xf], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf])
	}
	if r > 0xffff {
		r -= 0x10000
		u(0xd800 + r>>10)
		u(0xdc00 + r&0x3ff)
		return out
	}
	u(r)
	return out
}

// firstUnsafeBytes returns the offset of the first unsafe non-ASCII rune
// of b, or -1.
func firstUnsafeBytes(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < 0x80 {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if Unsafe(r) && !(r == utf8.RuneError && n <= 1) {
			return i
		}
		i += n
	}
	return -1
}
