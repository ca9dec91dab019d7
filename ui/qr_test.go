package ui

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"testing"
	"unsafe"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/muesli/termenv"
	"rsc.io/qr"

	"github.com/pixdesk/pixdesk/internal/termcap"
	"github.com/pixdesk/pixdesk/psp/brcode"
)

// Test vectors from pix-brcode.md §3.
const (
	qrStatic147  = "00020126510014br.gov.bcb.pix0115thalesog@me.com0210Pedido 123520400005303986540510.005802BR5914THALES OGLIARI6015SAO MIGUEL DO O62070503***63040DC6"
	qrDynamic161 = "00020126740014br.gov.bcb.pix2552payload.psp.com/3ec9d2f9-5f03-4e0e-820d-63a81e769e875204000053039865802BR5914THALES OGLIARI6015SAO MIGUEL DO O62070503***630442C5"
)

func withCRC(body string) string {
	body += "6304"
	return body + fmt.Sprintf("%04X", brcode.CRC16(body))
}

func tlv(id, value string) string { return fmt.Sprintf("%s%02d%s", id, len(value), value) }

// qrDynamic245 is the 161-character dynamic vector plus a tag 80 (PIX
// Automático) template, with its CRC recomputed.
func qrDynamic245(t testing.TB) string {
	t.Helper()
	tag80 := tlv("80", tlv("00", "br.gov.bcb.pix")+tlv("25", "pix.example.com/rec/3ec9d2f9-5f03-4e0e-820d-63a81e769e87/1"))
	s := withCRC(strings.TrimSuffix(qrDynamic161, "630442C5") + tag80)
	if len(s) != 245 {
		t.Fatalf("tag 80 code is %d characters, want 245", len(s))
	}
	if err := brcode.CheckCRC(s); err != nil {
		t.Fatal(err)
	}
	return s
}

type qrPayloadCase struct {
	name, payload string
	// best box (M, quiet 4) and smallest boxes in half blocks and in
	// sextants, as documented in qr.go
	best, half, sext [2]int
}

func qrPayloads(t testing.TB) []qrPayloadCase {
	return []qrPayloadCase{
		{"static147", qrStatic147, [2]int{57, 29}, [2]int{49, 25}, [2]int{25, 17}},
		{"dynamic161", qrDynamic161, [2]int{61, 31}, [2]int{53, 27}, [2]int{27, 18}},
		{"tag80_245", qrDynamic245(t), [2]int{69, 35}, [2]int{61, 31}, [2]int{31, 21}},
	}
}

// Targets: the colour profiles, and NO_COLOR on a known light or dark
// background.
var (
	colourTargets = []QRTarget{
		{Profile: termenv.TrueColor},
		{Profile: termenv.ANSI256},
		{Profile: termenv.ANSI},
		{Profile: termenv.Ascii, Caps: termcap.Caps{BackgroundKnown: true, Dark: false}},
		{Profile: termenv.Ascii, Caps: termcap.Caps{BackgroundKnown: true, Dark: true}},
	}
	sixel8x16 = termcap.Caps{Answered: true, Sixel: true, CellW: 8, CellH: 16, BackgroundKnown: true}
)

func targetName(t QRTarget) string {
	if t.Profile == termenv.Ascii {
		return fmt.Sprintf("nocolor-dark=%v", t.Caps.Dark)
	}
	return map[termenv.Profile]string{termenv.TrueColor: "truecolor", termenv.ANSI256: "ansi256", termenv.ANSI: "ansi16"}[t.Profile]
}

// targetThemes are the themes a target's drawing is meant for: colour on
// either, NO_COLOR only on the background it was told of.
func targetThemes(t QRTarget) []termTheme {
	if t.Profile != termenv.Ascii {
		return themes
	}
	if t.Caps.Dark {
		return []termTheme{darkTheme}
	}
	return []termTheme{lightTheme}
}

