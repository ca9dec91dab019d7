package ui

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strconv"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// A small terminal for tests: it reads what pixdesk writes (a View, or a
// QR's lines) into cells with their colours, decodes the images it finds,
// and paints the whole screen as a terminal with a given theme would, so
// that a QR decoder can look at it. It understands what pixdesk emits:
// SGR (reset, bold and such, reverse, 16, 256 and true colours), CUF,
// DECSC/DECRC, and sixel, kitty and iTerm2 images.

// termTheme is a terminal's default colours.
type termTheme struct {
	name   string
	fg, bg color.Gray
}

var (
	lightTheme = termTheme{"light", color.Gray{0}, color.Gray{0xFF}}   // xterm's default
	darkTheme  = termTheme{"dark", color.Gray{0xFF}, color.Gray{0x10}} // -fg white -bg black, nearly
	themes     = []termTheme{lightTheme, darkTheme}
	noColour   = -1 // the theme's own
)

// emuCell is one cell: its rune and its colours as grey levels (-1: the
// theme's), reverse applied when painting.
type emuCell struct {
	r       rune
	fg, bg  int
	reverse bool
}

// emuImage is an image found on the screen, at a cell.
type emuImage struct {
	row, col int
	kind     QRKind
	img      *image.Gray
}

// emuScreen is a screen of cells.
type emuScreen struct {
	w, h      int
	cells     [][]emuCell
	images    []emuImage
	kittyData strings.Builder // a kitty transmission across its chunks
}

// emulate writes s (lines joined by "\n") to a w×h screen.
func emulate(t testing.TB, s string, w, h int) *emuScreen {
	t.Helper()
	sc := &emuScreen{w: w, h: h, cells: make([][]emuCell, h)}
	for i := range sc.cells {
		sc.cells[i] = make([]emuCell, w)
		for j := range sc.cells[i] {
			sc.cells[i][j] = emuCell{r: ' ', fg: noColour, bg: noColour}
		}
	}
	pen := emuCell{fg: noColour, bg: noColour}
	row, col, saved := 0, 0, [2]int{}
	var state byte
	for len(s) > 0 {
		seq, width, n, newState := ansi.DecodeSequence(s, state, nil)
		state = newState
		s = s[n:]
		switch {
		case seq == "\n":
			row, col = row+1, 0
		case seq == "\r":
			col = 0
		case width > 0:
			if row < h && col < w {
				c := pen
				c.r = []rune(seq)[0]
				sc.cells[row][col] = c
			} else {
				t.Fatalf("text %q written outside the %d×%d screen at %d,%d", seq, w, h, row, col)
			}
			col += width
		case seq == "\x1b7":
			saved = [2]int{row, col}
		case seq == "\x1b8":
			row, col = saved[0], saved[1]
		case strings.HasPrefix(seq, "\x1b[") && strings.HasSuffix(seq, "m"):
			applySGR(t, &pen, seq[2:len(seq)-1])
		case strings.HasPrefix(seq, "\x1b[") && strings.HasSuffix(seq, "C"):
			k, _ := strconv.Atoi(seq[2 : len(seq)-1])
			col += max(k, 1)
		case strings.HasPrefix(seq, "\x1bP"):
			sc.images = append(sc.images, emuImage{row, col, QRKindSixel, decodeSixel(t, seq)})
		case strings.HasPrefix(seq, "\x1b_G"):
			if img := sc.kitty(t, seq); img != nil {
				sc.images = append(sc.images, emuImage{row, col, QRKindKitty, img})
			}
		case strings.HasPrefix(seq, "\x1b]1337;"):
			sc.images = append(sc.images, emuImage{row, col, QRKindITerm2, decodeITerm(t, seq)})
		case strings.HasPrefix(seq, "\x1b"):
			t.Fatalf("unexpected sequence %q", seq)
		}
	}
	return sc
}

