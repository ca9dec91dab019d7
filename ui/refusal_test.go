package ui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// The status bar says when refused deliveries spike, in the user's
// language, and says nothing of a stray one.
func TestStatusBarRefusals(t *testing.T) {
	for _, tc := range []struct {
		lang, want string
	}{{"pt-BR", "37 entregas recusadas na última hora"}, {"en", "37 deliveries refused in the last hour"}} {
		var out bytes.Buffer
		cfg := testConfig(&out)
		cfg.Lang = tc.lang
		m, _ := newTestModel(t, cfg, 120, 40)
		h := engine.Health{Reachable: true, TokenValid: true, RefusedLastHour: 37}
		if v := m.bar.view(120, h); !strings.Contains(v, tc.want) {
			t.Errorf("%s: the bar lacks %q:\n%s", tc.lang, tc.want, v)
		}
		h.RefusedLastHour = refusedSpike - 1
		if v := m.bar.view(120, h); strings.Contains(v, "recusadas") || strings.Contains(v, "refused") {
			t.Errorf("%s: the bar mentions %d refusals:\n%s", tc.lang, h.RefusedLastHour, v)
		}
	}
}

// An engine that stopped (its first read of the store failed) is said
// first on the bar, in the user's language, with why: nothing is polled
// any more and the cashier must know.
func TestStatusBarEngineStopped(t *testing.T) {
	for _, tc := range []struct {
		lang, want string
	}{{"pt-BR", "parado: nada é consultado nem reenviado — reinicie o pixdesk"}, {"en", "stopped: nothing is polled or sent again — restart pixdesk"}} {
		var out bytes.Buffer
		cfg := testConfig(&out)
		cfg.Lang = tc.lang
		m, _ := newTestModel(t, cfg, 120, 40)
		h := engine.Health{Reachable: true, TokenValid: true, Stopped: "engine: load open charges: database is locked"}
		v := m.bar.view(80, h) // whole at the narrowest window
		if !strings.Contains(v, tc.want) || !strings.Contains(v, "database is locked") {
			t.Errorf("%s: the bar lacks %q and why:\n%s", tc.lang, tc.want, v)
		}
		if v := m.bar.view(120, engine.Health{Reachable: true}); strings.Contains(v, tc.want) {
			t.Errorf("%s: the bar says the engine stopped while it runs:\n%s", tc.lang, v)
		}
	}
}

// A status pixdesk does not know is shown, in visible form, on the charge
// screen and in the lookup's detail, with the other-transaction flag.
func TestUnknownStatusShown(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, f := newTestModel(t, testConfig(&out), 120, 40)
		c := openCharge(1)
		c.UnknownStatus = "UNDER_REVIEW\x1b[2J"
		f.put(c)
		run(m, latestMsg{c: c})
		v := m.View()
		if !strings.Contains(v, "status desconhecido: UNDER_REVIEW^[[2J") || strings.Contains(v, "\x1b[2J") {
			t.Errorf("charge screen:\n%q", v)
		}

		lm, lf := newLookupModel(t, 120, 40)
		d := openCharge(9)
		d.InternalCode, d.TransactionID, d.ExternalReference = "UNK9XYZ", "tx9aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "PD-000099"
		d.UnknownStatus, d.Flags = "PROCESSING", store.FlagTxidMismatch
		lf.put(d)
		openDetail(t, lm, "UNK9XYZ")
		v = lm.View()
		for _, want := range []string{"status desconhecido: PROCESSING", "OUTRA TRANSAÇÃO"} {
			if !strings.Contains(v, want) {
				t.Errorf("detail lacks %q:\n%s", want, v)
			}
		}
	})
}
