package ui

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/muesli/termenv"
	"rsc.io/qr"

	"github.com/pixdesk/pixdesk/internal/termcap"
)

// A QR code is drawn from the encoder's module matrix by this file and its
// two siblings (qr_text.go, qr_image.go) rather than by qrterminal, so that
// both colours, the quiet zone and the encoder's errors are under our
// control (pix-brcode.md §7).
//
// Three ways to draw, best first:
//
//   - terminal graphics (sixel, kitty, iTerm2): an exact bitmap, whole
//     pixels per module, pure black on pure white, a quiet zone of at least
//     4 modules, in a box of cells the layout reserves (qr_image.go);
//   - half blocks: 1 module per column, 2 per row; cells whose two modules
//     are alike are spaces with a background, so no glyph edge is there to
//     anti-alias (qr_text.go);
//   - sextants: 2×3 modules per cell, where asked for or where the terminal
//     draws them itself.
//
// Text boxes (columns × rows) for the PIX codes used in the tests, measured
// with rsc.io/qr (byte mode) and checked by decoding. "Best" is level M with
// a 4-module quiet zone in half blocks; "smallest" is level L with a
// 2-module quiet zone:
//
//	payload                      best      smallest, half   smallest, sextants
//	static, 147 chars            57 × 29   49 × 25 (v7)     25 × 17
//	dynamic, 161 chars           61 × 31   53 × 27 (v8)     27 × 18
//	dynamic + tag 80, 245 chars  69 × 35   61 × 31 (v10)    31 × 21
//
// So in an 80×24 window no PIX code fits in half blocks beside its details;
// with graphics every one does.

// QRMaxPayload is the longest payload NewQR accepts, in bytes: the limit of
// a BR Code (pix-brcode.md §1).
const QRMaxPayload = 512

// Errors returned by NewQR, to be matched with errors.Is.
var (
	ErrQREmpty   = errors.New("qr payload is empty")
	ErrQRTooLong = errors.New("qr payload is too long")
)

// QRStyle is how the cashier wants QR codes drawn (--qr-style).
type QRStyle int

const (
	// QRAuto draws the best that will scan: terminal graphics where the
	// terminal has them, else half blocks, else sextants where the
	// terminal draws them itself. It is the default.
	QRAuto QRStyle = iota
	// QRGraphics draws terminal graphics even where the terminal did not
	// say it has them (sixel, unless it answered for another protocol).
	QRGraphics
	// QRSextants draws half blocks and, where they do not fit, the Unicode
	// 13 sextant characters (U+1FB00–U+1FB3B with space, ▌, ▐, █): 2×3
	// modules per cell. Fonts without those glyphs draw garbage, and cells
	// narrower than 1:2 make modules too tall for scanners.
	QRSextants
	// QRHalfBlocks draws half blocks only.
	QRHalfBlocks
	// QRText draws no QR: the copy-and-paste text only.
	QRText
)

// qrStyleNames are the names --qr-style takes, in QRStyle order.
var qrStyleNames = [...]string{"auto", "graphics", "sextant", "half", "text"}

// String returns the style's name as --qr-style takes it.
func (s QRStyle) String() string {
	if s >= 0 && int(s) < len(qrStyleNames) {
		return qrStyleNames[s]
	}
	return fmt.Sprintf("QRStyle(%d)", int(s))
}

// ParseQRStyle reads a --qr-style value: auto, graphics, sextant, half or
// text (also "sextants" and "half-blocks").
func ParseQRStyle(s string) (QRStyle, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "auto", "":
		return QRAuto, nil
	case "graphics":
		return QRGraphics, nil
	case "sextant", "sextants":
		return QRSextants, nil
	case "half", "half-blocks":
		return QRHalfBlocks, nil
	case "text":
		return QRText, nil
	}
	return QRAuto, fmt.Errorf("qr style %q: use auto, graphics, sextant, half or text", s)
}

// QRKind is how a QR was drawn.
type QRKind int

const (
	// QRNone: not drawn.
	QRNone QRKind = iota
	// QRKindHalfBlocks: half blocks and background-coloured spaces.
	QRKindHalfBlocks
	// QRKindSextants: sextant characters.
	QRKindSextants
	// QRKindSixel, QRKindKitty, QRKindITerm2: an image in that protocol.
	QRKindSixel
	QRKindKitty
	QRKindITerm2
)

// String returns the kind's name as logs and the status bar show it.
func (k QRKind) String() string {
	switch k {
	case QRNone:
		return "none"
	case QRKindHalfBlocks:
		return "half-blocks"
	case QRKindSextants:
		return "sextants"
	case QRKindSixel:
		return "sixel"
	case QRKindKitty:
		return "kitty"
	case QRKindITerm2:
		return "iterm2"
	}
	return fmt.Sprintf("QRKind(%d)", int(k))
}

// Graphics reports whether k is an image rather than characters.
func (k QRKind) Graphics() bool { return k >= QRKindSixel }

// QRTarget is the terminal a QR is drawn for: the style asked for, what
// the terminal said it can do, and its colours (termenv.Ascii under
// NO_COLOR). It is comparable, and results are cached per target.
type QRTarget struct {
	Style   QRStyle
	Caps    termcap.Caps
	Profile termenv.Profile

	// only draws this kind and no other (the calibration screen shows
	// each in turn); QRNone lets Style choose.
	only QRKind
	// fill asks for the largest drawing the box holds, for a screen that
	// is there to be scanned from a step away (the customer display): an
	// image's modules grow past qrMaxModulePx, up to the terminal's image
	// limit, and a text drawing's by whole multiples (QRRender.Scale).
	// The console, whose QR shares the window with the cashier's
	// details, draws it large enough and leaves the rest to them.
	fill bool
}

