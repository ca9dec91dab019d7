package ui

import (
	"strings"
	"testing"
)

// The status bar says where webhooks go: the console's own listener, or,
// with none, the receiver it names to ConnectPSP (serve's); "off" only
// when neither.
func TestStatusBarWebhook(t *testing.T) {
	for _, tc := range []struct {
		addr, via, want string
	}{
		{":8080", "", "webhook :8080 · nenhum evento"},
		{"", "127.0.0.1:8443", "webhook via 127.0.0.1:8443"},
		{"", "", "webhook desligado"},
	} {
		cfg := testConfig(nil)
		cfg.WebhookAddr, cfg.WebhookVia = tc.addr, tc.via
		m, _ := newTestModel(t, cfg, 120, 30)
		if got := text(m.View()); !strings.Contains(got, tc.want) {
			t.Errorf("addr %q via %q: the bar lacks %q:\n%s", tc.addr, tc.via, tc.want, got)
		}
	}
}
