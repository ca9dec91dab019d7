package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
)

// expirySetup runs an engine on a fake clock, shared with the sandbox.
// Before expiry the engine polls rarely (PollSlow is an hour); after it,
// every PollFast (1 s).
func expirySetup(t *testing.T) (*fixture, *Engine, *clock, *store.Charge) {
	clk := newClock()
	f := setup(t, withClocks(clk.Now, clk.Remote))
	f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	cfg := f.config()
	cfg.PollFast, cfg.PollSlow, cfg.FastWindow = time.Second, time.Hour, time.Nanosecond
	e := New(cfg)
	f.run(e)
	ch := f.create(e, Input{ExpiresInMinutes: 1})
	if ch.ExpiresAt.IsZero() {
		t.Fatal("created charge has no ExpiresAt")
	}
	return f, e, clk, ch
}

// polls counts the GETs the sandbox answered.
func polls(f *fixture) int { return f.sb.Stats().Requests["GET /cash-in/{id}"] }

// pollsSettled waits until n polls were made and the engine has
// rescheduled the charge after the last one.
func pollsSettled(t *testing.T, f *fixture, e *Engine, id int64, n int) {
	t.Helper()
	waitFor(t, "poll", func() bool {
		// Count first: the job is in flight before the sandbox counts its
		// GET, so "counted, then not in flight" means done.
		done := polls(f) >= n
		e.mu.Lock()
		j := e.sched[id]
		busy := j != nil && j.inflight
		e.mu.Unlock()
		return done && !busy
	})
	if got := polls(f); got != n {
		t.Fatalf("%d polls, want %d", got, n)
	}
}

func TestPaidInTheLastSecond(t *testing.T) {
	f, e, clk, ch := expirySetup(t)
	clk.Advance(ch.ExpiresAt.Sub(clk.Now()) - time.Second)
	pollsSettled(t, f, e, ch.ID, 1) // the first scheduled poll, now overdue
	if _, err := f.sb.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	if st := f.get(ch.ID).Status; st != psp.StatusAwaitingPayment {
		t.Fatalf("status %s before the countdown ended", st)
	}
	clk.Advance(time.Second) // the countdown ends: one more look
	f.waitStatus(ch.ID, psp.StatusPaid)
	waitFor(t, "charge to leave the schedule", func() bool { return e.Health().Pending == 0 })
	if n := polls(f); n != 2 {
		t.Errorf("%d polls, want 2", n)
	}
}

func TestExpiredOnlyWhenConnectPSPSaysSo(t *testing.T) {
	f, e, clk, ch := expirySetup(t)
	// ConnectPSP's clock runs behind ours: when our countdown ends it still
	// says AWAITING_PAYMENT for a few seconds.
	clk.SetLag(5 * time.Second)
	clk.Advance(ch.ExpiresAt.Sub(clk.Now()) - time.Second)
	pollsSettled(t, f, e, ch.ID, 1)
	clk.Advance(time.Second)
	pollsSettled(t, f, e, ch.ID, 2) // at the local expiry
	if st := f.get(ch.ID).Status; st != psp.StatusAwaitingPayment {
		t.Fatalf("status %s while ConnectPSP still awaits payment", st)
	}
	clk.Advance(time.Second)
	pollsSettled(t, f, e, ch.ID, 3) // PollFast after the expiry
	if st := f.get(ch.ID).Status; st != psp.StatusAwaitingPayment {
		t.Fatalf("status %s while ConnectPSP still awaits payment", st)
	}
	clk.SetLag(0) // ConnectPSP's clock passes the expiry too
	clk.Advance(time.Second)
	got := f.waitStatus(ch.ID, psp.StatusExpired)
	if got.ExpiredAt.IsZero() {
		t.Error("ExpiredAt not recorded")
	}
	waitFor(t, "charge to leave the schedule", func() bool { return e.Health().Pending == 0 })
}

// paidCharge creates a charge, pays it at the sandbox and reads the
// payment with Refresh (webhooks are off).
func paidCharge(t *testing.T) (*fixture, *Engine, *store.Charge) {
	f := setup(t)
	f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	e := New(f.config())
	ch := f.create(e, Input{Amount: 4200})
	if _, err := f.sb.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	ch, err := e.Refresh(f.ctx, ch.ID)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if ch.Status != psp.StatusPaid {
		t.Fatalf("after Refresh: status %s", ch.Status)
	}
	return f, e, ch
}

func TestRefund(t *testing.T) {
	f, e, ch := paidCharge(t)
	got, err := e.Refund(f.ctx, ch.ID, psp.RefundCustomerRequest, "wrong item")
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	if got.Status != psp.StatusRefunded || got.RefundKey == "" || got.OriginalEndToEndID == "" {
		t.Errorf("after refund: status %s, key %q, original e2e %q", got.Status, got.RefundKey, got.OriginalEndToEndID)
	}
	if n := f.sb.Stats().Refunds; n != 1 {
		t.Errorf("sandbox refunds %d, want 1", n)
	}
	// Refunding again is ConnectPSP's business to refuse, or the journal's.
	if _, err := e.Refund(f.ctx, ch.ID, psp.RefundCustomerRequest, "wrong item"); err == nil {
		t.Error("second refund of a refunded charge succeeded")
	}
	if n := f.sb.Stats().Refunds; n != 1 {
		t.Errorf("sandbox refunds %d after a second call, want 1", n)
	}
}

