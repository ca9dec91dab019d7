package ui

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/pixdesk/pixdesk/internal/termcap"
)

// These tests read the QR back from the whole screen (Model.View), not from
// QR.Render: the screen is emulated cell by cell, images included, painted
// as a terminal with the given theme shows it, and handed to gozxing whole,
// details, countdown bar and chrome around the code. Where the screen says
// a QR is drawn it must decode to the copy-and-paste and be the whole block
// the renderer drew; where it says none, nothing of a QR may be on it.

// qrView is where a charge's QR is looked for: the charge screen or the
// full-window view (f).
type qrView int

const (
	qrViewCharge qrView = iota
	qrViewFull
)

func (v qrView) String() string {
	if v == qrViewFull {
		return "full"
	}
	return "charge"
}

// screenTerm is a terminal the screen tests draw for.
type screenTerm struct {
	name    string
	style   QRStyle
	caps    termcap.Caps
	profile termenv.Profile
	theme   termTheme
	cell    [2]int // pixels, for painting
}

var (
	lightCaps   = termcap.Caps{Answered: true, BackgroundKnown: true}
	darkCaps    = termcap.Caps{Answered: true, BackgroundKnown: true, Dark: true}
	screenTerms = []screenTerm{
		{"half/colour/light", QRAuto, lightCaps, termenv.ANSI256, lightTheme, [2]int{4, 8}},
		{"half/nocolor/dark", QRAuto, darkCaps, termenv.Ascii, darkTheme, [2]int{4, 8}},
		{"half/nocolor/light", QRAuto, lightCaps, termenv.Ascii, lightTheme, [2]int{4, 8}},
		{"sextant/colour/dark", QRSextants, darkCaps, termenv.ANSI, darkTheme, [2]int{6, 12}},
		{"sixel/nocolor/light", QRAuto, sixel8x16, termenv.Ascii, lightTheme, [2]int{8, 16}},
	}
)

// qrScreenSizes are the windows of the golden tests (80×24, 120×40) and a
// few more: 100×30, a narrow 60×34 (the stacked layout) and 140×50.
var qrScreenSizes = [][2]int{{80, 24}, {120, 40}, {100, 30}, {60, 34}, {140, 50}}

// qrScreenModel returns a console sized w×h for term showing an open
// charge whose copy-and-paste is payload, with the full-window view on (f
// pressed) when view is qrViewFull.
func qrScreenModel(t testing.TB, payload string, term screenTerm, view qrView, w, h int) *Model {
	t.Helper()
	cfg := testConfig(&bytes.Buffer{})
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(term.profile)
	r.SetHasDarkBackground(term.theme == darkTheme)
	cfg.Renderer, cfg.QRStyle, cfg.Caps = r, term.style, term.caps
	m, f := newTestModel(t, cfg, w, h)
	c := openCharge(1)
	c.CopyAndPaste = payload
	f.put(c)
	f.latest = 1
	m.Update(latestMsg{c: c})
	if m.active != m.charge || m.charge.payload != payload {
		t.Fatal("the charge is not on screen")
	}
	if view == qrViewFull {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'f'}})
		if !m.full {
			t.Fatal("f did not open the full-window QR")
		}
	}
	return m
}

// shownQR is what the screen says it draws and where (screen cells).
func shownQR(m *Model) (r QRRender, top, left int) {
	s := m.charge
	if m.full {
		at := s.fullAt()
		return s.full, at[0], at[1]
	}
	if s.mode == qrNone {
		return QRRender{}, 0, 0
	}
	return s.block, s.blockAt[0], 1 + s.blockAt[1] // the body's margin
}

