package ui

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"rsc.io/qr"
)

// A terminal QR code is drawn from the encoder's module matrix by this file
// rather than by qrterminal, so that both colours, the quiet zone and the
// encoder's errors are under our control (pix-brcode.md §7).
//
// Boxes (columns × rows of the QR block) for the PIX codes used in the
// tests, measured with rsc.io/qr (byte mode) and checked by decoding the
// rendered text with gozxing. "Best" is level M with a 4-module quiet zone
// in half blocks; "smallest" is level L with a 2-module quiet zone:
//
//	payload                      best      smallest, half   smallest, sextants
//	static, 147 chars            57 × 29   49 × 25 (v7)     25 × 17
//	dynamic, 161 chars           61 × 31   53 × 27 (v8)     27 × 18
//	dynamic + tag 80, 245 chars  69 × 35   61 × 31 (v10)    31 × 21
//
// So in an 80×24 window no PIX code fits in half blocks, whatever the
// chrome: the screen must offer sextants (opt-in) or show the
// copy-and-paste text.

// QRMaxPayload is the longest payload NewQR accepts, in bytes: the limit of
// a BR Code (pix-brcode.md §1).
const QRMaxPayload = 512

// Errors returned by NewQR, to be matched with errors.Is.
var (
	ErrQREmpty   = errors.New("qr payload is empty")
	ErrQRTooLong = errors.New("qr payload is too long")
)

// QRStyle selects the characters a QR code may be drawn with.
type QRStyle int

const (
	// QRHalfBlocks draws 1 module per column and 2 per row with ▀ ▄ █ and
	// space, which every terminal font has. It is the default.
	QRHalfBlocks QRStyle = iota
	// QRSextants also allows, when half blocks do not fit, the Unicode 13
	// sextant characters (U+1FB00–U+1FB3B with space, ▌, ▐, █): 2×3 modules
	// per cell, 3:4 each in a 1:2 cell. The user opts in: fonts without
	// those glyphs draw garbage, and in cells narrower than 1:2 (9×20 px,
	// say) the modules get too tall for ZXing-based scanners.
	QRSextants
)

// String returns the style's name.
func (s QRStyle) String() string {
	switch s {
	case QRHalfBlocks:
		return "half-blocks"
	case QRSextants:
		return "sextants"
	}
	return fmt.Sprintf("QRStyle(%d)", int(s))
}

// QRRender is the outcome of QR.Render.
type QRRender struct {
	// Text holds Rows lines joined by "\n" (no trailing newline), each
	// exactly Cols cells wide. Empty when OK is false.
	Text string
	// Cols and Rows are the display size of Text.
	Cols, Rows int
	// OK is false when no scannable rendering fits the box.
	OK bool
	// NeedCols and NeedRows are set when OK is false: the smallest box that
	// would show a scannable code with the style that was asked for.
	NeedCols, NeedRows int
	// Level is the error-correction level, "M" or "L"; Quiet the quiet zone
	// around the code in modules, 2 to 4; Style the characters: QRHalfBlocks
	// even when QRSextants was allowed, if half blocks fit. When OK is
	// false they describe the rendering NeedCols × NeedRows refers to.
	Level string
	Quiet int
	Style QRStyle
}

// QR holds one payload and its module matrices, encoded once per level and
// kept, with the renderings already drawn. Build one per charge and keep it:
// a countdown tick or a redraw then costs a map lookup. A QR is safe for
// concurrent use.
type QR struct {
	payload string

	mu      sync.Mutex
	codes   [len(qrLevels)]*qr.Code
	drawn   map[qrDrawKey]string
	results map[qrBoxKey]QRRender
	encodes int // number of qr.Encode calls, for tests
}

// qrLevels lists the error-correction levels in order of preference.
var qrLevels = [...]struct {
	name  string
	level qr.Level
}{{"M", qr.M}, {"L", qr.L}}

// qrCandidate is one way of drawing the code; Render takes the first that
// fits from qrCandidates.
type qrCandidate struct {
	level int // index into qrLevels
	quiet int
	style QRStyle
}