func TestRefundDroppedResponseRetriedByClient(t *testing.T) {
	f, e, ch := paidCharge(t)
	f.sb.SetFaults(sandbox.Faults{DropNext: 1})
	got, err := e.Refund(f.ctx, ch.ID, psp.RefundMerchantError, "")
	if err != nil {
		t.Fatalf("Refund: %v", err)
	}
	st := f.sb.Stats()
	if got.Status != psp.StatusRefunded || st.Refunds != 1 || st.IdempotentReplays == 0 {
		t.Errorf("status %s, refunds %d, replays %d; want REFUNDED, 1, some", got.Status, st.Refunds, st.IdempotentReplays)
	}
}

func TestRefundAnswerLostThenRetried(t *testing.T) {
	f, e, ch := paidCharge(t)
	f.sb.SetFaults(sandbox.Faults{DropNext: 1000}) // every attempt of the client
	got, err := e.Refund(f.ctx, ch.ID, psp.RefundFraud, "chargeback")
	if !psp.IsTemporary(err) {
		t.Fatalf("Refund: %v, want a temporary error", err)
	}
	f.sb.SetFaults(sandbox.Faults{})
	if got == nil || got.RefundKey == "" {
		t.Fatalf("refund intent not stored: %+v", got)
	}
	if n := f.sb.Stats().Refunds; n != 1 {
		t.Fatalf("sandbox refunds %d, want 1 (the answer was lost, not the refund)", n)
	}
	again, err := e.Refund(f.ctx, ch.ID, psp.RefundFraud, "chargeback")
	if err != nil {
		t.Fatalf("second Refund: %v", err)
	}
	if again.Status != psp.StatusRefunded || again.RefundKey != got.RefundKey {
		t.Errorf("status %s, same key %v", again.Status, again.RefundKey == got.RefundKey)
	}
	if n := f.sb.Stats().Refunds; n != 1 {
		t.Errorf("sandbox refunds %d, want exactly 1", n)
	}
}

func TestRefundUnpaid(t *testing.T) {
	f := setup(t)
	e := New(f.config())
	ch := f.create(e, Input{})
	if _, err := e.Refund(f.ctx, ch.ID, psp.RefundCustomerRequest, ""); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("refund of an unpaid charge: %v, want store.ErrConflict", err)
	}
	if n := f.sb.Stats().Requests["POST /cash-in/{id}/refund"]; n != 0 {
		t.Errorf("%d refund requests sent", n)
	}
}

// A second call after a lost answer keeps the first reason: the stored key
// names that request.
func TestRefundRetryKeepsReason(t *testing.T) {
	f, e, ch := paidCharge(t)
	f.sb.SetFaults(sandbox.Faults{DropNext: 1000})
	if _, err := e.Refund(f.ctx, ch.ID, psp.RefundFraud, ""); err == nil {
		t.Fatal("Refund succeeded with every answer dropped")
	}
	f.sb.SetFaults(sandbox.Faults{})
	got, err := e.Refund(f.ctx, ch.ID, psp.RefundCustomerRequest, "")
	if err != nil {
		t.Fatalf("second Refund: %v", err)
	}
	if got.Status != psp.StatusRefunded || got.RefundReason != psp.RefundFraud {
		t.Errorf("status %s, reason %s", got.Status, got.RefundReason)
	}
}

// A second call after a lost answer sends the first call's note, with the
// same key: ConnectPSP answers 422 to a key with another body, and would
// refund twice were a new key made instead.
func TestRefundRetryKeepsNote(t *testing.T) {
	f, e, ch := paidCharge(t)
	f.sb.SetFaults(sandbox.Faults{DropNext: 1000}) // refunded, every answer lost
	first, err := e.Refund(f.ctx, ch.ID, psp.RefundCustomerRequest, "note A")
	if !psp.IsTemporary(err) {
		t.Fatalf("Refund: %v, want a temporary error", err)
	}
	f.sb.SetFaults(sandbox.Faults{})
	if first == nil || first.RefundKey == "" || first.RefundDescription != "note A" {
		t.Fatalf("refund intent as stored: %+v", first)
	}
	replays := f.sb.Stats().IdempotentReplays
	got, err := e.Refund(f.ctx, ch.ID, psp.RefundCustomerRequest, "note B")
	if err != nil {
		t.Fatalf("second Refund: %v (a 422 means another body went with the key)", err)
	}
	st := f.sb.Stats()
	if got.Status != psp.StatusRefunded || got.RefundKey != first.RefundKey || got.RefundDescription != "note A" {
		t.Errorf("status %s, same key %v, note %q; want REFUNDED, the same key, note A",
			got.Status, got.RefundKey == first.RefundKey, got.RefundDescription)
	}
	if st.Refunds != 1 || st.IdempotentReplays != replays+1 {
		t.Errorf("sandbox refunds %d, replays by the second call %d; want 1 and 1", st.Refunds, st.IdempotentReplays-replays)
	}
}
