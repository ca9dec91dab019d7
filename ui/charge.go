package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/brcode"
	"github.com/pixdesk/pixdesk/store"
)

// chargeScreen shows an open charge: its QR code as large as the window
// allows, the details, a live countdown and the copy-and-paste text.
//
// The QR is encoded once per payload (NewQR) and its renderings are
// chosen in set and setSize, never in view: a countdown tick redraws text
// around a cached block. A code that fails its CRC is never drawn
// (badCRC): the payer's bank would refuse it, or worse, read a corrupted
// one.
type chargeScreen struct {
	env           *env
	width, height int
	fullW, fullH  int

	c       *store.Charge
	payload string
	qr      *QR
	qrErr   error
	badCRC  bool // qrErr is the CRC check's

	// Layout, computed when the charge or the size changes.
	mode     qrMode
	block    QRRender // the QR in the layout, when mode is not qrNone
	blockAt  [2]int   // its top-left cell in the body (row, column)
	infoW    int
	static   []string // the details above the countdown
	tail     []string // the copy-and-paste text below it
	need     [2]int   // window size a QR needs, when mode is qrNone
	fullFits bool
	full     QRRender

	polled bool // PollNow was asked at expiry
}

var _ screen = (*chargeScreen)(nil)

// qrMode is where the QR goes.
type qrMode int

const (
	qrNone    qrMode = iota // too small: the copy-and-paste text instead
	qrSide                  // QR left, details right
	qrStacked               // QR above a compact summary
)

// Layout constants, in cells.
const (
	minInfoWidth   = 30
	gapWidth       = 2
	compactLines   = 3 // summary, countdown and bar, status
	countdownLines = 3
)

func newCharge(e *env) *chargeScreen { return &chargeScreen{env: e} }

// set shows c; the QR is encoded again only when the payload changed.
func (s *chargeScreen) set(c *store.Charge) {
	if s.c == nil || s.c.ID != c.ID {
		s.polled = false
	}
	s.c = c
	if c.CopyAndPaste != s.payload || (s.qr == nil && s.qrErr == nil) {
		s.payload = c.CopyAndPaste
		s.qr, s.qrErr, s.badCRC = nil, brcode.CheckCRC(c.CopyAndPaste), false
		if s.qrErr != nil {
			s.badCRC = true
		} else {
			s.qr, s.qrErr = NewQR(c.CopyAndPaste)
		}
	}
	s.layout()
}

func (s *chargeScreen) setSize(w, h int) {
	s.width, s.height = w, h
	s.layout()
}

// chromeRows is how many rows the console draws around this screen (the
// open-charges strip, flash, help, status bar): the window less the body.
func (s *chargeScreen) chromeRows() int {
	if s.fullH > s.height {
		return s.fullH - s.height
	}
	return 1 + 1 + statusBarHeight
}

// setFullSize sets the window size for the full-window QR.
func (s *chargeScreen) setFullSize(w, h int) {
	s.fullW, s.fullH = w, h
	s.layout()
}

// render draws the QR into a box of the window (a cached lookup after
// the first call for a size).
func (s *chargeScreen) render(cols, rows int) QRRender {
	if s.qr == nil || cols <= 0 || rows <= 0 {
		return QRRender{}
	}
	return s.qr.Render(cols, rows, s.env.qrTarget())
}

