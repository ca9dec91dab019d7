package ui

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"rsc.io/qr"
)

// These tests read the QR back from the whole screen (Model.View), not from
// QR.Render: they find the block of QR glyphs among the details, the
// countdown bar and the chrome, check it is the encoder's matrix with a
// quiet zone, paint it and decode it with gozxing.

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

// qrScreenSizes are the windows of the golden tests (80×24, 120×40) and a
// few more: 100×30, a narrow 60×34 (the stacked layout) and 140×50.
var qrScreenSizes = [][2]int{{80, 24}, {120, 40}, {100, 30}, {60, 34}, {140, 50}}

// qrScreenModel returns a console sized w×h showing an open charge whose
// copy-and-paste is payload, drawing QR codes in style, with the
// full-window view on (f pressed) when view is qrViewFull.
func qrScreenModel(t testing.TB, payload string, style QRStyle, view qrView, w, h int) *Model {
	t.Helper()
	var out bytes.Buffer
	cfg := testConfig(&out)
	cfg.QRStyle = style
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
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'f'}})
		if cmd == nil {
			t.Fatal("f did nothing")
		}
		m.Update(cmd())
		if !m.full {
			t.Fatal("f did not open the full-window QR")
		}
	}
	return m
}

// qrGlyphStyle maps every character a QR may be drawn with to the style
// that draws it; space and █ belong to both.
var qrGlyphStyle = func() map[rune]QRStyle {
	g := make(map[rune]QRStyle)
	for _, s := range sextantGlyphs {
		g[[]rune(s)[0]] = QRSextants
	}
	for _, s := range halfBlockGlyphs {
		g[[]rune(s)[0]] = QRHalfBlocks
	}
	return g
}()

func isQRGlyph(r rune) bool { _, ok := qrGlyphStyle[r]; return ok }

// screenGrid is a screen as rows of cells, escape sequences stripped.
type screenGrid [][]rune

func gridOf(t testing.TB, view string) screenGrid {
	t.Helper()
	lines := strings.Split(ansi.Strip(view), "\n")
	g := make(screenGrid, len(lines))
	for i, line := range lines {
		g[i] = []rune(line)
		if w := lipgloss.Width(line); w != len(g[i]) {
			// Columns are counted in runes below.
			t.Fatalf("line %d: %d runes in %d cells: %q", i, len(g[i]), w, line)
		}
	}
	return g
}

// at returns the cell at row r, column c; past a line's end the screen is
// blank.
func (g screenGrid) at(r, c int) rune {
	if r < 0 || r >= len(g) || c < 0 || c >= len(g[r]) {
		return ' '
	}
	return g[r][c]
}

func (g screenGrid) width() int {
	w := 0
	for _, row := range g {
		w = max(w, len(row))
	}
	return w
}

func (g screenGrid) String() string {
	var b strings.Builder
	for _, row := range g {
		b.WriteString(string(row))
		b.WriteByte('\n')
	}
	return b.String()
}

// text is the screen's words in order, every run of blanks made one space,
// so that a wrapped message reads as one line.
func (g screenGrid) text() string {
	return strings.Join(strings.Fields(g.String()), " ")
}

// screenQR is a QR block found on a screen.
type screenQR struct {
	top, left, rows, cols int
	lines                 []string
	style                 QRStyle
}

// minQRRows is the least height findQRBlocks considers: a version 1 code
// with a 2-module quiet zone is 9 rows in sextants.
const minQRRows = 9

