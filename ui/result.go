package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// resultScreen shows a charge that reached a final status. PAID is a big
// green banner; a payment of another amount, or after expiry, is an alarm
// block no cashier can miss.
type resultScreen struct {
	env           *env
	width, height int
	c             *store.Charge
}

var _ screen = (*resultScreen)(nil)

func newResult(e *env) *resultScreen { return &resultScreen{env: e} }

// set shows c and enables redo only for charges that were not paid.
func (s *resultScreen) set(c *store.Charge) {
	s.c = c
	s.env.keys.Recreate.SetEnabled(c.Status == psp.StatusExpired || c.Status == psp.StatusCancelled)
}

func (s *resultScreen) setSize(w, h int) { s.width, s.height = w, h }

func (s *resultScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok || s.c == nil {
		return nil
	}
	switch k := s.env.keys; {
	case key.Matches(km, k.NextCharge):
		s.env.tell(newChargeMsg{})
		return nil
	case key.Matches(km, k.Recreate):
		s.env.tell(newChargeMsg{from: s.c})
		return nil
	}
	return nil
}

// warnings lists what a person must look at before handing over goods.
func (s *resultScreen) warnings() []string {
	l, c := s.env.lang, s.c
	loc, now := s.env.cfg.Location, s.env.now
	var w []string
	if c.Flags&store.FlagAmountMismatch != 0 || (c.PaidAmount != 0 && c.PaidAmount != c.Amount) {
		w = append(w, l.s(kWarnMismatch, c.Amount, paidAmount(c)))
	}
	if c.Flags&store.FlagPaidAfterExpiry != 0 {
		w = append(w, l.s(kWarnLate, clock(c.ExpiresAt, now, loc), clock(c.PaidAt, now, loc)))
	}
	return w
}

