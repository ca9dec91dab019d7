// Package ui is pixdesk's counter console: a Bubble Tea program that takes
// PIX payments through ConnectPSP. Screens are concrete structs, one file
// each (form, creating, charge, result), behind the small screen interface;
// the root Model routes keys to the active screen, broadcasts window sizes
// and delivers asynchronous results to the screen that owns them.
package ui

import (
	"context"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/internal/termcap"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// Backend is what the console needs from the engine and the store. main
// adapts *engine.Engine and *store.DB to it; tests use a fake.
type Backend interface {
	// Create stores and sends a new charge (engine.Engine.Create).
	Create(ctx context.Context, in engine.Input) (*store.Charge, error)
	// Refresh asks ConnectPSP for the charge now (engine.Engine.Refresh).
	Refresh(ctx context.Context, id int64) (*store.Charge, error)
	// Resume sends a pending charge again now with its stored key; a charge
	// no longer pending comes back as it is (engine.Engine.Resume).
	Resume(ctx context.Context, id int64) (*store.Charge, error)
	// PollNow has the engine poll the charge soon (engine.Engine.PollNow).
	PollNow(id int64)
	// Health is a snapshot of the link to ConnectPSP (engine.Engine.Health).
	Health() engine.Health
	// Charge reads a charge from the store (store.DB.Get).
	Charge(ctx context.Context, id int64) (*store.Charge, error)
	// LatestOpen returns the charge still open on this terminal, or nil
	// (or store.ErrNotFound) when there is none (store.DB.LatestOpen).
	LatestOpen(ctx context.Context) (*store.Charge, error)
	// SimulatePay pays the charge in the sandbox. It is called only when
	// Config.Sandbox is set; other backends may return an error.
	SimulatePay(ctx context.Context, id int64) error

	// Support lookup (NewLookup, ctrl+f).

	// Search returns the charges q matches, newest first (store.DB.Search).
	Search(ctx context.Context, q store.Query) ([]*store.Charge, error)
	// Count returns how many charges q matches (store.DB.Count).
	Count(ctx context.Context, q store.Query) (int, error)
	// Timeline returns charge id's history, oldest first (store.DB.Timeline).
	Timeline(ctx context.Context, id int64) ([]store.Entry, error)
	// FindByCopyAndPaste returns the charge whose stored copy-and-paste
	// code is exactly code, or store.ErrNotFound.
	FindByCopyAndPaste(ctx context.Context, code string) (*store.Charge, error)
	// Remote asks ConnectPSP for a transaction by transactionId, internal
	// code or endToEndId (GET /cash-in/{id}); unknown ids are psp.ErrNotFound.
	Remote(ctx context.Context, id string) (*psp.CashIn, error)
	// Import records a transaction found at ConnectPSP in the journal
	// (store.DB.Import with this terminal).
	Import(ctx context.Context, ci *psp.CashIn) (*store.Charge, error)
	// Refund returns a paid charge in full (engine.Engine.Refund); calling
	// it again after a temporary error reuses the stored key.
	Refund(ctx context.Context, id int64, reason psp.RefundReason, note string) (*store.Charge, error)

	// The day's close (the close screen).

	// PrepareClose reconciles this terminal's day ("2026-12-01" in loc)
	// with ConnectPSP and reads its report (engine.Engine.PrepareClose); a
	// day closed already is store.ErrDayClosed.
	PrepareClose(ctx context.Context, day string, loc *time.Location) (*engine.DayClose, error)
	// Seal closes the day c prepared, for good (engine.Engine.Seal).
	Seal(ctx context.Context, c *engine.DayClose) (*engine.DayClose, error)
	// Reprint returns this terminal's closed day as sealed (engine.Reprint).
	Reprint(ctx context.Context, day string) (*engine.DayClose, error)
}

// Environment names accepted in Config.Env.
const (
	EnvSandbox    = "sandbox"
	EnvStaging    = "homologacao"
	EnvProduction = "producao"
)

// Size of the smallest usable window.
const (
	MinWidth  = 60
	MinHeight = 20
)

// Config sets up the console. Zero fields take the documented defaults.
type Config struct {
	// Lang is "pt-BR" (default) or "en".
	Lang string
	// Terminal names this counter.
	Terminal string
	// Env is EnvSandbox, EnvStaging or EnvProduction (also "staging",
	// "production"); it is shown in the status bar.
	Env string
	// Sandbox enables the simulated payment (key p).
	Sandbox bool
	// MaxAmount is the largest amount per charge (default psp.MaxAmount).
	MaxAmount psp.Amount
	// DefaultExpiry is the QR validity offered in the form, in minutes
	// (default 15).
	DefaultExpiry int
	// WebhookAddr is where the webhook listener listens ("" when off).
	WebhookAddr string
	// WebhookVia is the host webhooks are sent to when this console has
	// no listener of its own (serve's, named by PIXDESK_WEBHOOK_URL).
	WebhookVia string
	// Store describes the store (store.DB.Describe).
	Store string
	// QRStyle is how QR codes may be drawn (QRAuto: the best the terminal
	// has; sextants only where asked for or drawn by the terminal).
	QRStyle QRStyle
	// Caps is what the terminal said it can draw (termcap.Detect, before
	// the program starts); the zero value means text only, nothing known.
	Caps termcap.Caps
	// CellSize measures the terminal's cell in pixels after a resize (a
	// font change alters it); nil, or zeros, keep Caps' size.
	CellSize func() (w, h int)
	// Logger records what the console decides about the terminal (the QR
	// drawn at each size); nil discards.
	Logger *slog.Logger
	// NoColor draws without colour (set it when NO_COLOR is set).
	NoColor bool
	// Renderer draws the styles; nil means lipgloss's default renderer.
	Renderer *lipgloss.Renderer
	// Output receives the bell and the OSC 52 copy. Give it the terminal
	// the program draws on as a *Terminal, and the program the same one
	// (tea.WithOutput), so that these bytes are written between frames,
	// never inside one. nil means os.Stdout.
	Output io.Writer
	// Clipboard writes text to the system clipboard (SystemClipboard); nil,
	// or an error from it, sends the copy to the terminal as OSC 52 on
	// Output instead, and the cashier is told to check it arrived.
	Clipboard func(ctx context.Context, text string) error
	// Context bounds every command's I/O: when it ends (the process is
	// stopping), so do they. nil means none but the program's own end.
	Context context.Context
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Location is the time zone times are shown in; nil means time.Local.
	Location *time.Location

	// Authority checks operators' PINs and keeps the audit trail
	// (*store.DB); nil audits nothing and checks no PIN (tests of other
	// things).
	Authority Authority
	// Operators says the shop has operators (store.DB.HasOperators): the
	// console asks who is at the counter before anything else, locks
	// after IdleLock without a key, and refunds, reveals and exports need
	// a supervisor's or suporte's authority. Without, the console is open
	// to whoever is at it, and the status bar says so.
	Operators bool
	// Operator is the name the sign-in starts with (--operator); its PIN
	// is still asked.
	Operator string
	// IdleLock is how long without a key locks the console back to the
	// sign-in (default 5 minutes; negative: never).
	IdleLock time.Duration
}

// env is what every screen shares.
type env struct {
	cfg     Config
	backend Backend
	lang    lang
	styles  Styles
	keys    keyMap
	help    help.Model
	now     time.Time // the clock at the last tick
	caps    termcap.Caps

	// ctx is the console's: the parent of every command's (scope.go),
	// cancelled by cancel when the program quits.
	ctx    context.Context
	cancel context.CancelFunc

	// op is the operator signed in; nil when none is (no operators, or
	// locked).
	op *store.Operator
	// pins holds PIN tries back after wrong ones; pinSeq numbers checks.
	pinSeq int

	// told holds what screens asked of the root (navigation, a submit)
	// during this Update; the root handles it before the next message, so
	// that a key arriving right after acts on the screen that key made.
	told []tea.Msg
}

// qrTarget is the terminal QR codes are drawn for.
func (e *env) qrTarget() QRTarget {
	return QRTarget{Style: e.cfg.QRStyle, Caps: e.caps, Profile: e.styles.r.ColorProfile()}
}

// tell asks the root for msg (go to the form, submit, open a detail): it
// is handled within the same Update, not by a command whose answer a key
// of the same burst could overtake.
func (e *env) tell(msg tea.Msg) { e.told = append(e.told, msg) }

// screen is one page of the console. The root asks it what it needs to
// route (which charge it shows, whether it takes every key) rather than
// reading its fields.
type screen interface {
	update(msg tea.Msg) tea.Cmd
	// view draws the screen; it reads state and never changes it.
	view() string
	setSize(width, height int)
	// shows is the counter charge on screen, 0 when none: it is given
	// fresh copies, and word about it goes when it leaves.
	shows() int64
	// captures reports whether the screen takes every key but quit, the
	// root's own included: a question is open or a submit is in flight.
	captures() bool
	// typing reports whether letters go to a text input, so that "?" is
	// typed rather than toggling help.
	typing() bool
	help.KeyMap
}

// withDefaults fills the zero fields of cfg.
func (cfg Config) withDefaults() Config {
	if cfg.MaxAmount <= 0 || cfg.MaxAmount > psp.MaxAmount {
		cfg.MaxAmount = psp.MaxAmount
	}
	if cfg.DefaultExpiry < minExpiry || cfg.DefaultExpiry > maxExpiry {
		cfg.DefaultExpiry = 15
	}
	if cfg.Output == nil {
		cfg.Output = os.Stdout
	}
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.IdleLock == 0 {
		cfg.IdleLock = defaultIdleLock
	}
	return cfg
}