// layout chooses where the QR goes: beside the details, above a compact
// summary, or nowhere (with the size the window would need).
func (s *chargeScreen) layout() {
	if s.c == nil || s.width == 0 {
		return
	}
	s.mode, s.block, s.blockAt, s.need = qrNone, QRRender{}, [2]int{}, [2]int{}
	s.infoW = s.width
	w, h := s.width, s.height

	if r := s.render(w-gapWidth-minInfoWidth, h); r.OK {
		s.mode, s.block = qrSide, r
		s.infoW = min(w-r.Cols-gapWidth, 72)
	} else if r := s.render(w, h-compactLines); r.OK {
		s.mode, s.block = qrStacked, r
		s.blockAt = [2]int{0, max(0, (w-r.Cols)/2)}
		s.infoW = w
	} else if r.NeedCols > 0 {
		// The smaller of the two layouts, as a window size (body plus
		// the console's chrome: margin, flash, help and status bar).
		// Never below the smallest window the console works in.
		side := atLeastMin(r.NeedCols+gapWidth+minInfoWidth+2, r.NeedRows+s.chromeRows())
		stacked := atLeastMin(r.NeedCols+2, r.NeedRows+compactLines+s.chromeRows())
		s.need = stacked
		if side[0]*side[1] < stacked[0]*stacked[1] {
			s.need = side
		}
	}
	if s.fullW > 0 {
		s.full = s.render(s.fullW, s.fullH-2)
		s.fullFits = s.full.OK
	}
	s.static, s.tail = s.details()
}

// imageKey names the image the screen shows and where, "" when it shows
// none; full is the full-window view.
func (s *chargeScreen) imageKey(full bool) string {
	r, at := s.block, s.blockAt
	if full {
		r, at = s.full, s.fullAt()
	}
	if !r.Kind.Graphics() || (!full && s.mode == qrNone) {
		return ""
	}
	return fmt.Sprintf("charge %v %d×%d at %d,%d", r.Kind, r.Cols, r.Rows, at[0], at[1])
}

// details builds the lines that change only with the charge or the size.
func (s *chargeScreen) details() (static, tail []string) {
	st, l, c := s.env.styles, s.env.lang, s.c
	if s.mode == qrStacked {
		line := withTail(st.Amount.Render(c.Amount.String())+"  "+c.Payer.Name, st.Muted.Render(" · "+psp.MaskDocument(c.Payer.Document)), s.infoW) +
			st.Muted.Render(" · "+c.ExternalReference)
		static = []string{truncate(line, s.infoW)}
		tail = append([]string{"", st.Label.Render(l.s(kLabelCopyPaste))}, strings.Split(hardWrap(c.CopyAndPaste, s.infoW), "\n")...)
		if s.block.Rows+len(static)+countdownLines+len(tail) > s.height {
			tail = nil // the QR comes first; c still copies the code
		}
		return static, tail
	}
	lw := 0
	for _, k := range []msgKey{kLabelPayer, kLabelDocument, kLabelReference, kLabelCode, kLabelExpiresIn} {
		lw = max(lw, lipgloss.Width(l.s(k)))
	}
	lw += 2
	row := func(k msgKey, v string) string {
		label := l.s(k)
		return truncate(st.Label.Render(label)+strings.Repeat(" ", lw-lipgloss.Width(label))+v, s.infoW)
	}
	static = []string{
		st.Amount.Render(c.Amount.String()),
		"",
		row(kLabelPayer, c.Payer.Name),
		row(kLabelDocument, psp.MaskDocument(c.Payer.Document)),
		row(kLabelReference, c.ExternalReference),
		row(kLabelCode, c.InternalCode),
		"",
	}
	if s.mode == qrNone {
		tail = append(tail, "", s.noQR())
	}
	if hint := s.sextantHint(); hint != "" {
		tail = append(append(tail, ""), strings.Split(hint, "\n")...) // beside the QR: one line each
	}
	if s.badCRC {
		return static, tail // a corrupted code is not offered to copy either
	}
	tail = append(tail, "", st.Label.Render(l.s(kLabelCopyPaste)))
	tail = append(tail, strings.Split(hardWrap(c.CopyAndPaste, s.infoW), "\n")...)
	return static, tail
}

// hardWrap cuts s every w runes (a BR Code has no spaces to break at).
func hardWrap(s string, w int) string {
	if w <= 0 {
		return s
	}
	r := []rune(s)
	var b strings.Builder
	for len(r) > w {
		b.WriteString(string(r[:w]))
		b.WriteByte('\n')
		r = r[w:]
	}
	b.WriteString(string(r))
	return b.String()
}