// residue returns a cell outside the block that shows something of a QR: a
// half block or sextant, or a cell painted with the QR's pens: reverse
// video, or, where pens is set (256 and true colour, whose pure black and
// white nothing else uses), a pure black or white background.
func residue(sc *emuScreen, top, left, rows, cols int, pens bool) (row, col int, found bool) {
	for r, line := range sc.cells {
		for c, cell := range line {
			if r >= top && r < top+rows && c >= left && c < left+cols {
				continue
			}
			_, sext := sextantBits[cell.r]
			if cell.reverse || pens && (cell.bg == 0 || cell.bg == 0xFF) || cell.r == '▀' || cell.r == '▄' || sext && !strings.ContainsRune(" █▌▐", cell.r) {
				return r, c, true
			}
		}
	}
	return 0, 0, false
}

// blockError checks that the screen shows r whole at top, left: the text
// block cell for cell, or the image at that cell with nothing written
// into its box.
func blockError(t *testing.T, sc *emuScreen, r QRRender, top, left int) error {
	if r.Kind.Graphics() {
		if len(sc.images) != 1 || sc.images[0].row != top || sc.images[0].col != left {
			return fmt.Errorf("the image is not at %d,%d: %d images", top, left, len(sc.images))
		}
		for row := top; row < top+r.Rows; row++ {
			for col := left; col < left+r.Cols; col++ {
				if c := sc.cells[row][col]; c.r != ' ' || c.bg != noColour || c.reverse {
					return fmt.Errorf("cell %d,%d under the image holds %q", row, col, c.r)
				}
			}
		}
		return nil
	}
	block := emulate(t, strings.Join(r.Lines, "\n"), r.Cols, r.Rows)
	for row := range r.Rows {
		for col := range r.Cols {
			if got, want := sc.cells[top+row][left+col], block.cells[row][col]; got != want {
				return fmt.Errorf("cell %d,%d of the block is %+v on screen, %+v drawn", row, col, got, want)
			}
		}
	}
	return nil
}

// checkScreen reads m's screen at w×h for term and returns whether it shows
// a QR.
func checkScreen(t *testing.T, m *Model, payload string, term screenTerm, w, h int) bool {
	t.Helper()
	v := m.View()
	sc := emulate(t, v, w, h)
	r, top, left := shownQR(m)
	if r.OK {
		if err := blockError(t, sc, r, top, left); err != nil {
			t.Fatalf("%d×%d: %v", w, h, err)
		}
	}
	pens := term.profile == termenv.ANSI256 || term.profile == termenv.TrueColor
	if row, col, found := residue(sc, top, left, r.Rows, r.Cols, pens); found {
		t.Fatalf("%d×%d: QR residue at line %d column %d (%q):\n%s", w, h, row, col, sc.cells[row][col].r, v)
	}
	got, err := decodeQR(sc.paint(term.theme, term.cell[0], term.cell[1]))
	switch {
	case r.OK && (err != nil || got != payload):
		t.Fatalf("%d×%d: the screen shows %v %d×%d, which decodes as %q, %v", w, h, r.Kind, r.Cols, r.Rows, got, err)
	case !r.OK && err == nil:
		t.Fatalf("%d×%d: no QR said to be drawn, yet %q decodes", w, h, got)
	}
	return r.OK
}

// TestScreenQRDecodes reads the QR from the whole screen for each PIX code,
// terminal, window size and view.
func TestScreenQRDecodes(t *testing.T) {
	for _, pc := range qrPayloads(t) {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel() // gozxing is slow under -race
			for _, term := range screenTerms {
				for _, view := range []qrView{qrViewCharge, qrViewFull} {
					for _, size := range qrScreenSizes {
						w, h := size[0], size[1]
						t.Run(fmt.Sprintf("%s/%v/%dx%d", term.name, view, w, h), func(t *testing.T) {
							m := qrScreenModel(t, pc.payload, term, view, w, h)
							if !checkScreen(t, m, pc.payload, term, w, h) {
								t.Logf("no QR; the screen asks for %v", m.charge.need)
							}
						})
					}
				}
			}
		})
	}
}