// qrBoxes are the boxes the screen may give: the QR area inside an 80×24
// or 120×40 window, and the full-window mode.
var qrBoxes = [][2]int{{78, 22}, {60, 30}, {118, 38}, {80, 24}, {120, 40}}

func decodeQR(img image.Image) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

// textModules reads a text drawing back into modules (true = dark) on
// theme, checking each cell: a space where its modules are alike, a glyph
// only where they differ, and no colour other than pure black or white.
func textModules(t *testing.T, r QRRender, target QRTarget, th termTheme) [][]bool {
	t.Helper()
	cw, ch := qrCellModules(r.Kind)
	sc := emulate(t, strings.Join(r.Lines, "\n"), r.Cols, r.Rows)
	if len(sc.images) > 0 {
		t.Fatal("a text drawing holds an image")
	}
	mods := make([][]bool, r.Rows*ch)
	for i := range mods {
		mods[i] = make([]bool, r.Cols*cw)
	}
	for row, line := range r.Lines {
		if w := ansi.StringWidth(line); w != r.Cols {
			t.Fatalf("line %d is %d cells wide, Cols = %d", row, w, r.Cols)
		}
		if !strings.HasSuffix(line, qrSGRReset) {
			t.Fatalf("line %d does not end with a reset: %q", row, line)
		}
	}
	for row, line := range sc.cells {
		for col, c := range line {
			// Colour paints pure black and white; NO_COLOR the theme's
			// own two colours, each where it belongs.
			dk, lt := uint8(0), uint8(0xFF)
			if target.Profile == termenv.Ascii {
				dk, lt = min(th.fg.Y, th.bg.Y), max(th.fg.Y, th.bg.Y)
			}
			fg, bg := c.colours(th)
			if fg != dk && fg != lt || bg != dk && bg != lt || fg == bg {
				t.Fatalf("cell %d,%d: colours %d on %d, not %d and %d (%s theme)", row, col, fg, bg, dk, lt, th.name)
			}
			n, dark := 0, 0
			for cy := range ch {
				for cx := range cw {
					ink := inked(c.r, cx*4+1, cy*4+1, cw*4, ch*4)
					v := bg
					if ink {
						v = fg
					}
					mods[row*ch+cy][col*cw+cx] = v == dk
					n++
					if v == dk {
						dark++
					}
				}
			}
			if (dark == 0 || dark == n) != (c.r == ' ') {
				t.Fatalf("cell %d,%d: %q for %d of %d dark modules: alike cells must be spaces, mixed ones glyphs", row, col, c.r, dark, n)
			}
		}
	}
	return mods
}

// checkModules compares units (modules at scale 1) with the encoder's
// matrix at the reported level, surrounded by r.Quiet light modules, each
// module r.Scale units a side.
func checkModules(t *testing.T, payload string, r QRRender, mods [][]bool) {
	t.Helper()
	level := map[string]qr.Level{"M": qr.M, "L": qr.L}[r.Level]
	c, err := qr.Encode(payload, level)
	if err != nil {
		t.Fatal(err)
	}
	if r.Scale < 1 {
		t.Fatalf("scale %d", r.Scale)
	}
	k := r.Scale
	for y, row := range mods {
		for x, dark := range row {
			if want := c.Black(x/k-r.Quiet, y/k-r.Quiet); dark != want {
				t.Fatalf("unit (%d,%d) dark=%v, want %v (level %s, quiet %d, scale %d)", x, y, dark, want, r.Level, r.Quiet, k)
			}
		}
	}
}

// qrFonts are terminal cells in pixels for each kind, kept small so the
// test stays fast. Half blocks decode in 1:2, narrow (5×11) and wide (5×8)
// cells. Sextants do not decode with gozxing once cells are narrower than
// 1:2 (measured: 10×21, 9×20, 8×18 px fail): modules below about 3:4 break
// ZXing's finder-pattern cross-check, hence sextantsAllowed.
var qrFonts = map[QRKind][][2]int{
	QRKindHalfBlocks: {{4, 8}, {5, 11}, {5, 8}},
	QRKindSextants:   {{6, 12}, {8, 16}},
}