// remaining is the time left before the charge expires.
func (s *chargeScreen) remaining() time.Duration {
	if s.c == nil || s.c.ExpiresAt.IsZero() {
		return 0
	}
	return s.c.ExpiresAt.Sub(s.env.now)
}

// tick checks the countdown: at zero it asks the engine to poll once
// more, since a payment may have landed in the last second. EXPIRED is
// shown only when the store says so.
func (s *chargeScreen) tick() tea.Cmd {
	c := s.c
	if c == nil || s.polled || c.ExpiresAt.IsZero() || c.Status != psp.StatusAwaitingPayment {
		return nil
	}
	if s.remaining() <= 0 {
		s.polled = true
		return pollNow(s.env.backend, c.ID)
	}
	return nil
}

// countdown returns the countdown, its bar and the status line.
func (s *chargeScreen) countdown() []string {
	st, l, c := s.env.styles, s.env.lang, s.c
	left := s.remaining()
	total := time.Duration(c.ExpiresInMinutes) * time.Minute
	if start := c.RequestedAt; !start.IsZero() && !c.ExpiresAt.IsZero() {
		total = c.ExpiresAt.Sub(start)
	}
	pct := 0.0
	if total > 0 {
		pct = min(1, max(0, float64(left)/float64(total)))
	}
	label := l.s(kLabelExpiresIn) + " "
	status := st.Muted.Render(l.s(kAwaiting))
	var clockText, bar string
	switch {
	case c.ExpiresAt.IsZero():
		clockText, bar = "—", ""
	case left <= 0:
		clockText = st.CountdownWarn.Render(mmss(0))
		bar = meter(st.BarWarnFill, st.BarEmpty, s.infoW, 0)
		status = st.Warn.Render(l.s(kConfirming))
	case left <= time.Minute:
		clockText = st.CountdownWarn.Render("⚠ " + mmss(left))
		bar = meter(st.BarWarnFill, st.BarEmpty, s.infoW, pct)
	default:
		clockText = st.Countdown.Render(mmss(left))
		bar = meter(st.BarFill, st.BarEmpty, s.infoW, pct)
	}
	if c.UnknownStatus != "" {
		status = st.Warn.Render(unknownStatus(l, c))
	}
	return []string{st.Label.Render(label) + clockText, bar, status}
}

// unknownStatus words a status ConnectPSP reported that pixdesk does not
// know. The charge is a display copy (shownCharge), so the text is
// visible already; it is cut short to fit one line.
func unknownStatus(l lang, c *store.Charge) string {
	return l.s(kUnknownStatus, safetext.Clip(c.UnknownStatus, 40))
}

// meter draws a w-cell bar filled to pct, as bubbles/progress's ViewAs
// does with a solid fill. (bubbles/progress itself needs harmonica, which
// go.mod does not list yet.)
func meter(fill, empty lipgloss.Style, w int, pct float64) string {
	n := int(pct*float64(w) + 0.5)
	n = min(max(n, 0), w)
	return fill.Render(strings.Repeat("█", n)) + empty.Render(strings.Repeat("░", w-n))
}

func (s *chargeScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || s.c == nil {
		return nil
	}
	k, b := s.env.keys, s.env.backend
	switch {
	case key.Matches(km, k.Copy) && !s.badCRC:
		return copyText(s.env.ctx, s.env.cfg.Clipboard, s.env.cfg.Output, s.c.ID, s.c.CopyAndPaste)
	case key.Matches(km, k.Refresh):
		return refreshCharge(s.env.ctx, b, s.c.ID)
	case key.Matches(km, k.New):
		s.env.tell(newChargeMsg{})
		return nil
	case key.Matches(km, k.Full) && !s.badCRC:
		s.env.tell(fullQRMsg{on: true})
		return nil
	case key.Matches(km, k.Simulate):
		return simulatePay(s.env.ctx, b, s.c.ID)
	}
	return nil
}

