package ui

import (
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/brcode"
	"github.com/pixdesk/pixdesk/store"
)

// The customer display's drawing. The window is a header row (the shop's
// name), the body, and a footer row (the counter, and a warning when the
// store does not answer). The body of an open charge is the QR code beside
// or under the amount in block digits, with the countdown; the layout that
// gives the QR the most cells wins, and is chosen when the charge or the
// window changes, never in View.
//
// The QR is as large as the window allows (a target that fills its box):
// an image with modules of as many whole pixels as fit, or text whose
// modules grow by whole multiples. An image's lines have no width lipgloss
// can measure, so a body with a QR is laid out by hand from the drawing's
// box (Cols × Rows), in cells computed in layout, image or text alike.

// Layout constants of the display, in cells.
const (
	dispChrome  = 2  // header and footer rows
	dispMargin  = 2  // columns kept free across the body
	dispGap     = 3  // between the QR and the text beside it
	dispInfoMin = 30 // narrowest text column beside the QR
	dispMaxX    = 4  // largest horizontal scale of block letters
)

// displayLayout is how an open charge is drawn in the current window.
type displayLayout struct {
	qr     QRRender // OK false: no QR fits
	side   bool     // the QR left of the text, else above it
	amount string   // the amount as drawn, block digits if they fit
	need   [2]int   // the window a QR needs, when none fits
	// With a QR: its top-left cell in the window (row, column); the top
	// row of the text (beside it: the text column's top-left cell and
	// width; under it: the amount's row).
	at, text [2]int
	textW    int
}

// renderQR draws the charge's QR code in at most cols × rows cells, as
// large as they allow. It is the display's one call into the renderer.
func (d *Display) renderQR(cols, rows int) QRRender {
	if d.qr == nil || cols <= 0 || rows <= 0 {
		return QRRender{}
	}
	t := d.e.qrTarget()
	t.fill = true
	return d.qr.Render(cols, rows, t)
}

// layout encodes the QR again when the code changed and chooses how the
// charge on screen is drawn.
func (d *Display) layout() {
	d.lay = displayLayout{}
	c := d.cur
	if c == nil || d.width == 0 {
		return
	}
	if c.CopyAndPaste != d.payload {
		d.payload = c.CopyAndPaste
		d.qr, d.qrErr = nil, nil
		if d.payload != "" {
			// Never a QR of a code that fails its CRC (issue 10).
			if d.qrErr = brcode.CheckCRC(d.payload); d.qrErr == nil {
				d.qr, d.qrErr = NewQR(d.payload)
			}
		}
	}
	w, h := d.bodySize()
	amount := c.Amount.String()
	small := bigWidth(amount, bigScale{1, 1}) // the smallest letters
	type option struct {
		side       bool
		cols, rows int
	}
	// The text around the QR: beside it, the amount in block digits, or
	// plain where that leaves the QR more room, and two lines; above and
	// below it, the amount in block digits (3 rows) or plain (1 row), a
	// blank row and the two lines. The largest QR wins; of equal ones,
	// the first.
	options := []option{
		{true, w - dispGap - max(dispInfoMin, small), h},
		{true, w - dispGap - dispInfoMin, h},
		{false, w, h - 3 - 1 - 2},
		{false, w, h - 1 - 1 - 2},
	}
	best := -1
	for i, o := range options {
		r := d.renderQR(o.cols, o.rows)
		if !r.OK {
			if i == len(options)-1 {
				// The window this option needs, never less than the
				// window there is: the size to grow it to.
				d.lay.need = [2]int{max(d.width, r.NeedCols+dispMargin), max(d.height, r.NeedRows+h-o.rows+dispChrome)}
			}
			continue
		}
		if best < 0 || r.Cols*r.Rows > d.lay.qr.Cols*d.lay.qr.Rows {
			best, d.lay.qr, d.lay.side = i, r, o.side
		}
	}
	switch {
	case best < 0:
		d.lay.amount = bigFit(amount, w, h/3)
	case d.lay.side:
		d.lay.amount = bigFit(amount, w-dispGap-d.lay.qr.Cols, h-4)
		d.placeSide(w, h)
	default:
		d.lay.amount = bigFit(amount, w, h-d.lay.qr.Rows-4)
		d.placeStacked(w, h)
	}
}

