package cli

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// TestExternalLoopbackSandboxGetsTheConsolesReceiver: with a `pixdesk
// sandbox` of its own on 127.0.0.1 (sandbox.Serve, which that command
// runs) and neither PIXDESK_WEBHOOK_URL nor PIXDESK_WEBHOOK_LISTEN set, the
// console opens a receiver on loopback and names it as webhookUrl, and PAID
// arrives by webhook: the engine here never polls before the payment has
// landed. A receiver on every address is named on loopback.
func TestExternalLoopbackSandboxGetsTheConsolesReceiver(t *testing.T) {
	for _, tc := range []struct {
		name, listen string
	}{
		{"no listener configured", ""},
		{"listening on every address", "0.0.0.0:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			base, sb, err := sandbox.Serve(ctx, "127.0.0.1:0", sandbox.Options{RetryBase: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer sb.Close()
			creds := sb.Credentials()
			dir := t.TempDir()
			env := map[string]string{
				"CONNECTPSP_BASE_URL": base, "CONNECTPSP_CLIENT_ID": creds.ClientID,
				"CONNECTPSP_CLIENT_SECRET": creds.ClientSecret.Reveal(), "CONNECTPSP_APPLICATION_TOKEN": creds.ApplicationToken.Reveal(),
				"CONNECTPSP_CRYPTO_TOKEN": creds.CryptoToken.Reveal(),
				"PIXDESK_DB":              filepath.Join(dir, "pixdesk.db"), "PIXDESK_LOG": filepath.Join(dir, "pixdesk.log"),
				"PIXDESK_TERMINAL": "caixa-01", "PIXDESK_WEBHOOK_LISTEN": tc.listen, "XDG_CONFIG_HOME": dir,
			}
			cfg, err := loadConfig("pixdesk", nil, envOf(env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.embedded || cfg.env != envSandbox || cfg.webhookURL != "" {
				t.Fatalf("config: embedded %v, env %s, webhookURL %q; want an external sandbox and no URL", cfg.embedded, cfg.env, cfg.webhookURL)
			}
			s, err := openStack(ctx, cfg, withEngine(func(c *engine.Config) {
				e2eFastEngine(c)
				c.PollFast, c.PollSlow, c.FastWindow = time.Hour, time.Hour, time.Hour // PAID must come by webhook
			}))
			if err != nil {
				t.Fatal(err)
			}
			defer s.stop(context.Background())
			s.start()
			if s.hookAt == "" || !strings.HasPrefix(s.hookURL, "http://127.0.0.1:") || !strings.HasSuffix(s.hookURL, engine.WebhookPath) {
				t.Fatalf("receiver %q, webhookUrl %q; want one on loopback, named", s.hookAt, s.hookURL)
			}
			ch, err := s.engine.Create(ctx, engine.Input{Amount: 1250, Payer: psp.Payer{Name: "Maria Souza", Document: "52998224725"}})
			if err != nil {
				t.Fatal(err)
			}
			if ch.WebhookURL != s.hookURL {
				t.Fatalf("charge names webhookUrl %q, want the console's %q", ch.WebhookURL, s.hookURL)
			}
			if _, err := sb.Pay(ch.TransactionID, 0); err != nil {
				t.Fatal(err)
			}
			e2eUntil(t, "PAID in the journal", func() bool {
				c, err := s.db.Get(ctx, ch.ID)
				return err == nil && c.Status == psp.StatusPaid
			})
			es, err := s.db.Timeline(ctx, ch.ID)
			if err != nil {
				t.Fatal(err)
			}
			byWebhook := false
			for _, e := range es {
				switch {
				case e.Kind == store.EntryWebhook && e.Status == psp.StatusPaid && e.Facts.Verdict == psp.VerdictGenuine:
					byWebhook = true
				case e.Kind == store.EntryPoll && e.Status == psp.StatusPaid:
					t.Errorf("PAID was seen by a poll, not (only) the webhook: %+v", e)
				}
			}
			if !byWebhook {
				t.Errorf("no genuine CASHIN_PAID delivery on the timeline: %+v", es)
			}
		})
	}
}