// qrCandidates is the order of preference. Half blocks come before sextants
// because their modules are twice as large on screen. Within a style the
// quiet zone is given up before error correction: in colour the painted quiet
// zone is the only light border between the finder patterns and a possibly
// dark terminal, whereas a screen is never smudged, so level M's extra
// redundancy rarely matters. The quiet zone never goes below 2 modules.
var qrCandidates = func() []qrCandidate {
	var cs []qrCandidate
	for _, style := range []QRStyle{QRHalfBlocks, QRSextants} {
		for quiet := 4; quiet >= 2; quiet-- {
			for level := range qrLevels {
				cs = append(cs, qrCandidate{level: level, quiet: quiet, style: style})
			}
		}
	}
	return cs
}()

// qrMaxResults bounds the per-box cache; a user dragging the window edge
// would otherwise grow it without limit.
const qrMaxResults = 64

type qrBoxKey struct {
	cols, rows int
	style      QRStyle
	colour     bool
}

type qrDrawKey struct {
	cand   qrCandidate
	colour bool
}

// NewQR checks payload and encodes it at the preferred level. It fails when
// the payload is empty, longer than QRMaxPayload bytes or cannot be encoded;
// qrterminal would silently draw nothing in that case.
func NewQR(payload string) (*QR, error) {
	switch {
	case payload == "":
		return nil, ErrQREmpty
	case len(payload) > QRMaxPayload:
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrQRTooLong, len(payload), QRMaxPayload)
	}
	q := &QR{
		payload: payload,
		drawn:   make(map[qrDrawKey]string),
		results: make(map[qrBoxKey]QRRender),
	}
	// Level M is needed by nearly every render and, if it encodes, every
	// lower level does too; L is encoded only when M does not fit.
	if _, err := q.code(0); err != nil {
		return nil, err
	}
	return q, nil
}

// Payload returns the text the code carries.
func (q *QR) Payload() string { return q.payload }

// code returns the matrix at qrLevels[level], encoding it on first use.
// q.mu must be held, except from NewQR.
func (q *QR) code(level int) (*qr.Code, error) {
	if c := q.codes[level]; c != nil {
		return c, nil
	}
	q.encodes++
	c, err := qr.Encode(q.payload, qrLevels[level].level)
	if err != nil {
		return nil, fmt.Errorf("encode qr at level %s: %w", qrLevels[level].name, err)
	}
	q.codes[level] = c
	return c, nil
}

// Render returns the code drawn as text that fits within maxCols × maxRows
// cells, choosing the error-correction level (M, else L), the quiet zone (4
// down to 2 modules) and, if style is QRSextants, sextants when half blocks
// do not fit. When nothing scannable fits, OK is false and NeedCols ×
// NeedRows says what would.
//
// With colour, every cell is painted black on white with SGR 30;47 (each
// line ends with a reset), which 8- and 16-colour terminals understand, so
// the code never depends on the terminal's own background.
//
// Without colour (NO_COLOR, ASCII profile) only the characters can carry
// the code, and the terminal's scheme decides what is light. The drawing is
// inverted for the common dark scheme: a drawn glyph (light foreground) is a
// light module and a blank (dark background) is a dark module, with the quiet
// zone drawn as full blocks. On a dark-on-light terminal the same text shows
// a negative code, which many scanners do not read.
//
// Results are cached per (maxCols, maxRows, style, colour), and drawings per
// level, quiet zone and style, so repeated calls neither encode nor draw.
func (q *QR) Render(maxCols, maxRows int, style QRStyle, colour bool) QRRender {
	key := qrBoxKey{maxCols, maxRows, style, colour}
	q.mu.Lock()
	defer q.mu.Unlock()
	if r, ok := q.results[key]; ok {
		return r
	}
	r := q.render(key)
	if len(q.results) >= qrMaxResults {
		clear(q.results)
	}
	q.results[key] = r
	return r
}

