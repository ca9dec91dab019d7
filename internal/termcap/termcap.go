// Package termcap asks the terminal what it can draw: terminal graphics
// (sixel, the kitty graphics protocol, iTerm2 inline images), the size of a
// character cell in pixels and the background colour. It asks once, at
// start, before the program takes the terminal, with a short timeout, and
// relies on the terminal's own answers; environment variables only break
// ties where no answer can tell.
//
// The queries end with Primary Device Attributes (DA1, CSI c), which every
// terminal answers, so the probe stops as soon as the terminal has said all
// it is going to say rather than waiting out the timeout.
package termcap

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Graphics is a terminal graphics protocol.
type Graphics int

const (
	// NoGraphics: the terminal draws text only.
	NoGraphics Graphics = iota
	// Sixel is DEC's sixel bitmap format (DA1 attribute 4).
	Sixel
	// Kitty is the kitty graphics protocol (answered its query).
	Kitty
	// ITerm2 is iTerm2's inline images (OSC 1337 File=), which has no query:
	// XTVERSION names the terminal.
	ITerm2
)

// String returns the protocol's name as the status bar shows it.
func (g Graphics) String() string {
	switch g {
	case NoGraphics:
		return "none"
	case Sixel:
		return "sixel"
	case Kitty:
		return "kitty"
	case ITerm2:
		return "iterm2"
	}
	return fmt.Sprintf("Graphics(%d)", int(g))
}

// Caps is what the terminal said about itself.
type Caps struct {
	// Answered is set when the terminal answered DA1: it is a real
	// terminal that reads queries, and every other answer has arrived.
	Answered bool
	// Sixel, Kitty and ITerm2 report each protocol the terminal has.
	Sixel, Kitty, ITerm2 bool
	// CellW and CellH are a character cell's size in pixels; 0 when unknown.
	CellW, CellH int
	// CellSource says where the cell size came from: "csi16t", "csi14t",
	// "ioctl" or "".
	CellSource string
	// SixelMaxW and SixelMaxH are the largest sixel image the terminal
	// shows (XTSMGRAPHICS); 0 when it did not say.
	SixelMaxW, SixelMaxH int
	// BackgroundKnown is set when the terminal reported its background
	// colour (OSC 11); Dark says whether it is dark, as termenv judges it
	// (HSL lightness under one half).
	BackgroundKnown, Dark bool
	// Version is the terminal's name and version (XTVERSION), such as
	// "XTerm(379)" or "kitty(0.35.2)"; "" when it did not say.
	Version string
}

// Graphics returns the protocol to draw images with: kitty, then sixel,
// then iTerm2's, as the terminal has them. Kitty's and sixel's answers are
// the terminal's own; iTerm2's is inferred from its name.
func (c Caps) Graphics() Graphics {
	switch {
	case c.Kitty:
		return Kitty
	case c.Sixel:
		return Sixel
	case c.ITerm2:
		return ITerm2
	}
	return NoGraphics
}

// DrawsSextants reports whether the terminal is known to draw the Unicode
// 13 sextant characters itself, as it draws box drawing, rather than take
// them from a font that may not have them: kitty, foot and WezTerm do.
func (c Caps) DrawsSextants() bool {
	v := strings.ToLower(c.Version)
	for _, name := range []string{"kitty", "foot", "wezterm"} {
		if strings.HasPrefix(v, name) {
			return true
		}
	}
	return false
}

// KittyQueryID is the image id of the kitty graphics query; its answer
// carries it back.
const KittyQueryID = 31

// Queries is what Probe writes, in this order: the kitty graphics query (a
// 1×1 image that is checked, not stored), XTVERSION, the cell size in pixels
// (CSI 16 t), the text area in pixels (CSI 14 t), the background colour
// (OSC 11), the largest sixel image (XTSMGRAPHICS, read maximum), and DA1
// last. A terminal ignores what it does not know; xterm, for one, answers
// CSI 16 t only when allowWindowOps is set, hence the ioctl fallback.
var Queries = "\x1b_Gi=" + strconv.Itoa(KittyQueryID) + ",s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\" +
	"\x1b[>0q" +
	"\x1b[16t" +
	"\x1b[14t" +
	"\x1b]11;?\x1b\\" +
	"\x1b[?2;4;0S" +
	"\x1b[c"