// kitty reads one kitty command; the image comes with the last chunk.
func (sc *emuScreen) kitty(t testing.TB, seq string) *image.Gray {
	body := strings.TrimSuffix(strings.TrimPrefix(seq, "\x1b_G"), "\x1b\\")
	keys, data, _ := strings.Cut(body, ";")
	if strings.Contains(keys, "a=d") {
		return nil
	}
	if strings.Contains(keys, "a=T") {
		for _, want := range []string{"f=100", "q=2", "C=1", "i=" + strconv.Itoa(qrKittyID)} {
			if !strings.Contains(","+keys+",", ","+want+",") {
				t.Fatalf("kitty transmission %q lacks %s", keys, want)
			}
		}
		sc.kittyData.Reset()
	}
	sc.kittyData.WriteString(data)
	if strings.Contains(keys, "m=1") {
		return nil
	}
	return decodePNG(t, sc.kittyData.String())
}

func decodeITerm(t testing.TB, seq string) *image.Gray {
	body := strings.TrimSuffix(strings.TrimPrefix(seq, "\x1b]1337;File="), "\a")
	args, data, _ := strings.Cut(body, ":")
	img := decodePNG(t, data)
	want := fmt.Sprintf("width=%dpx;height=%dpx", img.Rect.Dx(), img.Rect.Dy())
	if !strings.Contains(args, want) || !strings.Contains(args, "inline=1") {
		t.Fatalf("iTerm2 image %q: want %s", args, want)
	}
	return img
}

func decodePNG(t testing.TB, b64 string) *image.Gray {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	src, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewGray(src.Bounds())
	draw.Draw(img, img.Rect, src, image.Point{}, draw.Src)
	return img
}

// applySGR applies an SGR's parameters to pen.
func applySGR(t testing.TB, pen *emuCell, params string) {
	p := ints(params)
	for i := 0; i < len(p); i++ {
		switch v := p[i]; {
		case v == 0:
			*pen = emuCell{fg: noColour, bg: noColour}
		case v == 7:
			pen.reverse = true
		case v == 27:
			pen.reverse = false
		case v == 39:
			pen.fg = noColour
		case v == 49:
			pen.bg = noColour
		case v >= 30 && v <= 37, v >= 90 && v <= 97:
			pen.fg = ansiGrey(v%10 + boolBit(v >= 90)*8)
		case v >= 40 && v <= 47, v >= 100 && v <= 107:
			pen.bg = ansiGrey(v%10 + boolBit(v >= 100)*8)
		case v == 38 || v == 48:
			var g int
			switch {
			case i+2 < len(p) && p[i+1] == 5:
				g, i = xterm256Grey(p[i+2]), i+2
			case i+4 < len(p) && p[i+1] == 2:
				g, i = (p[i+2]*299+p[i+3]*587+p[i+4]*114)/1000, i+4
			default:
				t.Fatalf("bad colour in SGR %q", params)
			}
			if v == 38 {
				pen.fg = g
			} else {
				pen.bg = g
			}
		}
	}
}

func ints(s string) []int {
	var v []int
	for _, f := range strings.Split(s, ";") {
		n, _ := strconv.Atoi(f)
		v = append(v, n)
	}
	return v
}

// ansiGrey is xterm's default palette for the 16 colours, as grey: black
// is black, bright white (97/107) is white, white (37/47) is gray90.
func ansiGrey(i int) int {
	switch i {
	case 0:
		return 0
	case 7:
		return 0xE5
	case 15:
		return 0xFF
	}
	return 0x80 // the chromatic colours: neither dark nor light enough
}

// xterm256Grey is a 256-colour index as grey: 16 is #000000 and 231
// #FFFFFF; the rest is mid-grey, which a QR must not use.
func xterm256Grey(i int) int {
	switch {
	case i < 16:
		return ansiGrey(i)
	case i == 16:
		return 0
	case i == 231:
		return 0xFF
	}
	return 0x80
}

// colours returns a cell's foreground and background on theme.
func (c emuCell) colours(th termTheme) (fg, bg uint8) {
	f, b := th.fg.Y, th.bg.Y
	if c.fg != noColour {
		f = uint8(c.fg)
	}
	if c.bg != noColour {
		b = uint8(c.bg)
	}
	if c.reverse {
		f, b = b, f
	}
	return f, b
}

