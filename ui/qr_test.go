package ui

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"
	"unsafe"

	"github.com/charmbracelet/lipgloss"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"rsc.io/qr"
)

// Test vectors from pix-brcode.md §3.
const (
	qrStatic147  = "00020126510014br.gov.bcb.pix0115thalesog@me.com0210Pedido 123520400005303986540510.005802BR5914THALES OGLIARI6015SAO MIGUEL DO O62070503***63040DC6"
	qrDynamic161 = "00020126740014br.gov.bcb.pix2552payload.psp.com/3ec9d2f9-5f03-4e0e-820d-63a81e769e875204000053039865802BR5914THALES OGLIARI6015SAO MIGUEL DO O62070503***630442C5"
)

// crc16 is CRC-16/CCITT-FALSE (pix-brcode.md §2), kept here because
// psp's BR Code package is written concurrently.
func crc16(s string) uint16 {
	crc := uint16(0xFFFF)
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func withCRC(body string) string {
	body += "6304"
	return body + fmt.Sprintf("%04X", crc16(body))
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
	return s
}

func TestCRC16Vectors(t *testing.T) {
	if got := crc16("123456789"); got != 0x29B1 {
		t.Fatalf("crc16 check value = %04X, want 29B1", got)
	}
	for _, s := range []string{qrStatic147, qrDynamic161} {
		if got := withCRC(s[:len(s)-8]); got != s {
			t.Errorf("recomputed CRC gives %q, want %q", got[len(got)-4:], s[len(s)-4:])
		}
	}
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

// qrBoxes are the boxes the screen may give: the QR area inside an 80×24 or
// 120×40 window, and the full-window mode.
var qrBoxes = [][2]int{{78, 22}, {60, 30}, {118, 38}, {80, 24}, {120, 40}}

// parseQR reads rendered text back into modules (true = dark), checking the
// line structure on the way. Colour: each line is SGR 30;47, cells, reset;
// the foreground is dark. No colour: the foreground is light (inverted).
func parseQR(t *testing.T, r QRRender, colour bool) [][]bool {
	t.Helper()
	cw, ch, glyphs := 1, 2, halfBlockGlyphs[:]
	if r.Style == QRSextants {
		cw, ch, glyphs = 2, 3, sextantGlyphs[:]
	}
	bitsOf := make(map[rune]int, len(glyphs))
	for bits, g := range glyphs {
		bitsOf[[]rune(g)[0]] = bits
	}
	lines := strings.Split(r.Text, "\n")
	if len(lines) != r.Rows {
		t.Fatalf("%d lines, Rows = %d", len(lines), r.Rows)
	}
	mods := make([][]bool, r.Rows*ch)
	for i := range mods {
		mods[i] = make([]bool, r.Cols*cw)
	}
	for row, line := range lines {
		if w := lipgloss.Width(line); w != r.Cols {
			t.Fatalf("line %d is %d cells wide, Cols = %d", row, w, r.Cols)
		}
		if colour {
			if !strings.HasPrefix(line, qrSGRPaint) || !strings.HasSuffix(line, qrSGRReset) {
				t.Fatalf("line %d is not wrapped in %q…%q: %q", row, qrSGRPaint, qrSGRReset, line)
			}
			line = strings.TrimSuffix(strings.TrimPrefix(line, qrSGRPaint), qrSGRReset)
		}
		if strings.ContainsRune(line, '\x1b') {
			t.Fatalf("line %d has a stray escape: %q", row, line)
		}
		cells := []rune(line)
		if len(cells) != r.Cols {
			t.Fatalf("line %d has %d characters, Cols = %d", row, len(cells), r.Cols)
		}
		for col, c := range cells {
			bits, ok := bitsOf[c]
			if !ok {
				t.Fatalf("line %d col %d: unexpected %q", row, col, c)
			}
			for cy := range ch {
				for cx := range cw {
					fg := bits&(1<<(cy*cw+cx)) != 0
					mods[row*ch+cy][col*cw+cx] = fg == colour
				}
			}
		}
	}
	return mods
}

// qrFonts are terminal cells in pixels (width, height) for each style, kept
// small so the test stays fast. 4×8 and 6×12 are 1:2 fonts: a half-block
// module is 4×4 px, a sextant module 3×4. Half blocks also decode in narrow
// (5×11) and wide (5×8) cells. Sextants do not decode with gozxing once
// cells are narrower than 1:2 (measured: 10×21, 9×20, 8×18 px fail): modules
// below about 3:4 break ZXing's finder-pattern cross-check, hence
// "font-dependent".
var qrFonts = map[QRStyle][][2]int{
	QRHalfBlocks: {{4, 8}, {5, 11}, {5, 8}},
	QRSextants:   {{6, 12}, {8, 16}},
}

// paintQR paints modules as a terminal shows them, each cell font[0]×font[1]
// px split into cw×ch modules (module edges rounded to whole pixels), inside
// a margin of the terminal's own background: white, or dark as in a dark
// theme.
func paintQR(mods [][]bool, cw, ch int, font [2]int, darkMargin bool) *image.Gray {
	const margin = 16
	// edge returns the first pixel of module m along an axis whose cells
	// hold per modules in size px.
	edge := func(m, per, size int) int { return margin + m/per*size + m%per*size/per }
	h, w := len(mods), len(mods[0])
	img := image.NewGray(image.Rect(0, 0, edge(w, cw, font[0])+margin, edge(h, ch, font[1])+margin))
	bg := color.Gray{Y: 0xFF}
	if darkMargin {
		bg = color.Gray{Y: 0x10}
	}
	for i := range img.Pix {
		img.Pix[i] = bg.Y
	}
	for my, row := range mods {
		for mx, dark := range row {
			c := color.Gray{Y: 0xFF}
			if dark {
				c = color.Gray{Y: 0x00}
			}
			for py := edge(my, ch, font[1]); py < edge(my+1, ch, font[1]); py++ {
				for px := edge(mx, cw, font[0]); px < edge(mx+1, cw, font[0]); px++ {
					img.SetGray(px, py, c)
				}
			}
		}
	}
	return img
}

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

// checkModules compares the parsed modules with the encoder's matrix at the
// reported level, surrounded by at least r.Quiet light modules.
func checkModules(t *testing.T, payload string, r QRRender, mods [][]bool) {
	t.Helper()
	level := map[string]qr.Level{"M": qr.M, "L": qr.L}[r.Level]
	c, err := qr.Encode(payload, level)
	if err != nil {
		t.Fatal(err)
	}
	for y, row := range mods {
		for x, dark := range row {
			if want := c.Black(x-r.Quiet, y-r.Quiet); dark != want {
				t.Fatalf("module (%d,%d) dark=%v, want %v (level %s, quiet %d)", x, y, dark, want, r.Level, r.Quiet)
			}
		}
	}
}

// TestQRRenderDecodes renders each PIX code at the screen's boxes and at its
// smallest box, reads the text back into an image and decodes it.
func TestQRRenderDecodes(t *testing.T) {
	for _, pc := range qrPayloads(t) {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel() // gozxing is slow under -race
			q, err := NewQR(pc.payload)
			if err != nil {
				t.Fatal(err)
			}
			boxes := append([][2]int{pc.half, pc.sext}, qrBoxes...)
			decoded := map[string]bool{} // many boxes share a drawing
			for _, style := range []QRStyle{QRHalfBlocks, QRSextants} {
				for _, colour := range []bool{true, false} {
					for _, box := range boxes {
						name := fmt.Sprintf("%v/colour=%v/%dx%d", style, colour, box[0], box[1])
						t.Run(name, func(t *testing.T) {
							r := q.Render(box[0], box[1], style, colour)
							checkRender(t, q, r, box, style)
							if r.OK && !decoded[r.Text] {
								checkDecodes(t, pc.payload, r, colour)
								decoded[r.Text] = true
							}
						})
					}
				}
			}
		})
	}
}

