package ui

import (
	"fmt"
	"image"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"rsc.io/qr"

	"github.com/pixdesk/pixdesk/internal/termcap"
)

// Cell sizes measured in xterm with DejaVu Sans Mono at 10, 12 and 16 pt,
// and two more: a small 6×12 font and kitty's 10×20.
var cellSizes = [][2]int{{8, 17}, {10, 20}, {13, 27}, {6, 12}, {9, 18}}

// imageOf reads the image a graphics drawing holds, checking its shape:
// the sequence between a cursor save and restore on the first line, and
// every line a move over the box.
func imageOf(t *testing.T, r QRRender) emuImage {
	t.Helper()
	over := fmt.Sprintf("\x1b[%dC", r.Cols)
	for i, line := range r.Lines {
		if i > 0 && line != over {
			t.Fatalf("line %d is %q, want %q", i, line, over)
		}
		// The renderer measures and truncates lines with x/ansi: an
		// image line must measure 0 and come back whole.
		if w := ansi.StringWidth(line); w != 0 {
			t.Fatalf("line %d measures %d cells", i, w)
		}
		if got := ansi.Truncate(line, 1, ""); got != line {
			t.Fatalf("line %d does not survive truncation", i)
		}
	}
	first := r.Lines[0]
	if !strings.HasPrefix(first, "\x1b7") || !strings.HasSuffix(first, "\x1b8"+over) {
		t.Fatalf("first line is not save, image, restore, move: %.30q…%.30q", first, first[max(0, len(first)-30):])
	}
	sc := emulate(t, strings.Join(r.Lines, "\n"), r.Cols+1, r.Rows)
	if len(sc.images) != 1 || sc.images[0].row != 0 || sc.images[0].col != 0 {
		t.Fatalf("%d images, first at %+v", len(sc.images), sc.images)
	}
	return sc.images[0]
}

// checkBitmap checks that img is the encoder's matrix at r's level drawn
// exactly: w×h pixels, each module a square of r.Module pixels, pure black
// or white, with at least 4 modules of white around.
func checkBitmap(t *testing.T, payload string, r QRRender, img *image.Gray, w, h int) {
	t.Helper()
	if img.Rect.Dx() != w || img.Rect.Dy() != h {
		t.Fatalf("image %v, want %d×%d (the box in pixels)", img.Rect.Size(), w, h)
	}
	c, err := qr.Encode(payload, map[string]qr.Level{"M": qr.M, "L": qr.L}[r.Level])
	if err != nil {
		t.Fatal(err)
	}
	m := r.Module
	if m < qrMinModulePx || r.Scale != 0 {
		t.Fatalf("module %d px, scale %d", m, r.Scale)
	}
	side := c.Size * m
	x0, y0 := (w-side)/2, (h-side)/2
	if q := min(x0, y0, w-side-x0, h-side-y0); q < 4*m || q/m != r.Quiet {
		t.Fatalf("quiet zone %d px = %d modules of %d px (reported %d), want at least 4", q, q/m, m, r.Quiet)
	}
	for y := range h {
		for x := range w {
			want := uint8(0xFF)
			if mx, my := x-x0, y-y0; mx >= 0 && my >= 0 && mx < side && my < side && c.Black(mx/m, my/m) {
				want = 0
			}
			if got := img.Pix[y*img.Stride+x]; got != want {
				t.Fatalf("pixel (%d,%d) = %d, want %d (module %d,%d)", x, y, got, want, (x-x0)/m, (y-y0)/m)
			}
		}
	}
}

