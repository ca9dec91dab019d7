package ui

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/internal/termcap"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// DisplaySource is what the customer display reads: the store, and nothing
// that talks to ConnectPSP. main adapts *store.DB to it; Backend has both
// methods too.
type DisplaySource interface {
	// Charge reads a charge (store.DB.Get).
	Charge(ctx context.Context, id int64) (*store.Charge, error)
	// LatestOpen returns the newest charge still open on the displayed
	// terminal, or nil or store.ErrNotFound (store.DB.LatestOpen).
	LatestOpen(ctx context.Context) (*store.Charge, error)
}

// DisplayConfig sets up the customer display. Zero fields take the
// documented defaults.
type DisplayConfig struct {
	// Lang is "pt-BR" (default) or "en".
	Lang string
	// Terminal is the counter the display follows.
	Terminal string
	// ShopName is shown at the top ("" shows nothing).
	ShopName string
	// QRStyle is how QR codes may be drawn and Caps what the terminal
	// said it can do (termcap.Detect, before the program starts), as for
	// the console: terminal graphics where it has them, else text.
	QRStyle QRStyle
	Caps    termcap.Caps
	// CellSize measures the cell in pixels after a resize; nil, or
	// zeros, keep Caps' size.
	CellSize func() (w, h int)
	// Logger records the QR drawn at each size; nil discards.
	Logger *slog.Logger
	// NoColor draws without colour (set it when NO_COLOR is set).
	NoColor bool
	// Renderer draws the styles; nil means lipgloss's default renderer.
	Renderer *lipgloss.Renderer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Hold is how long a paid, expired or cancelled charge stays on screen
	// before the idle screen (default DefaultHold).
	Hold time.Duration
}

// DefaultHold is how long the display shows how a charge ended.
const DefaultHold = 6 * time.Second

// displayRecheck is how many ticks (seconds) pass between safety-net reads
// of the store while it answers; each tick rereads while it does not. The
// change feed is what normally brings news.
const displayRecheck = 5

// displayOthersMax bounds the set of charges known to be another
// terminal's: past it, the set starts again.
const displayOthersMax = 4096

// Display is the customer display (pixdesk display): a screen facing the
// customer that follows one counter through the store's change feed. It
// shows an idle screen; the counter's current charge — amount, QR code and
// countdown; and for a few seconds how it ended, then the idle screen
// again. It never shows who pays, neither the document nor the name: the
// customer is not the only one who can see it.
//
// The counter's current charge is the newest charge of the terminal that is
// open (pending or awaiting payment) and that the display has seen. When
// the cashier goes back to an older open charge (ctrl+o on the console)
// the display does not know it, and keeps showing the newer one until it
// ends; after a charge ends it shows the idle screen, never an older open
// charge, so a customer is not shown a stale code.
type Display struct {
	cfg   DisplayConfig
	src   DisplaySource
	e     *env   // what the display shares with the console's screens
	shop  string // cfg.ShopName, made safe
	label string // the footer: which counter this is

	width, height int
	now           time.Time
	ticks         int

	cur     *store.Charge // on screen: open, or ended and held
	endedAt time.Time     // when cur was seen ended; idle after cfg.Hold
	newest  store.Cursor  // the newest charge taken; older ones never are
	others  map[int64]struct{}
	offline bool // the last read of the store failed

	payload string // the code qr was made from
	qr      *QR
	qrErr   error
	lay     displayLayout
	logged  string // the screen last logged

	qrPlacer // clears the screen when the image on it changes
}

var _ tea.Model = (*Display)(nil)

// NewDisplay returns the customer display for cfg over src.
func NewDisplay(cfg DisplayConfig, src DisplaySource) *Display {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Hold <= 0 {
		cfg.Hold = DefaultHold
	}
	l := langOf(cfg.Lang)
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{
		ctx:    ctx,
		cancel: cancel,
		cfg: Config{Lang: cfg.Lang, QRStyle: cfg.QRStyle, Caps: cfg.Caps, NoColor: cfg.NoColor,
			CellSize: cfg.CellSize, Logger: cfg.Logger, Now: cfg.Now}.withDefaults(),
		lang:   l,
		styles: NewStyles(cfg.Renderer, cfg.NoColor),
		caps:   cfg.Caps,
	}
	return &Display{
		cfg:    cfg,
		src:    src,
		e:      e,
		shop:   safetext.String(cfg.ShopName),
		label:  l.s(kDispCounter, safetext.String(cfg.Terminal)),
		now:    cfg.Now(),
		others: map[int64]struct{}{},
	}
}

// Init loads the charge open on the terminal and starts the clock.
func (d *Display) Init() tea.Cmd { return tea.Batch(loadLatest(d.e.ctx, d.src), tick()) }

