package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// Model is the console's root tea.Model. Build it with New.
type Model struct {
	env           *env
	width, height int

	active   screen
	form     *formScreen
	creating *creatingScreen
	charge   *chargeScreen
	result   *resultScreen
	lookup   *lookupScreen
	detail   *detailScreen
	bar      statusBar
	full     bool // the QR alone, for the customer

	// lookupOnly: started by NewLookup, the lookup is home; back is the
	// counter screen ctrl+f left.
	lookupOnly bool
	back       screen

	health engine.Health

	// background holds the charges being tracked while another one is on
	// screen, as last seen; openable is one the cashier can open (ctrl+o).
	background map[int64]*store.Charge
	openable   int64

	createSeq int
	cancels   map[int]context.CancelFunc // per create attempt
	rang      map[int64]bool             // charges whose payment rang the bell

	flash      string
	flashBad   bool
	flashUntil time.Time
	// flashID is the charge a transient flash is about (copied, simulated,
	// refresh failed); it goes when another charge or the form takes the
	// screen. 0: news that holds on any screen (a background charge paid).
	flashID int64

	still bool // tests: no spinner animation
}

var _ tea.Model = (*Model)(nil)

// flashFor is how long a flash message stays.
const flashFor = 8 * time.Second

// New returns the console for cfg over backend.
func New(cfg Config, backend Backend) *Model {
	cfg = cfg.withDefaults()
	l := langOf(cfg.Lang)
	e := &env{
		cfg:     cfg,
		backend: backend,
		lang:    l,
		styles:  NewStyles(cfg.Renderer, cfg.NoColor),
		keys:    newKeyMap(l, cfg.Sandbox),
		help:    help.New(),
		now:     cfg.Now(),
	}
	e.help.Styles.ShortKey = e.styles.HelpKey
	e.help.Styles.ShortDesc = e.styles.HelpDesc
	e.help.Styles.ShortSeparator = e.styles.Muted
	e.help.Styles.FullKey = e.styles.HelpKey
	e.help.Styles.FullDesc = e.styles.HelpDesc
	e.help.Styles.FullSeparator = e.styles.Muted
	e.help.Styles.Ellipsis = e.styles.Muted
	m := &Model{
		env:        e,
		form:       newForm(e),
		creating:   newCreating(e),
		charge:     newCharge(e),
		result:     newResult(e),
		lookup:     newLookup(e),
		detail:     newDetail(e),
		bar:        statusBar{env: e},
		background: map[int64]*store.Charge{},
		cancels:    map[int]context.CancelFunc{},
		rang:       map[int64]bool{},
	}
	m.active = m.form
	return m
}

// NewLookup returns the console for cfg over backend, started on the
// support lookup (pixdesk lookup) rather than on the new-charge form.
func NewLookup(cfg Config, backend Backend) *Model {
	m := New(cfg, backend)
	m.lookupOnly = true
	m.active = m.lookup
	return m
}

