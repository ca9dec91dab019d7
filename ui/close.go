package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// closeTimeout bounds preparing a close: one poll per open charge of the
// day, each with the engine's own timeout.
const closeTimeout = 2 * time.Minute

// closePhase is where the close screen is.
type closePhase int

const (
	closeChecking closePhase = iota // reconciling with ConnectPSP
	closePreview                    // the report, waiting for s
	closeSealing                    // s pressed, the seal being written
	closeSealed                     // sealed now, or found sealed
	closeFailed                     // preparing failed; r tries again
)

// closeScreen is the day's close: today's report for this counter after
// asking ConnectPSP about every charge still open to change, a bar chart
// of the payments per hour, what the reconciliation changed, and s to
// seal the day. A day closed already shows its sealed report.
type closeScreen struct {
	env           *env
	width, height int
	reads         scope

	phase   closePhase
	day     string // "2026-12-01", the day being closed
	c       *engine.DayClose
	already bool   // found sealed, not sealed now
	broken  bool   // found sealed with a hash that does not match
	err     string // why preparing or sealing failed, in words
}

var _ screen = (*closeScreen)(nil)

func newClose(e *env) *closeScreen { return &closeScreen{env: e} }

type (
	// closePreparedMsg answers prepareClose for day.
	closePreparedMsg struct {
		day string
		c   *engine.DayClose
		err error
	}
	// closeSealedMsg answers sealClose for day.
	closeSealedMsg struct {
		day string
		c   *engine.DayClose
		err error
	}
	// closeReprintMsg answers reprintClose for day.
	closeReprintMsg struct {
		day string
		c   *engine.DayClose
		err error
	}
)

// prepareClose reconciles and reads day's report.
func prepareClose(ctx context.Context, b Backend, day string, loc *time.Location) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, closeTimeout)
		defer cancel()
		c, err := b.PrepareClose(ctx, day, loc)
		return closePreparedMsg{day: day, c: c, err: err}
	}
}

// sealClose seals the close c prepared.
func sealClose(ctx context.Context, b Backend, c *engine.DayClose) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		sealed, err := b.Seal(ctx, c)
		return closeSealedMsg{day: c.Day, c: sealed, err: err}
	}
}

// reprintClose reads day as it was sealed.
func reprintClose(ctx context.Context, b Backend, day string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		c, err := b.Reprint(ctx, day)
		return closeReprintMsg{day: day, c: c, err: err}
	}
}

// start prepares the close of today, in the shop's zone.
func (s *closeScreen) start() tea.Cmd {
	loc := s.env.cfg.Location
	s.day = s.env.now.In(loc).Format(time.DateOnly)
	s.phase, s.c, s.already, s.broken, s.err = closeChecking, nil, false, false, ""
	s.keys()
	return prepareClose(s.reads.renew(s.env.ctx), s.env.backend, s.day, loc)
}

// keys enables what the phase allows.
func (s *closeScreen) keys() {
	k := &s.env.keys
	k.Seal.SetEnabled(s.phase == closePreview && s.c != nil && len(s.c.Reconciliation.Failed) == 0)
	k.CloseRetry.SetEnabled(s.phase == closeFailed || s.phase == closePreview)
}

func (s *closeScreen) setSize(w, h int) { s.width, s.height = w, h }

func (s *closeScreen) update(msg tea.Msg) tea.Cmd {
	defer s.keys()
	switch msg := msg.(type) {
	case closePreparedMsg:
		if msg.day != s.day || s.phase != closeChecking {
			return nil
		}
		if errors.Is(msg.err, store.ErrDayClosed) {
			return reprintClose(s.reads.context(s.env.ctx), s.env.backend, s.day)
		}
		if msg.err != nil {
			s.phase, s.err = closeFailed, s.env.lang.s(kCloseLoadFailed, errText(msg.err))
			return nil
		}
		s.phase, s.c = closePreview, msg.c
	case closeReprintMsg:
		if msg.day != s.day {
			return nil
		}
		if msg.c == nil {
			s.phase, s.err = closeFailed, s.env.lang.s(kCloseLoadFailed, errText(msg.err))
			return nil
		}
		s.phase, s.c, s.already, s.broken = closeSealed, msg.c, true, errors.Is(msg.err, store.ErrSealBroken)
	case closeSealedMsg:
		if msg.day != s.day || s.phase != closeSealing {
			return nil
		}
		if errors.Is(msg.err, store.ErrDayClosed) {
			s.phase = closeChecking
			return reprintClose(s.reads.context(s.env.ctx), s.env.backend, s.day)
		}
		if msg.err != nil {
			s.phase, s.err = closePreview, s.env.lang.s(kCloseSealFailed, errText(msg.err))
			return nil
		}
		s.phase, s.c, s.err = closeSealed, msg.c, ""
	case tea.KeyMsg:
		return s.key(msg)
	}
	return nil
}

