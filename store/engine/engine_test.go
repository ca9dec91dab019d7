package engine

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
)

func TestWebhookMarksChargePaid(t *testing.T) {
	f := setup(t)
	cfg := f.config()
	cfg.PollFast, cfg.PollSlow = time.Hour, time.Hour // only the webhook may do it
	e := New(cfg)
	_, url := f.listen(e)
	e.SetWebhookURL(url)

	ch := f.create(e, Input{ExpiresInMinutes: 10})
	if ch.WebhookURL != e.webhookURL() {
		t.Errorf("stored webhook url %q, want %q", ch.WebhookURL, e.webhookURL())
	}
	if ch.ExternalReference == "" || ch.IdempotencyKey == "" {
		t.Errorf("reference %q, key %q: want both set", ch.ExternalReference, ch.IdempotencyKey)
	}
	if _, err := f.sb.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	paid := f.waitStatus(ch.ID, psp.StatusPaid)
	if paid.EndToEndID == "" {
		t.Error("paid charge has no endToEndId")
	}
	waitFor(t, "webhook notice", func() bool {
		return f.notices.has(func(n Notice) bool { return n.Kind == NoticeWebhook && n.ChargeID == ch.ID && n.Err == nil })
	})
	if e.Health().LastWebhook.IsZero() {
		t.Error("Health.LastWebhook not set")
	}
	if got := f.sb.Stats().Requests["GET /cash-in/{id}"]; got != 0 {
		t.Errorf("%d polls, want none", got)
	}
}