// smallestQRWindows is the smallest window, in columns × rows, whose screen
// shows a QR that decodes, for each code, drawing and view
// (TestSmallestWindows). "Smallest" is the least area; a tie goes to fewer
// rows. Every window under MinWidth×MinHeight (60×20) shows only the "too
// small" message. Sixel is for 8×16-pixel cells.
var smallestQRWindows = map[string][2]int{
	"static147/half/charge":     {60, 32}, // stacked; side from 83×29
	"static147/half/full":       {60, 27},
	"static147/sextant/charge":  {60, 21},
	"static147/sextant/full":    {60, 20},
	"static147/sixel/charge":    {60, 20},
	"static147/sixel/full":      {60, 20},
	"dynamic161/half/charge":    {60, 34}, // stacked; side from 87×31
	"dynamic161/half/full":      {60, 29},
	"dynamic161/sextant/charge": {61, 22}, // or 60×25
	"dynamic161/sextant/full":   {60, 20},
	"dynamic161/sixel/charge":   {60, 20},
	"dynamic161/sixel/full":     {60, 20},
	"tag80_245/half/charge":     {63, 38}, // stacked; side from 95×35
	"tag80_245/half/full":       {61, 33},
	"tag80_245/sextant/charge":  {65, 25}, // or 60×28
	"tag80_245/sextant/full":    {60, 23},
	"tag80_245/sixel/charge":    {60, 20},
	"tag80_245/sixel/full":      {60, 20},
}

// TestSmallestWindows searches, for each code, drawing and view, the
// smallest window (from 40×15 up) whose screen shows a QR, checks on the
// whole screen that it decodes there and that one column or one row less
// shows none, and pins the result in smallestQRWindows.
//
// Whether a QR is shown only gets likelier as the window grows in either
// direction (every box the layout tries grows with it), so the least
// height for each width never increases with the width, and a walk down
// that staircase, each drop found by bisection, finds every width where it
// drops: the only candidates for the least area.
func TestSmallestWindows(t *testing.T) {
	const (
		minW, maxW = 40, 160
		minH, maxH = 15, 60
	)
	terms := map[string]screenTerm{
		"half":    {"half", QRHalfBlocks, lightCaps, termenv.ANSI256, lightTheme, [2]int{4, 8}},
		"sextant": {"sextant", QRSextants, lightCaps, termenv.ANSI256, lightTheme, [2]int{6, 12}},
		"sixel":   {"sixel", QRAuto, sixel8x16, termenv.ANSI256, lightTheme, [2]int{8, 16}},
	}
	type result struct {
		name     string
		smallest [2]int
		steps    [][2]int // the staircase: where the least height drops
	}
	codes := qrPayloads(t)
	results := make([][]result, len(codes))
	t.Run("search", func(t *testing.T) {
		for i, pc := range codes {
			t.Run(pc.name, func(t *testing.T) {
				t.Parallel()
				for _, kind := range []string{"half", "sextant", "sixel"} {
					term := terms[kind]
					for _, view := range []qrView{qrViewCharge, qrViewFull} {
						name := fmt.Sprintf("%s/%s/%v", pc.name, kind, view)
						m := qrScreenModel(t, pc.payload, term, view, 120, 40)
						showsQR := func(w, h int) bool {
							m.Update(tea.WindowSizeMsg{Width: w, Height: h})
							r, _, _ := shownQR(m)
							return r.OK && w >= MinWidth && h >= MinHeight
						}
						var steps [][2]int
						w := firstTrue(minW, maxW, func(w int) bool { return showsQR(w, maxH) })
						if w > maxW {
							t.Fatalf("%s: no QR up to %d×%d", name, maxW, maxH)
						}
						for h := maxH; ; {
							h = firstTrue(minH, h, func(h int) bool { return showsQR(w, h) })
							steps = append(steps, [2]int{w, h})
							if h == minH {
								break
							}
							if w = firstTrue(w+1, maxW, func(w int) bool { return showsQR(w, h-1) }); w > maxW {
								break
							}
						}
						best := steps[0]
						for _, s := range steps[1:] {
							if a, b := s[0]*s[1], best[0]*best[1]; a < b || a == b && s[1] < best[1] {
								best = s
							}
						}
						w, h := best[0], best[1]
						m.Update(tea.WindowSizeMsg{Width: w, Height: h})
						if !checkScreen(t, m, pc.payload, term, w, h) {
							t.Fatalf("%s: no QR at %d×%d", name, w, h)
						}
						for _, less := range [][2]int{{w - 1, h}, {w, h - 1}} {
							if showsQR(less[0], less[1]) {
								t.Errorf("%s: %d×%d shows a QR, smaller than %d×%d", name, less[0], less[1], w, h)
							}
						}
						results[i] = append(results[i], result{name: name, smallest: best, steps: steps})
					}
				}
			})
		}
	})
	var b strings.Builder
	b.WriteString("smallest window showing a QR that decodes (cols×rows; least area, then fewer rows):\n")
	for _, rs := range results {
		for _, r := range rs {
			fmt.Fprintf(&b, "%-28s %3d×%-3d staircase %v\n", r.name, r.smallest[0], r.smallest[1], r.steps)
			if want, ok := smallestQRWindows[r.name]; !ok || want != r.smallest {
				t.Errorf("%s: smallest window %d×%d, recorded %v", r.name, r.smallest[0], r.smallest[1], want)
			}
		}
	}
	t.Log(b.String())
}