// TestQRTextDecodes renders each PIX code at the screen's boxes and at its
// smallest, in half blocks and sextants, for each colour profile and for
// NO_COLOR on a light and a dark background; reads the cells back as a
// terminal with each theme shows them, checks them against the encoder's
// matrix, paints them in each font and decodes them.
func TestQRTextDecodes(t *testing.T) {
	eachCode(t, func(t *testing.T, pc qrPayloadCase, q *QR) {
		boxes := append([][2]int{pc.half, pc.sext}, qrBoxes...)
		for _, kind := range []QRKind{QRKindHalfBlocks, QRKindSextants} {
			for _, target := range colourTargets {
				target.only = kind
				decoded := map[string]bool{} // many boxes share a drawing
				for _, box := range boxes {
					r := q.Render(box[0], box[1], target)
					checkRender(t, q, r, box, target)
					if !r.OK || decoded[r.Lines[0]+r.Lines[len(r.Lines)-1]] {
						continue
					}
					decoded[r.Lines[0]+r.Lines[len(r.Lines)-1]] = true
					for _, th := range targetThemes(target) {
						t.Run(fmt.Sprintf("%v/%s/%dx%d/%s", kind, targetName(target), box[0], box[1], th.name), func(t *testing.T) {
							mods := textModules(t, r, target, th)
							checkModules(t, pc.payload, r, mods)
							sc := emulate(t, strings.Join(r.Lines, "\n"), r.Cols, r.Rows)
							for _, font := range qrFonts[kind] {
								img := paintMargin(sc.paint(th, font[0], font[1]), th)
								got, err := decodeQR(img)
								if err != nil || got != pc.payload {
									t.Fatalf("decode in %v cells: %q, %v", font, got, err)
								}
							}
						})
					}
				}
			}
		}
	})
}

// eachCode runs test for each PIX code of qrPayloads, in parallel
// (gozxing is slow under -race), with its QR.
func eachCode(t *testing.T, test func(t *testing.T, pc qrPayloadCase, q *QR)) {
	for _, pc := range qrPayloads(t) {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel()
			q, err := NewQR(pc.payload)
			if err != nil {
				t.Fatal(err)
			}
			test(t, pc, q)
		})
	}
}

// paintMargin puts img on the theme's background with a margin, as a
// terminal window shows a block among its blank cells.
func paintMargin(img *image.Gray, th termTheme) *image.Gray {
	const m = 16
	out := image.NewGray(image.Rect(0, 0, img.Rect.Dx()+2*m, img.Rect.Dy()+2*m))
	for i := range out.Pix {
		out.Pix[i] = th.bg.Y
	}
	for y := range img.Rect.Dy() {
		copy(out.Pix[(y+m)*out.Stride+m:], img.Pix[y*img.Stride:y*img.Stride+img.Rect.Dx()])
	}
	return out
}

// TestQRNeverNegative paints the NO_COLOR drawing on the theme it was made
// for: the finder pattern's corner module is dark and the quiet zone light,
// whichever theme that is.
func TestQRNeverNegative(t *testing.T) {
	q, err := NewQR(qrDynamic161)
	if err != nil {
		t.Fatal(err)
	}
	for _, dark := range []bool{false, true} {
		target := QRTarget{Profile: termenv.Ascii, Caps: termcap.Caps{BackgroundKnown: true, Dark: dark}}
		r := q.Render(120, 40, target)
		if !r.OK {
			t.Fatal("no drawing")
		}
		th := lightTheme
		if dark {
			th = darkTheme
		}
		mods := textModules(t, r, target, th)
		if !mods[r.Quiet][r.Quiet] || mods[0][0] {
			t.Errorf("dark background %v: corner module dark=%v, quiet zone dark=%v", dark, mods[r.Quiet][r.Quiet], mods[0][0])
		}
		if strings.Contains(strings.Join(r.Lines, ""), "█") {
			t.Error("a full block: alike cells must be spaces")
		}
	}
}