// TestQRImageExact draws each code in each protocol for each measured cell
// size at the charge screen's boxes, decodes the sequence back to pixels
// and checks them against the encoder, then has gozxing read them.
func TestQRImageExact(t *testing.T) {
	for _, pc := range qrPayloads(t) {
		t.Run(pc.name, func(t *testing.T) {
			t.Parallel()
			q, err := NewQR(pc.payload)
			if err != nil {
				t.Fatal(err)
			}
			for _, proto := range []termcap.Graphics{termcap.Sixel, termcap.Kitty, termcap.ITerm2} {
				for _, cell := range cellSizes {
					caps := termcap.Caps{Answered: true, CellW: cell[0], CellH: cell[1]}
					switch proto {
					case termcap.Sixel:
						caps.Sixel, caps.SixelMaxW, caps.SixelMaxH = true, 1000, 1000
					case termcap.Kitty:
						caps.Kitty = true
					case termcap.ITerm2:
						caps.ITerm2 = true
					}
					// 80×24 beside the details, stacked at 60×34, and
					// full screen at 120×40.
					for _, box := range [][2]int{{46, 20}, {58, 27}, {120, 38}} {
						name := fmt.Sprintf("%v/%dx%d/%dx%d", proto, cell[0], cell[1], box[0], box[1])
						target := QRTarget{Caps: caps, Profile: termenv.ANSI256}
						r := q.Render(box[0], box[1], target)
						checkRender(t, q, r, box, target)
						if !r.OK {
							t.Errorf("%s: no image", name)
							continue
						}
						if r.Kind != kindOf(proto) {
							t.Errorf("%s: drawn as %v", name, r.Kind)
						}
						if proto == termcap.Sixel && (r.Cols*cell[0] > 1000 || r.Rows*cell[1] > 1000) {
							t.Errorf("%s: %d×%d cells exceed the terminal's 1000×1000 sixel limit", name, r.Cols, r.Rows)
						}
						im := imageOf(t, r)
						checkBitmap(t, pc.payload, r, im.img, r.Cols*cell[0], r.Rows*cell[1])
						if got, err := decodeQR(im.img); err != nil || got != pc.payload {
							t.Errorf("%s: decoded %q, %v", name, got, err)
						}
					}
				}
			}
		})
	}
}

// TestQRImageSize checks the choice of module: the largest whole number of
// pixels that fits the box, level M unless L gives a larger module under 4
// pixels, and none under 2 pixels.
func TestQRImageSize(t *testing.T) {
	q, err := NewQR(qrDynamic161) // M: 53 modules + 8 = 61; L: 49 + 8 = 57
	if err != nil {
		t.Fatal(err)
	}
	caps := termcap.Caps{Sixel: true, CellW: 8, CellH: 17}
	for _, tc := range []struct {
		cols, rows int
		level      string
		module     int
	}{
		{46, 20, "M", 5}, // 80×24 beside the details: 340 px high, 61 modules
		{86, 34, "M", 9}, // 120×40 beside the details: 578 px
	} {
		r := q.Render(tc.cols, tc.rows, QRTarget{Caps: caps})
		if !r.OK || r.Level != tc.level || r.Module != tc.module {
			t.Errorf("%d×%d: ok=%v level %s module %d, want %s %d", tc.cols, tc.rows, r.OK, r.Level, r.Module, tc.level, tc.module)
		}
	}
	for _, tc := range []struct {
		h      int // box height in px (width is ample)
		level  string
		module int
	}{
		{61*5 + 60, "M", 5},
		{61 * 3, "M", 3},
		{57 * 3, "L", 3},   // M gives 2, L 3: the larger module
		{61 * 2, "M", 2},   // both 2: M
		{57 * 2, "L", 2},   // M does not fit
		{61 * 13, "M", 12}, // capped
	} {
		c := termcap.Caps{Sixel: true, SixelMaxW: 2000, SixelMaxH: 2000, CellW: 1, CellH: 1}
		r := q.Render(2000, tc.h, QRTarget{Caps: c})
		if !r.OK || r.Level != tc.level || r.Module != tc.module {
			t.Errorf("%d px: ok=%v level %s module %d, want %s %d", tc.h, r.OK, r.Level, r.Module, tc.level, tc.module)
		}
		// Filling the box, only the box bounds it.
		want := max(tc.module, tc.h/61)
		if tc.level == "L" {
			want = tc.module
		}
		if r := q.Render(2000, tc.h, QRTarget{Caps: c, fill: true}); !r.OK || r.Level != tc.level || r.Module != want {
			t.Errorf("%d px, filled: ok=%v level %s module %d, want %s %d", tc.h, r.OK, r.Level, r.Module, tc.level, want)
		}
	}
	c := termcap.Caps{Sixel: true, CellW: 1, CellH: 1}
	if r := q.Render(2000, 57*2-1, QRTarget{Style: QRGraphics, Caps: c}); r.OK || r.NeedRows != 57*2 || r.Level != "L" {
		t.Errorf("under 2 px: ok=%v need %d×%d level %s", r.OK, r.NeedCols, r.NeedRows, r.Level)
	}
	// The terminal's sixel limit bounds the image, not the box.
	c = termcap.Caps{Sixel: true, SixelMaxW: 400, SixelMaxH: 400, CellW: 10, CellH: 20}
	if r := q.Render(200, 60, QRTarget{Caps: c}); !r.OK || r.Cols*10 > 400 || r.Rows*20 > 400 || r.Module != 400/61 {
		t.Errorf("sixel limit 400: %d×%d cells, module %d", r.Cols, r.Rows, r.Module)
	}
}

