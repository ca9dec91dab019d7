package cli

import (
	"context"
	"errors"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
	"github.com/pixdesk/pixdesk/ui"
)

// backend adapts the engine, the store and (in sandbox mode) the embedded
// sandbox to what the screens need.
type backend struct {
	*engine.Engine
	db       *store.DB
	client   *psp.Client
	pay      func(ctx context.Context, transactionID string) error // the stack's; nil off the sandbox
	terminal string
}

var _ ui.Backend = (*backend)(nil)

// Charge implements ui.Backend.
func (b *backend) Charge(ctx context.Context, id int64) (*store.Charge, error) {
	return b.db.Get(ctx, id)
}

// LatestOpen implements ui.Backend.
func (b *backend) LatestOpen(ctx context.Context) (*store.Charge, error) {
	return b.db.LatestOpen(ctx, b.terminal)
}

// errNoSandbox is returned when a payment is simulated outside the sandbox.
var errNoSandbox = errors.New("payments can be simulated only on the sandbox")

// SimulatePay implements ui.Backend: the sandbox pays the charge, which then
// reaches the console like any payment (webhook or poll).
func (b *backend) SimulatePay(ctx context.Context, id int64) error {
	if b.pay == nil {
		return errNoSandbox
	}
	ch, err := b.db.Get(ctx, id)
	if err != nil {
		return err
	}
	if ch.TransactionID == "" {
		return errors.New("the charge has no ConnectPSP id yet")
	}
	return b.pay(ctx, ch.TransactionID)
}

// Search implements ui.Backend.
func (b *backend) Search(ctx context.Context, q store.Query) ([]*store.Charge, error) {
	return b.db.Search(ctx, q)
}

// Count implements ui.Backend.
func (b *backend) Count(ctx context.Context, q store.Query) (int, error) {
	return b.db.Count(ctx, q)
}

// Timeline implements ui.Backend.
func (b *backend) Timeline(ctx context.Context, id int64) ([]store.Entry, error) {
	return b.db.Timeline(ctx, id)
}

// FindByCopyAndPaste implements ui.Backend.
func (b *backend) FindByCopyAndPaste(ctx context.Context, code string) (*store.Charge, error) {
	return b.db.FindByCopyAndPaste(ctx, code)
}

// Remote implements ui.Backend: ConnectPSP's own answer, not recorded.
func (b *backend) Remote(ctx context.Context, id string) (*psp.CashIn, error) {
	return b.client.GetCashIn(ctx, id)
}

// Import implements ui.Backend.
func (b *backend) Import(ctx context.Context, ci *psp.CashIn) (*store.Charge, error) {
	return b.db.Import(ctx, ci, b.terminal)
}

// PrepareClose implements ui.Backend for this terminal.
func (b *backend) PrepareClose(ctx context.Context, day string, loc *time.Location) (*engine.DayClose, error) {
	return b.Engine.PrepareClose(ctx, b.terminal, day, loc)
}

// Reprint implements ui.Backend for this terminal.
func (b *backend) Reprint(ctx context.Context, day string) (*engine.DayClose, error) {
	return engine.Reprint(ctx, b.db, b.terminal, day)
}
