package ui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/store"
)

// The root's drawing: the open-charges strip on top, the active screen's
// body, the flash line, the help and the status bar. Views read state and
// never change it.

// helpRoom is how many lines the short help may take: one on the charge
// screen, whose QR needs every row it can get, two elsewhere.
func (m *Model) helpRoom() int {
	if m.active == m.charge {
		return 1
	}
	return 2
}

// chromeHeight is the height of everything around the body.
func (m *Model) chromeHeight() int {
	n := 1 + len(m.helpLines()) + statusBarHeight // flash, help, status bar
	if m.stripShown() {
		n++
	}
	return n
}

// stripShown reports whether the open-charges strip is drawn: on the form
// and the charge screen, when a charge other than the one on screen is
// open (or paid and not seen yet).
func (m *Model) stripShown() bool {
	return (m.active == m.form || m.active == m.charge) && m.track.others(m.active.shows()) && m.gate == nil
}

// View implements tea.Model. A frame with no image starts, on a kitty
// terminal, by deleting pixdesk's (qrPlacer.frame).
func (m *Model) View() string {
	return m.frame(m.view(), m.env.caps)
}

func (m *Model) view() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	st, l := m.env.styles, m.env.lang
	if m.width < MinWidth || m.height < MinHeight {
		msg := st.Error.Width(max(1, m.width-2)).Align(lipgloss.Center).
			Render(l.s(kTooSmall, m.width, m.height, MinWidth, MinHeight))
		return lipgloss.Place(m.width, m.height, lipgloss.Center, lipgloss.Center, msg)
	}
	if m.full {
		return m.charge.fullView()
	}
	_, bh := m.bodySize()
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	if m.stripShown() {
		b.WriteString(" " + m.strip(m.width-2) + "\n")
	}
	body := m.active.view()
	if m.gate != nil {
		body = m.gate.view(m.width - 2)
	}
	for _, line := range fitLines(body, bh, m.width-1) {
		b.WriteByte(' ')
		b.WriteString(line)
		b.WriteByte('\n')
	}
	flash := ""
	if m.flash != "" {
		s := st.Flash
		switch {
		case m.flashBad:
			s = st.FlashError
		case m.flashOK:
			s = st.FlashOK
		}
		flash = s.Render(truncate(m.flash, m.width-2))
	}
	b.WriteString(" " + flash + "\n")
	for _, line := range m.helpLines() {
		b.WriteString(" " + truncate(line, m.width-2) + "\n")
	}
	b.WriteString(m.bar.view(m.width, m.health))
	return b.String()
}

// strip is the open-charges line: each of this counter's open charges
// with its amount and time left, the one on screen marked, a payment that
// landed off screen in green until it is seen. The open key cycles
// through them and back to the form. When they do not all fit, "+N" says
// how many are left out on either side, and the one on screen is always
// among those shown.
func (m *Model) strip(w int) string {
	st, l := m.env.styles, m.env.lang
	head := st.Label.Render(l.s(kStripLabel, m.env.keys.Open.Help().Key))
	list := m.track.list()
	entries := make([]string, len(list))
	cur := 0
	for i, c := range list {
		entries[i] = m.stripEntry(c, c.ID == m.active.shows())
		if c.ID == m.active.shows() {
			cur = i
		}
	}
	more := func(n int) string {
		if n == 0 {
			return ""
		}
		return "  " + st.Muted.Render(l.s(kStripMore, n))
	}
	// line shows entries from first on, as many as fit.
	line := func(first int) (string, int) {
		out := head + more(first)
		last := first
		for last < len(entries) {
			sep := "   "
			if last == first {
				sep = " "
			}
			next := out + sep + entries[last]
			if last > first && lipgloss.Width(next+more(len(entries)-last-1)) > w {
				break
			}
			out, last = next, last+1
		}
		return out + more(len(entries)-last), last
	}
	for first := 0; first < cur; first++ {
		if out, last := line(first); last > cur {
			return truncate(out, w)
		}
	}
	out, _ := line(cur)
	return truncate(out, w)
}

// stripEntry is one charge in the strip.
func (m *Model) stripEntry(c *store.Charge, current bool) string {
	st, l := m.env.styles, m.env.lang
	text, style := c.Amount.String(), st.Value
	switch left := c.ExpiresAt.Sub(m.env.now); {
	case m.track.paidUnseen(c.ID):
		text, style = "✓ "+text+" "+l.s(kBannerPaid), st.StripPaid
	case c.Stage == store.StagePending:
		text, style = text+" "+l.s(kStripCreating), st.Muted
	case c.ExpiresAt.IsZero():
	case left <= time.Minute:
		text, style = text+" "+mmss(left), st.Warn
	default:
		text += " " + st.Muted.Render(mmss(left))
	}
	if current {
		return st.LabelFocus.Render("▸ ") + style.Bold(true).Render(text)
	}
	return style.Render(text)
}

// helpLines is the help under the body. The short help takes one line,
// or two when it does not fit; past two, what does not fit is left for
// the full help, and "?" stays last so that it can be found.
func (m *Model) helpLines() []string {
	h := m.env.help
	if m.active == nil {
		return []string{""}
	}
	if m.gate != nil {
		return fitHelp(h, m.gate.ShortHelp(), m.width-2, m.helpRoom(), m.env.keys.Help)
	}
	if h.ShowAll {
		return strings.Split(m.helpView(), "\n") // the full help, and the QR's line
	}
	return fitHelp(h, m.active.ShortHelp(), m.width-2, m.helpRoom(), m.env.keys.Help)
}

// fitHelp lays bindings out on at most n lines of w cells; more ("?") is
// kept last when the rest does not fit.
func fitHelp(h help.Model, bindings []key.Binding, w, n int, more key.Binding) []string {
	h.Width = 0 // the lines are cut here, not by bubbles
	var items []key.Binding
	hasMore := false
	for _, b := range bindings {
		switch {
		case !b.Enabled():
		case b.Help().Key == more.Help().Key:
			hasMore = true
		default:
			items = append(items, b)
		}
	}
	sep := lipgloss.Width(h.ShortSeparator)
	width := func(b key.Binding) int { return lipgloss.Width(b.Help().Key + " " + b.Help().Desc) }
	// lay fills up to n lines, the last one reserving room cells; it
	// reports how many items did not fit.
	lay := func(items []key.Binding, room int) (lines [][]key.Binding, left int) {
		var cur []key.Binding
		used := 0
		for i, b := range items {
			limit := w
			if len(lines) == n-1 {
				limit = w - room
			}
			if len(cur) > 0 && used+sep+width(b) > limit {
				if lines = append(lines, cur); len(lines) == n {
					return lines, len(items) - i
				}
				cur, used = nil, 0
			}
			if len(cur) > 0 {
				used += sep
			}
			cur, used = append(cur, b), used+width(b)
		}
		return append(lines, cur), 0
	}
	all := items
	if hasMore {
		all = append(items[:len(items):len(items)], more)
	}
	lines, left := lay(all, 0)
	if left > 0 && hasMore {
		lines, _ = lay(items, width(more)+sep)
		lines[len(lines)-1] = append(lines[len(lines)-1], more)
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = h.ShortHelpView(l)
	}
	return out
}

// fitLines splits s into exactly n lines of at most w cells.
func fitLines(s string, n, w int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	for i, line := range lines {
		if lipgloss.Width(line) > w {
			lines[i] = truncate(line, w)
		}
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}