// placeSide puts the QR and the text column beside it, the pair centred
// in the body, each centred on the other vertically.
func (d *Display) placeSide(w, h int) {
	lay, l := &d.lay, d.e.lang
	room := w - dispGap - lay.qr.Cols
	// The column is as wide as its widest line: the amount, the
	// countdown at its widest, or the sentence wrapped to the room.
	lay.textW = min(room, max(lipgloss.Width(lay.amount), lipgloss.Width(l.s(kDispExpiresIn, "00:00:00")),
		lipgloss.Width(wrap(l.s(kDispScan), room))))
	textH := len(d.sideText(""))
	groupW, groupH := lay.qr.Cols+dispGap+lay.textW, max(lay.qr.Rows, textH)
	top, left := 1+max(0, (h-groupH)/2), 1+max(0, (w-groupW)/2)
	lay.at = [2]int{top + (groupH-lay.qr.Rows)/2, left}
	lay.text = [2]int{top + max(0, groupH-textH)/2, left + lay.qr.Cols + dispGap}
}

// placeStacked puts the amount, the QR under it and the two lines under
// that, centred in the body.
func (d *Display) placeStacked(w, h int) {
	lay := &d.lay
	amountH := lipgloss.Height(lay.amount)
	top := 1 + max(0, (h-amountH-1-lay.qr.Rows-2)/2)
	lay.text = [2]int{top, 0}
	lay.at = [2]int{top + amountH + 1, (d.width - lay.qr.Cols) / 2}
}

// sideText is the text column beside the QR: the amount, the countdown
// and what to do.
func (d *Display) sideText(countdown string) []string {
	st, l := d.e.styles, d.e.lang
	lines := strings.Split(st.Amount.Render(d.lay.amount), "\n")
	lines = append(lines, "", countdown, "")
	scan := st.Muted.Align(lipgloss.Center).Render(wrap(l.s(kDispScan), d.lay.textW))
	return append(lines, strings.Split(scan, "\n")...)
}

// bodySize is the room between the header and the footer.
func (d *Display) bodySize() (int, int) {
	return max(0, d.width-dispMargin), max(0, d.height-dispChrome)
}

// View implements tea.Model.
func (d *Display) View() string {
	if d.width == 0 || d.height == 0 {
		return ""
	}
	st := d.e.styles
	if d.cur != nil && !d.endedAt.IsZero() {
		return d.frame(d.endedView(), d.e.caps)
	}
	w, h := d.bodySize()
	header := st.Title.Render(truncate(d.shop, d.width))
	footer := st.Muted.Render(d.label)
	if d.offline {
		footer += st.Muted.Render(" · ") + st.Error.Render(d.e.lang.s(kDispOffline))
	}
	var body string
	switch c := d.cur; {
	case c == nil:
		body = lipgloss.Place(d.width, h, lipgloss.Center, lipgloss.Center, d.idleView(w, h))
	case d.showsQR():
		body = d.qrView(h)
	default:
		body = lipgloss.Place(d.width, h, lipgloss.Center, lipgloss.Center, d.chargeView(c, w))
	}
	// Joined as they are: lipgloss would pad an image's lines, which it
	// measures as narrower than they are, past the window's edge.
	return d.frame(strings.Join([]string{
		lipgloss.PlaceHorizontal(d.width, lipgloss.Center, header),
		body,
		lipgloss.PlaceHorizontal(d.width, lipgloss.Center, truncate(footer, d.width)),
	}, "\n"), d.e.caps)
}

// idleView invites the next customer.
func (d *Display) idleView(w, h int) string {
	st, l := d.e.styles, d.e.lang
	title := bigFit(l.s(kDispPayWith), w, max(1, h-2))
	return lipgloss.JoinVertical(lipgloss.Center,
		st.Title.Render(title), "", st.Muted.Render(truncate(l.s(kDispWaiting), w)))
}

// qrOff is why the charge on screen offers no code to scan: its sentence,
// or "" when it offers one (drawn if it fits).
func (d *Display) qrOff() msgKey {
	switch c := d.cur; {
	case c.Stage == store.StagePending || d.payload == "":
		return kDispPreparing
	case d.qrErr != nil:
		return kDispQRError
	case !c.ExpiresAt.IsZero() && d.remaining() <= 0:
		// Not a code to scan any more; the store says soon how it ended.
		return kDispTimeUp
	}
	return ""
}

// showsQR reports whether the next frame draws the QR.
func (d *Display) showsQR() bool {
	return d.cur != nil && d.endedAt.IsZero() && d.width > 0 && d.lay.qr.OK && d.qrOff() == ""
}

// countdown is the time left to pay, red in the last minute; "" when the
// charge does not expire.
func (d *Display) countdown() string {
	st, l, c := d.e.styles, d.e.lang, d.cur
	left := d.remaining()
	switch {
	case c.ExpiresAt.IsZero():
		return ""
	case left <= time.Minute:
		return st.Error.Render(l.s(kDispExpiresIn, mmss(left)))
	}
	return st.Countdown.Render(l.s(kDispExpiresIn, mmss(left)))
}