// textScans reports whether a text QR can be drawn the right way round:
// with colour both colours are painted; without, reverse video is chosen
// from the terminal's background, which must then be known. An explicit
// style takes termenv's guess (dark) when it is not.
func (t QRTarget) textScans() bool {
	return t.Profile != termenv.Ascii || t.Caps.BackgroundKnown || t.Style != QRAuto
}

// QRRender is the outcome of QR.Render: Rows lines, each Cols cells on
// screen, or, when OK is false, what would be needed.
type QRRender struct {
	// Lines are the block's rows. Text kinds hold characters and SGR,
	// each line exactly Cols cells wide. Graphics kinds hold the image
	// sequence on the first line and, on every line, a cursor move over
	// the box (CUF): nothing is written into the reserved cells, so the
	// image stays when the text beside it changes. Their ansi width is 0:
	// lay them out by Cols, never by lipgloss.Width.
	Lines []string
	// Cols and Rows are the block's size in cells.
	Cols, Rows int
	// OK is false when no scannable drawing fits the box.
	OK bool
	// Kind is how the code was drawn; QRNone when OK is false.
	Kind QRKind
	// NeedCols and NeedRows are set when OK is false and some drawing the
	// target allows exists: the smallest box that would show it. Zero
	// when none would (style text, or NO_COLOR on an unknown background).
	NeedCols, NeedRows int
	// Level is the error-correction level, "M" or "L"; Quiet the quiet
	// zone in modules (at least 4 for graphics, 2 to 4 for text); Module
	// the pixels per module for graphics (0 for text).
	Level  string
	Quiet  int
	Module int
	// Scale is, for text, how many units a module takes across and down
	// (a unit is half a cell of a half block, a sixth of a sextant): 1,
	// or more where the target fills its box. 0 for graphics.
	Scale int
}

// QR holds one payload and its module matrices, encoded once per level and
// kept, with the renderings already drawn. Build one per charge and keep it:
// a countdown tick or a redraw then costs a map lookup. A QR is safe for
// concurrent use.
type QR struct {
	payload string

	mu      sync.Mutex
	codes   [len(qrLevels)]*qr.Code
	drawn   map[any]QRRender // by qrTextKey or qrImageKey
	results map[qrBoxKey]QRRender
	encodes int // number of qr.Encode calls, for tests
}

// qrLevels lists the error-correction levels in order of preference.
var qrLevels = [...]struct {
	name  string
	level qr.Level
}{{"M", qr.M}, {"L", qr.L}}

// qrMaxResults bounds the caches; a user dragging the window edge would
// otherwise grow them without limit.
const qrMaxResults = 64

type qrBoxKey struct {
	cols, rows int
	target     QRTarget
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
		drawn:   make(map[any]QRRender),
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

// Render draws the code in the best way target allows that fits within
// maxCols × maxRows cells: terminal graphics first (auto and graphics),
// then half blocks, then sextants (style sextant, or auto where the
// terminal draws them itself and its cells are at least 1:2). Within text,
// it gives up the quiet zone (4 down to 2 modules) before error correction
// (M, then L); a target that fills its box takes larger modules first.
// When nothing scannable fits, OK is false and NeedCols × NeedRows says
// what would.
//
// This is the whole renderer's interface: any screen that shows a code
// asks it for a box and lays the lines out by Cols and Rows.
//
// Results are cached per box and target, drawings per way of drawing, so
// repeated calls neither encode nor draw.
func (q *QR) Render(maxCols, maxRows int, target QRTarget) QRRender {
	key := qrBoxKey{maxCols, maxRows, target}
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
	t := key.target
	var need QRRender
	consider := func(r QRRender) bool {
		if r.OK {
			return true
		}
		if r.NeedCols > 0 && (need.NeedCols == 0 || r.NeedCols*r.NeedRows < need.NeedCols*need.NeedRows) {
			need = r
		}
		return false
	}
	if proto, ok := t.graphics(); ok {
		if r := q.renderImage(key.cols, key.rows, proto, t.Caps, t.fill); consider(r) {
			return r
		}
	}
	if t.textAllowed() {
		if r := q.renderText(key.cols, key.rows, qrCandidates(t, key.cols, key.rows), t); consider(r) {
			return r
		}
	}
	return need
}

// textAllowed reports whether t allows drawing with characters.
func (t QRTarget) textAllowed() bool {
	switch {
	case t.only != QRNone:
		return !t.only.Graphics()
	case t.Style == QRGraphics || t.Style == QRText:
		return false
	}
	return t.textScans()
}

// graphics returns the protocol to draw an image with, if target allows
// one: in auto, the terminal's own; forced, that or sixel.
func (t QRTarget) graphics() (termcap.Graphics, bool) {
	g := t.Caps.Graphics()
	if t.only != QRNone {
		return protocolOf(t.only), t.only.Graphics()
	}
	switch t.Style {
	case QRAuto:
		return g, g != termcap.NoGraphics && t.Caps.CellW > 0
	case QRGraphics:
		if g == termcap.NoGraphics {
			g = termcap.Sixel
		}
		return g, true
	}
	return termcap.NoGraphics, false
}

// sextantsAllowed reports whether sextants may be drawn for t: asked for,
// or in auto where the terminal draws them itself and a sextant module
// (half a cell wide, a third high) is no taller than 4:3 wide.
func (t QRTarget) sextantsAllowed() bool {
	if t.only != QRNone {
		return t.only == QRKindSextants
	}
	switch t.Style {
	case QRSextants:
		return true
	case QRAuto:
		c := t.Caps
		return c.DrawsSextants() && (c.CellW == 0 || 2*c.CellW >= c.CellH)
	}
	return false
}
