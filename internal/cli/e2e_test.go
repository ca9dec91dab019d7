package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// e2eMaria is the sale most tests make.
var e2eMaria = e2eSale{amount: "1250", name: "Maria Souza", doc: "12345678909", ref: "PED-1"}

// The payer pays; ConnectPSP posts CASHIN_PAID to the console's own
// listener; the engine records it; the console, told through ui.Forward,
// shows PAID and rings once.
func TestE2EWebhookShowsPaid(t *testing.T) {
	st := e2eOpenMain(t, t.TempDir())
	c := st.console(false, nil)
	c.sell(e2eMaria)
	c.waitFor("the charge screen", e2eOnCharge, "PED-1", "R$\u00a012,50", "Maria Souza")
	ch := st.only()
	if ch.Stage != store.StageCreated || ch.Status != psp.StatusAwaitingPayment || ch.WebhookURL != st.hookURL {
		t.Fatalf("charge after create: stage %s status %s webhookUrl %q (listener %q)", ch.Stage, ch.Status, ch.WebhookURL, st.hookURL)
	}
	if _, err := st.sandbox.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	c.waitPaid("PED-1")
	c.waitFor("the webhook's time in the status bar", "· last ")
	e2eUntil(t, "the bell", func() bool { return c.out.String() != "" })
	webhook := false
	for _, e := range st.timeline(ch.ID) {
		if e.Kind == store.EntryWebhook && e.Status == psp.StatusPaid && e.Facts.Verdict == psp.VerdictGenuine {
			webhook = true
		}
	}
	if !webhook {
		t.Errorf("no genuine CASHIN_PAID delivery in the timeline: %+v", st.timeline(ch.ID))
	}
	if got := c.out.String(); got != "\a" {
		t.Errorf("terminal got %q, want one bell", got)
	}
	if n := st.sandbox.Stats().CashInsCreated; n != 1 {
		t.Errorf("%d charges at ConnectPSP, want 1", n)
	}
}

// No webhook ever arrives: the engine's polling finds the payment.
func TestE2EPollShowsPaidWithoutWebhook(t *testing.T) {
	st := e2eOpenMain(t, t.TempDir())
	st.sandbox.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	c := st.console(false, nil)
	c.sell(e2eMaria)
	c.waitFor("the charge screen", e2eOnCharge, "PED-1")
	c.typeText("p") // the sandbox's simulated payment, from the console
	c.waitPaid("PED-1")
	ch := st.only()
	polled := false
	for _, e := range st.timeline(ch.ID) {
		switch {
		case e.Kind == store.EntryWebhook:
			t.Errorf("a webhook reached the console with webhooks disabled: %+v", e)
		case e.Kind == store.EntryPoll && e.Status == psp.StatusPaid:
			polled = true
		}
	}
	if !polled {
		t.Errorf("PAID was not seen by a poll: %+v", st.timeline(ch.ID))
	}
}

