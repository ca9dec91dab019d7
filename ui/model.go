package ui

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/store/engine"
)

// Model is the console's root tea.Model. Build it with New. It routes:
// keys to the active screen, window sizes to every screen, results of
// commands to the screen that owns them, fresh copies of charges to the
// tracker, which owns the charges off screen.
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
	dayClose *closeScreen
	bar      statusBar
	full     bool // the QR alone, for the customer

	// lookupOnly: started by NewLookup, the lookup is home; back is the
	// counter screen ctrl+f left.
	lookupOnly bool
	back       screen

	health engine.Health
	track  *tracker

	// gate is the sign-in while the console is locked (lock.go), nil
	// when open; lastKey is when the last key came, for the idle lock.
	gate    *pinPrompt
	lastKey time.Time

	flash      string
	flashBad   bool
	flashOK    bool // good news about money: a payment
	flashUntil time.Time
	// flashID is the charge a transient flash is about (copied, simulated,
	// refresh failed); it goes when another charge or the form takes the
	// screen. 0: news that holds on any screen (a background charge paid).
	flashID int64

	// chrome is the height of everything around the body at the last
	// resize (strip, flash, help, status bar); when it changes, the
	// screens are given their new size.
	chrome int

	still bool // tests: no spinner animation

	// qrPlacer clears the screen when the image on it changes
	// (qr_place.go).
	qrPlacer
}

var _ tea.Model = (*Model)(nil)

// flashFor is how long a flash message stays.
const flashFor = 8 * time.Second

// New returns the console for cfg over backend.
func New(cfg Config, backend Backend) *Model {
	cfg = cfg.withDefaults()
	l := langOf(cfg.Lang)
	ctx, cancel := context.WithCancel(cfg.Context)
	e := &env{
		ctx:     ctx,
		cancel:  cancel,
		cfg:     cfg,
		backend: shownBackend{backend},
		lang:    l,
		styles:  NewStyles(cfg.Renderer, cfg.NoColor),
		keys:    newKeyMap(l, cfg.Sandbox),
		help:    help.New(),
		now:     cfg.Now(),
		caps:    cfg.Caps,
	}
	e.help.Styles.ShortKey = e.styles.HelpKey
	e.help.Styles.ShortDesc = e.styles.HelpDesc
	e.help.Styles.ShortSeparator = e.styles.Muted
	e.help.Styles.FullKey = e.styles.HelpKey
	e.help.Styles.FullDesc = e.styles.HelpDesc
	e.help.Styles.FullSeparator = e.styles.Muted
	e.help.Styles.Ellipsis = e.styles.Muted
	m := &Model{
		env:      e,
		form:     newForm(e),
		creating: newCreating(e),
		charge:   newCharge(e),
		result:   newResult(e),
		lookup:   newLookup(e),
		detail:   newDetail(e),
		dayClose: newClose(e),
		bar:      statusBar{env: e},
		track:    newTracker(),
	}
	m.active = m.form
	e.keys.Lock.SetEnabled(cfg.Operators)
	if cfg.Operators {
		m.gate = newPINPrompt(e, kSignInTitle, purposeSignIn, cfg.Operator)
	}
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

// Init loads the charges left open on this terminal, starts the clock and
// reads the engine's health.
func (m *Model) Init() tea.Cmd {
	if m.lookupOnly {
		return tea.Batch(tick(), checkHealth(m.env.backend), m.lookup.start())
	}
	return tea.Batch(loadLatest(m.env.ctx, m.env.backend), loadOpen(m.env.ctx, m.env.backend, m.env.cfg.Terminal, m.env.now),
		tick(), checkHealth(m.env.backend), m.form.setFocus(fAmount))
}

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.handle(msg)
	m.settle()
	return m, m.place(cmd)
}

// handle updates with msg and then with what the screens told the root
// meanwhile, so that a screen change is done before the next key.
func (m *Model) handle(msg tea.Msg) tea.Cmd {
	cmds := []tea.Cmd{m.update(msg)}
	for len(m.env.told) > 0 {
		next := m.env.told[0]
		m.env.told = m.env.told[1:]
		cmds = append(cmds, m.update(next))
	}
	return tea.Batch(cmds...)
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		return measureCell(m.env.cfg.CellSize)
	case cellSizeMsg:
		if msg.w > 0 && msg.h > 0 && (msg.w != m.env.caps.CellW || msg.h != m.env.caps.CellH) {
			m.env.caps.CellW, m.env.caps.CellH, m.env.caps.CellSource = msg.w, msg.h, "ioctl"
			m.resize()
		}
		return nil
	case tea.KeyMsg:
		return m.key(msg)
	case tickMsg:
		m.env.now = m.env.cfg.Now()
		if !m.flashUntil.IsZero() && !m.env.now.Before(m.flashUntil) {
			m.flash, m.flashUntil, m.flashID = "", time.Time{}, 0
		}
		cmds := []tea.Cmd{tick(), checkHealth(m.env.backend), m.checkIdle()}
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
	case openMsg:
		m.tracked(msg.cs)
		return nil
	case sameMsg:
		return m.form.update(msg)
	case submitMsg:
		return m.startCreate(msg.in)
	case openSameMsg:
		m.form.reset()
		return m.show(msg.c)
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
	case pinCheckedMsg:
		return m.pinChecked(msg)
	case ChangeMsg:
		cmd := m.lookupChanged(msg.ChargeID)
		if m.interested(msg.ChargeID) {
			return tea.Batch(cmd, reloadCharge(m.env.ctx, m.env.backend, msg.ChargeID))
		}
		return cmd
	case newChargeMsg:
		// The form comes back as it was left: a half-typed charge is kept.
		if msg.from != nil {
			m.form.fill(msg.from)
		}
		return m.switchTo(m.form)
	case fullQRMsg:
		m.full = msg.on
		return nil
	case copiedMsg:
		m.copied(msg)
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
	switch msg.(type) {
	case closePreparedMsg, closeSealedMsg, closeReprintMsg:
		return m.dayClose.update(msg)
	}
	if cmd, ok := m.routeLookup(msg); ok {
		return cmd
	}
	// Spinner ticks and cursor blinks: only the active screen animates.
	return m.active.update(msg)
}