// findQRBlocks finds the QR blocks on g. In the no-colour drawing
// (ASCII profile) the quiet zone is drawn light, as full blocks, and is at
// least 2 modules wide, so a block's first and last columns are unbroken
// runs of █ with the same top and bottom, in both styles (the right-hand
// padding module is light too). A block is the widest range of columns
// between two such runs that holds only QR glyphs (space is a dark module)
// on every one of those lines.
func findQRBlocks(g screenGrid) []screenQR {
	w := g.width()
	runs := map[[2]int][]int{} // [top, bottom) → columns, ascending
	for c := range w {
		for r := 0; r < len(g); {
			if g.at(r, c) != '█' {
				r++
				continue
			}
			r0 := r
			for r < len(g) && g.at(r, c) == '█' {
				r++
			}
			if r-r0 >= minQRRows {
				runs[[2]int{r0, r}] = append(runs[[2]int{r0, r}], c)
			}
		}
	}
	keys := make([][2]int, 0, len(runs))
	for k := range runs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]int) int { return a[0] - b[0] })
	allQR := func(r0, r1, c int) bool {
		for r := r0; r < r1; r++ {
			if !isQRGlyph(g.at(r, c)) {
				return false
			}
		}
		return true
	}
	var blocks []screenQR
	for _, k := range keys {
		cols := runs[k]
		for len(cols) > 0 {
			c0, end := cols[0], cols[0]
			for end+1 < w && allQR(k[0], k[1], end+1) {
				end++
			}
			i := 1
			for i < len(cols) && cols[i] <= end {
				i++
			}
			c1 := cols[i-1]
			cols = cols[i:]
			if c1-c0+1 < minQRRows {
				continue
			}
			b := screenQR{top: k[0], left: c0, rows: k[1] - k[0], cols: c1 - c0 + 1, style: QRHalfBlocks}
			for r := k[0]; r < k[1]; r++ {
				line := string(g[r][c0 : c1+1])
				for _, ch := range line {
					if qrGlyphStyle[ch] == QRSextants {
						b.style = QRSextants
					}
				}
				b.lines = append(b.lines, line)
			}
			blocks = append(blocks, b)
		}
	}
	return blocks
}

// qrResidue returns where g shows something of a QR outside the block
// skip (nil: anywhere): a half-block or sextant character, or a full block
// with another right below it. The countdown bar is one line of full
// blocks; nothing else on these screens draws them.
func qrResidue(g screenGrid, skip *screenQR) (row, col int, found bool) {
	in := func(r, c int) bool {
		return skip != nil && r >= skip.top && r < skip.top+skip.rows && c >= skip.left && c < skip.left+skip.cols
	}
	for r, line := range g {
		for c, ch := range line {
			if in(r, c) || !isQRGlyph(ch) || ch == ' ' {
				continue
			}
			if ch != '█' || (g.at(r+1, c) == '█' && !in(r+1, c)) {
				return r, c, true
			}
		}
	}
	return 0, 0, false
}

// qrNeedRE reads the window size the "too small for a QR" message asks
// for (kQRTooSmall, pt-BR).
var qrNeedRE = regexp.MustCompile(`precisa de (\d+)×(\d+)`)

// screenState is what a screen shows in place of or as a QR.
type screenState struct {
	g    screenGrid
	qr   *screenQR
	need [2]int // from the "needs W×H" message, when there is no QR
	tiny bool   // the window is under MinWidth×MinHeight
}

// inspect reads m's screen at w×h: the one QR block it shows, or the
// message that replaces it, failing when there is more than one block,
// a partial QR, or neither a QR nor the message.
func inspect(t testing.TB, m *Model, w, h int) screenState {
	t.Helper()
	g := gridOf(t, m.View())
	if len(g) != h {
		t.Fatalf("%d×%d: screen has %d lines", w, h, len(g))
	}
	st := screenState{g: g}
	blocks := findQRBlocks(g)
	switch len(blocks) {
	case 0:
	case 1:
		st.qr = &blocks[0]
	default:
		t.Fatalf("%d×%d: %d QR blocks:\n%s", w, h, len(blocks), g)
	}
	if r, c, bad := qrResidue(g, st.qr); bad {
		t.Fatalf("%d×%d: QR glyph %q at line %d column %d outside the QR block (partial QR?):\n%s", w, h, g[r][c], r, c, g)
	}
	if st.qr != nil {
		return st
	}
	text := g.text()
	if w < MinWidth || h < MinHeight {
		want := strings.Join(strings.Fields(m.env.lang.s(kTooSmall, w, h, MinWidth, MinHeight)), " ")
		if !strings.Contains(text, want) {
			t.Fatalf("%d×%d: no QR and no %q:\n%s", w, h, want, g)
		}
		st.tiny = true
		return st
	}
	sub := qrNeedRE.FindStringSubmatch(text)
	if sub == nil {
		t.Fatalf("%d×%d: no QR and no \"needs W×H\" message:\n%s", w, h, g)
	}
	st.need[0], _ = strconv.Atoi(sub[1])
	st.need[1], _ = strconv.Atoi(sub[2])
	if st.need[0] <= w && st.need[1] <= h {
		t.Errorf("%d×%d: no QR, yet the message says %d×%d is enough", w, h, st.need[0], st.need[1])
	}
	return st
}