// paint draws the screen on theme with cells of cw×ch pixels: spaces in
// their background, block elements and sextants exactly, any other
// character as a grey bar (text), and the images at their cells.
func (sc *emuScreen) paint(th termTheme, cw, ch int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, sc.w*cw, sc.h*ch))
	for row, line := range sc.cells {
		for col, c := range line {
			fg, bg := c.colours(th)
			x0, y0 := col*cw, row*ch
			for y := range ch {
				for x := range cw {
					v := bg
					if inked(c.r, x, y, cw, ch) {
						v = fg
					}
					img.Pix[(y0+y)*img.Stride+x0+x] = v
				}
			}
		}
	}
	for _, im := range sc.images {
		draw.Draw(img, im.img.Rect.Add(image.Pt(im.col*cw, im.row*ch)), im.img, image.Point{}, draw.Src)
	}
	return img
}

// inked reports whether pixel (x, y) of a cw×ch cell showing r is ink.
func inked(r rune, x, y, cw, ch int) bool {
	switch r {
	case ' ':
		return false
	case '▀':
		return y < ch/2
	case '▄':
		return y >= ch/2
	case '█':
		return true
	}
	if bits, ok := sextantBits[r]; ok {
		return bits&(1<<((y*3/ch)*2+x*2/cw)) != 0
	}
	// Text: a bar in the middle of the cell.
	return y > ch/4 && y < ch*3/4 && x > 0 && x < cw-1
}

var sextantBits = func() map[rune]int {
	m := map[rune]int{}
	for bits, g := range sextantGlyphs {
		m[[]rune(g)[0]] = bits
	}
	return m
}()

// decodeSixel reads the sixel images pixdesk writes (two colour registers,
// run lengths, bands) back into pixels, failing on a pixel painted twice
// or not at all.
func decodeSixel(t testing.TB, seq string) *image.Gray {
	t.Helper()
	body, ok := strings.CutPrefix(seq, "\x1bP9;1q")
	if !ok {
		t.Fatalf("sixel does not start with P9;1q: %.20q", seq)
	}
	body = strings.TrimSuffix(body, "\x1b\\")
	var w, h int
	if _, err := fmt.Sscanf(body, "\"1;1;%d;%d", &w, &h); err != nil {
		t.Fatalf("sixel raster attributes: %v", err)
	}
	body = body[strings.IndexByte(body, '#'):]
	img := image.NewGray(image.Rect(0, 0, w, h))
	painted := make([]bool, w*h)
	regs := map[int]uint8{}
	reg, x, y := 0, 0, 0
	for i := 0; i < len(body); {
		switch c := body[i]; {
		case c == '#':
			j := i + 1
			for j < len(body) && (body[j] >= '0' && body[j] <= '9' || body[j] == ';') {
				j++
			}
			p := ints(body[i+1 : j])
			reg = p[0]
			if len(p) == 5 {
				if p[1] != 2 || p[2] != p[3] || p[3] != p[4] || (p[2] != 0 && p[2] != 100) {
					t.Fatalf("colour register %v is not pure black or white", p)
				}
				regs[reg] = uint8(p[2] * 255 / 100)
			}
			i = j
		case c == '$':
			x, i = 0, i+1
		case c == '-':
			x, y, i = 0, y+6, i+1
		case c == '!' || c >= '?' && c <= '~':
			n := 1
			if c == '!' {
				j := i + 1
				for body[j] >= '0' && body[j] <= '9' {
					j++
				}
				n, _ = strconv.Atoi(body[i+1 : j])
				i = j
			}
			bits := int(body[i]) - 63
			for range n {
				for dy := range 6 {
					if bits&(1<<dy) != 0 {
						if x >= w || y+dy >= h {
							t.Fatalf("sixel pixel (%d,%d) outside %d×%d", x, y+dy, w, h)
						}
						img.Pix[(y+dy)*img.Stride+x] = regs[reg]
						if painted[(y+dy)*w+x] {
							t.Fatalf("sixel pixel (%d,%d) painted twice", x, y+dy)
						}
						painted[(y+dy)*w+x] = true
					}
				}
				x++
			}
			i++
		default:
			t.Fatalf("unexpected sixel byte %q", c)
		}
	}
	for i, p := range painted {
		if !p {
			t.Fatalf("sixel pixel (%d,%d) left unpainted", i%w, i/w)
		}
	}
	return img
}
