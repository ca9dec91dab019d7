package brcode

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/pixdesk/pixdesk/psp"
)

// Spec is what Build writes.
type Spec struct {
	// Key is the PIX key of a static code; URL the payload location of a
	// dynamic one, without scheme. At most one is set, and one is unless
	// Recurrence is.
	Key, Info, URL string
	// Amount is written as tag 54 when it is not 0.
	Amount psp.Amount
	// MerchantName, MerchantCity and TxID are folded to ASCII (names and
	// cities also upper-cased) and truncated to 25, 15 and 25 bytes. An
	// empty TxID is written "***".
	MerchantName, MerchantCity, TxID string
	// OnePayment writes tag 01 = "12": the code is meant to be paid once.
	OnePayment bool
	// Recurrence, when set, is written as a PIX Automático template (tag
	// 80): the recurrence's location, without scheme. With it, Key and URL
	// may both be empty: a code that asks for the recurrence alone.
	Recurrence string
}

// Build writes the BR Code of s, CRC included. Info is folded to ASCII as
// names are, but keeps its case. TxID keeps its case too: a txid is
// case-sensitive. Errors wrap ErrSpec or ErrTooLong.
func Build(s Spec) (string, error) {
	switch {
	case s.Key != "" && s.URL != "":
		return "", specf("key and url must not both be set")
	case s.Key == "" && s.URL == "" && s.Recurrence == "":
		return "", specf("a key, a url or a recurrence must be set")
	case s.Key != "" && (len(s.Key) > maxKey || !token(s.Key)):
		return "", specf("key must be 1 to %d printable ASCII characters without spaces", maxKey)
	case s.URL != "" && !locationURL(s.URL):
		return "", specf("url must be printable ASCII without spaces or a scheme")
	case s.Recurrence != "" && !locationURL(s.Recurrence):
		return "", specf("recurrence url must be printable ASCII without spaces or a scheme")
	case s.Amount < 0 || s.Amount > psp.MaxAmount:
		return "", specf("amount out of range")
	}
	name := truncate(fold(s.MerchantName, true), maxName)
	city := truncate(fold(s.MerchantCity, true), maxCity)
	txid := truncate(fold(s.TxID, false), maxTxID)
	info := fold(s.Info, false)
	switch {
	case name == "":
		return "", specf("merchant name is blank")
	case city == "":
		return "", specf("merchant city is blank")
	case txid == "":
		txid = "***"
	}

	var acct strings.Builder
	tlv(&acct, "00", GUI)
	if s.Key != "" {
		tlv(&acct, "01", s.Key)
	}
	if info != "" {
		tlv(&acct, "02", info)
	}
	if s.URL != "" {
		tlv(&acct, "25", s.URL)
	}
	if acct.Len() > 99 {
		return "", fmt.Errorf("brcode: merchant account template would have %d bytes, over 99: %w", acct.Len(), ErrTooLong)
	}
	var rec strings.Builder
	if s.Recurrence != "" {
		tlv(&rec, "00", GUI)
		tlv(&rec, "25", s.Recurrence)
		if rec.Len() > 99 {
			return "", fmt.Errorf("brcode: recurrence template would have %d bytes, over 99: %w", rec.Len(), ErrTooLong)
		}
	}

	var b strings.Builder
	b.Grow(160 + acct.Len())
	tlv(&b, "00", "01")
	if s.OnePayment {
		tlv(&b, "01", "12")
	}
	tlv(&b, "26", acct.String())
	tlv(&b, "52", "0000")
	tlv(&b, "53", "986")
	if s.Amount != 0 {
		tlv(&b, "54", s.Amount.Decimal())
	}
	tlv(&b, "58", "BR")
	tlv(&b, "59", name)
	tlv(&b, "60", city)
	tlv(&b, "62", "05"+fmt.Sprintf("%02d", len(txid))+txid)
	if rec.Len() > 0 {
		tlv(&b, "80", rec.String())
	}
	b.WriteString("6304")
	if b.Len()+4 > MaxLen {
		return "", fmt.Errorf("brcode: code would have %d bytes, over %d: %w", b.Len()+4, MaxLen, ErrTooLong)
	}
	b.WriteString(crcHex(CRC16(b.String())))
	return b.String(), nil
}

func specf(format string, args ...any) error {
	return fmt.Errorf("brcode: "+format+": %w", append(args, ErrSpec)...)
}

// tlv writes one object; callers keep v within 99 bytes.
func tlv(b *strings.Builder, id, v string) {
	fmt.Fprintf(b, "%s%02d%s", id, len(v), v)
}

// fold rewrites s in printable ASCII, which every banking app reads: accented
// Latin letters lose their accents, white space becomes a single space,
// anything else outside ASCII or any control character is dropped, and the
// ends are trimmed. The result never has more bytes than s.
func fold(s string, upper bool) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		var out string
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case r < ' ' || r == 0x7F:
			continue
		case r < 0x80:
			out = string(r)
		default:
			out = foldTable[r]
		}
		if out == "" {
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if upper {
			out = strings.ToUpper(out)
		}
		b.WriteString(out)
	}
	return b.String()
}

// truncate cuts ASCII s to n bytes, without a trailing space.
func truncate(s string, n int) string {
	if len(s) > n {
		s = strings.TrimRight(s[:n], " ")
	}
	return s
}

// foldTable maps the non-ASCII letters of Portuguese and its Latin neighbours
// to ASCII, each to at most two letters (every such rune takes two bytes).
var foldTable = func() map[rune]string {
	groups := []struct{ from, to string }{
		{"ÀÁÂÃÄÅĀĂĄ", "A"}, {"ÇĆĈĊČ", "C"}, {"ĎĐÐ", "D"}, {"ÈÉÊËĒĔĖĘĚ", "E"},
		{"ĜĞĠĢ", "G"}, {"ĤĦ", "H"}, {"ÌÍÎÏĨĪĬĮİ", "I"}, {"Ĵ", "J"}, {"Ķ", "K"},
		{"ĹĻĽĿŁ", "L"}, {"ÑŃŅŇ", "N"}, {"ÒÓÔÕÖØŌŎŐ", "O"}, {"ŔŖŘ", "R"},
		{"ŚŜŞŠ", "S"}, {"ŢŤŦ", "T"}, {"ÙÚÛÜŨŪŬŮŰŲ", "U"}, {"Ŵ", "W"},
		{"ÝŶŸ", "Y"}, {"ŹŻŽ", "Z"}, {"Æ", "AE"}, {"Œ", "OE"}, {"Þ", "TH"},
	}
	t := map[rune]string{'ß': "ss", 'ı': "i", 'ª': "a", 'º': "o", 'ÿ': "y"}
	for _, g := range groups {
		for _, r := range g.from {
			t[r] = g.to
			if l := unicode.ToLower(r); l != r && l >= 0x80 {
				t[l] = strings.ToLower(g.to)
			}
		}
	}
	return t
}()