// qrModules reads the block into modules (true = dark) and checks with
// qrSymbol that they are payload's symbol.
func qrModules(t *testing.T, payload string, b *screenQR) (mods [][]bool, level string, quiet int) {
	t.Helper()
	mods = parseQR(t, QRRender{Text: strings.Join(b.lines, "\n"), Cols: b.cols, Rows: b.rows, Style: b.style}, false)
	cw, ch := qrCell(b.style)
	level, quiet, err := qrSymbol(payload, mods, cw, ch)
	if err != nil {
		t.Fatalf("%v %d×%d block at line %d column %d: %v", b.style, b.cols, b.rows, b.top, b.left, err)
	}
	return mods, level, quiet
}

// qrCell returns the modules per cell, across and down, of a style.
func qrCell(style QRStyle) (cw, ch int) {
	if style == QRSextants {
		return 2, 3
	}
	return 1, 2
}

// qrSymbol checks that mods, drawn in cells of cw×ch modules, are the
// encoder's symbol for payload at level M or L inside a quiet zone of 2 to
// 4 light modules, with no more beyond it on the right and at the bottom
// than the padding of the last cell: a block cut short or cut narrow by the
// layout fails here even where a scanner would still read it.
func qrSymbol(payload string, mods [][]bool, cw, ch int) (level string, quiet int, err error) {
	minX, minY, maxX, maxY := len(mods[0]), len(mods), -1, -1
	for y, row := range mods {
		for x, dark := range row {
			if dark {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	size := maxX - minX + 1
	quiet = minX
	right, bottom := len(mods[0])-1-maxX, len(mods)-1-maxY
	if maxX < 0 || minY != quiet || maxY-minY+1 != size || (size-17)%4 != 0 {
		return "", 0, fmt.Errorf("dark modules span %d..%d × %d..%d: not a QR symbol", minX, maxX, minY, maxY)
	}
	if quiet < 2 || quiet > 4 || right < quiet || right >= quiet+cw || bottom < quiet || bottom >= quiet+ch {
		return "", 0, fmt.Errorf("quiet zone left and top %d, right %d, bottom %d", quiet, right, bottom)
	}
	for _, lv := range []struct {
		name  string
		level qr.Level
	}{{"M", qr.M}, {"L", qr.L}} {
		c, err := qr.Encode(payload, lv.level)
		if err != nil {
			return "", 0, err
		}
		if c.Size != size {
			continue
		}
		same := true
		for y := 0; y < size && same; y++ {
			for x := 0; x < size; x++ {
				if mods[y+quiet][x+quiet] != c.Black(x, y) {
					same = false
					break
				}
			}
		}
		if same {
			return lv.name, quiet, nil
		}
	}
	return "", 0, fmt.Errorf("the %d×%d symbol is not %q at level M or L", size, size, payload)
}

// decodeScreenQR paints the block as a dark-background terminal shows it
// (the no-colour drawing is made for one) in each of the style's test
// fonts, and decodes it.
func decodeScreenQR(t testing.TB, payload string, b *screenQR, mods [][]bool) {
	t.Helper()
	cw, ch := qrCell(b.style)
	for _, font := range qrFonts[b.style] {
		got, err := decodeQR(paintQR(mods, cw, ch, font, true))
		if err != nil {
			t.Fatalf("%v %d×%d block, font %v: decode: %v", b.style, b.cols, b.rows, font, err)
		}
		if got != payload {
			t.Fatalf("%v %d×%d block, font %v: decoded %q, want %q", b.style, b.cols, b.rows, font, got, payload)
		}
	}
}

// TestScreenQRDecodes reads the QR from the whole screen for each PIX code,
// window size, view and style: where a QR is shown it must be the
// encoder's matrix and decode to the copy-and-paste; where none is, the
// "needs W×H" message is shown and no part of a QR.
func TestScreenQRDecodes(t *testing.T) {
	for _, pc := range qrPayloads(t) {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel() // gozxing is slow under -race
			for _, style := range []QRStyle{QRHalfBlocks, QRSextants} {
				decoded := map[string]bool{} // the same drawing decodes the same
				for _, view := range []qrView{qrViewCharge, qrViewFull} {
					for _, size := range qrScreenSizes {
						w, h := size[0], size[1]
						t.Run(fmt.Sprintf("%v/%v/%dx%d", style, view, w, h), func(t *testing.T) {
							m := qrScreenModel(t, pc.payload, style, view, w, h)
							st := inspect(t, m, w, h)
							if st.qr == nil {
								t.Logf("no QR; the screen asks for %d×%d", st.need[0], st.need[1])
								return
							}
							b := st.qr
							if style == QRHalfBlocks && b.style != QRHalfBlocks {
								t.Errorf("sextants on screen with the half-block style")
							}
							// The locator against the drawing the screen holds.
							want := m.charge.qrLines
							if view == qrViewFull {
								want = strings.Split(m.charge.full.Text, "\n")
							}
							if !slices.Equal(b.lines, want) {
								t.Errorf("the block found is not the QR drawn:\n%s", strings.Join(b.lines, "\n"))
							}
							mods, level, quiet := qrModules(t, pc.payload, b)
							t.Logf("%v %d×%d at line %d column %d, level %s, quiet %d", b.style, b.cols, b.rows, b.top, b.left, level, quiet)
							if key := strings.Join(b.lines, "\n"); !decoded[key] {
								decodeScreenQR(t, pc.payload, b, mods)
								decoded[key] = true
							}
						})
					}
				}
			}
		})
	}
}

// smallestQRWindows is the smallest window, in columns × rows, whose screen
// shows a QR that decodes, for each code, style and view (TestSmallestWindows).
// "Smallest" is the least area; a tie goes to fewer rows. Every window
// under MinWidth×MinHeight (60×20) shows only the "too small" message.
var smallestQRWindows = map[string][2]int{
	"static147/half-blocks/charge":  {60, 32}, // stacked; side from 83×29
	"static147/half-blocks/full":    {60, 27},
	"static147/sextants/charge":     {60, 21},
	"static147/sextants/full":       {60, 20},
	"dynamic161/half-blocks/charge": {60, 34}, // stacked; side from 87×31
	"dynamic161/half-blocks/full":   {60, 29},
	"dynamic161/sextants/charge":    {61, 22}, // or 60×25
	"dynamic161/sextants/full":      {60, 20},
	"tag80_245/half-blocks/charge":  {63, 38}, // stacked; side from 95×35
	"tag80_245/half-blocks/full":    {61, 33},
	"tag80_245/sextants/charge":     {65, 25}, // or 60×28
	"tag80_245/sextants/full":       {60, 23},
}

// TestSmallestWindows searches, for each code, style and view, the
// smallest window (from 40×15 up) whose screen shows a QR, checks that it
// decodes there and that one column or one row less shows none, and pins
// the result in smallestQRWindows.
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
	type result struct {
		name     string
		smallest [2]int
		steps    [][2]int // the staircase: where the least height drops
		need     string   // what the screen asks for just below it
	}
	codes := qrPayloads(t)
	results := make([][]result, len(codes))
	t.Run("search", func(t *testing.T) {
		for i, pc := range codes {
			t.Run(pc.name, func(t *testing.T) {
				t.Parallel()
				for _, style := range []QRStyle{QRHalfBlocks, QRSextants} {
					for _, view := range []qrView{qrViewCharge, qrViewFull} {
						name := fmt.Sprintf("%s/%v/%v", pc.name, style, view)
						m := qrScreenModel(t, pc.payload, style, view, 120, 40)
						shows := func(w, h int) screenState {
							m.Update(tea.WindowSizeMsg{Width: w, Height: h})
							return inspect(t, m, w, h)
						}
						showsQR := func(w, h int) bool { return shows(w, h).qr != nil }
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
						st := shows(w, h)
						mods, _, _ := qrModules(t, pc.payload, st.qr)
						decodeScreenQR(t, pc.payload, st.qr, mods)
						r := result{name: name, smallest: best, steps: steps}
						for _, less := range [][2]int{{w - 1, h}, {w, h - 1}} {
							if st := shows(less[0], less[1]); st.qr != nil {
								t.Errorf("%s: %d×%d shows a QR, smaller than %d×%d", name, less[0], less[1], w, h)
							} else if !st.tiny {
								r.need += fmt.Sprintf(" at %d×%d asks for %d×%d;", less[0], less[1], st.need[0], st.need[1])
							}
						}
						results[i] = append(results[i], r)
					}
				}
			})
		}
	})
	var b strings.Builder
	b.WriteString("smallest window showing a QR that decodes (cols×rows; least area, then fewer rows):\n")
	for _, rs := range results {
		for _, r := range rs {
			fmt.Fprintf(&b, "%-34s %3d×%-3d staircase %v%s\n", r.name, r.smallest[0], r.smallest[1], r.steps, r.need)
			if want, ok := smallestQRWindows[r.name]; !ok || want != r.smallest {
				t.Errorf("%s: smallest window %d×%d, recorded %v", r.name, r.smallest[0], r.smallest[1], want)
			}
		}
	}
	t.Log(b.String())
}