// A payment in the charge's last second, whose webhook is lost: at zero
// the console says it is confirming, asks ConnectPSP once, and shows PAID —
// never EXPIRED. Nothing polls before the expiry (the poll interval is
// longer than the charge's life), so only the console's question at zero
// can find the payment.
func TestE2EPaymentInTheLastSecondIsPaid(t *testing.T) {
	clock := newE2EClock()
	st := e2eAssemble(t, t.TempDir(), e2eOptions{clock: clock, tune: func(c *engine.Config) {
		e2eFastEngine(c)
		c.PollFast, c.PollSlow = time.Hour, time.Hour
		c.HealthEvery = time.Hour
	}})
	st.sandbox.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	c := st.console(false, nil)
	c.sell(e2eSale{amount: "4990", name: "Maria Souza", doc: "12345678909", ref: "PED-EXP", expiry: "1"})
	c.waitFor("the charge screen", e2eOnCharge, "PED-EXP", "01:00")
	ch := st.only()
	if got := ch.ExpiresAt.Sub(ch.RequestedAt); got != time.Minute {
		t.Fatalf("charge valid for %s, want 1m", got)
	}

	clock.Set(ch.ExpiresAt.Add(-time.Second))
	c.waitFor("the last second on the countdown", "⚠ 00:01")
	if _, err := st.sandbox.Pay(ch.TransactionID, 0); err != nil {
		t.Fatalf("pay in the last second: %v", err)
	}
	clock.Set(ch.ExpiresAt.Add(time.Second))
	c.waitPaid("PED-EXP")
	if !c.scr.ever(e2eConfirming) {
		t.Error("the countdown at zero did not say it was confirming with ConnectPSP")
	}
	for _, f := range c.scr.allFrames() {
		if strings.Contains(f, e2eExpiredBanner) || strings.Contains(f, "Expired at") || strings.Contains(f, "EXPIRED") {
			t.Fatalf("EXPIRED was shown for a charge paid in its last second:\n%s", f)
		}
	}
	got := st.only()
	if got.Status != psp.StatusPaid || got.Flags&store.FlagPaidAfterExpiry != 0 || !got.PaidAt.Before(got.ExpiresAt) {
		t.Errorf("journal: status %s flags %s paid %s expires %s", got.Status, got.Flags, got.PaidAt, got.ExpiresAt)
	}
}

// ConnectPSP creates the charge but the answer is lost on the way back:
// the client sends the create again with the same key, and ConnectPSP
// replays its answer instead of charging twice.
func TestE2EDroppedCreateAnswerChargesOnce(t *testing.T) {
	st := e2eOpenMain(t, t.TempDir())
	// The engine's first health check fetches a token; after it, the next
	// API call is the create.
	e2eUntil(t, "an access token", func() bool { return st.engine.Health().TokenValid })
	st.sandbox.SetFaults(sandbox.Faults{DropNext: 1})
	c := st.console(false, nil)
	c.sell(e2eMaria)
	c.waitFor("the charge screen", e2eOnCharge, "PED-1")
	stats := st.sandbox.Stats()
	if stats.CashInsCreated != 1 || stats.IdempotentReplays < 1 || stats.Requests["POST /cash-in"] < 2 {
		t.Fatalf("created %d, replays %d, POST /cash-in %d: want 1 charge, the dropped answer replayed",
			stats.CashInsCreated, stats.IdempotentReplays, stats.Requests["POST /cash-in"])
	}
	st.only()
	c.typeText("p")
	c.waitPaid("PED-1")
	if n := st.sandbox.Stats().CashInsCreated; n != 1 {
		t.Errorf("%d charges at ConnectPSP, want 1", n)
	}
}

// The console is closed with a charge awaiting payment and opened again on
// the same journal and sandbox state: it opens the charge with the time it
// really has left, nothing is created again, and the payment shows.
func TestE2ERestartResumesTheOpenCharge(t *testing.T) {
	dir := t.TempDir()
	st := e2eOpenMain(t, dir)
	c := st.console(false, nil)
	c.sell(e2eMaria)
	c.waitFor("the charge screen", e2eOnCharge, "PED-1")
	ch := st.only()
	c.stop()
	st.close()

	st2 := e2eOpenMain(t, dir)
	// The second console's clock stands 3m17s after the request: the
	// countdown must read 11:43 of the 15 minutes.
	at := ch.ExpiresAt.Add(-(11*time.Minute + 43*time.Second))
	c2 := st2.console(false, func() time.Time { return at })
	c2.waitFor("the resumed charge with its real time left", e2eOnCharge, "PED-1", "11:43", ch.InternalCode)
	c2.typeText("p")
	c2.waitPaid("PED-1")
	if n := st2.sandbox.Stats().CashInsCreated; n != 0 {
		t.Errorf("the restarted console created %d charges, want none", n)
	}
	if got := st2.only(); got.ID != ch.ID || got.TransactionID != ch.TransactionID || got.Status != psp.StatusPaid {
		t.Errorf("after restart: charge %d %s %s, want %d %s PAID", got.ID, got.TransactionID, got.Status, ch.ID, ch.TransactionID)
	}
}