func (s *closeScreen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.env.keys
	switch {
	case key.Matches(msg, k.CloseBack):
		s.reads.end()
		s.env.tell(newChargeMsg{})
	case key.Matches(msg, k.Seal):
		// At once, in Update: a second s of the same burst finds the
		// day being sealed and does nothing.
		s.phase, s.err = closeSealing, ""
		c := *s.c
		if s.env.op != nil {
			c.ClosedBy = s.env.op.Name
		}
		return sealClose(s.env.ctx, s.env.backend, &c)
	case key.Matches(msg, k.CloseRetry):
		return s.start()
	}
	return nil
}

func (s *closeScreen) view() string {
	st, l := s.env.styles, s.env.lang
	var lines []string
	add := func(ls ...string) { lines = append(lines, ls...) }
	if s.c == nil {
		add(st.Title.Render(l.s(kCloseTitle, s.env.cfg.Terminal, s.dayShown(), s.env.cfg.Location.String())), "")
		switch s.phase {
		case closeFailed:
			add(st.Error.Render(wrap(s.err, s.width)))
		default:
			add(st.Hint.Render(l.s(kCloseChecking)))
		}
		return strings.Join(lines, "\n")
	}
	if s.broken {
		add(st.Error.Render(wrap(l.s(kCloseBroken), s.width)))
	}
	add(st.Title.Render(truncate(closeTitle(l, s.c), s.width)))
	add(s.body()...)
	add("")
	for i, r := range reconcileLines(l, s.c.Reconciliation) {
		style := st.Warn // a charge that could not be checked
		switch {
		case i == 0:
			style = st.Label
		case strings.Contains(r, "→"):
			style = st.OK
		}
		add(style.Render(truncate(r, s.width)))
	}
	add(s.footer()...)
	if over := len(lines) - s.height; s.height > 0 && over > 0 {
		// The reconciliation's list gives way first; the footer stays.
		foot := len(s.footer())
		keep := max(0, len(lines)-foot-over)
		lines = append(lines[:keep:keep], lines[len(lines)-foot:]...)
	}
	return strings.Join(lines, "\n")
}

// dayShown is the day being closed in the language's form.
func (s *closeScreen) dayShown() string {
	if d, err := time.Parse(time.DateOnly, s.day); err == nil {
		return d.Format(s.env.lang.s(kCloseDayLayout))
	}
	return s.day
}

// body is the report's table beside the chart of payments per hour (under
// it when the window is narrow).
func (s *closeScreen) body() []string {
	st, l := s.env.styles, s.env.lang
	if s.c.Total.Charges == 0 {
		return []string{"", st.Muted.Render(l.s(kCloseNone))}
	}
	total := closeTotalsRow(s.c.Total)
	rows := closeRows(l, s.c.Total)
	table := closeTable(l, rows, func(i int, line string) string {
		switch {
		case i == -1:
			return st.Label.Render(line)
		case i == total:
			return st.Amount.Render(line)
		case rows[i].alarm:
			return st.Warn.Render(line)
		}
		return line
	})
	tw := 0
	for _, line := range table {
		tw = max(tw, lipgloss.Width(line))
	}
	cell := 1
	if s.width-tw-4 >= 24*2+2 {
		cell = 2
	}
	chartH := max(3, min(10, len(table)-3))
	chart := hourChart(st, l, s.c.Hours, cell, chartH)
	left := strings.Join(append([]string{""}, table...), "\n")
	right := strings.Join(append([]string{""}, chart...), "\n")
	if tw+4+lipgloss.Width(right) <= s.width {
		return strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, left, "    ", right), "\n")
	}
	return append(append([]string{""}, table...), chart...)
}

// footer says what the cashier can do, or what went wrong.
func (s *closeScreen) footer() []string {
	st, l := s.env.styles, s.env.lang
	var out []string
	if s.err != "" {
		out = append(out, st.Error.Render(truncate(s.err, s.width)))
	}
	switch s.phase {
	case closePreview:
		if len(s.c.Reconciliation.Failed) == 0 {
			out = append(out, st.Notice.Render(wrap(l.s(kClosePreview), s.width)))
		}
	case closeSealing:
		out = append(out, st.Hint.Render(l.s(kCloseSealing)))
	case closeSealed:
		word := kCloseDone
		if s.already {
			word = kCloseAlready
		}
		out = append(out, st.OK.Render(truncate(l.s(word), s.width)),
			st.Muted.Render(truncate(sealLine(l, s.c, s.env.cfg.Location), s.width)))
	}
	return out
}

func (s *closeScreen) ShortHelp() []key.Binding {
	k := s.env.keys
	return []key.Binding{k.Seal, k.CloseRetry, k.CloseBack, k.Quit}
}

func (s *closeScreen) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

// shows: the close shows no counter charge.
func (s *closeScreen) shows() int64 { return 0 }

// captures: while the seal is being written every key waits.
func (s *closeScreen) captures() bool { return s.phase == closeSealing }

// typing: the close takes no text.
func (s *closeScreen) typing() bool { return false }
