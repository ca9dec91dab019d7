package engine

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

var brt = time.FixedZone("BRT", -3*60*60)

// closeFixture is setup with one fixed clock for the journal, the engine and
// the sandbox — 15:00 on 2026-12-01 in São Paulo — on the backend named,
// and webhooks lost: nothing tells the journal of a payment but a poll.
func closeFixture(t *testing.T, backend string) (*fixture, *Engine) {
	t.Helper()
	c := newClock()
	c.t = time.Date(2026, 12, 1, 15, 0, 0, 0, brt)
	f := setup(t, withClocks(c.Now, c.Now))
	if backend == store.BackendPostgres {
		db, err := store.Open(f.ctx, pgtest.Start(t), store.WithClock(c.Now))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		f.db = db
	}
	f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	return f, New(f.config())
}

func TestCloseFindsLostPayment(t *testing.T) {
	for _, backend := range []string{store.BackendSQLite, store.BackendPostgres} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			testCloseFindsLostPayment(t, backend)
		})
	}
}

func testCloseFindsLostPayment(t *testing.T, backend string) {
	f, e := closeFixture(t, backend)
	ctx := context.Background()
	lost := f.create(e, Input{Amount: 1250})  // paid at ConnectPSP, webhook lost
	unpaid := f.create(e, Input{Amount: 300}) // still awaiting on both sides
	known := f.create(e, Input{Amount: 4000}) // paid, and the journal knows
	for _, ch := range []*store.Charge{lost, known} {
		if _, err := f.sb.Pay(ch.TransactionID, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Refresh(ctx, known.ID); err != nil {
		t.Fatal(err)
	}
	if got := f.get(lost.ID).Status; got != psp.StatusAwaitingPayment {
		t.Fatalf("before the close the journal says %s", got)
	}

	c, err := e.PrepareClose(ctx, "T1", "2026-12-01", brt)
	if err != nil {
		t.Fatal(err)
	}
	rec := c.Reconciliation
	if rec.Asked != 3 || len(rec.Failed) != 0 || len(rec.Changed) != 1 {
		t.Fatalf("reconciliation = %+v", rec)
	}
	if ch := rec.Changed[0]; ch.ChargeID != lost.ID || ch.From != psp.StatusAwaitingPayment || ch.To != psp.StatusPaid ||
		ch.Outcome != store.OutcomeApplied || ch.Amount != 1250 || ch.Reference != lost.ExternalReference {
		t.Fatalf("changed = %+v", ch)
	}
	// Applied through the journal's path: a poll entry on the timeline.
	if got := f.get(lost.ID); got.Status != psp.StatusPaid || got.PaidAmount != 1250 {
		t.Fatalf("after the close the journal says %s %s", got.Status, got.PaidAmount)
	}
	tl, err := f.db.Timeline(ctx, lost.ID)
	if err != nil {
		t.Fatal(err)
	}
	if last := tl[len(tl)-2]; last.Kind != store.EntryPoll || last.Status != psp.StatusPaid {
		t.Errorf("timeline ends %+v, %+v", tl[len(tl)-2], tl[len(tl)-1])
	}
	// The report is read after the reconciliation: the lost payment counts.
	if tot := c.Total; tot.Received != 1250+4000 || tot.Open.Count != 1 || tot.Open.Amount != 300 || tot.Charges != 3 {
		t.Fatalf("report total = %+v", tot)
	}
	_ = unpaid

	sealed, err := e.Seal(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.PrepareClose(ctx, "T1", "2026-12-01", brt); !errors.Is(err, store.ErrDayClosed) {
		t.Fatalf("closing again: %v, want ErrDayClosed", err)
	}
	if _, err := e.Seal(ctx, c); !errors.Is(err, store.ErrDayClosed) {
		t.Fatalf("sealing again: %v, want ErrDayClosed", err)
	}
	back, err := Reprint(ctx, f.db, "T1", "2026-12-01")
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash != sealed.Hash || back.Total.Received != 5250 || len(back.Reconciliation.Changed) != 1 ||
		!back.SealedAt.Equal(sealed.SealedAt) {
		t.Fatalf("reprint = %+v", back)
	}
	if _, err := e.PrepareClose(ctx, "T1", "2026-12-02", brt); !errors.Is(err, ErrDayNotStarted) {
		t.Fatalf("tomorrow: %v, want ErrDayNotStarted", err)
	}
}

// A charge ConnectPSP cannot be asked about is reported, and the day is not
// sealed on a partial reconciliation.
func TestCloseRefusesPartialReconciliation(t *testing.T) {
	f, e := closeFixture(t, store.BackendSQLite)
	ctx := context.Background()
	ch := f.create(e, Input{})
	f.sb.SetFaults(sandbox.Faults{FailNext: 1 << 30})
	c, err := e.PrepareClose(ctx, "T1", "2026-12-01", brt)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Reconciliation.Failed) != 1 || c.Reconciliation.Failed[0].ChargeID != ch.ID || c.Reconciliation.Failed[0].Err == "" {
		t.Fatalf("reconciliation = %+v", c.Reconciliation)
	}
	if _, err := e.Seal(ctx, c); !errors.Is(err, ErrReconcileIncomplete) {
		t.Fatalf("seal: %v, want ErrReconcileIncomplete", err)
	}
	if _, err := Reprint(ctx, f.db, "T1", "2026-12-01"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("reprint: %v, want ErrNotFound", err)
	}
}