func (s *resultScreen) view() string {
	if s.c == nil {
		return ""
	}
	st, l, c := s.env.styles, s.env.lang, s.c
	loc, now := s.env.cfg.Location, s.env.now
	warns := s.warnings()

	banner := st.Cancelled
	switch {
	case c.Status == psp.StatusPaid && len(warns) > 0:
		banner = st.Expired
	case c.Status == psp.StatusPaid:
		banner = st.Paid
	case c.Status == psp.StatusExpired:
		banner = st.Expired
	}
	if s.height < 24 {
		banner = banner.Padding(0, 2)
	}
	word := statusWord(l, c.Status)
	big := bigText(word)
	if lipgloss.Width(big)+banner.GetHorizontalFrameSize() > s.width {
		big = word
	}
	// Across the whole body, so that it reads from the customer's side too.
	banner = banner.Width(s.width).Align(lipgloss.Center)
	var b strings.Builder
	b.WriteString(banner.Render(big))
	b.WriteByte('\n')
	if len(warns) > 0 {
		text := strings.Join(append(warns, l.s(kWarnCheck)), "\n")
		b.WriteString(st.Alarm.Width(max(10, s.width-st.Alarm.GetHorizontalBorderSize())).Render(wrap(text, s.width-6)))
		b.WriteByte('\n')
	}

	lw := 0
	keys := []msgKey{kLabelPayer, kLabelReference, kLabelBank, kLabelE2E, kLabelPaidAt, kLabelExpiredAt}
	for _, k := range keys {
		lw = max(lw, lipgloss.Width(l.s(k)))
	}
	lw += 2
	row := func(k msgKey, v string) {
		label := l.s(k)
		b.WriteString(truncate(st.Label.Render(label)+strings.Repeat(" ", lw-lipgloss.Width(label))+v, s.width))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	if c.Status == psp.StatusPaid || c.Status == psp.StatusRefunded {
		b.WriteString(st.Amount.Render(paidAmount(c).String()) + "\n")
	} else {
		b.WriteString(st.Amount.Render(c.Amount.String()) + "\n")
	}
	row(kLabelPayer, withTail(c.Payer.Name, "  "+st.Muted.Render(psp.MaskDocument(c.Payer.Document)), s.width-lw))
	row(kLabelReference, c.ExternalReference+st.Muted.Render(" · "+c.InternalCode))
	switch c.Status {
	case psp.StatusPaid, psp.StatusRefunded:
		if bd := c.Payer.BankData; bd != nil {
			row(kLabelBank, bd.Bank+st.Muted.Render(" · "+bd.Branch+" "+bd.Account))
		}
		row(kLabelE2E, c.EndToEndID)
		row(kLabelPaidAt, clock(c.PaidAt, now, loc))
	case psp.StatusExpired:
		at := c.ExpiredAt
		if at.IsZero() {
			at = c.ExpiresAt
		}
		row(kLabelExpiredAt, clock(at, now, loc))
	}
	b.WriteByte('\n')
	next := l.s(kNextStep)
	if s.env.keys.Recreate.Enabled() {
		next = l.s(kNextStepRetry)
	}
	b.WriteString(st.Title.Render(next))
	return b.String()
}

func (s *resultScreen) ShortHelp() []key.Binding {
	k := s.env.keys
	return []key.Binding{k.NextCharge, k.Recreate, k.Open, k.Lookup, k.Lock, k.Help, k.Quit}
}

func (s *resultScreen) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

// shows is the charge on screen.
func (s *resultScreen) shows() int64 {
	if s.c == nil {
		return 0
	}
	return s.c.ID
}

func (s *resultScreen) captures() bool { return false }

func (s *resultScreen) typing() bool { return false }

// bigText spells word in 5-row block letters; letters it has no glyph for
// are left blank. The font covers the banners of both languages and the
// customer display's words and amounts (bigFit draws it at other sizes).
func bigText(word string) string {
	var rows [5]strings.Builder
	for i, r := range strings.ToUpper(word) {
		g, ok := font[r]
		if !ok {
			g = font[' ']
		}
		for y := range rows {
			if i > 0 {
				rows[y].WriteByte(' ')
			}
			rows[y].WriteString(g[y])
		}
	}
	out := make([]string, len(rows))
	for y := range rows {
		out[y] = rows[y].String()
	}
	return strings.Join(out, "\n")
}

// font holds 5-row block letters, digits and the punctuation of amounts
// (R$ 1.234,56); a glyph's rows are all as wide as its first.
var font = map[rune][5]string{
	' ':      {"   ", "   ", "   ", "   ", "   "},
	'\u00a0': {" ", " ", " ", " ", " "}, // between R$ and the figure
	'A':      {" ███ ", "█   █", "█████", "█   █", "█   █"},
	'B':      {"████ ", "█   █", "████ ", "█   █", "████ "},
	'C':      {" ████", "█    ", "█    ", "█    ", " ████"},
	'D':      {"████ ", "█   █", "█   █", "█   █", "████ "},
	'E':      {"█████", "█    ", "████ ", "█    ", "█████"},
	'F':      {"█████", "█    ", "████ ", "█    ", "█    "},
	'G':      {" ████", "█    ", "█  ██", "█   █", " ████"},
	'H':      {"█   █", "█   █", "█████", "█   █", "█   █"},
	'I':      {"█████", "  █  ", "  █  ", "  █  ", "█████"},
	'J':      {"    █", "    █", "    █", "█   █", " ███ "},
	'K':      {"█   █", "█  █ ", "███  ", "█  █ ", "█   █"},
	'L':      {"█    ", "█    ", "█    ", "█    ", "█████"},
	'M':      {"█   █", "██ ██", "█ █ █", "█   █", "█   █"},
	'N':      {"█   █", "██  █", "█ █ █", "█  ██", "█   █"},
	'O':      {" ███ ", "█   █", "█   █", "█   █", " ███ "},
	'P':      {"████ ", "█   █", "████ ", "█    ", "█    "},
	'Q':      {" ███ ", "█   █", "█   █", "█  █ ", " ██ █"},
	'R':      {"████ ", "█   █", "████ ", "█  █ ", "█   █"},
	'S':      {" ████", "█    ", " ███ ", "    █", "████ "},
	'T':      {"█████", "  █  ", "  █  ", "  █  ", "  █  "},
	'U':      {"█   █", "█   █", "█   █", "█   █", " ███ "},
	'V':      {"█   █", "█   █", "█   █", " █ █ ", "  █  "},
	'W':      {"█   █", "█   █", "█ █ █", "██ ██", "█   █"},
	'X':      {"█   █", " █ █ ", "  █  ", " █ █ ", "█   █"},
	'Y':      {"█   █", " █ █ ", "  █  ", "  █  ", "  █  "},
	'Z':      {"█████", "   █ ", "  █  ", " █   ", "█████"},
	'0':      {" ███ ", "█  ██", "█ █ █", "██  █", " ███ "},
	'1':      {"  █  ", " ██  ", "  █  ", "  █  ", " ███ "},
	'2':      {" ███ ", "█   █", "  ██ ", " █   ", "█████"},
	'3':      {"████ ", "    █", " ███ ", "    █", "████ "},
	'4':      {"█   █", "█   █", "█████", "    █", "    █"},
	'5':      {"█████", "█    ", "████ ", "    █", "████ "},
	'6':      {" ███ ", "█    ", "████ ", "█   █", " ███ "},
	'7':      {"█████", "    █", "   █ ", "  █  ", "  █  "},
	'8':      {" ███ ", "█   █", " ███ ", "█   █", " ███ "},
	'9':      {" ███ ", "█   █", " ████", "    █", " ███ "},
	'$':      {" ████", "█ █  ", " ███ ", "  █ █", "████ "},
	'.':      {"  ", "  ", "  ", "  ", "██"},
	',':      {"  ", "  ", "  ", "██", "█ "},
	':':      {"  ", "██", "  ", "██", "  "},
	'!':      {"██", "██", "██", "  ", "██"},
	'-':      {"    ", "    ", "████", "    ", "    "},
}
