package ui

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"

	"rsc.io/qr"

	"github.com/pixdesk/pixdesk/internal/termcap"
)

// Terminal graphics. The code is drawn as an exact bitmap: every module a
// square of whole pixels, pure black on pure white, at least 4 modules of
// quiet zone, filling a box of whole cells so that no cell is half
// covered. Its size comes from the cell's pixel size, so the box is known
// before anything is drawn and the layout reserves it.
//
// The sixel encoder is written here rather than taken from a library: a QR
// is two colours, and the encoder is 40 lines that write exactly the
// pixels given (libraries quantise and dither, which a two-colour bitmap
// does not need and a test cannot easily pin). Kitty and iTerm2 take the
// same bitmap as a PNG from the standard library.

const (
	// qrMinModulePx is the smallest module drawn: 2 pixels, a 161-character
	// code 114 pixels wide, about 3 cm on a 96-dpi screen — a phone reads
	// it from a hand's length.
	qrMinModulePx = 2
	// qrMaxModulePx bounds the module: beyond 12 pixels a code is larger
	// than a phone needs and the image only costs bytes.
	qrMaxModulePx = 12
	// qrImageQuiet is the quiet zone of an image, in modules.
	qrImageQuiet = 4
	// qrDefaultImageMax caps an image where the terminal did not say
	// (xterm's default maxGraphicSize is 1000×1000).
	qrDefaultImageMax = 1000
	// qrGuessCellW and qrGuessCellH stand in for an unknown cell size when
	// graphics are forced: a common 8×16 cell.
	qrGuessCellW, qrGuessCellH = 8, 16
	// qrKittyID is the kitty image id pixdesk draws its code with; a new
	// transmission with the same id replaces the old image.
	qrKittyID = 5051
)

type qrImageKey struct {
	level, module, cols, rows, cellW, cellH int
	proto                                   termcap.Graphics
}

// cell returns the cell size to draw for.
func imageCell(c termcap.Caps) (w, h int) {
	if c.CellW > 0 && c.CellH > 0 {
		return c.CellW, c.CellH
	}
	return qrGuessCellW, qrGuessCellH
}

// renderImage draws the code as an image in proto within maxCols × maxRows
// cells: the largest whole-pixel module that fits (up to qrMaxModulePx,
// unless fill), at level M unless L gives a larger module below 4 pixels.
func (q *QR) renderImage(maxCols, maxRows int, proto termcap.Graphics, caps termcap.Caps, fill bool) QRRender {
	cw, ch := imageCell(caps)
	maxModule := qrMaxModulePx
	if fill {
		maxModule = qrDefaultImageMax // the image limit bounds it first
	}
	limW, limH := qrDefaultImageMax, qrDefaultImageMax
	if proto == termcap.Sixel && caps.SixelMaxW > 0 {
		limW, limH = caps.SixelMaxW, caps.SixelMaxH
	}
	// The box in pixels, within the terminal's limit rounded down to whole
	// cells, since the image is padded out to whole cells.
	availW, availH := min(maxCols, limW/cw)*cw, min(maxRows, limH/ch)*ch
	best, bestM := -1, 0
	var need QRRender
	for level := range qrLevels {
		c, err := q.code(level)
		if err != nil {
			continue
		}
		n := c.Size + 2*qrImageQuiet
		if m := min(min(availW, availH)/n, maxModule); m >= qrMinModulePx && m > bestM {
			best, bestM = level, m
		}
		if best == 0 && bestM >= 4 {
			break // level M at 4 pixels or more: error correction wins
		}
		cols, rows := ceilDiv(n*qrMinModulePx, cw), ceilDiv(n*qrMinModulePx, ch)
		if need.NeedCols == 0 || cols*rows < need.NeedCols*need.NeedRows {
			need = QRRender{NeedCols: cols, NeedRows: rows, Level: qrLevels[level].name, Quiet: qrImageQuiet, Module: qrMinModulePx}
		}
	}
	if best < 0 {
		return need
	}
	c, _ := q.code(best)
	side := (c.Size + 2*qrImageQuiet) * bestM
	cols, rows := ceilDiv(side, cw), ceilDiv(side, ch)
	key := qrImageKey{best, bestM, cols, rows, cw, ch, proto}
	if r, ok := q.drawn[key]; ok {
		return r
	}
	img := qrBitmap(c, bestM, cols*cw, rows*ch)
	first := "\x1b7" + imageSequence(img, proto) + "\x1b8"
	over := ansiCUF(cols)
	lines := make([]string, rows)
	for i := range lines {
		lines[i] = over
	}
	lines[0] = first + over
	r := QRRender{
		Lines:  lines,
		Cols:   cols,
		Rows:   rows,
		OK:     true,
		Kind:   kindOf(proto),
		Level:  qrLevels[best].name,
		Quiet:  (min(img.Rect.Dx(), img.Rect.Dy()) - c.Size*bestM) / 2 / bestM,
		Module: bestM,
	}
	if len(q.drawn) >= qrMaxResults {
		clear(q.drawn)
	}
	q.drawn[key] = r
	return r
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// ansiCUF moves the cursor n cells right (CUF), over cells left as they are.
func ansiCUF(n int) string { return "\x1b[" + strconv.Itoa(n) + "C" }

func protocolOf(k QRKind) termcap.Graphics {
	switch k {
	case QRKindKitty:
		return termcap.Kitty
	case QRKindITerm2:
		return termcap.ITerm2
	case QRKindSixel:
		return termcap.Sixel
	}
	return termcap.NoGraphics
}

func kindOf(g termcap.Graphics) QRKind {
	switch g {
	case termcap.Kitty:
		return QRKindKitty
	case termcap.ITerm2:
		return QRKindITerm2
	}
	return QRKindSixel
}

// qrPalette: index 0 light (pure white), 1 dark (pure black).
var qrPalette = color.Palette{color.Gray{Y: 0xFF}, color.Gray{Y: 0}}

// qrBitmap draws c with modules of m pixels centred in a w × h image.
func qrBitmap(c *qr.Code, m, w, h int) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, w, h), qrPalette)
	side := c.Size * m
	x0, y0 := (w-side)/2, (h-side)/2
	for y := range c.Size {
		for x := range c.Size {
			if !c.Black(x, y) {
				continue
			}
			for py := y0 + y*m; py < y0+(y+1)*m; py++ {
				row := img.Pix[py*img.Stride:]
				for px := x0 + x*m; px < x0+(x+1)*m; px++ {
					row[px] = 1
				}
			}
		}
	}
	return img
}