// checkRender checks the invariants of every result.
func checkRender(t *testing.T, q *QR, r QRRender, box [2]int, target QRTarget) {
	t.Helper()
	if r.OK {
		if r.Cols > box[0] || r.Rows > box[1] || r.Cols <= 0 || r.Rows <= 0 || len(r.Lines) != r.Rows {
			t.Errorf("%d×%d (%d lines) drawn in a %d×%d box", r.Cols, r.Rows, len(r.Lines), box[0], box[1])
		}
		if min := map[bool]int{true: 4, false: 2}[r.Kind.Graphics()]; r.Quiet < min || !r.Kind.Graphics() && r.Quiet > 4 {
			t.Errorf("quiet zone %d", r.Quiet)
		}
		return
	}
	if r.Lines != nil || r.Cols != 0 || r.Rows != 0 || r.Kind != QRNone {
		t.Errorf("not OK but Lines/Cols/Rows/Kind set: %d×%d %v", r.Cols, r.Rows, r.Kind)
	}
	if r.NeedCols == 0 {
		return
	}
	if r.NeedCols <= box[0] && r.NeedRows <= box[1] {
		t.Errorf("need %d×%d fits the %d×%d box that failed", r.NeedCols, r.NeedRows, box[0], box[1])
	}
	at := q.Render(r.NeedCols, r.NeedRows, target)
	if !at.OK || at.Cols != r.NeedCols || at.Rows != r.NeedRows {
		t.Errorf("render at need %d×%d: ok=%v %d×%d", r.NeedCols, r.NeedRows, at.OK, at.Cols, at.Rows)
	}
}

// TestQRSmallestBox pins the table in qr.go: the smallest box for each code
// is exact (one column or row less fails) and uses level L, quiet zone 2.
func TestQRSmallestBox(t *testing.T) {
	for _, pc := range qrPayloads(t) {
		q, err := NewQR(pc.payload)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			style QRStyle
			kind  QRKind
			box   [2]int
		}{{QRHalfBlocks, QRKindHalfBlocks, pc.half}, {QRSextants, QRKindSextants, pc.sext}} {
			target := QRTarget{Style: tc.style, Profile: termenv.ANSI256}
			r := q.Render(tc.box[0], tc.box[1], target)
			if !r.OK || r.Kind != tc.kind || r.Level != "L" || r.Quiet != 2 {
				t.Errorf("%s %v at %v: ok=%v kind=%v level=%s quiet=%d", pc.name, tc.style, tc.box, r.OK, r.Kind, r.Level, r.Quiet)
			}
			for _, less := range [][2]int{{tc.box[0] - 1, tc.box[1]}, {tc.box[0], tc.box[1] - 1}} {
				r := q.Render(less[0], less[1], target)
				if r.OK {
					t.Errorf("%s %v fits %v, smaller than documented %v", pc.name, tc.style, less, tc.box)
				}
				if [2]int{r.NeedCols, r.NeedRows} != tc.box {
					t.Errorf("%s %v at %v: need %d×%d, want %v", pc.name, tc.style, less, r.NeedCols, r.NeedRows, tc.box)
				}
			}
		}
	}
}