// Parser reads the terminal's answers to Queries as they arrive, in any
// pieces. Bytes that are no answer (a key pressed meanwhile) are skipped.
type Parser struct {
	buf  []byte
	caps Caps
	// areaW and areaH: the text area in pixels (CSI 14 t), turned into a
	// cell size once the cell count is known.
	areaW, areaH int
	done         bool
}

// maxPending bounds what the parser keeps of an unfinished sequence: the
// longest answer is a few dozen bytes.
const maxPending = 4096

// Write feeds answers to the parser. It reports whether DA1 has arrived,
// after which nothing more is expected.
func (p *Parser) Write(b []byte) bool {
	p.buf = append(p.buf, b...)
	for !p.done {
		n := p.next()
		if n == 0 {
			break
		}
		p.buf = p.buf[n:]
	}
	if len(p.buf) > maxPending {
		p.buf = p.buf[len(p.buf)-maxPending:]
	}
	return p.done
}

// Done reports whether DA1 has arrived.
func (p *Parser) Done() bool { return p.done }

// Caps returns what the answers said so far. cols and rows are the window
// size in cells, used to turn the text area's pixels (CSI 14 t) into a
// cell size when CSI 16 t was not answered; 0 if unknown.
func (p *Parser) Caps(cols, rows int) Caps {
	c := p.caps
	if c.CellW == 0 && p.areaW > 0 && p.areaH > 0 && cols > 0 && rows > 0 {
		c.CellW, c.CellH, c.CellSource = p.areaW/cols, p.areaH/rows, "csi14t"
	}
	return c
}

// next consumes one sequence or stray byte from the front of p.buf and
// returns its length; 0 means the sequence is not complete yet.
func (p *Parser) next() int {
	b := p.buf
	if len(b) == 0 {
		return 0
	}
	if b[0] != 0x1b {
		return 1
	}
	if len(b) < 2 {
		return 0
	}
	switch b[1] {
	case '[':
		return p.csi(b)
	case ']', '_', 'P':
		// OSC, APC, DCS: a string up to ST (ESC \) or, for OSC, BEL.
		end, n := stringEnd(b[2:], b[1] == ']')
		if end < 0 {
			return 0
		}
		body := b[2 : 2+end]
		switch b[1] {
		case ']':
			p.osc(body)
		case '_':
			p.apc(body)
		case 'P':
			p.dcs(body)
		}
		return 2 + end + n
	}
	return 1 // a lone ESC (the Escape key): not an answer
}

// stringEnd finds the end of a control string: the index of its terminator
// in s and the terminator's length, or -1.
func stringEnd(s []byte, bel bool) (int, int) {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == 0x07 && bel:
			return i, 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i, 2
		case s[i] == 0x1b && i+1 < len(s):
			// ESC not followed by \ ends the string without a proper ST;
			// the next sequence starts here.
			return i, 0
		}
	}
	return -1, 0
}

// csi reads a control sequence: ESC [ parameters final.
func (p *Parser) csi(b []byte) int {
	i := 2
	for i < len(b) && (b[i] < 0x40 || b[i] > 0x7e) {
		if b[i] == 0x1b {
			return i // cut short; drop what came before
		}
		i++
	}
	if i == len(b) {
		return 0
	}
	params, final := string(b[2:i]), b[i]
	switch {
	case final == 'c' && strings.HasPrefix(params, "?"):
		p.done = true
		p.caps.Answered = true
		attrs := ints(params[1:])
		// The first number is the terminal class (62–65); the rest are
		// features, 4 being sixel graphics.
		for _, a := range attrs[min(1, len(attrs)):] {
			if a == 4 {
				p.caps.Sixel = true
			}
		}
	case final == 't':
		v := ints(params)
		if len(v) == 3 && v[1] > 0 && v[2] > 0 {
			switch v[0] {
			case 6:
				p.caps.CellW, p.caps.CellH, p.caps.CellSource = v[2], v[1], "csi16t"
			case 4:
				p.areaW, p.areaH = v[2], v[1]
			}
		}
	case final == 'S' && strings.HasPrefix(params, "?"):
		// XTSMGRAPHICS: ? item ; status ; values. Item 2 is the sixel
		// geometry, status 0 success.
		v := ints(params[1:])
		if len(v) == 4 && v[0] == 2 && v[1] == 0 && v[2] > 0 && v[3] > 0 {
			p.caps.SixelMaxW, p.caps.SixelMaxH = v[2], v[3]
		}
	}
	return i + 1
}