func (q *QR) render(key qrBoxKey) QRRender {
	var smallest qrCandidate
	needCols, needRows := 0, 0
	for _, cand := range qrCandidates {
		if cand.style == QRSextants && key.style != QRSextants {
			continue
		}
		c, err := q.code(cand.level)
		if err != nil {
			// Unreachable once level M encoded in NewQR; a lower level
			// needs fewer modules.
			continue
		}
		cols, rows := qrBlockSize(c.Size, cand)
		if cols <= key.cols && rows <= key.rows {
			return q.draw(cand, c, key.colour, cols, rows)
		}
		if needCols == 0 || cols*rows < needCols*needRows {
			smallest, needCols, needRows = cand, cols, rows
		}
	}
	return QRRender{
		NeedCols: needCols,
		NeedRows: needRows,
		Level:    qrLevels[smallest.level].name,
		Quiet:    smallest.quiet,
		Style:    smallest.style,
	}
}

// qrBlockSize returns the cells needed for a matrix of size modules a side.
func qrBlockSize(size int, cand qrCandidate) (cols, rows int) {
	n := size + 2*cand.quiet
	if cand.style == QRSextants {
		return (n + 1) / 2, (n + 2) / 3
	}
	return n, (n + 1) / 2
}

func (q *QR) draw(cand qrCandidate, c *qr.Code, colour bool, cols, rows int) QRRender {
	dk := qrDrawKey{cand, colour}
	text, ok := q.drawn[dk]
	if !ok {
		if cand.style == QRSextants {
			text = drawQR(c, cand.quiet, colour, cols, rows, 2, 3, sextantGlyphs[:])
		} else {
			text = drawQR(c, cand.quiet, colour, cols, rows, 1, 2, halfBlockGlyphs[:])
		}
		q.drawn[dk] = text
	}
	return QRRender{
		Text:  text,
		Cols:  cols,
		Rows:  rows,
		OK:    true,
		Level: qrLevels[cand.level].name,
		Quiet: cand.quiet,
		Style: cand.style,
	}
}

// SGR sequences for the coloured drawing: dark modules are the foreground
// (black), light modules and the quiet zone the background (white).
const (
	qrSGRPaint = "\x1b[30;47m"
	qrSGRReset = "\x1b[0m"
)

// drawQR draws c with a quiet zone of quiet modules as rows lines of cols
// cells, each cell covering cw × ch modules. glyphs is indexed by the cell's
// bits: bit cy*cw+cx set when that module is drawn in the foreground. Modules
// outside the matrix (quiet zone, and the padding that rounds the last row or
// column up to a whole cell) are light.
func drawQR(c *qr.Code, quiet int, colour bool, cols, rows, cw, ch int, glyphs []string) string {
	var b strings.Builder
	// Glyphs are at most 4 bytes in UTF-8.
	b.Grow(rows * (cols*4 + len(qrSGRPaint) + len(qrSGRReset) + 1))
	for row := 0; row < rows; row++ {
		if row > 0 {
			b.WriteByte('\n')
		}
		if colour {
			b.WriteString(qrSGRPaint)
		}
		for col := 0; col < cols; col++ {
			bits := 0
			for cy := 0; cy < ch; cy++ {
				y := row*ch + cy - quiet
				for cx := 0; cx < cw; cx++ {
					x := col*cw + cx - quiet
					// Black reports false outside the matrix: the quiet
					// zone and padding come out light.
					if c.Black(x, y) == colour {
						bits |= 1 << (cy*cw + cx)
					}
				}
			}
			b.WriteString(glyphs[bits])
		}
		if colour {
			b.WriteString(qrSGRReset)
		}
	}
	return b.String()
}

// halfBlockGlyphs maps a cell's bits (1 = top drawn, 2 = bottom drawn) to
// its character.
var halfBlockGlyphs = [4]string{" ", "▀", "▄", "█"}

// sextantGlyphs maps a cell's 6 bits (bit 2*row+col, row 0 at the top) to
// its character. Unicode numbers the sextants in the same bit order but
// leaves out the four patterns that already had characters: empty, left
// column, right column and full.
var sextantGlyphs = func() [64]string {
	var g [64]string
	for p := range g {
		switch p {
		case 0:
			g[p] = " "
		case 0b010101:
			g[p] = "▌"
		case 0b101010:
			g[p] = "▐"
		case 0b111111:
			g[p] = "█"
		default:
			r := rune(0x1FB00 + p - 1)
			if p > 0b010101 {
				r--
			}
			if p > 0b101010 {
				r--
			}
			g[p] = string(r)
		}
	}
	return g
}()