// key routes a key. A screen that captures keys (a question is open, a
// submit is being checked) gets every one but quit; otherwise the root's
// own keys come first.
func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	if m.gate != nil && !key.Matches(msg, m.env.keys.Quit) {
		return m.lockedKey(msg)
	}
	m.lastKey = m.env.now
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !m.active.typing() {
		return m.keys(msg)
	}
	k := m.env.keys
	switch {
	case key.Matches(msg, k.Quit):
		m.track.cancelAll()
		m.env.cancel() // every command still running: nobody will read its answer
		return tea.Quit
	case m.full:
		m.full = false
		return nil
	case m.active.captures():
		return m.active.update(msg)
	case key.Matches(msg, k.Open):
		return m.cycle()
	case key.Matches(msg, k.Lock):
		return m.lock("asked")
	case key.Matches(msg, k.Lookup) && m.active != m.lookup && m.active != m.detail:
		return m.openLookup()
	case key.Matches(msg, k.Close) && m.counterScreen():
		return m.openClose()
	case key.Matches(msg, k.Help) && !m.active.typing():
		m.env.help.ShowAll = !m.env.help.ShowAll
		return nil
	}
	return m.active.update(msg)
}

// keys splits letters typed faster than one read apart — Bubble Tea hands
// "nf" or "n1250" over as one key — on a screen where each letter is a
// command: each acts in turn, and once one has brought a screen that takes
// text (n: the form), the rest is typed there.
func (m *Model) keys(msg tea.KeyMsg) tea.Cmd {
	var cmds []tea.Cmd
	for i, r := range msg.Runes {
		one := msg
		one.Runes = []rune{r}
		if m.active.typing() {
			one.Runes = msg.Runes[i:]
		}
		cmds = append(cmds, m.handle(one))
		if len(one.Runes) > 1 {
			break
		}
	}
	return tea.Batch(cmds...)
}

// settle brings what depends on the whole state up to date after every
// message: the open-charges key is offered when there is somewhere to go
// (another open charge, or back to a half-typed form), and the screens are resized when the chrome around them changed height
// (the strip appeared, the help took a second line).
func (m *Model) settle() {
	m.env.keys.Open.SetEnabled(m.counterScreen() &&
		(m.track.others(m.active.shows()) || m.active != m.form && !m.form.pristine()))
	if m.width > 0 && m.chromeHeight() != m.chrome {
		m.resize()
	}
}

// resize gives every screen the body's size.
func (m *Model) resize() {
	m.chrome = m.chromeHeight()
	w, h := m.bodySize()
	for _, s := range []screen{m.form, m.creating, m.charge, m.result, m.lookup, m.detail, m.dayClose} {
		s.setSize(w, h)
	}
	m.charge.setFullSize(m.width, m.height)
	m.env.help.Width = max(0, m.width-2)
}

// bodySize is the window less the margin and the chrome.
func (m *Model) bodySize() (w, h int) {
	return max(0, m.width-2), max(0, m.height-m.chromeHeight())
}

func (m *Model) switchTo(s screen) tea.Cmd {
	m.active = s
	m.full = false
	if m.flashID != 0 && s != m.lookup && s != m.detail && !m.owns(m.flashID) {
		// Word about the previous charge would read as about this one.
		m.flash, m.flashUntil, m.flashID = "", time.Time{}, 0
	}
	if id := s.shows(); id != 0 && (s == m.result || s == m.charge) {
		m.track.seen(id)
	}
	m.settle()
	m.resize()
	switch s {
	case m.creating:
		return m.creating.spin(m.still)
	case m.form:
		return m.form.setFocus(m.form.focus)
	}
	return nil
}

// openClose shows the day's close and starts preparing it.
func (m *Model) openClose() tea.Cmd {
	return tea.Batch(m.switchTo(m.dayClose), m.dayClose.start())
}

// setFlash shows s under the screen for a while, on any screen.
func (m *Model) setFlash(s string, bad bool) {
	m.flash, m.flashBad, m.flashOK, m.flashID = s, bad, false, 0
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

// copied says where the code went: the system clipboard, or the terminal
// (OSC 52), which may ignore it — the cashier is told to check.
func (m *Model) copied(msg copiedMsg) {
	l := m.env.lang
	switch {
	case msg.err != nil:
		m.flashAbout(msg.id, l.s(kCopyFailed, errText(msg.err)), true)
	case msg.via == copyOSC52:
		m.flashAbout(msg.id, l.s(kCopiedOSC52), false)
	default:
		m.flashAbout(msg.id, l.s(kCopied), false)
	}
}
