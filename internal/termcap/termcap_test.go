package termcap

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Answers recorded from real terminals (xterm 379 under Xvfb, DejaVu Sans
// Mono, answering Queries), and for the terminals not at hand, from their
// documentation: kitty's graphics protocol and XTVERSION pages.
const (
	// xterm -fs 12, default resources: no CSI 16 t or 14 t answer
	// (allowWindowOps is off), light background, no sixel.
	xtermPlain = "\x1bP>|XTerm(379)\x1b\\\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[?2;3S\x1b[?64;1;2;6;9;15;16;17;18;21;22;28c"
	// xterm -ti vt340 -fs 10: sixel (attribute 4) and its largest image.
	xtermVT340 = "\x1bP>|XTerm(379)\x1b\\\x1b]11;rgb:ffff/ffff/ffff\x1b\\\x1b[?2;0;1000;1000S\x1b[?63;1;2;4;6;9;15;16;22;28c"
	// xterm -ti vt340 -fs 16 -bg black, allowWindowOps: true.
	xtermDark = "\x1bP>|XTerm(379)\x1b\\\x1b[6;27;13t\x1b[4;1080;1560t\x1b]11;rgb:0000/0000/0000\x1b\\\x1b[?2;0;1000;1000S\x1b[?63;1;2;4;6;9;15;16;22;28c"
	// kitty: its graphics answer and an 8-bit-per-component background.
	kitty = "\x1b_Gi=31;OK\x1b\\\x1bP>|kitty(0.35.2)\x1b\\\x1b[6;20;10t\x1b]11;rgb:1e1e/1e1e/2e2e\x1b\\\x1b[?62;c"
	// iTerm2: no kitty or sixel answer; its name; a BEL-terminated OSC.
	iterm2 = "\x1bP>|iTerm2 3.5.0\x1b\\\x1b[6;34;16t\x1b]11;rgb:ffff/ffff/ffff\a\x1b[?62;4;22c"
)

func parse(t *testing.T, answers string, cols, rows int) Caps {
	t.Helper()
	var p Parser
	if !p.Write([]byte(answers)) {
		t.Fatalf("DA1 not seen in %q", answers)
	}
	return p.Caps(cols, rows)
}

func TestParseRealAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, answers string
		want          Caps
		graphics      Graphics
	}{
		{"xterm", xtermPlain, Caps{Answered: true, BackgroundKnown: true, Version: "XTerm(379)"}, NoGraphics},
		{"xterm vt340", xtermVT340, Caps{Answered: true, Sixel: true, SixelMaxW: 1000, SixelMaxH: 1000, BackgroundKnown: true, Version: "XTerm(379)"}, Sixel},
		{"xterm dark", xtermDark, Caps{Answered: true, Sixel: true, CellW: 13, CellH: 27, CellSource: "csi16t", SixelMaxW: 1000, SixelMaxH: 1000, BackgroundKnown: true, Dark: true, Version: "XTerm(379)"}, Sixel},
		{"kitty", kitty, Caps{Answered: true, Kitty: true, CellW: 10, CellH: 20, CellSource: "csi16t", BackgroundKnown: true, Dark: true, Version: "kitty(0.35.2)"}, Kitty},
		{"iterm2", iterm2, Caps{Answered: true, Sixel: true, ITerm2: true, CellW: 16, CellH: 34, CellSource: "csi16t", BackgroundKnown: true, Version: "iTerm2 3.5.0"}, Sixel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := parse(t, tc.answers, 80, 24)
			if got != tc.want {
				t.Errorf("caps\n got %+v\nwant %+v", got, tc.want)
			}
			if g := got.Graphics(); g != tc.graphics {
				t.Errorf("graphics %v, want %v", g, tc.graphics)
			}
			// The same answers in pieces of every size, as a slow link
			// delivers them.
			for size := 1; size < 8; size++ {
				var p Parser
				for i := 0; i < len(tc.answers); i += size {
					p.Write([]byte(tc.answers[i:min(i+size, len(tc.answers))]))
				}
				if c := p.Caps(80, 24); !p.Done() || c != tc.want {
					t.Fatalf("in pieces of %d: done=%v %+v", size, p.Done(), c)
				}
			}
		})
	}
}

func TestParseTextArea(t *testing.T) {
	// CSI 14 t without CSI 16 t: the cell is the area over the cells.
	c := parse(t, "\x1b[4;480;800t\x1b[?64;1c", 80, 24)
	if c.CellW != 10 || c.CellH != 20 || c.CellSource != "csi14t" {
		t.Errorf("cell %d×%d from %q", c.CellW, c.CellH, c.CellSource)
	}
	if c := parse(t, "\x1b[4;480;800t\x1b[?64;1c", 0, 0); c.CellW != 0 {
		t.Errorf("cell %d×%d with no cell count", c.CellW, c.CellH)
	}
}

