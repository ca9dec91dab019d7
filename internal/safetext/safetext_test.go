package safetext

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"
)

// hostile is every kind of outside text the output edges must defuse.
var hostile = map[string]string{
	"esc-csi":     "\x1b[2J\x1b[31mPAGO",
	"osc52":       "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGV8c2g=\x07",
	"osc0":        "\x1b]0;pwned\x1b\\",
	"c1-csi":      "\u009b2J\u009d0;x\u009c",
	"bidi":        "Ana \u202eovlis\u202c \u2066x\u2069",
	"zero-width":  "Jo\u200bão\u200d\ufeff\u2060",
	"newlines":    "linha1\nlinha2\r\n\tfim\u2028\u2029",
	"del":         "a\x7fb",
	"nul":         "a\x00b",
	"invalid":     "a\xffb\xc3",
	"long":        strings.Repeat("\x1b[2J", 2500),
	"marks":       "a\u200e\u200f\u061cb",
	"soft-hyphen": "a\u00adb",
}

func TestStringDefusesHostileText(t *testing.T) {
	for name, in := range hostile {
		out := String(in)
		if !Visible(out) {
			t.Errorf("%s: String(%q) = %q still has unsafe runes", name, in, out)
		}
		if !utf8.ValidString(out) {
			t.Errorf("%s: String(%q) = %q is not UTF-8", name, in, out)
		}
		if strings.ContainsAny(out, "\x1b\x07\n\r\t\u009b\u202e") {
			t.Errorf("%s: %q kept a control", name, out)
		}
	}
}

func TestStringForms(t *testing.T) {
	for in, want := range map[string]string{
		"João da Silva": "João da Silva",
		"":              "",
		"\x1b[2J":       "^[[2J",
		"a\x7f":         "a^?",
		"\u009b":        "<U+009B>",
		"x\u202ey":      "x<U+202E>y",
		"\U000E0041":    "<U+E0041>",
		"a\xffb":        "a<0xFF>b",
		"um\ndois":      "um^Jdois",
		"R$\u00a010,00": "R$\u00a010,00", // the no-break space pt-BR writes is a printed character
		"日本 emoji 🙂 ñ":  "日本 emoji 🙂 ñ",
	} {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStringSafeDoesNotAllocate(t *testing.T) {
	s := "Maria Aparecida da Silva Souza"
	if n := testing.AllocsPerRun(100, func() { _ = String(s) }); n != 0 {
		t.Errorf("String allocated %v times on safe text", n)
	}
}

func TestClip(t *testing.T) {
	big := strings.Repeat("é", 500_000) // 1 MB
	out := Clip(big, 64)
	if len(out) > 64+len("…(1000000 bytes)") || !strings.HasSuffix(out, "…(1000000 bytes)") || !utf8.ValidString(out) {
		t.Errorf("Clip = %q", out)
	}
	if got := Clip("\x1b\x1b\x1b", 4); !Visible(got) || !utf8.ValidString(got) {
		t.Errorf("Clip of escapes = %q", got)
	}
	if got := Clip("short", 64); got != "short" {
		t.Errorf("Clip(short) = %q", got)
	}
}

func TestJSONEscapesWhatEncodingJSONKeeps(t *testing.T) {
	v := map[string]string{"name": "a\u009bb\u202ec\u200bd\U000E0041 ok ã", "c0": "\x1b[2J"}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out := JSON(raw)
	for _, bad := range []string{"\u009b", "\u202e", "\u200b", "\U000E0041", "\x1b"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("JSON kept %q: %s", bad, out)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if back["name"] != v["name"] || back["c0"] != v["c0"] {
		t.Errorf("JSON changed the value: %q", back)
	}
	if safe := []byte(`{"a":"ã"}`); &JSON(safe)[0] != &safe[0] {
		t.Error("safe JSON was copied")
	}
}

func TestHandlerCleansAndClips(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(Handler(slog.NewTextHandler(&buf, nil))).With("pre", "\x1b]0;x\x07")
	l.WithGroup("g").Info("m\x1b[2J", "eventId", strings.Repeat("A", 1<<20), "err", errString("\u009b\u202e"),
		slog.Group("sub", "name", "\u202eevil"), "list", []string{"\x1b[31m"})
	out := buf.String()
	if len(out) > 4*LogValueMax+400 {
		t.Errorf("log line is %d bytes", len(out))
	}
	for _, bad := range []string{"\x1b", "\u009b", "\u202e", "\x07"} {
		if strings.Contains(out, bad) {
			t.Errorf("log kept %q: %q", bad, out)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func FuzzString(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Add("João")
	f.Fuzz(func(t *testing.T, s string) {
		out := String(s)
		if !Visible(out) || !utf8.ValidString(out) {
			t.Fatalf("String(%q) = %q is not clean", s, out)
		}
		if String(out) != out {
			t.Fatalf("String is not idempotent on %q", s)
		}
		if Visible(s) && out != s {
			t.Fatalf("safe text %q changed to %q", s, out)
		}
		if f := Sprintf("%s|%q|%-5.3v|%c", s, s, errString(s), []rune(s + "x")[0]); !Visible(f) {
			t.Fatalf("Sprintf of %q = %q is not clean", s, f)
		}
		c := Clip(s, 32)
		if !Visible(c) || !utf8.ValidString(c) {
			t.Fatalf("Clip(%q) = %q is not clean", s, c)
		}
		raw, _ := json.Marshal(s)
		j := JSON(raw)
		var before, after string
		if err := json.Unmarshal(raw, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(j, &after); err != nil || after != before {
			t.Fatalf("JSON changed %q to %q (%v)", before, after, err)
		}
		if firstUnsafeBytes(j) >= 0 {
			t.Fatalf("JSON(%q) = %q kept an unsafe rune", raw, j)
		}
	})
}

func TestSprintfCleansEveryTextArgument(t *testing.T) {
	type named string
	for _, c := range []struct {
		format string
		args   []any
		want   string
	}{
		{"%s|%v|%q", []any{"a\x1b[2Jb", errString("e\u009b"), "q\u202e"}, `a^[[2Jb|e<U+009B>|"q\u202e"`},
		{"[%-8s][%6s]", []any{"\x1b]0", "ab\n"}, "[^[]0    ][  ab^J]"},
		{"%.4s", []any{"\x1b\x1b\x1b"}, "^[^["},
		{"%d %x %05.1f %s", []any{42, 255, 3.14159, named("n\x07")}, "42 ff 003.1 n^G"},
		{"%s %v", []any{[]byte("b\x1b"), stringer("s\u200b")}, "b^[ s<U+200B>"},
		{"%c%c", []any{'\x1b', 'ã'}, "^[ã"},
		{"%+v", []any{struct{ A string }{"\x1b"}}, "{A:^[}"},
	} {
		if got := Sprintf(c.format, c.args...); got != c.want {
			t.Errorf("Sprintf(%q) = %q, want %q", c.format, got, c.want)
		}
	}
	var b strings.Builder
	if _, err := Fprintf(&b, "%s\n", "x\x1b]52;c;AA==\x07"); err != nil || b.String() != "x^[]52;c;AA==^G\n" {
		t.Errorf("Fprintf wrote %q (%v)", b.String(), err)
	}
}

type stringer string

func (s stringer) String() string { return string(s) }