// TestScreenCheckCatches checks that the screen check catches what the
// layout could do wrong: a QR cut short, text written into an image's
// box, and bits of a QR where none is said to be.
func TestScreenCheckCatches(t *testing.T) {
	term := screenTerms[0]
	m := qrScreenModel(t, qrDynamic161, term, qrViewCharge, 120, 40)
	r, top, left := shownQR(m)
	if !r.OK {
		t.Fatal("no QR at 120×40")
	}
	sc := emulate(t, m.View(), 120, 40)
	if err := blockError(t, sc, r, top, left); err != nil {
		t.Fatalf("good screen: %v", err)
	}
	// Cut short, as fitLines would in a body too low: the last 3 lines.
	for row := top + r.Rows - 3; row < top+r.Rows; row++ {
		for col := left; col < left+r.Cols; col++ {
			sc.cells[row][col] = emuCell{r: ' ', fg: noColour, bg: noColour}
		}
	}
	if err := blockError(t, sc, r, top, left); err == nil {
		t.Error("a QR missing its last 3 lines passes")
	}
	// A QR cell outside the block is residue.
	sc = emulate(t, m.View(), 120, 40)
	if _, _, found := residue(sc, top, left, r.Rows, r.Cols, true); found {
		t.Fatal("residue on a good screen")
	}
	sc.cells[top][left+r.Cols+5] = emuCell{r: '▀', fg: 0, bg: 0xFF}
	if _, _, found := residue(sc, top, left, r.Rows, r.Cols, true); !found {
		t.Error("a half block beside the QR is not residue")
	}
	// With an image, a character written into its box is caught.
	sixel := screenTerms[len(screenTerms)-1]
	m = qrScreenModel(t, qrDynamic161, sixel, qrViewCharge, 80, 24)
	r, top, left = shownQR(m)
	if !r.Kind.Graphics() {
		t.Fatal("no image at 80×24")
	}
	lines := strings.Split(m.View(), "\n")
	if err := blockError(t, emulate(t, strings.Join(lines, "\n"), 80, 24), r, top, left); err != nil {
		t.Fatalf("good screen: %v", err)
	}
	lines[top+2] = " x" + lines[top+2][1:]
	if err := blockError(t, emulate(t, strings.Join(lines, "\n"), 81, 24), r, top, left); err == nil {
		t.Error("a character in the image's box passes")
	}
}

// firstTrue returns the least x in [lo, hi] for which ok holds, ok being
// false then true as x grows; hi+1 if it never holds.
func firstTrue(lo, hi int, ok func(int) bool) int {
	hi++
	for lo < hi {
		mid := lo + (hi-lo)/2
		if ok(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