// TestQRPreference checks that a roomy box gets level M with a full quiet
// zone in half blocks, even when sextants are allowed, at the size qr.go
// documents.
func TestQRPreference(t *testing.T) {
	for _, pc := range qrPayloads(t) {
		q, err := NewQR(pc.payload)
		if err != nil {
			t.Fatal(err)
		}
		r := q.Render(120, 40, QRTarget{Style: QRSextants, Profile: termenv.ANSI})
		if !r.OK || r.Level != "M" || r.Quiet != 4 || r.Kind != QRKindHalfBlocks {
			t.Fatalf("%s 120×40: ok=%v level=%s quiet=%d kind=%v", pc.name, r.OK, r.Level, r.Quiet, r.Kind)
		}
		if [2]int{r.Cols, r.Rows} != pc.best {
			t.Errorf("%s 120×40: %d×%d, want %v", pc.name, r.Cols, r.Rows, pc.best)
		}
	}
}

// TestQRHalfBlockSeams checks the choice of glyph in a mixed cell: its
// outer edge meets a module of its background's colour, where there is
// one, so a font's shortfall at the cell edge never cuts a run.
func TestQRHalfBlockSeams(t *testing.T) {
	q, err := NewQR(qrDynamic161)
	if err != nil {
		t.Fatal(err)
	}
	target := QRTarget{Style: QRHalfBlocks, Profile: termenv.ANSI256}
	r := q.Render(120, 40, target)
	mods := textModules(t, r, target, lightTheme)
	sc := emulate(t, strings.Join(r.Lines, "\n"), r.Cols, r.Rows)
	at := func(x, y int) bool { return y >= 0 && y < len(mods) && mods[y][x] }
	avoidable := 0
	for row, line := range sc.cells {
		for col, c := range line {
			_, bg := c.colours(lightTheme)
			bgDark := bg == 0
			top, bottom := 2*row, 2*row+1
			switch c.r {
			case '▀': // outer edge at the top, against the module above
				if at(col, top-1) != bgDark && at(col, bottom+1) == mods[top][col] {
					avoidable++
				}
			case '▄':
				if at(col, bottom+1) != bgDark {
					t.Errorf("cell %d,%d: ▄ meets a module unlike its background below, and ▀ would have met a like one", row, col)
				}
			}
		}
	}
	if avoidable > 0 {
		t.Errorf("%d cells draw ▀ against an unlike module where ▄ would not", avoidable)
	}
}

func TestQRRenderCached(t *testing.T) {
	q, err := NewQR(qrDynamic161)
	if err != nil {
		t.Fatal(err)
	}
	if q.encodes != 1 {
		t.Fatalf("NewQR encoded %d times, want 1 (level M)", q.encodes)
	}
	target := QRTarget{Style: QRSextants, Profile: termenv.ANSI}
	first := q.Render(78, 22, target)
	if !first.OK {
		t.Fatal("161-char code does not fit 78×22 in sextants")
	}
	n := q.encodes
	if n != 2 {
		t.Fatalf("first render left %d encodes, want 2 (M, then L)", n)
	}
	for range 3 {
		again := q.Render(78, 22, target)
		if unsafe.StringData(again.Lines[0]) != unsafe.StringData(first.Lines[0]) {
			t.Fatal("second render drew the text again")
		}
	}
	// Another box that picks the same drawing reuses it; other levels
	// and styles never encode again.
	other := q.Render(79, 23, target)
	if unsafe.StringData(other.Lines[0]) != unsafe.StringData(first.Lines[0]) {
		t.Error("same drawing for another box was drawn again")
	}
	q.Render(120, 40, QRTarget{Style: QRHalfBlocks, Profile: termenv.Ascii})
	q.Render(10, 10, target)
	img := q.Render(46, 20, QRTarget{Caps: sixel8x16})
	if again := q.Render(47, 20, QRTarget{Caps: sixel8x16}); unsafe.StringData(again.Lines[0]) != unsafe.StringData(img.Lines[0]) {
		t.Error("the same image was encoded again")
	}
	if q.encodes != n {
		t.Errorf("encodes went from %d to %d", n, q.encodes)
	}
}

