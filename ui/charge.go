package ui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// chargeScreen shows an open charge: its QR code as large as the window
// allows, the details, a live countdown and the copy-and-paste text.
//
// The QR is encoded once per payload (NewQR) and its renderings are
// chosen in set and setSize, never in view: a countdown tick redraws text
// around a cached block.
type chargeScreen struct {
	env           *env
	width, height int
	fullW, fullH  int

	c       *store.Charge
	payload string
	qr      *QR
	qrErr   error

	// Layout, computed when the charge or the size changes.
	mode     qrMode
	qrLines  []string // the QR block, one string per row
	qrCols   int
	infoW    int
	static   []string // the details above the countdown
	tail     []string // the copy-and-paste text below it
	need     [2]int   // window size a QR needs, when mode is qrNone
	fullFits bool
	full     QRRender
	// sextantFits and fullSextantFits: in half blocks nothing fits, but
	// sextants (an opt-in, --qr-style sextant) would, on this screen or
	// in the full-window view.
	sextantFits, fullSextantFits bool

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
		s.qr, s.qrErr = NewQR(c.CopyAndPaste)
	}
	s.layout()
}

func (s *chargeScreen) setSize(w, h int) {
	s.width, s.height = w, h
	s.layout()
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
	return s.qr.Render(cols, rows, s.env.cfg.QRStyle, s.env.styles.colour())
}

// sextantsFit reports whether, drawing in half blocks, sextants would fit
// a box that half blocks do not (the result is cached like any render).
func (s *chargeScreen) sextantsFit(cols, rows int) bool {
	if s.qr == nil || s.env.cfg.QRStyle != QRHalfBlocks || cols <= 0 || rows <= 0 {
		return false
	}
	return s.qr.Render(cols, rows, QRSextants, s.env.styles.colour()).OK
}

// layout chooses where the QR goes: beside the details, above a compact
// summary, or nowhere (with the size the window would need).
func (s *chargeScreen) layout() {
	if s.c == nil || s.width == 0 {
		return
	}
	s.mode, s.qrLines, s.qrCols = qrNone, nil, 0
	s.sextantFits, s.fullSextantFits = false, false
	s.infoW = s.width
	w, h := s.width, s.height

	if r := s.render(w-gapWidth-minInfoWidth, h); r.OK {
		s.mode, s.qrCols = qrSide, r.Cols
		s.qrLines = strings.Split(r.Text, "\n")
		s.infoW = min(w-r.Cols-gapWidth, 72)
	} else if r := s.render(w, h-compactLines); r.OK {
		s.mode, s.qrCols = qrStacked, r.Cols
		s.qrLines = strings.Split(r.Text, "\n")
		s.infoW = w
	} else if s.qr != nil {
		// The smaller of the two layouts, as a window size (body plus
		// the console's chrome: margin, flash, help and status bar).
		// Never below the smallest window the console works in.
		side := atLeastMin(r.NeedCols+gapWidth+minInfoWidth+2, r.NeedRows+1+1+statusBarHeight)
		stacked := atLeastMin(r.NeedCols+2, r.NeedRows+compactLines+1+1+statusBarHeight)
		s.need = stacked
		if side[0]*side[1] < stacked[0]*stacked[1] {
			s.need = side
		}
		s.sextantFits = s.sextantsFit(w-gapWidth-minInfoWidth, h) || s.sextantsFit(w, h-compactLines)
	}
	if s.fullW > 0 {
		s.full = s.render(s.fullW, s.fullH-2)
		s.fullFits = s.full.OK
		s.fullSextantFits = !s.full.OK && s.sextantsFit(s.fullW, s.fullH-2)
	}
	s.static, s.tail = s.details()
}