// Init loads the charge left open on this terminal, starts the clock and
// reads the engine's health.
func (m *Model) Init() tea.Cmd {
	if m.lookupOnly {
		return tea.Batch(tick(), checkHealth(m.env.backend), m.lookup.start())
	}
	return tea.Batch(loadLatest(m.env.backend), tick(), checkHealth(m.env.backend), m.form.setFocus(fAmount))
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	return m, m.update(msg)
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	k := m.env.keys
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		return nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, k.Quit):
			for _, c := range m.cancels {
				c()
			}
			return tea.Quit
		case m.full:
			m.full = false
			return nil
		case key.Matches(msg, k.Open):
			return m.open()
		case key.Matches(msg, k.Lookup) && m.active != m.lookup && m.active != m.detail:
			return m.openLookup()
		case key.Matches(msg, k.Help) && m.active != m.form && !m.typing():
			m.env.help.ShowAll = !m.env.help.ShowAll
			m.resize()
			return nil
		}
		return m.active.update(msg)
	case tickMsg:
		m.env.now = m.env.cfg.Now()
		if !m.flashUntil.IsZero() && !m.env.now.Before(m.flashUntil) {
			m.flash, m.flashUntil, m.flashID = "", time.Time{}, 0
		}
		cmds := []tea.Cmd{tick(), checkHealth(m.env.backend)}
		if m.active == m.charge {
			cmds = append(cmds, m.charge.tick())
		}
		return tea.Batch(cmds...)
	case healthMsg:
		m.health = engine.Health(msg)
		return nil
	case latestMsg:
		if msg.err != nil {
			m.setFlash(m.env.lang.s(kLoadFailed, 0, msg.err), true)
			return nil
		}
		if msg.c != nil && m.active == m.form && m.form.pristine() {
			return m.show(msg.c)
		}
		if msg.c != nil {
			return m.observe(msg.c, true)
		}
		return nil
	case submitMsg:
		return m.startCreate(msg.in)
	case stopWaitMsg:
		return m.stopWaiting()
	case createdMsg:
		return m.created(msg)
	case resentMsg:
		if m.active == m.creating && m.creating.id == msg.id {
			m.creating.resent(msg.err)
		}
		return m.observe(msg.c, false)
	case chargeMsg:
		if msg.err != nil {
			if msg.refresh {
				m.flashAbout(msg.id, m.env.lang.s(kRefreshFailed, errText(msg.err)), true)
			} else if m.owns(msg.id) {
				m.flashAbout(msg.id, m.env.lang.s(kLoadFailed, msg.id, errText(msg.err)), true)
			}
			return nil
		}
		return m.observe(msg.c, false)
	case NoticeMsg:
		return m.notice(msg.Notice)
	case ChangeMsg:
		cmd := m.lookupChanged(msg.ChargeID)
		if m.interested(msg.ChargeID) {
			return tea.Batch(cmd, reloadCharge(m.env.backend, msg.ChargeID))
		}
		return cmd
	case newChargeMsg:
		if c := m.charge.c; m.active == m.charge && c != nil && !c.Status.Final() {
			m.background[c.ID] = c // keeps being tracked
		}
		if msg.from != nil {
			m.form.fill(msg.from)
		} else {
			m.form.reset()
		}
		return m.switchTo(m.form)
	case fullQRMsg:
		m.full = msg.on
		return nil
	case copiedMsg:
		if msg.err != nil {
			m.flashAbout(msg.id, m.env.lang.s(kCopyFailed, msg.err), true)
		} else {
			m.flashAbout(msg.id, m.env.lang.s(kCopied), false)
		}
		return nil
	case simulatedMsg:
		if msg.err != nil {
			m.flashAbout(msg.id, m.env.lang.s(kSimulateFailed, errText(msg.err)), true)
		} else {
			m.flashAbout(msg.id, m.env.lang.s(kSimulated), false)
		}
		return nil
	case hintExpiredMsg:
		return m.form.update(msg)
	}
	if cmd, ok := m.routeLookup(msg); ok {
		return cmd
	}
	// Spinner ticks and cursor blinks: only the active screen animates.
	return m.active.update(msg)
}

// resize gives every screen the body's size.
func (m *Model) resize() {
	w, h := m.bodySize()
	for _, s := range []screen{m.form, m.creating, m.charge, m.result, m.lookup, m.detail} {
		s.setSize(w, h)
	}
	m.charge.setFullSize(m.width, m.height)
	m.env.help.Width = max(0, m.width-2)
}

// chrome heights: the flash line, the help line(s) and the status bar.
func (m *Model) bodySize() (w, h int) {
	helpLines := 1
	if m.env.help.ShowAll && m.active != nil {
		helpLines = lipgloss.Height(m.env.help.View(m.active))
	}
	return max(0, m.width-2), max(0, m.height-1-helpLines-statusBarHeight)
}

func (m *Model) switchTo(s screen) tea.Cmd {
	m.active = s
	m.full = false
	if m.flashID != 0 && s != m.lookup && s != m.detail && !m.owns(m.flashID) {
		// Word about the previous charge would read as about this one.
		m.flash, m.flashUntil, m.flashID = "", time.Time{}, 0
	}
	m.resize()
	m.env.keys.Open.SetEnabled(m.openable != 0)
	switch s {
	case m.creating:
		return m.creating.spin(m.still)
	case m.form:
		return m.form.setFocus(m.form.focus)
	}
	return nil
}

// setFlash shows s under the screen for a while, on any screen.
func (m *Model) setFlash(s string, bad bool) {
	m.flash, m.flashBad, m.flashID = s, bad, 0
	m.flashUntil = m.env.now.Add(flashFor)
}

// flashAbout shows s about charge id until another charge or the form
// takes the screen. Good news that arrives once the charge has left the
// screen is not shown; a failure is.
func (m *Model) flashAbout(id int64, s string, bad bool) {
	if !bad && !m.owns(id) {
		return
	}
	m.setFlash(s, bad)
	m.flashID = id
}