// chargeView is an open charge without its QR: the amount with why there
// is none.
func (d *Display) chargeView(c *store.Charge, w int) string {
	st, l := d.e.styles, d.e.lang
	amount := st.Amount.Render(d.lay.amount)
	line := func(s lipgloss.Style, text string) string { return s.Render(wrap(text, w)) }
	switch k := d.qrOff(); k {
	case kDispPreparing:
		return lipgloss.JoinVertical(lipgloss.Center, amount, "", line(st.Muted, l.s(k)))
	case "":
	default:
		return lipgloss.JoinVertical(lipgloss.Center, amount, "", line(st.Warn, l.s(k)))
	}
	small := bigFit(l.s(kDispTooSmall), w, 5)
	return lipgloss.JoinVertical(lipgloss.Center, amount, "", st.Warn.Render(small),
		line(st.Warn, l.s(kDispNeeds, d.lay.need[0], d.lay.need[1])), "", d.countdown())
}

// qrView is the body of an open charge with its QR, placed by layout.
func (d *Display) qrView(h int) string {
	st, l, lay := d.e.styles, d.e.lang, d.lay
	cv := newCanvas(1, h)
	cv.put(lay.at[0], lay.at[1], lay.qr.Lines, lay.qr.Cols)
	if lay.side {
		for i, line := range d.sideText(d.countdown()) {
			cv.centre(lay.text[0]+i, lay.text[1], lay.textW, line)
		}
		return cv.String()
	}
	for i, line := range strings.Split(st.Amount.Render(lay.amount), "\n") {
		cv.centre(lay.text[0]+i, 0, d.width, line)
	}
	below := lay.at[0] + lay.qr.Rows
	cv.centre(below, 0, d.width, d.countdown())
	cv.centre(below+1, 0, d.width, st.Muted.Render(truncate(l.s(kDispScan), d.width-dispMargin)))
	return cv.String()
}

// canvas is a block of window rows built left to right from pieces put
// at cells: text measured by lipgloss, a QR's lines by its box (an
// image's lines have no width lipgloss can see). What falls outside the
// rows is dropped; a row ends where its last piece does.
type canvas struct {
	top  int // the window row of the first line
	rows []strings.Builder
	col  []int // where each row's cursor is
}

func newCanvas(top, rows int) *canvas {
	return &canvas{top: top, rows: make([]strings.Builder, rows), col: make([]int, rows)}
}

// put writes lines, each width cells wide, with the first at window row
// row, column col. Pieces of a row must be put left to right.
func (c *canvas) put(row, col int, lines []string, width int) {
	for i, line := range lines {
		r := row + i - c.top
		if r < 0 || r >= len(c.rows) {
			continue
		}
		c.rows[r].WriteString(strings.Repeat(" ", max(0, col-c.col[r])))
		c.rows[r].WriteString(line)
		c.col[r] = max(col, c.col[r]) + width
	}
}

// centre puts one line of text centred in the width cells from col.
func (c *canvas) centre(row, col, width int, text string) {
	w := lipgloss.Width(text)
	c.put(row, col+max(0, (width-w)/2), []string{text}, w)
}

func (c *canvas) String() string {
	lines := make([]string, len(c.rows))
	for i := range c.rows {
		lines[i] = c.rows[i].String()
	}
	return strings.Join(lines, "\n")
}

// endedView fills the window with how the charge ended, for cfg.Hold.
func (d *Display) endedView() string {
	st, l, c := d.e.styles, d.e.lang, d.cur
	w, h := d.width-dispMargin, d.height
	banner, word, below, big := st.Cancelled, statusWord(l, c.Status), l.s(kDispAskNew), false
	switch {
	case c.Status == psp.StatusPaid && (c.PaidAmount != 0 && c.PaidAmount != c.Amount ||
		c.Flags&(store.FlagAmountMismatch|store.FlagPaidAfterExpiry) != 0):
		// Money came, but not as charged: the cashier must look first.
		banner, word, below = st.Expired, l.s(kDispReceived), l.s(kDispSeeCashier)
	case c.Status == psp.StatusPaid:
		banner, below, big = st.Paid, l.s(kDispThanks), true
	case c.Status == psp.StatusExpired:
		banner = st.Expired
	case c.Status == psp.StatusRefunded:
		below = ""
	}
	top := bigFit(word, w, max(1, h/2-1))
	block := []string{top, ""}
	switch {
	case big:
		block = append(block, bigFit(below, w, max(1, h-lipgloss.Height(top)-4)))
	case below != "":
		block = append(block, wrap(below, w))
	}
	if big {
		// In words too: block letters are not for every reader.
		block = append(block, "", l.s(kDispConfirmed)+" · "+paidAmount(c).String())
	}
	return banner.Padding(0).Width(d.width).Height(d.height).
		Align(lipgloss.Center, lipgloss.Center).Render(strings.Join(block, "\n"))
}