func (s *chargeScreen) view() string {
	if s.c == nil {
		return ""
	}
	info := make([]string, 0, len(s.static)+countdownLines+len(s.tail))
	info = append(info, s.static...)
	info = append(info, s.countdown()...)
	info = append(info, s.tail...)

	var b strings.Builder
	switch s.mode {
	case qrSide:
		pad := strings.Repeat(" ", gapWidth)
		for i := 0; i < max(s.block.Rows, len(info)); i++ {
			if i < s.block.Rows {
				b.WriteString(s.block.Lines[i])
			} else {
				b.WriteString(strings.Repeat(" ", s.block.Cols))
			}
			if i < len(info) {
				b.WriteString(pad)
				b.WriteString(info[i])
			}
			b.WriteByte('\n')
		}
	case qrStacked:
		indent := strings.Repeat(" ", s.blockAt[1])
		for _, line := range s.block.Lines {
			b.WriteString(indent + line + "\n")
		}
		for _, line := range info {
			b.WriteString(line + "\n")
		}
	default:
		for _, line := range info {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// fullView is the QR alone, centred in the whole window, for the customer.
// It is laid out by hand rather than with lipgloss.Place: an image's lines
// have no width lipgloss can measure.
func (s *chargeScreen) fullView() string {
	st, l := s.env.styles, s.env.lang
	if s.c == nil {
		return ""
	}
	caption := st.Amount.Render(l.s(kScanMe, s.c.Amount))
	foot := st.Muted.Render(l.s(kAnyKey))
	if !s.full.OK {
		need := atLeastMin(s.full.NeedCols, s.full.NeedRows+2)
		msg := s.fullMessage(need)
		body := st.Notice.Width(max(10, s.fullW-4)).Render(msg)
		block := lipgloss.JoinVertical(lipgloss.Center, caption, body, foot)
		return lipgloss.Place(s.fullW, s.fullH, lipgloss.Center, lipgloss.Center, block)
	}
	at := s.fullAt()
	var b strings.Builder
	line := func(text string, width int) {
		b.WriteString(strings.Repeat(" ", max(0, (s.fullW-width)/2)))
		b.WriteString(text)
		b.WriteByte('\n')
	}
	for range at[0] - 1 {
		b.WriteByte('\n')
	}
	line(caption, lipgloss.Width(caption))
	for _, l := range s.full.Lines {
		line(l, s.full.Cols)
	}
	line(foot, lipgloss.Width(foot))
	for range s.fullH - at[0] - s.full.Rows - 1 {
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// fullAt is where the full-window QR's top-left cell is: centred under its
// caption, with the foot below it, so the image never reaches the last row.
func (s *chargeScreen) fullAt() [2]int {
	top := max(1, (s.fullH-s.full.Rows-2)/2+1)
	return [2]int{top, max(0, (s.fullW-s.full.Cols)/2)}
}

func (s *chargeScreen) ShortHelp() []key.Binding {
	k := s.env.keys
	// The most used first: a narrow window keeps these, and "?".
	if s.badCRC {
		return []key.Binding{k.New, k.Refresh, k.Open, k.Simulate, k.Help, k.Quit}
	}
	return []key.Binding{k.Copy, k.New, k.Full, k.Open, k.Refresh, k.Simulate, k.Help, k.Quit}
}

func (s *chargeScreen) FullHelp() [][]key.Binding {
	k := s.env.keys
	return [][]key.Binding{{k.Copy, k.Full}, {k.Refresh, k.Simulate}, {k.New, k.Open, k.Lookup}, {k.Lock, k.Help, k.Quit}}
}

// shows is the charge on screen.
func (s *chargeScreen) shows() int64 {
	if s.c == nil {
		return 0
	}
	return s.c.ID
}

func (s *chargeScreen) captures() bool { return false }

func (s *chargeScreen) typing() bool { return false }

// atLeastMin is a window size raised to the console's smallest usable one.
func atLeastMin(cols, rows int) [2]int {
	return [2]int{max(cols, MinWidth), max(rows, MinHeight)}
}