// startCreate moves to the creating screen and sends the create.
func (m *Model) startCreate(in engine.Input) tea.Cmd {
	m.createSeq++
	ctx, cancel := context.WithCancel(context.Background())
	m.cancels[m.createSeq] = cancel
	m.creating.start(m.createSeq, in)
	return tea.Batch(m.switchTo(m.creating), createCharge(ctx, m.env.backend, m.createSeq, in))
}

// stopWaiting leaves the creating screen. The create call is cancelled; the
// engine keeps the charge pending and sends it again with the same key, and
// the console keeps tracking it.
func (m *Model) stopWaiting() tea.Cmd {
	if cancel := m.cancels[m.creating.seq]; cancel != nil {
		cancel()
	}
	if c := m.creating.c; c != nil {
		m.background[c.ID] = c
	} else if id := m.creating.id; id != 0 {
		m.background[id] = &store.Charge{ID: id, Stage: store.StagePending}
	}
	m.creating.abandon()
	m.form.reset()
	m.form.setNotice(m.env.lang.s(kFormBackground), false)
	return m.switchTo(m.form)
}

// created handles Create's answer.
func (m *Model) created(msg createdMsg) tea.Cmd {
	if cancel := m.cancels[msg.seq]; cancel != nil {
		cancel()
		delete(m.cancels, msg.seq)
	}
	c, err := msg.c, msg.err
	if msg.seq != m.creating.seq {
		// The cashier stopped waiting: whatever came of it is tracked.
		if c != nil {
			return m.observe(c, true)
		}
		return nil
	}
	l := m.env.lang
	var pe *psp.Error
	switch {
	case c != nil && c.Stage == store.StageCreated:
		m.creating.abandon()
		m.form.reset()
		return m.show(c)
	case c != nil && c.Stage == store.StagePending:
		m.creating.pending(c, err)
		return nil
	case c != nil && c.Stage == store.StageRejected, errors.As(err, &pe) && !psp.IsTemporary(err):
		m.creating.abandon()
		m.form.setNotice(l.s(kFormRejected, rejection(c, err)), true)
		return m.switchTo(m.form)
	default:
		// Nothing was stored (validation or store failure): back to the
		// form with every value kept.
		m.creating.abandon()
		m.form.setNotice(l.s(kFormFailed, errText(err)), true)
		return m.switchTo(m.form)
	}
}

// rejection words why ConnectPSP refused a create.
func rejection(c *store.Charge, err error) string {
	var pe *psp.Error
	switch {
	case errors.As(err, &pe) && pe.Detail != "":
		return pe.Detail
	case errors.As(err, &pe) && pe.Code != "":
		return pe.Code
	case c != nil && c.RejectReason != "":
		return c.RejectReason
	}
	return errText(err)
}

func errText(err error) string {
	if err == nil {
		return "?"
	}
	return err.Error()
}

// show opens c on the screen its state calls for.
func (m *Model) show(c *store.Charge) tea.Cmd {
	delete(m.background, c.ID)
	if m.openable == c.ID {
		m.openable = 0
	}
	switch {
	case c.Stage == store.StagePending:
		m.creating.resume(c)
		return m.switchTo(m.creating)
	case c.Stage == store.StageRejected:
		m.form.fill(c)
		m.form.setNotice(m.env.lang.s(kFormRejected, rejection(c, nil)), true)
		return m.switchTo(m.form)
	case c.Status == psp.StatusAwaitingPayment || c.Status == "":
		m.charge.set(c)
		return tea.Batch(m.switchTo(m.charge), m.charge.tick())
	}
	m.result.set(c)
	cmd := m.switchTo(m.result)
	if c.Status == psp.StatusPaid && !m.rang[c.ID] {
		m.rang[c.ID] = true
		cmd = tea.Batch(cmd, ring(m.env.cfg.Output))
	}
	return cmd
}

// View implements tea.Model.
func (m *Model) View() string {
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
	body := fitLines(m.active.view(), bh, m.width-1)
	var b strings.Builder
	b.Grow(m.width * m.height * 2)
	for _, line := range body {
		b.WriteByte(' ')
		b.WriteString(line)
		b.WriteByte('\n')
	}
	flash := ""
	if m.flash != "" {
		s := st.Flash
		if m.flashBad {
			s = st.FlashError
		}
		flash = s.Render(truncate(m.flash, m.width-2))
	}
	b.WriteString(" " + flash + "\n")
	// bubbles/help overflows its width when the ellipsis does not fit.
	for _, line := range strings.Split(m.env.help.View(m.active), "\n") {
		b.WriteString(" " + truncate(line, m.width-2) + "\n")
	}
	b.WriteString(m.bar.view(m.width, m.health))
	return b.String()
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