func TestParseNoise(t *testing.T) {
	for _, tc := range []struct {
		name, answers string
		want          Caps
	}{
		// Keys typed during the probe, a lone Escape, an unknown
		// sequence and an answer with a bad colour are skipped.
		{"keys", "12\x1b\x1b[A\x1b]11;rgb:zz/00/00\x1b\\\x1b[?62;4c", Caps{Answered: true, Sixel: true}},
		// 4 as the terminal class is not sixel.
		{"class 4", "\x1b[?4;1c", Caps{Answered: true}},
		// A kitty error, another image's OK, a sixel geometry error.
		{"errors", "\x1b_Gi=31;ENOTSUPPORTED:x\x1b\\\x1b_Gi=7;OK\x1b\\\x1b[?2;3;0;0S\x1b[?62c", Caps{Answered: true}},
		// OSC ended by an ESC that is not ST: the next answer still counts.
		{"bad ST", "\x1b]11;rgb:0/0/0\x1b[?62;4c", Caps{Answered: true, Sixel: true, BackgroundKnown: true, Dark: true}},
		// A hostile version string is kept printable and short.
		{"version", "\x1bP>|evil\x07\x1b[31m" + strings.Repeat("x", 100) + "\x1b\\\x1b[?62c", Caps{Answered: true, Version: "evil"}},
		{"colours", "\x1b]11;#102030\x1b\\\x1b[?62c", Caps{Answered: true, BackgroundKnown: true, Dark: true}},
		{"rgba", "\x1b]11;rgba:f/f/f/0\x1b\\\x1b[?62c", Caps{Answered: true, BackgroundKnown: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parse(t, tc.answers, 0, 0); got != tc.want {
				t.Errorf("\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParserBounded(t *testing.T) {
	var p Parser
	p.Write([]byte("\x1b]11;"))
	for range 100 {
		p.Write([]byte(strings.Repeat("a", 1000)))
	}
	if len(p.buf) > maxPending {
		t.Errorf("%d bytes pending", len(p.buf))
	}
	if p.Done() {
		t.Error("done without DA1")
	}
}

func TestDrawsSextants(t *testing.T) {
	for v, want := range map[string]bool{"kitty(0.35.2)": true, "foot(1.16.2)": true, "WezTerm 20240203": true, "XTerm(379)": false, "": false, "tmux 3.4": false} {
		if got := (Caps{Version: v}).DrawsSextants(); got != want {
			t.Errorf("%q: %v", v, got)
		}
	}
}

// fakeConn replays answers in chunks, each after a given delay on a fake
// clock; a chunk whose delay passes the read's limit is a timeout.
type fakeConn struct {
	clock  time.Time
	chunks []chunk
	wrote  strings.Builder
	size   [4]int
	reads  int
}

type chunk struct {
	after time.Duration
	data  string
}

func (f *fakeConn) Write(p []byte) (int, error) { return f.wrote.Write(p) }
func (f *fakeConn) now() time.Time              { return f.clock }
func (f *fakeConn) Size() (int, int, int, int)  { return f.size[0], f.size[1], f.size[2], f.size[3] }
func (f *fakeConn) ReadWithin(p []byte, d time.Duration) (int, error) {
	f.reads++
	if len(f.chunks) == 0 || f.chunks[0].after > d {
		f.clock = f.clock.Add(d)
		if len(f.chunks) > 0 {
			f.chunks[0].after -= d
		}
		return 0, ErrTimeout
	}
	c := f.chunks[0]
	f.chunks = f.chunks[1:]
	f.clock = f.clock.Add(c.after)
	return copy(p, c.data), nil
}

func TestProbe(t *testing.T) {
	t.Run("answers", func(t *testing.T) {
		f := &fakeConn{chunks: []chunk{{time.Millisecond, xtermVT340[:20]}, {2 * time.Millisecond, xtermVT340[20:]}, {0, "never read"}}, size: [4]int{80, 24, 644, 412}}
		c, err := Probe(f, DefaultTimeout, f.now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if f.wrote.String() != Queries {
			t.Errorf("wrote %q", f.wrote.String())
		}
		// xterm's ioctl pixels include a 2-pixel border each side.
		if !c.Sixel || c.CellW != 8 || c.CellH != 17 || c.CellSource != "ioctl" {
			t.Errorf("%+v", c)
		}
		if len(f.chunks) != 1 {
			t.Error("read on after DA1")
		}
	})
	t.Run("silent terminal", func(t *testing.T) {
		f := &fakeConn{}
		start := f.clock
		c, err := Probe(f, DefaultTimeout, f.now, nil)
		if err != nil || c.Answered {
			t.Fatalf("%+v, %v", c, err)
		}
		if waited := f.clock.Sub(start); waited != DefaultTimeout {
			t.Errorf("waited %v", waited)
		}
	})
	t.Run("slow answer", func(t *testing.T) {
		// DA1 after the deadline: what came before it still counts.
		cut := strings.Index(xtermPlain, "\x1b[?2;3S")
		f := &fakeConn{chunks: []chunk{{10 * time.Millisecond, xtermPlain[:cut]}, {time.Second, xtermPlain[cut:]}}}
		c, err := Probe(f, DefaultTimeout, f.now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Answered || c.Version != "XTerm(379)" || !c.BackgroundKnown {
			t.Errorf("%+v", c)
		}
		if waited := f.clock.Sub(time.Time{}); waited != DefaultTimeout {
			t.Errorf("waited %v", waited)
		}
	})
	t.Run("trickle", func(t *testing.T) {
		// One byte every 10 ms: the deadline holds for the whole probe,
		// not per read.
		var chunks []chunk
		for i := range len(xtermPlain) {
			chunks = append(chunks, chunk{10 * time.Millisecond, xtermPlain[i : i+1]})
		}
		f := &fakeConn{chunks: chunks}
		if _, err := Probe(f, DefaultTimeout, f.now, nil); err != nil {
			t.Fatal(err)
		}
		if waited := f.clock.Sub(time.Time{}); waited > DefaultTimeout {
			t.Errorf("waited %v", waited)
		}
	})
	t.Run("env breaks ties", func(t *testing.T) {
		env := func(k string) string { return map[string]string{"LC_TERMINAL": "iTerm2"}[k] }
		f := &fakeConn{chunks: []chunk{{0, "\x1b[?62;22c"}}}
		c, _ := Probe(f, DefaultTimeout, f.now, env)
		if !c.ITerm2 {
			t.Error("LC_TERMINAL=iTerm2 ignored")
		}
		// A terminal that names itself (tmux inside iTerm2) wins.
		f = &fakeConn{chunks: []chunk{{0, "\x1bP>|tmux 3.4\x1b\\\x1b[?62;22c"}}}
		if c, _ := Probe(f, DefaultTimeout, f.now, env); c.ITerm2 {
			t.Error("LC_TERMINAL beat XTVERSION")
		}
		// No answer at all: not a terminal to trust with images.
		f = &fakeConn{}
		if c, _ := Probe(f, DefaultTimeout, f.now, env); c.ITerm2 {
			t.Error("env alone enabled images")
		}
	})
	t.Run("write fails", func(t *testing.T) {
		if _, err := Probe(&failConn{}, DefaultTimeout, time.Now, nil); err == nil {
			t.Error("no error")
		}
	})
}

type failConn struct{ fakeConn }

func (failConn) Write([]byte) (int, error) { return 0, errors.New("closed") }

// FuzzParser feeds the parser what a terminal, or anything pretending to
// be one, might answer, whole and a byte at a time: it must not panic,
// must keep its buffer bounded and its version printable, and must read
// the same either way.
func FuzzParser(f *testing.F) {
	for _, s := range []string{xtermPlain, xtermVT340, xtermDark, kitty, iterm2, "\x1b]11;rgb:0/0/0\x1b[?62;4c", "\x1bP>|\x1b\x1b[c"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var whole, bytewise Parser
		whole.Write(b)
		for i := range b {
			bytewise.Write(b[i : i+1])
		}
		for _, p := range []*Parser{&whole, &bytewise} {
			if len(p.buf) > maxPending {
				t.Fatalf("%d bytes pending", len(p.buf))
			}
			c := p.Caps(80, 24)
			if len(c.Version) > 64 || strings.ContainsFunc(c.Version, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
				t.Fatalf("version %q", c.Version)
			}
			if c.CellW < 0 || c.CellH < 0 || c.SixelMaxW < 0 || c.SixelMaxH < 0 {
				t.Fatalf("negative sizes %+v", c)
			}
		}
		if len(b) < maxPending && (whole.Caps(80, 24) != bytewise.Caps(80, 24) || whole.Done() != bytewise.Done()) {
			t.Fatalf("whole %+v, byte by byte %+v", whole.Caps(80, 24), bytewise.Caps(80, 24))
		}
	})
}