func TestForgedWebhookIsRefused(t *testing.T) {
	f := setup(t)
	e := New(f.config())
	ch := f.create(e, Input{Amount: 100})
	srv := httptest.NewServer(e.WebhookHandler())
	defer srv.Close()
	body := `{"eventType":"CASHIN_PAID","data":{"transactionId":"` + ch.TransactionID + `","status":"PAID","amount":1.00}}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
	req.Header.Set(psp.HeaderSignature, psp.Sign([]byte(body), "wrong key"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
	if !e.Health().LastWebhook.IsZero() {
		t.Error("a forged delivery set LastWebhook")
	}
	if f.notices.has(func(n Notice) bool { return n.Kind == NoticeWebhook }) {
		t.Error("a forged delivery was notified to the console")
	}
	if got := f.get(ch.ID); got.Status != psp.StatusAwaitingPayment || got.Flags != 0 || got.Version != ch.Version {
		t.Errorf("after a forged delivery: status %s, flags %s, version %d (was %d)", got.Status, got.Flags, got.Version, ch.Version)
	}
	var m strings.Builder
	if err := e.WriteMetrics(&m); err != nil || !strings.Contains(m.String(), "pixdesk_webhook_refused_total 1\n") {
		t.Errorf("refusal not counted (%v):\n%s", err, m.String())
	}
}

func TestPollFindsPaymentWithoutWebhook(t *testing.T) {
	f := setup(t)
	f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	e := New(f.config())
	f.run(e)
	ch := f.create(e, Input{})
	if h := e.Health(); h.Pending != 1 || !h.Reachable {
		t.Errorf("health %+v: want 1 pending, reachable", h)
	}
	if _, err := f.sb.Pay(ch.InternalCode, 0); err != nil {
		t.Fatal(err)
	}
	f.waitStatus(ch.ID, psp.StatusPaid)
	waitFor(t, "charge to leave the schedule", func() bool { return e.Health().Pending == 0 })
	if !f.notices.has(func(n Notice) bool { return n.Kind == NoticeChanged && n.Outcome == store.OutcomeApplied }) {
		t.Error("no NoticeChanged for the payment")
	}
}

func TestPollSeesCancellation(t *testing.T) {
	f := setup(t)
	e := New(f.config())
	f.run(e)
	ch := f.create(e, Input{})
	if err := f.sb.Cancel(ch.TransactionID); err != nil {
		t.Fatal(err)
	}
	f.waitStatus(ch.ID, psp.StatusCancelled)
	waitFor(t, "charge to leave the schedule", func() bool { return e.Health().Pending == 0 })
}

func TestCreateSurvivesDroppedResponse(t *testing.T) {
	f := setup(t)
	e := New(f.config())
	if err := e.client.Ping(f.ctx); err != nil { // so the drop hits POST /cash-in
		t.Fatal(err)
	}
	f.sb.SetFaults(sandbox.Faults{DropNext: 1})
	ch := f.create(e, Input{})
	st := f.sb.Stats()
	if st.CashInsCreated != 1 || st.IdempotentReplays != 1 {
		t.Errorf("sandbox created %d, replayed %d; want 1 and 1", st.CashInsCreated, st.IdempotentReplays)
	}
	if ch.Status != psp.StatusAwaitingPayment {
		t.Errorf("status %s", ch.Status)
	}
}

func TestCreateWhileDownThenResume(t *testing.T) {
	f := setup(t)
	e := New(f.config())
	f.sb.SetFaults(sandbox.Faults{FailNext: 1000})
	ch, err := e.Create(f.ctx, Input{Amount: 2500, Payer: payer})
	if err == nil || !psp.IsTemporary(err) {
		t.Fatalf("Create error %v: want a temporary one", err)
	}
	if ch == nil || ch.Stage != store.StagePending || ch.IdempotencyKey == "" {
		t.Fatalf("charge %+v: want it stored, pending, with its key", ch)
	}
	if h := e.Health(); h.Reachable || h.LastErr == "" || h.Creating != 1 {
		t.Errorf("health %+v: want unreachable, an error, one create waiting", h)
	}
	f.sb.SetFaults(sandbox.Faults{})
	got, err := e.Resume(f.ctx, ch.ID)
	if err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if got.Stage != store.StageCreated || got.IdempotencyKey != ch.IdempotencyKey {
		t.Errorf("after Resume: stage %s, key changed %v", got.Stage, got.IdempotencyKey != ch.IdempotencyKey)
	}
	if n := f.sb.Stats().CashInsCreated; n != 1 {
		t.Errorf("sandbox created %d charges, want 1", n)
	}
	if h := e.Health(); !h.Reachable || h.Creating != 0 || h.Pending != 1 {
		t.Errorf("health %+v: want reachable, nothing creating, one polled", h)
	}
	again, err := e.Resume(f.ctx, ch.ID)
	if err != nil || again.Stage != store.StageCreated {
		t.Errorf("second Resume: %v, stage %s", err, again.Stage)
	}
}

// A create whose answers are all lost may have created the charge: it stays
// pending, and the resumer's retry with the same key gets the same charge.
func TestBackgroundResumeAfterLostAnswers(t *testing.T) {
	f := setup(t)
	e := New(f.config())
	f.run(e)
	// Every answer is lost (net/http itself resends a request carrying an
	// X-Idempotency-Key once on a dead connection, hence more than 3).
	f.sb.SetFaults(sandbox.Faults{DropNext: 1000})
	ch, err := e.Create(f.ctx, Input{Payer: payer, Amount: 990})
	if err == nil || ch.Stage != store.StagePending {
		t.Fatalf("Create: %v, stage %v; want pending with an error", err, ch.Stage)
	}
	if n := f.sb.Stats().CashInsCreated; n != 1 {
		t.Fatalf("sandbox created %d, want 1", n)
	}
	f.sb.SetFaults(sandbox.Faults{})
	created := f.waitCharge(ch.ID, "background resume", func(c *store.Charge) bool { return c.Stage == store.StageCreated })
	st := f.sb.Stats()
	if st.CashInsCreated != 1 || st.IdempotentReplays == 0 {
		t.Errorf("sandbox created %d, replayed %d; want 1 and some", st.CashInsCreated, st.IdempotentReplays)
	}
	if created.IdempotencyKey != ch.IdempotencyKey {
		t.Error("the idempotency key changed")
	}
}

func TestCreateUnreachable(t *testing.T) {
	f := setup(t)
	cfg := f.config()
	ln := httptest.NewServer(http.NotFoundHandler())
	dead := ln.URL
	ln.Close() // nothing listens there now
	cfg.Client = f.client(dead, 2)
	e := New(cfg)
	ch, err := e.Create(f.ctx, Input{Amount: 100, Payer: payer})
	if !psp.IsTemporary(err) || ch.Stage != store.StagePending {
		t.Fatalf("Create: %v, stage %v; want temporary error, pending", err, ch.Stage)
	}
	pending, err := f.db.PendingCreates(f.ctx, "T1")
	if err != nil || len(pending) != 1 {
		t.Fatalf("PendingCreates: %d, %v", len(pending), err)
	}
}

// The cashier gives up (Esc) while ConnectPSP is slow: the charge stays
// pending and the resumer creates it exactly once.
func TestCancelledCreateIsResumed(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithCancel(f.ctx)
	cfg := f.config()
	cfg.Notify = func(n Notice) {
		f.notices.add(n)
		if n.Kind == NoticeProgress && n.Progress.Stage == psp.StageSending {
			cancel() // the cashier presses Esc once the request is on the wire
		}
	}
	e := New(cfg)
	f.run(e)
	f.sb.SetFaults(sandbox.Faults{Latency: 200 * time.Millisecond})
	ch, err := e.Create(ctx, Input{Amount: 300, Payer: payer})
	if !errors.Is(err, context.Canceled) || ch == nil || ch.Stage != store.StagePending {
		t.Fatalf("Create: %v, %+v; want cancelled and pending", err, ch)
	}
	f.waitCharge(ch.ID, "background resume", func(c *store.Charge) bool { return c.Stage == store.StageCreated })
	if n := f.sb.Stats().CashInsCreated; n != 1 {
		t.Errorf("sandbox created %d charges, want 1", n)
	}
}

func TestCreateValidates(t *testing.T) {
	f := setup(t)
	e := New(f.config())
	for _, tc := range []struct {
		name string
		in   Input
		want error
	}{
		{"zero amount", Input{Payer: payer}, ErrRequired},
		{"negative amount", Input{Amount: -1, Payer: payer}, ErrRange},
		{"no name", Input{Amount: 1, Payer: psp.Payer{Name: "  ", Document: payer.Document}}, ErrRequired},
		{"bidi in name", Input{Amount: 1, Payer: psp.Payer{Name: "Ana \u202eovlis", Document: payer.Document}}, ErrInvisible},
		{"bad document", Input{Amount: 1, Payer: psp.Payer{Name: "A", Document: "12345678900"}}, psp.ErrDocumentCheckDigits},
		{"bad reference", Input{Amount: 1, Payer: payer, Reference: "pedido 7"}, ErrChars},
		{"negative expiry", Input{Amount: 1, Payer: payer, ExpiresInMinutes: -1}, ErrRange},
	} {
		if _, err := e.Create(f.ctx, tc.in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := f.sb.Stats().Requests["POST /cash-in"]; n != 0 {
		t.Errorf("%d creates sent for invalid input", n)
	}
}

func TestCreateRejected(t *testing.T) {
	f := setup(t)
	e := New(f.config())
	ch, err := e.Create(f.ctx, Input{Amount: 100, Payer: payer, Reference: "ORDER-7"})
	if err != nil {
		t.Fatal(err)
	}
	// A second journal (another counter) sends the same order reference.
	other := *f
	other.dbPath = f.dbPath + ".other"
	cfg := f.config()
	cfg.DB = other.openDB()
	e2 := New(cfg)
	dup, err := e2.Create(f.ctx, Input{Amount: 100, Payer: payer, Reference: "ORDER-7"})
	if !errors.Is(err, psp.ErrDuplicateReference) {
		t.Fatalf("duplicate: %v, want ErrDuplicateReference", err)
	}
	if dup.Stage != store.StageRejected || !strings.Contains(dup.RejectReason, "ORDER-7") {
		t.Errorf("duplicate: stage %s, reason %q", dup.Stage, dup.RejectReason)
	}
	if n := f.sb.Stats().CashInsCreated; n != 1 {
		t.Errorf("sandbox created %d, want 1", n)
	}
	if h := e2.Health(); h.Creating != 0 || h.Pending != 0 {
		t.Errorf("rejected charge scheduled: %+v", h)
	}
	_ = ch
}

func TestRestartResumesPolling(t *testing.T) {
	f := setup(t)
	f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	first := New(f.config())
	ch := f.create(first, Input{})
	// A pending create left behind too.
	f.sb.SetFaults(sandbox.Faults{FailNext: 1000})
	pending, err := first.Create(f.ctx, Input{Amount: 700, Payer: payer})
	if err == nil {
		t.Fatal("Create succeeded while the sandbox fails")
	}
	f.sb.SetFaults(sandbox.Faults{})
	if _, err := f.sb.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}

	// "Restart": a new journal handle and engine on the same file.
	f.db = f.openDB()
	second := New(f.config())
	f.run(second)
	f.waitStatus(ch.ID, psp.StatusPaid)
	f.waitCharge(pending.ID, "pending create resumed", func(c *store.Charge) bool { return c.Stage == store.StageCreated })
	if n := f.sb.Stats().CashInsCreated; n != 2 {
		t.Errorf("sandbox created %d, want 2", n)
	}
}

// A genuine event for a charge this journal does not hold is kept and
// answered 200, so ConnectPSP stops retrying it.
func TestWebhookForUnknownCharge(t *testing.T) {
	f := setup(t)
	e := New(f.config())
	srv := httptest.NewServer(e.WebhookHandler())
	defer srv.Close()
	body := `{"eventType":"CASHIN_PAID","data":{"transactionId":"nope","status":"PAID","amount":1.00}}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
	req.Header.Set(psp.HeaderSignature, psp.Sign([]byte(body), f.sb.Credentials().CryptoToken))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d, want 200", resp.StatusCode)
	}
	// Answered once in the inbox; the notice follows its application.
	waitFor(t, "a webhook notice", func() bool {
		return f.notices.has(func(n Notice) bool { return n.Kind == NoticeWebhook && n.ChargeID == 0 && n.Err == nil })
	})
	var m strings.Builder
	if err := e.WriteMetrics(&m); err != nil || !strings.Contains(m.String(), "\npixdesk_webhook_inbox 0\n") {
		t.Errorf("the inbox gauge after its delivery was applied (%v):\n%s", err, m.String())
	}
}

// An engine whose first read of the store fails stops, and says so where a
// screen looks (Health.Stopped) and with a notice, rather than leaving the
// counter without polling in silence; a Run that starts cleanly clears it.
func TestRunFailureIsKnown(t *testing.T) {
	f := setup(t)
	db := f.openDB()
	cfg := f.config()
	cfg.DB = db
	e := New(cfg)
	db.Close()
	err := e.Run(f.ctx)
	if err == nil {
		t.Fatal("Run on a closed journal returned nil")
	}
	if h := e.Health(); h.Stopped != err.Error() {
		t.Errorf("Health.Stopped = %q, want Run's error %q", h.Stopped, err)
	}
	if !f.notices.has(func(n Notice) bool { return n.Kind == NoticeHealth && errors.Is(n.Err, err) }) {
		t.Error("no health notice carries Run's error")
	}

	e = New(f.config())
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	if err := e.Run(ctx); err != nil || e.Health().Stopped != "" {
		t.Errorf("a clean Run: %v, Stopped %q", err, e.Health().Stopped)
	}
}
