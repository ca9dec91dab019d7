// Package safetext turns text that pixdesk did not write — payer names,
// bank data, ids, error details, request bodies — into text that is safe to
// write to a terminal, a file or a log.
//
// Outside text is data, never terminal commands: every rune that a terminal
// or a reader could take for something other than a printed character
// (C0 and C1 controls, DEL, the ESC that starts a sequence, bidi overrides
// and isolates, zero-width and other invisible format characters, line and
// paragraph separators, bytes that are not UTF-8) is replaced by a visible,
// harmless form, as less(1) does: "^[" for ESC, "^?" for DEL, "<U+202E>"
// for an invisible rune, "<0xFF>" for a stray byte. The journal keeps the
// bytes as received; only what is shown is cleaned.
package safetext

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unsafe reports whether r must not reach an output as itself: a control
// (C0, DEL, C1), a bidi control, or an invisible format character.
// It is the one definition used by every output edge.
func Unsafe(r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		return true
	case r < 0x80:
		return false
	case r <= 0x9f: // C1, including CSI (U+009B) and OSC (U+009D)
		return true
	case r == 0x2028 || r == 0x2029: // line and paragraph separators
		return true
	case r == utf8.RuneError:
		return true
	}
	// Cf holds the bidi overrides and isolates (U+202A–U+202E,
	// U+2066–U+2069), the marks (U+200E, U+200F, U+061C), the zero-width
	// characters (U+200B–U+200D, U+2060–U+2064, U+FEFF), soft hyphen, tags.
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
}

// String returns s with every unsafe rune (see Unsafe) and every invalid
// byte replaced by its visible form. Text that is already safe is returned
// unchanged without allocating.
func String(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	write(&b, s[i:])
	return b.String()
}

// Clip returns String(s) cut to at most max bytes, on a rune boundary,
// with "…(N bytes)" appended when it was cut, so that a megabyte header
// takes a line in a log, not a megabyte.
func Clip(s string, max int) string {
	if len(s) <= max {
		if out := String(s); len(out) <= max {
			return out
		}
	}
	out := String(s[:cut(s, max)])
	return out[:cut(out, max)] + "…(" + strconv.Itoa(len(s)) + " bytes)"
}

// cut returns the largest n <= max such that s[:n] ends on a rune boundary.
func cut(s string, max int) int {
	if len(s) <= max {
		return len(s)
	}
	n := max
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// Visible reports whether s can be written as it is (String(s) == s).
func Visible(s string) bool { return firstUnsafe(s) < 0 }

// firstUnsafe returns the byte offset of the first unsafe rune or invalid
// byte of s, or -1.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < 0x80 {
			return i
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && n <= 1) || Unsafe(r) {
			return i
		}
		i += n
	}
	return -1
}

// write appends the visible form of s to b.
func write(b *strings.Builder, s string) {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteString("<0x")
			b.WriteString(hex2(s[i]))
			b.WriteByte('>')
		case r < 0x20:
			b.WriteByte('^')
			b.WriteByte(byte(r) + '@')
		case r == 0x7f:
			b.WriteString("^?")
		case Unsafe(r):
			b.WriteString(Escape(r))
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
}

// Escape returns the visible form of an invisible rune: "<U+202E>".
func Escape(r rune) string {
	const digits = "0123456789ABCDEF"
	var buf [12]byte
	n := len(buf)
	buf[n-1] = '>'
	n--
	for k := 0; k < 4 || r > 0; k++ {
		n--
		buf[n] = digits[r&0xf]
		r >>= 4
	}
	n -= 3
	copy(buf[n:], "<U+")
	return string(buf[n:])
}

func hex2(c byte) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