// TestQRStyleChoice is the layout's choice of drawing for each terminal and
// style, in the charge screen's box at 80×24 (46×20, beside the details)
// and at 120×40 (86×34).
func TestQRStyleChoice(t *testing.T) {
	q, err := NewQR(qrDynamic161)
	if err != nil {
		t.Fatal(err)
	}
	light := termcap.Caps{Answered: true, BackgroundKnown: true}
	sixel := termcap.Caps{Answered: true, Sixel: true, CellW: 8, CellH: 17, BackgroundKnown: true}
	nocell := termcap.Caps{Answered: true, Sixel: true}
	kitty := termcap.Caps{Answered: true, Kitty: true, Sixel: true, CellW: 10, CellH: 20, Version: "kitty(0.35.2)"}
	foot := termcap.Caps{Answered: true, CellW: 10, CellH: 20, Version: "foot(1.16.2)"}
	narrow := termcap.Caps{Answered: true, CellW: 9, CellH: 20, Version: "foot(1.16.2)"}
	for _, tc := range []struct {
		name        string
		target      QRTarget
		small, wide QRKind
		need        bool // a size is named when nothing fits
	}{
		{"auto, sixel", QRTarget{Caps: sixel, Profile: termenv.ANSI}, QRKindSixel, QRKindSixel, true},
		{"auto, sixel, NO_COLOR", QRTarget{Caps: sixel, Profile: termenv.Ascii}, QRKindSixel, QRKindSixel, true},
		{"auto, kitty first", QRTarget{Caps: kitty, Profile: termenv.TrueColor}, QRKindKitty, QRKindKitty, true},
		{"auto, sixel without a cell size", QRTarget{Caps: nocell, Profile: termenv.ANSI}, QRNone, QRKindHalfBlocks, true},
		{"auto, text", QRTarget{Caps: light, Profile: termenv.ANSI256}, QRNone, QRKindHalfBlocks, true},
		{"auto, NO_COLOR, background known", QRTarget{Caps: light, Profile: termenv.Ascii}, QRNone, QRKindHalfBlocks, true},
		{"auto, NO_COLOR, background unknown", QRTarget{Caps: termcap.Caps{Answered: true}, Profile: termenv.Ascii}, QRNone, QRNone, false},
		{"auto, terminal draws sextants", QRTarget{Caps: foot, Profile: termenv.TrueColor}, QRKindSextants, QRKindHalfBlocks, true},
		{"auto, sextants in cells under 1:2", QRTarget{Caps: narrow, Profile: termenv.TrueColor}, QRNone, QRKindHalfBlocks, true},
		{"half, with sixel", QRTarget{Style: QRHalfBlocks, Caps: sixel, Profile: termenv.ANSI}, QRNone, QRKindHalfBlocks, true},
		{"sextant, any font", QRTarget{Style: QRSextants, Caps: light, Profile: termenv.ANSI}, QRKindSextants, QRKindHalfBlocks, true},
		{"sextant, NO_COLOR, background unknown", QRTarget{Style: QRSextants, Profile: termenv.Ascii}, QRKindSextants, QRKindHalfBlocks, true},
		{"graphics, no answer", QRTarget{Style: QRGraphics, Profile: termenv.ANSI}, QRKindSixel, QRKindSixel, true},
		{"graphics, kitty", QRTarget{Style: QRGraphics, Caps: kitty}, QRKindKitty, QRKindKitty, true},
		{"text", QRTarget{Style: QRText, Caps: sixel, Profile: termenv.ANSI}, QRNone, QRNone, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			small, wide := q.Render(46, 20, tc.target), q.Render(86, 34, tc.target)
			if small.Kind != tc.small || wide.Kind != tc.wide {
				t.Errorf("80×24: %v, 120×40: %v; want %v, %v", small.Kind, wide.Kind, tc.small, tc.wide)
			}
			if tiny := q.Render(10, 5, tc.target); (tiny.NeedCols > 0) != tc.need {
				t.Errorf("nothing fits 10×5: need %d×%d", tiny.NeedCols, tiny.NeedRows)
			}
		})
	}
}