// The console is closed while a create has no answer yet (ConnectPSP is
// slow and the cashier quits): the intent is in the journal, and the
// console opened again sends it with the same key, shows the charge and
// its payment — one charge at ConnectPSP.
func TestE2ERestartSendsThePendingCreate(t *testing.T) {
	dir := t.TempDir()
	st := e2eOpenMain(t, dir)
	e2eUntil(t, "an access token", func() bool { return st.engine.Health().TokenValid })
	st.sandbox.SetFaults(sandbox.Faults{Latency: time.Hour})
	c := st.console(false, nil)
	c.sell(e2eMaria)
	c.waitFor("the create on the wire", "Sending to ConnectPSP")
	c.stop()
	ch := st.only()
	st.close()
	if ch.Stage != store.StagePending || st.sandbox.Stats().CashInsCreated != 0 {
		t.Fatalf("before restart: stage %s, %d created; want a pending intent and nothing at ConnectPSP", ch.Stage, st.sandbox.Stats().CashInsCreated)
	}

	st2 := e2eOpenMain(t, dir)
	c2 := st2.console(false, nil)
	c2.waitFor("the charge created after the restart", e2eOnCharge, "PED-1", "R$\u00a012,50")
	c2.typeText("p")
	c2.waitPaid("PED-1")
	got := st2.only()
	if got.ID != ch.ID || got.IdempotencyKey != ch.IdempotencyKey || st2.sandbox.Stats().CashInsCreated != 1 {
		t.Errorf("after restart: charge %d key %s, %d created; want %d, key %s, 1 created",
			got.ID, got.IdempotencyKey, st2.sandbox.Stats().CashInsCreated, ch.ID, ch.IdempotencyKey)
	}
}

// ConnectPSP fails with 500s, answers slower than the client waits, or
// cannot be reached at all. The creating screen says ConnectPSP did not
// answer and that the charge is being sent again with the same key, the
// status bar says ConnectPSP is unreachable, the typed values stay on
// screen, and once ConnectPSP is back the charge appears and is paid —
// created exactly once.
func TestE2EConnectPSPOutages(t *testing.T) {
	for _, tc := range []struct {
		name      string
		fail, fix func(st *e2eStack)
		says      string // the failure as the creating screen words it
	}{
		{"500s",
			func(st *e2eStack) { st.sandbox.SetFaults(sandbox.Faults{FailNext: 1 << 30}) },
			func(st *e2eStack) { st.sandbox.SetFaults(sandbox.Faults{}) },
			"500"},
		{"slower than the timeout",
			func(st *e2eStack) { st.sandbox.SetFaults(sandbox.Faults{Latency: time.Hour}) },
			func(st *e2eStack) { st.sandbox.SetFaults(sandbox.Faults{}) },
			"deadline exceeded"},
		{"unreachable",
			func(st *e2eStack) { st.proxy.down() },
			func(st *e2eStack) { st.proxy.up() },
			"connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := e2eAssemble(t, t.TempDir(), e2eOptions{proxy: true, client: e2eQuickClient, tune: e2eFastEngine})
			c := st.console(false, nil)
			c.waitFor("the link up", e2eLinkUp)
			tc.fail(st)
			c.sell(e2eSale{amount: "8790", name: "João da Silva", doc: "12345678909", ref: "PED-OUT"})
			v := c.waitFor("the creating screen to explain the outage",
				"Creating a charge of R$\u00a087,90 for João da Silva", e2eNoAnswer, e2eAutoResend, e2eLinkDown)
			if !strings.Contains(v, tc.says) {
				t.Errorf("the creating screen does not say %q:\n%s", tc.says, v)
			}
			c.waitFor("the background retries to show", "Network error: attempt")
			if n := st.sandbox.Stats().CashInsCreated; n != 0 {
				t.Fatalf("%d charges created during the outage", n)
			}
			if ch := st.only(); ch.Stage != store.StagePending || ch.ExternalReference != "PED-OUT" || ch.Amount != 8790 {
				t.Fatalf("the intent: stage %s ref %s amount %d", ch.Stage, ch.ExternalReference, ch.Amount)
			}
			tc.fix(st)
			c.waitFor("the charge once ConnectPSP is back", e2eOnCharge, "PED-OUT", "R$\u00a087,90", "João da Silva", e2eLinkUp)
			c.typeText("p")
			c.waitPaid("PED-OUT")
			if n := st.sandbox.Stats().CashInsCreated; n != 1 {
				t.Errorf("%d charges at ConnectPSP, want 1", n)
			}
			st.only()
		})
	}
}