// TestQRCacheBounded checks that resizing through many boxes does not grow
// the caches without limit.
func TestQRCacheBounded(t *testing.T) {
	q, err := NewQR(qrStatic147)
	if err != nil {
		t.Fatal(err)
	}
	for cols := 40; cols < 200; cols++ {
		q.Render(cols, 30, QRTarget{Profile: termenv.ANSI})
		q.Render(cols, cols/3, QRTarget{Caps: sixel8x16})
	}
	if len(q.results) > qrMaxResults || len(q.drawn) > qrMaxResults {
		t.Errorf("%d cached results, %d drawings, bound %d", len(q.results), len(q.drawn), qrMaxResults)
	}
}

func TestNewQRErrors(t *testing.T) {
	if _, err := NewQR(""); !errors.Is(err, ErrQREmpty) {
		t.Errorf("empty: %v", err)
	}
	if _, err := NewQR(strings.Repeat("a", QRMaxPayload+1)); !errors.Is(err, ErrQRTooLong) {
		t.Errorf("513 bytes: %v", err)
	}
	q, err := NewQR(strings.Repeat("é", QRMaxPayload/2))
	if err != nil {
		t.Fatalf("512 bytes: %v", err)
	}
	if r := q.Render(200, 100, QRTarget{Profile: termenv.ANSI}); !r.OK {
		t.Error("512-byte payload does not render in 200×100")
	}
	if q.Payload() != strings.Repeat("é", QRMaxPayload/2) {
		t.Error("Payload changed")
	}
}

func TestQRRenderTinyBox(t *testing.T) {
	q, err := NewQR(qrStatic147)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []QRTarget{{Style: QRSextants, Profile: termenv.ANSI}, {Caps: sixel8x16}} {
		for _, box := range [][2]int{{0, 0}, {-1, 5}, {1, 1}} {
			r := q.Render(box[0], box[1], target)
			checkRender(t, q, r, box, target)
			if r.OK {
				t.Errorf("%v: rendered", box)
			}
		}
	}
}

// TestSextantGlyphs checks the mapping against Unicode's character names
// (BLOCK SEXTANT-n…, n numbered 1–6 left to right, top to bottom), which the
// decode test cannot do since it reads through the same table.
func TestSextantGlyphs(t *testing.T) {
	for r, cells := range map[rune]string{
		0x1FB00: "1", 0x1FB01: "2", 0x1FB02: "12", 0x1FB13: "35", 0x1FB14: "235",
		0x1FB27: "146", 0x1FB28: "1246", 0x1FB3B: "23456",
		' ': "", '▌': "135", '▐': "246", '█': "123456",
	} {
		bits := 0
		for _, c := range cells {
			bits |= 1 << (c - '1')
		}
		if got := sextantGlyphs[bits]; got != string(r) {
			t.Errorf("sextant %q = %U, want %U", cells, []rune(got)[0], r)
		}
	}
	seen := map[string]bool{}
	for bits, g := range sextantGlyphs {
		if seen[g] {
			t.Errorf("bits %06b: %q used twice", bits, g)
		}
		seen[g] = true
		if w := lipgloss.Width(g); w != 1 {
			t.Errorf("bits %06b: %q is %d cells wide", bits, g, w)
		}
	}
}

func TestParseQRStyle(t *testing.T) {
	for in, want := range map[string]QRStyle{
		"auto": QRAuto, "": QRAuto, "graphics": QRGraphics, "sextant": QRSextants, "sextants": QRSextants,
		"half": QRHalfBlocks, "half-blocks": QRHalfBlocks, "text": QRText, " Half ": QRHalfBlocks,
	} {
		if got, err := ParseQRStyle(in); err != nil || got != want {
			t.Errorf("%q: %v, %v", in, got, err)
		}
	}
	if _, err := ParseQRStyle("tiny"); err == nil {
		t.Error("tiny accepted")
	}
	for s := QRAuto; s <= QRText; s++ {
		if got, _ := ParseQRStyle(s.String()); got != s {
			t.Errorf("%v does not read back", s)
		}
	}
}