// details builds the lines that change only with the charge or the size.
func (s *chargeScreen) details() (static, tail []string) {
	st, l, c := s.env.styles, s.env.lang, s.c
	if s.mode == qrStacked {
		line := st.Amount.Render(c.Amount.String()) + "  " + c.Payer.Name + st.Muted.Render(" · "+psp.MaskDocument(c.Payer.Document)+" · "+c.ExternalReference)
		static = []string{truncate(line, s.infoW)}
		tail = append([]string{"", st.Label.Render(l.s(kLabelCopyPaste))}, strings.Split(hardWrap(c.CopyAndPaste, s.infoW), "\n")...)
		if len(s.qrLines)+len(static)+countdownLines+len(tail) > s.height {
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
		var msg string
		switch {
		case s.qrErr != nil:
			msg = st.Error.Render(wrap(l.s(kQRError, s.qrErr), s.infoW))
		default:
			msg = st.Warn.Render(wrap(l.s(kQRTooSmall, s.need[0], s.need[1]), s.infoW))
			if s.fullFits {
				msg += "\n" + st.Warn.Render(wrap(l.s(kQRFullFits), s.infoW))
			}
			if s.sextantFits {
				msg += "\n" + st.Warn.Render(wrap(l.s(kQRSextantFits), s.infoW))
			}
		}
		tail = append(tail, "", msg)
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
	return []string{st.Label.Render(label) + clockText, bar, status}
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
	case key.Matches(km, k.Copy):
		return copyText(s.env.cfg.Clipboard, s.c.ID, s.c.CopyAndPaste)
	case key.Matches(km, k.Refresh):
		return refreshCharge(b, s.c.ID)
	case key.Matches(km, k.New):
		return emit(newChargeMsg{})
	case key.Matches(km, k.Full):
		return emit(fullQRMsg{on: true})
	case key.Matches(km, k.Simulate):
		return simulatePay(b, s.c.ID)
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
		for i := 0; i < max(len(s.qrLines), len(info)); i++ {
			if i < len(s.qrLines) {
				b.WriteString(s.qrLines[i])
			} else {
				b.WriteString(strings.Repeat(" ", s.qrCols))
			}
			if i < len(info) {
				b.WriteString(pad)
				b.WriteString(info[i])
			}
			b.WriteByte('\n')
		}
	case qrStacked:
		indent := strings.Repeat(" ", max(0, (s.width-s.qrCols)/2))
		for _, line := range s.qrLines {
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
func (s *chargeScreen) fullView() string {
	st, l := s.env.styles, s.env.lang
	if s.c == nil {
		return ""
	}
	var body string
	if s.full.OK {
		body = s.full.Text
	} else {
		need := atLeastMin(s.full.NeedCols, s.full.NeedRows+2)
		msg := l.s(kQRTooSmall, need[0], need[1])
		if s.fullSextantFits {
			msg += "\n" + l.s(kQRSextantFits)
		}
		body = st.Warn.Width(max(10, s.fullW-4)).Render(msg)
	}
	caption := st.Amount.Render(l.s(kScanMe, s.c.Amount))
	foot := st.Muted.Render(l.s(kAnyKey))
	block := lipgloss.JoinVertical(lipgloss.Center, caption, body, foot)
	return lipgloss.Place(s.fullW, s.fullH, lipgloss.Center, lipgloss.Center, block)
}

func (s *chargeScreen) ShortHelp() []key.Binding {
	k := s.env.keys
	return []key.Binding{k.Copy, k.Refresh, k.New, k.Full, k.Simulate, k.Open, k.Help, k.Quit}
}

func (s *chargeScreen) FullHelp() [][]key.Binding {
	k := s.env.keys
	return [][]key.Binding{{k.Copy, k.Full}, {k.Refresh, k.Simulate}, {k.New, k.Open, k.Lookup}, {k.Help, k.Quit}}
}

// atLeastMin is a window size raised to the console's smallest usable one.
func atLeastMin(cols, rows int) [2]int {
	return [2]int{max(cols, MinWidth), max(rows, MinHeight)}
}