// imageSequence encodes img for proto. The cursor is saved and restored
// around it by the caller: terminals move it past an image differently.
func imageSequence(img *image.Paletted, proto termcap.Graphics) string {
	switch proto {
	case termcap.Kitty:
		return kittyImage(img)
	case termcap.ITerm2:
		return itermImage(img)
	}
	return sixelImage(img)
}

// sixelImage encodes img as sixel: 1:1 pixels (P1 = 9), both colours
// painted (P2 = 1 leaves nothing to a background colour the terminal
// chooses), raster attributes giving the exact size, and each band of 6
// rows written once per colour, run-length encoded.
func sixelImage(img *image.Paletted) string {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var b strings.Builder
	fmt.Fprintf(&b, "\x1bP9;1q\"1;1;%d;%d#0;2;100;100;100#1;2;0;0;0", w, h)
	band := make([]byte, w)
	for y0 := 0; y0 < h; y0 += 6 {
		if y0 > 0 {
			b.WriteByte('-')
		}
		for colour := range byte(2) {
			for x := range w {
				bits := byte(0)
				for dy := 0; dy < 6 && y0+dy < h; dy++ {
					if img.Pix[(y0+dy)*img.Stride+x] == colour {
						bits |= 1 << dy
					}
				}
				band[x] = 63 + bits
			}
			if colour > 0 {
				b.WriteByte('$')
			}
			b.WriteByte('#')
			b.WriteByte('0' + colour)
			writeSixelRuns(&b, band)
		}
	}
	b.WriteString("\x1b\\")
	return b.String()
}

// writeSixelRuns writes a band's sixels, runs of 4 or more as !n, without
// the trailing empty ones.
func writeSixelRuns(b *strings.Builder, band []byte) {
	end := len(band)
	for end > 0 && band[end-1] == 63 {
		end--
	}
	for i := 0; i < end; {
		j := i
		for j < end && band[j] == band[i] {
			j++
		}
		if n := j - i; n >= 4 {
			b.WriteByte('!')
			b.WriteString(strconv.Itoa(n))
			b.WriteByte(band[i])
		} else {
			for range n {
				b.WriteByte(band[i])
			}
		}
		i = j
	}
}

// pngBase64 returns img as a base64 PNG.
func pngBase64(img *image.Paletted) string {
	var buf bytes.Buffer
	// Encoding a paletted image to memory cannot fail.
	_ = png.Encode(&buf, img)
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// kittyImage transmits and shows img at the cursor with the kitty graphics
// protocol: PNG (f=100), the cursor left where it is (C=1), no answer
// (q=2, which would otherwise arrive as input), in chunks of 4096 bytes as
// the protocol requires. The previous image with the same id is deleted
// first, placements and data.
func kittyImage(img *image.Paletted) string {
	data := pngBase64(img)
	var b strings.Builder
	fmt.Fprintf(&b, "\x1b_Ga=d,d=I,i=%d,q=2\x1b\\", qrKittyID)
	for i := 0; i < len(data); i += 4096 {
		chunk := data[i:min(i+4096, len(data))]
		more := 0
		if i+4096 < len(data) {
			more = 1
		}
		if i == 0 {
			fmt.Fprintf(&b, "\x1b_Ga=T,f=100,i=%d,p=1,q=2,C=1,m=%d;%s\x1b\\", qrKittyID, more, chunk)
		} else {
			fmt.Fprintf(&b, "\x1b_Gm=%d;%s\x1b\\", more, chunk)
		}
	}
	return b.String()
}

// kittyForget is what a frame without an image starts with on a kitty
// terminal: kitty keeps an image in its own layer, over the text, until
// it is deleted, so clearing the screen is not enough. Sent in the frame's
// first line it reaches the terminal on the repaint that follows every
// change of image (qr_place.go), and costs nothing on the frames between,
// whose first line does not change.
func kittyForget(c termcap.Caps) string {
	if c.Graphics() != termcap.Kitty {
		return ""
	}
	return fmt.Sprintf("\x1b_Ga=d,d=I,i=%d,q=2\x1b\\", qrKittyID)
}

// itermImage shows img with iTerm2's inline image protocol, sized in
// pixels so that it is not scaled to the cells.
func itermImage(img *image.Paletted) string {
	data := pngBase64(img)
	n := base64.StdEncoding.DecodedLen(len(data))
	return fmt.Sprintf("\x1b]1337;File=inline=1;size=%d;width=%dpx;height=%dpx;preserveAspectRatio=0;doNotMoveCursor=1:%s\a",
		n, img.Rect.Dx(), img.Rect.Dy(), data)
}