// TestScreenQRLocator checks that the locator and the symbol check catch
// what the layout could do wrong: a QR cut short or cut narrow, and bits of
// a QR where none should be.
func TestScreenQRLocator(t *testing.T) {
	m := qrScreenModel(t, qrDynamic161, QRHalfBlocks, qrViewCharge, 120, 40)
	g := gridOf(t, m.View())
	blocks := findQRBlocks(g)
	if len(blocks) != 1 {
		t.Fatalf("%d blocks on the 120×40 screen", len(blocks))
	}
	b := blocks[0]
	symbol := func(g screenGrid) error {
		blocks := findQRBlocks(g)
		if len(blocks) != 1 {
			return fmt.Errorf("%d blocks", len(blocks))
		}
		mods := parseQR(t, QRRender{Text: strings.Join(blocks[0].lines, "\n"), Cols: blocks[0].cols, Rows: blocks[0].rows, Style: blocks[0].style}, false)
		_, _, err := qrSymbol(qrDynamic161, mods, 1, 2)
		return err
	}
	if err := symbol(g); err != nil {
		t.Fatalf("whole screen: %v", err)
	}
	clone := func() screenGrid {
		c := make(screenGrid, len(g))
		for i, row := range g {
			c[i] = slices.Clone(row)
		}
		return c
	}
	// Cut short, as fitLines would in a body too low: the last 3 lines.
	short := clone()
	for r := b.top + b.rows - 3; r < b.top+b.rows; r++ {
		short[r] = []rune(strings.Repeat(" ", len(short[r])))
	}
	if err := symbol(short); err == nil {
		t.Error("a QR missing its last 3 lines passes")
	}
	// Cut narrow, as truncate would: "…" and nothing after, 2 columns in.
	narrow := clone()
	for r := b.top; r < b.top+b.rows; r++ {
		narrow[r] = append(narrow[r][:b.left+b.cols-2], '…')
	}
	if err := symbol(narrow); err == nil {
		t.Error("a QR cut 2 columns short passes")
	}
	if _, _, found := qrResidue(g, &b); found {
		t.Error("residue outside the block")
	}
	if _, _, found := qrResidue(g, nil); !found {
		t.Error("the QR itself is not residue")
	}

	m = qrScreenModel(t, qrDynamic161, QRHalfBlocks, qrViewCharge, 80, 24)
	g = gridOf(t, m.View())
	if blocks := findQRBlocks(g); len(blocks) != 0 {
		t.Fatalf("QR on the 80×24 half-block screen")
	}
	if r, c, found := qrResidue(g, nil); found {
		t.Fatalf("residue at %d,%d on the 80×24 screen (the countdown bar?)", r, c)
	}
	for _, mark := range []struct {
		r1, c1, r2, c2 int
		a, b           rune
	}{{2, 40, 2, 41, '▀', ' '}, {14, 70, 15, 70, '█', '█'}, {3, 60, 3, 60, '🬋', '🬋'}} {
		bad := make(screenGrid, len(g))
		for i, row := range g {
			bad[i] = slices.Clone(row)
		}
		set := func(r, c int, ch rune) {
			for len(bad[r]) <= c {
				bad[r] = append(bad[r], ' ')
			}
			bad[r][c] = ch
		}
		set(mark.r1, mark.c1, mark.a)
		set(mark.r2, mark.c2, mark.b)
		if _, _, found := qrResidue(bad, nil); !found {
			t.Errorf("%q at %d,%d and %q at %d,%d not found", mark.a, mark.r1, mark.c1, mark.b, mark.r2, mark.c2)
		}
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
