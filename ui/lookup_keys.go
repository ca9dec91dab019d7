package ui

import (
	"strconv"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// lookupKeys are the bindings of the lookup, the detail and the refund
// dialog. They are apart from keyMap because the same letters mean other
// things on the counter screens, and their enabled state is per screen.
type lookupKeys struct {
	// List.
	Up, Down, PgUp, PgDown, Open, Status, Period, Terminal, Export, Clear key.Binding
	// Prompts (period, terminal, export path).
	Accept, Cancel key.Binding
	// Detail.
	Back, Refresh, Reopen, Refund, Reveal, Import, Scroll key.Binding
	// Refund dialog.
	Choose, Confirm, Send, Retry, Help, Quit key.Binding
}

func newLookupKeys(l lang) lookupKeys {
	b := func(keys []string, helpKey string, desc msgKey) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(helpKey, l.s(desc)))
	}
	return lookupKeys{
		Up:       b([]string{"up"}, "↑", kHelpUp),
		Down:     b([]string{"down"}, "↓", kHelpDown),
		PgUp:     b([]string{"pgup"}, "pgup", kHelpPgUp),
		PgDown:   b([]string{"pgdown"}, "pgdn", kHelpPgDown),
		Open:     b([]string{"enter"}, "enter", kHelpDetail),
		Status:   b([]string{"tab", "shift+tab"}, "tab", kHelpStatus),
		Period:   b([]string{"ctrl+p"}, "ctrl+p", kHelpPeriod),
		Terminal: b([]string{"ctrl+t"}, "ctrl+t", kHelpTerminal),
		Export:   b([]string{"ctrl+e"}, "ctrl+e", kHelpExport),
		Clear:    b([]string{"esc"}, "esc", kHelpClear),
		Accept:   b([]string{"enter"}, "enter", kHelpAccept),
		Cancel:   b([]string{"esc"}, "esc", kHelpCancel),
		Back:     b([]string{"esc"}, "esc", kHelpBack),
		Refresh:  b([]string{"r"}, "r", kHelpRefresh),
		Reopen:   b([]string{"o"}, "o", kHelpReopen),
		Refund:   b([]string{"e"}, "e", kHelpRefund),
		Reveal:   b([]string{"v"}, "v", kHelpReveal),
		Import:   b([]string{"i"}, "i", kHelpImport),
		Scroll:   b([]string{"up", "down", "pgup", "pgdown"}, "↑/↓", kHelpScroll),
		Choose:   b([]string{"up", "down"}, "↑/↓", kHelpChoose),
		Confirm:  b([]string{"enter"}, "enter", kHelpConfirm),
		Send:     b([]string{"enter"}, "enter", kHelpSend),
		Retry:    b([]string{"r"}, "r", kHelpRetry),
		Help:     b([]string{"?"}, "?", kHelpHelp),
		Quit:     b([]string{"ctrl+c"}, "ctrl+c", kHelpQuit),
	}
}

// statusStyle colours a status in the list and the detail.
func statusStyle(st Styles, s psp.Status) lipgloss.Style {
	n := st.r.NewStyle
	switch s {
	case psp.StatusPaid:
		return n().Foreground(colOK).Bold(true)
	case psp.StatusAwaitingPayment:
		return n().Foreground(colAccent)
	case psp.StatusExpired:
		return n().Foreground(colWarn)
	case psp.StatusRefunded:
		return n().Foreground(colMuted).Bold(true)
	}
	return n().Foreground(colMuted)
}

// shortStatus names a charge's state in a list cell; a flagged charge
// carries a "!".
func shortStatus(l lang, c *store.Charge) string {
	var w string
	switch {
	case c.Stage == store.StagePending:
		w = l.s(kStPending)
	case c.Stage == store.StageRejected:
		w = l.s(kStRejected)
	case c.Status == psp.StatusAwaitingPayment:
		w = l.s(kStAwaiting)
	default:
		w = statusWord(l, c.Status)
	}
	if c.Flags != 0 {
		w += " !"
	}
	return w
}

// thousands writes n with the language's digit grouping.
func thousands(l lang, n int) string {
	sep := "."
	if l == "en" {
		sep = ","
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + sep + s[i:]
	}
	return s
}