// The cashier stops waiting during an outage: the form comes back with a
// warning not to charge again, and the charge, created once ConnectPSP is
// back, opens by itself on the untouched form.
func TestE2EStopWaitingDuringAnOutage(t *testing.T) {
	st := e2eAssemble(t, t.TempDir(), e2eOptions{proxy: true, client: e2eQuickClient, tune: e2eFastEngine})
	c := st.console(false, nil)
	st.proxy.down()
	c.sell(e2eSale{amount: "8790", name: "João da Silva", doc: "12345678909", ref: "PED-ESC"})
	c.waitFor("the creating screen", e2eNoAnswer)
	c.press(tea.KeyEsc)
	c.waitFor("the form with a warning", "New PIX charge", "do not create another")
	st.proxy.up()
	c.waitFor("the charge created in the background", e2eOnCharge, "PED-ESC")
	c.typeText("p")
	c.waitPaid("PED-ESC")
	if n := st.sandbox.Stats().CashInsCreated; n != 1 {
		t.Errorf("%d charges at ConnectPSP, want 1", n)
	}
	st.only()
}

// ConnectPSP's access token runs out between calls (its clock moved on
// while the client still holds the token): the create and the later
// refresh are each refused with TOKEN_EXPIRED, sent again with a new token,
// and the charge completes.
func TestE2ETokenExpiresMidFlow(t *testing.T) {
	clock := newE2EClock()
	st := e2eAssemble(t, t.TempDir(), e2eOptions{clock: clock, tokenLifetime: 10 * time.Minute, proxy: true,
		tune: func(c *engine.Config) {
			e2eFastEngine(c)
			// Nothing calls ConnectPSP behind the test's back: no health
			// ping renews the token, no poll uses it.
			c.PollFast, c.PollSlow, c.HealthEvery = time.Hour, time.Hour, time.Hour
		}})
	st.sandbox.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	c := st.console(false, nil)
	e2eUntil(t, "an access token", func() bool { return st.engine.Health().TokenValid })

	clock.Advance(11 * time.Minute) // the token has expired at ConnectPSP
	c.sell(e2eSale{amount: "1250", name: "Maria Souza", doc: "12345678909", ref: "PED-TOK", expiry: "60"})
	c.waitFor("the charge screen", e2eOnCharge, "PED-TOK")
	if n := st.proxy.expiredAnswers(); n != 1 {
		t.Fatalf("%d TOKEN_EXPIRED answers before the charge appeared, want 1 (the create's)", n)
	}
	ch := st.only()
	clock.Advance(11 * time.Minute) // and the second token too
	if _, err := st.sandbox.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	c.typeText("r") // ask ConnectPSP now
	c.waitPaid("PED-TOK")
	stats := st.sandbox.Stats()
	if n := st.proxy.expiredAnswers(); n != 2 || stats.TokensIssued != 3 || stats.CashInsCreated != 1 {
		t.Errorf("TOKEN_EXPIRED %d, tokens issued %d, created %d: want 2, 3, 1", n, stats.TokensIssued, stats.CashInsCreated)
	}
}

// e2eBackground is a context for direct calls in tests.
func e2eBackground(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), e2eWait)
	t.Cleanup(cancel)
	return ctx
}