// checkDecodes reads r back into modules, compares them with the encoder's
// matrix and decodes pictures of them in each font, on a light and on a
// dark terminal background.
func checkDecodes(t *testing.T, payload string, r QRRender, colour bool) {
	t.Helper()
	mods := parseQR(t, r, colour)
	checkModules(t, payload, r, mods)
	cw, ch := 1, 2
	if r.Style == QRSextants {
		cw, ch = 2, 3
	}
	for _, font := range qrFonts[r.Style] {
		for _, dark := range []bool{false, true} {
			got, err := decodeQR(paintQR(mods, cw, ch, font, dark))
			if err != nil {
				t.Fatalf("decode (level %s, quiet %d, font %v, dark margin %v): %v", r.Level, r.Quiet, font, dark, err)
			}
			if got != payload {
				t.Fatalf("decoded %q, want %q", got, payload)
			}
		}
	}
}

// checkRender checks the invariants of every result.
func checkRender(t *testing.T, q *QR, r QRRender, box [2]int, style QRStyle) {
	t.Helper()
	if style == QRHalfBlocks && r.Style != QRHalfBlocks {
		t.Errorf("style %v drawn when only half blocks were allowed", r.Style)
	}
	if r.Quiet < 2 || r.Quiet > 4 {
		t.Errorf("quiet zone %d", r.Quiet)
	}
	if r.OK {
		if r.Cols > box[0] || r.Rows > box[1] || r.Cols <= 0 || r.Rows <= 0 {
			t.Errorf("%d×%d drawn in a %d×%d box", r.Cols, r.Rows, box[0], box[1])
		}
		return
	}
	if r.Text != "" || r.Cols != 0 || r.Rows != 0 {
		t.Errorf("not OK but Text/Cols/Rows set: %d×%d", r.Cols, r.Rows)
	}
	if r.NeedCols <= box[0] && r.NeedRows <= box[1] {
		t.Errorf("need %d×%d fits the %d×%d box that failed", r.NeedCols, r.NeedRows, box[0], box[1])
	}
	at := q.Render(r.NeedCols, r.NeedRows, style, false)
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
			box   [2]int
		}{{QRHalfBlocks, pc.half}, {QRSextants, pc.sext}} {
			r := q.Render(tc.box[0], tc.box[1], tc.style, true)
			if !r.OK || r.Style != tc.style || r.Level != "L" || r.Quiet != 2 {
				t.Errorf("%s %v at %v: ok=%v style=%v level=%s quiet=%d", pc.name, tc.style, tc.box, r.OK, r.Style, r.Level, r.Quiet)
			}
			for _, less := range [][2]int{{tc.box[0] - 1, tc.box[1]}, {tc.box[0], tc.box[1] - 1}} {
				r := q.Render(less[0], less[1], tc.style, true)
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
		r := q.Render(120, 40, QRSextants, true)
		if !r.OK || r.Level != "M" || r.Quiet != 4 || r.Style != QRHalfBlocks {
			t.Fatalf("%s 120×40: ok=%v level=%s quiet=%d style=%v", pc.name, r.OK, r.Level, r.Quiet, r.Style)
		}
		if [2]int{r.Cols, r.Rows} != pc.best {
			t.Errorf("%s 120×40: %d×%d, want %v", pc.name, r.Cols, r.Rows, pc.best)
		}
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
	first := q.Render(78, 22, QRSextants, true)
	if !first.OK {
		t.Fatal("161-char code does not fit 78×22 in sextants")
	}
	n := q.encodes
	if n != 2 {
		t.Fatalf("first render left %d encodes, want 2 (M, then L)", n)
	}
	for range 3 {
		again := q.Render(78, 22, QRSextants, true)
		if again != first {
			t.Fatal("second render differs from the first")
		}
		if unsafe.StringData(again.Text) != unsafe.StringData(first.Text) {
			t.Fatal("second render drew the text again")
		}
	}
	// Another box that picks the same drawing reuses it; other levels
	// and styles never encode again.
	other := q.Render(79, 23, QRSextants, true)
	if unsafe.StringData(other.Text) != unsafe.StringData(first.Text) {
		t.Error("same drawing for another box was drawn again")
	}
	q.Render(120, 40, QRHalfBlocks, false)
	q.Render(10, 10, QRHalfBlocks, true)
	if q.encodes != n {
		t.Errorf("encodes went from %d to %d", n, q.encodes)
	}
}

// TestQRCacheBounded checks that resizing through many boxes does not grow
// the cache without limit.
func TestQRCacheBounded(t *testing.T) {
	q, err := NewQR(qrStatic147)
	if err != nil {
		t.Fatal(err)
	}
	for cols := 40; cols < 200; cols++ {
		q.Render(cols, 30, QRHalfBlocks, true)
	}
	if len(q.results) > qrMaxResults {
		t.Errorf("%d cached results, bound %d", len(q.results), qrMaxResults)
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
	if r := q.Render(200, 100, QRHalfBlocks, true); !r.OK {
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
	for _, box := range [][2]int{{0, 0}, {-1, 5}, {1, 1}} {
		r := q.Render(box[0], box[1], QRSextants, true)
		checkRender(t, q, r, box, QRSextants)
		if r.OK {
			t.Errorf("%v: rendered", box)
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