// Update implements tea.Model. After each message the placer sees what
// the next frame holds, so an image that appears, moves, changes size or
// goes clears the screen (qr_place.go).
func (d *Display) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := d.update(msg)
	d.logScreen()
	drawn, image := "none", ""
	if d.showsQR() {
		drawn = qrDrawn(d.lay.qr, d.lay.at)
		if d.lay.qr.Kind.Graphics() {
			image = drawn
		}
	}
	return d, d.follow(cmd, d.e, d.e.cfg.QRStyle, image, drawn, d.width, d.height)
}

func (d *Display) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		d.width, d.height = msg.Width, msg.Height
		d.layout()
		return measureCell(d.e.cfg.CellSize)
	case cellSizeMsg:
		// A font change alters the cell under a running display.
		if c := &d.e.caps; msg.w > 0 && msg.h > 0 && (msg.w != c.CellW || msg.h != c.CellH) {
			c.CellW, c.CellH, c.CellSource = msg.w, msg.h, "ioctl"
			d.layout()
		}
	case tea.KeyMsg:
		if s := msg.String(); s == "ctrl+c" || s == "q" {
			d.e.cancel()
			return tea.Quit
		}
	case tickMsg:
		return d.tick()
	case ChangeMsg:
		if msg.Terminal != "" && msg.Terminal != d.cfg.Terminal {
			return nil // another counter's: not read
		}
		if _, other := d.others[msg.ChargeID]; !other {
			return reloadCharge(d.e.ctx, d.src, msg.ChargeID)
		}
	case chargeMsg:
		d.offline = msg.err != nil
		if msg.err == nil {
			d.take(msg.c)
		}
	case latestMsg:
		d.offline = msg.err != nil
		if msg.c != nil {
			d.take(msg.c)
		}
	}
	return nil
}

// logScreen logs which screen the customer sees when it changes: idle, a
// charge, or how one ended — what an operator asks when a customer says
// what the screen showed. Never who pays.
func (d *Display) logScreen() {
	screen, id, status := "idle", int64(0), psp.Status("")
	if c := d.cur; c != nil {
		screen, id, status = "charge", c.ID, c.Status
		if !d.endedAt.IsZero() {
			screen = "ended"
		}
	}
	if key := fmt.Sprint(screen, id, status); key != d.logged {
		d.logged = key
		d.e.cfg.Logger.Info("display", "screen", screen, "charge", id, "status", status)
	}
}

// tick moves the clock, ends the hold of an ended charge and, now and then
// (every tick while the store fails), reads the store again in case a
// change was missed.
func (d *Display) tick() tea.Cmd {
	d.now = d.cfg.Now()
	if d.cur != nil && !d.endedAt.IsZero() && !d.now.Before(d.endedAt.Add(d.cfg.Hold)) {
		d.cur, d.endedAt = nil, time.Time{}
		d.layout()
	}
	d.ticks++
	cmds := []tea.Cmd{tick()}
	if d.offline || d.ticks%displayRecheck == 0 {
		cmds = append(cmds, loadLatest(d.e.ctx, d.src))
		if d.cur != nil && d.endedAt.IsZero() {
			cmds = append(cmds, reloadCharge(d.e.ctx, d.src, d.cur.ID))
		}
	}
	return tea.Batch(cmds...)
}

// take is a fresh copy of a charge: news of the one on screen, a newer
// open charge of the terminal to show, or nothing to do with this display.
func (d *Display) take(c *store.Charge) {
	if c == nil {
		return
	}
	if c.Terminal != d.cfg.Terminal {
		if len(d.others) >= displayOthersMax {
			clear(d.others)
		}
		d.others[c.ID] = struct{}{}
		return
	}
	switch {
	case d.cur != nil && c.ID == d.cur.ID:
		if c.Version < d.cur.Version {
			return // an older read that arrived late
		}
		d.cur = c
		switch {
		case c.Stage == store.StageRejected || !c.Open() && !c.Status.Valid():
			// Never created, or in a status this pixdesk does not know:
			// the cashier sees what happened; the customer, the idle
			// screen.
			d.cur, d.endedAt = nil, time.Time{}
		case !c.Open() && d.endedAt.IsZero():
			d.now = d.cfg.Now()
			d.endedAt = d.now
		}
	case c.Open() && c.Cursor().Newer(d.newest):
		d.cur, d.newest, d.endedAt = c, c.Cursor(), time.Time{}
	default:
		return
	}
	d.layout()
}

// remaining is the time left to pay the charge on screen.
func (d *Display) remaining() time.Duration {
	if d.cur == nil || d.cur.ExpiresAt.IsZero() {
		return 0
	}
	return d.cur.ExpiresAt.Sub(d.now)
}
