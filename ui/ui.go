// Package ui is pixdesk's counter console: a Bubble Tea program that takes
// PIX payments through ConnectPSP. Screens are concrete structs, one file
// each (form, creating, charge, result), behind the small screen interface;
// the root Model routes keys to the active screen, broadcasts window sizes
// and delivers asynchronous results to the screen that owns them.
package ui

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

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
	// Store describes the store (store.DB.Describe).
	Store string
	// QRStyle is how QR codes may be drawn (QRSextants is opt-in).
	QRStyle QRStyle
	// NoColor draws without colour (set it when NO_COLOR is set).
	NoColor bool
	// Renderer draws the styles; nil means lipgloss's default renderer.
	Renderer *lipgloss.Renderer
	// Output receives the bell and the OSC 52 copy; nil means os.Stdout,
	// the terminal Bubble Tea draws on.
	Output io.Writer
	// Clipboard copies text; nil means OSC 52 on Output.
	Clipboard func(text string) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Location is the time zone times are shown in; nil means time.Local.
	Location *time.Location
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
}

// screen is one page of the console.
type screen interface {
	update(msg tea.Msg) tea.Cmd
	view() string
	setSize(width, height int)
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
	if cfg.Clipboard == nil {
		cfg.Clipboard = OSC52(cfg.Output)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	return cfg
}
