package cli

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store/engine"
)

// A console on a `pixdesk sandbox` running in another process, not built
// in, simulates the payment too (key p): the sandbox's control endpoint
// pays the charge and its webhook makes it PAID at the console. Against
// ConnectPSP there is nothing to simulate with.
func TestSimulatePayOnAnExternalSandbox(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, sb, err := sandbox.Serve(ctx, "127.0.0.1:0", sandbox.Options{RetryBase: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config{baseURL: base, creds: sb.Credentials(), env: envSandbox,
		db: filepath.Join(t.TempDir(), "j.db"), terminal: "C01"}
	st, err := openStack(ctx, cfg, withLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.stop(context.Background())
	if st.sandbox != nil || st.pay == nil || !uiConfig(cfg, st, system{getenv: func(string) string { return "" }}, detectTerminal(func(string) string { return "" })).Sandbox {
		t.Fatalf("a console on an external sandbox: built in %v, can pay %v", st.sandbox != nil, st.pay != nil)
	}
	ch, err := st.engine.Create(ctx, engine.Input{Amount: 1250, Payer: testPayer})
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{Engine: st.engine, db: st.db, client: st.client, pay: st.pay, terminal: cfg.terminal}
	if err := b.SimulatePay(ctx, ch.ID); err != nil {
		t.Fatalf("p on an external sandbox: %v", err)
	}
	waitUntil(t, "the charge PAID at the console by its webhook", func() bool {
		c, err := st.db.Get(ctx, ch.ID)
		return err == nil && c.Status == psp.StatusPaid
	})
	if err := b.SimulatePay(ctx, ch.ID); err == nil {
		t.Error("paying a paid charge again succeeded")
	}

	staging := &config{baseURL: base, creds: sb.Credentials(), env: envStaging,
		db: filepath.Join(t.TempDir(), "s.db"), terminal: "C02"}
	ss, err := openStack(ctx, staging, withLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer ss.stop(context.Background())
	if ss.pay != nil {
		t.Error("a console on ConnectPSP can simulate a payment")
	}
}