// osc reads "11;rgb:RRRR/GGGG/BBBB", the background colour.
func (p *Parser) osc(body []byte) {
	s, ok := strings.CutPrefix(string(body), "11;")
	if !ok {
		return
	}
	r, g, b, ok := parseColor(s)
	if !ok {
		return
	}
	p.caps.BackgroundKnown = true
	p.caps.Dark = (max(r, g, b)+min(r, g, b))/2 < 0.5
}

// apc reads the kitty graphics answer: "Gi=31;OK", or an error code.
func (p *Parser) apc(body []byte) {
	s, ok := bytes.CutPrefix(body, []byte("G"))
	if !ok {
		return
	}
	keys, msg, _ := bytes.Cut(s, []byte(";"))
	for _, kv := range bytes.Split(keys, []byte(",")) {
		if string(kv) == "i="+strconv.Itoa(KittyQueryID) && string(msg) == "OK" {
			p.caps.Kitty = true
		}
	}
}

// dcs reads XTVERSION: ">|name(version)" or ">|name version".
func (p *Parser) dcs(body []byte) {
	if v, ok := bytes.CutPrefix(body, []byte(">|")); ok {
		p.caps.Version = printable(string(v), 64)
		if name := strings.ToLower(p.caps.Version); strings.HasPrefix(name, "iterm2") || strings.HasPrefix(name, "wezterm") {
			// Both draw OSC 1337 inline images; neither has a query for it.
			p.caps.ITerm2 = true
		}
	}
}

// printable keeps the printable ASCII of s, at most n bytes: the version
// is the terminal's to choose and is shown in the status bar.
func printable(s string, n int) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < n; i++ {
		if s[i] >= 0x20 && s[i] < 0x7f {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// ints parses "1;2;;4" into numbers; empty or bad fields are 0.
func ints(s string) []int {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ";")
	v := make([]int, len(parts))
	for i, f := range parts {
		v[i], _ = strconv.Atoi(f)
	}
	return v
}

// parseColor reads an X11 colour as terminals report it: "rgb:R/G/B" with
// 1 to 4 hex digits per component, "rgba:R/G/B/A", or "#RRGGBB". The
// components come back between 0 and 1.
func parseColor(s string) (r, g, b float64, ok bool) {
	var parts []string
	switch {
	case strings.HasPrefix(s, "rgb:"):
		parts = strings.Split(s[4:], "/")
	case strings.HasPrefix(s, "rgba:"):
		parts = strings.Split(s[5:], "/")
		if len(parts) == 4 {
			parts = parts[:3]
		}
	case strings.HasPrefix(s, "#") && len(s) == 7:
		parts = []string{s[1:3], s[3:5], s[5:7]}
	}
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	var c [3]float64
	for i, h := range parts {
		if len(h) < 1 || len(h) > 4 {
			return 0, 0, 0, false
		}
		v, err := strconv.ParseUint(h, 16, 16)
		if err != nil {
			return 0, 0, 0, false
		}
		c[i] = float64(v) / float64(uint64(1)<<(4*len(h))-1)
	}
	return c[0], c[1], c[2], true
}

// Env are the environment variables that break ties.
type Env func(string) string

// applyEnv fills in from the environment what no answer can tell: iTerm2's
// inline images when XTVERSION was not answered but the terminal says who
// it is (LC_TERMINAL survives ssh; TERM_PROGRAM does locally).
func (c *Caps) applyEnv(getenv Env) {
	if getenv == nil || !c.Answered || c.Version != "" {
		return
	}
	if getenv("LC_TERMINAL") == "iTerm2" || getenv("TERM_PROGRAM") == "iTerm.app" || getenv("TERM_PROGRAM") == "WezTerm" {
		c.ITerm2 = true
	}
}
