package ui

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/pixdesk/pixdesk/internal/safetext/hostiletest"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// testDayClose is a day of counter C01 on testNow's day: eight charges, a
// payment of another amount, a late one, one still open, and a payment
// whose webhook was lost, found by the reconciliation.
func testDayClose() *engine.DayClose {
	from := time.Date(2026, 3, 10, 0, 0, 0, 0, brt)
	hour := func(h, n int, a psp.Amount) store.HourTotal {
		return store.HourTotal{Start: from.Add(time.Duration(h) * time.Hour), Hour: h, Count: n, Amount: a}
	}
	t := store.Totals{
		Charges: 8, Amount: 23540,
		ByStatus: []store.StatusTotal{
			{Stage: store.StageCreated, Status: psp.StatusAwaitingPayment, Count: 1, Amount: 300},
			{Stage: store.StageCreated, Status: psp.StatusPaid, Count: 5, Amount: 18240, Paid: 18300},
			{Stage: store.StageCreated, Status: psp.StatusExpired, Count: 1, Amount: 2000},
			{Stage: store.StageCreated, Status: psp.StatusRefunded, Count: 1, Amount: 1500, Paid: 1500},
		},
		Received: 19800, Refunds: store.Tally{Count: 1, Amount: 1500}, Net: 18300,
		Mismatches: store.Tally{Count: 1, Amount: 1310}, Late: store.Tally{Count: 1, Amount: 4000},
		Open: store.Tally{Count: 1, Amount: 300},
	}
	return &engine.DayClose{
		DayReport: &store.DayReport{
			Terminal: "C01", Day: "2026-03-10", Zone: "BRT", From: from, To: from.AddDate(0, 0, 1),
			Total: t, Operators: []store.Totals{t},
			Hours: []store.HourTotal{hour(8, 1, 1250), hour(9, 2, 5300), hour(11, 3, 9940), hour(14, 1, 2000)},
		},
		Reconciliation: engine.Reconciliation{Asked: 3, Changed: []engine.Reconciled{{
			ChargeID: 41, Reference: "PD-000041", InternalCode: "K7Q2M9X", Amount: 1250,
			From: psp.StatusAwaitingPayment, To: psp.StatusPaid, Outcome: store.OutcomeApplied,
		}}},
	}
}

// openDayClose is the scene's drive: the form, then ctrl+t.
func openDayClose(t *testing.T, tm *teatest.TestModel, _ *fakeBackend) {
	waitFor(t, tm, "Nova cobrança PIX")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlT})
}

var closeScenes = []scene{
	{
		name:   "close_preview",
		setup:  func(_ *testing.T, f *fakeBackend) { f.prepared = testDayClose() },
		drive:  openDayClose,
		marker: []string{"Fechamento do caixa C01", "PD-000041", "Confira e tecle s"},
	},
	{
		name:  "close_sealed",
		setup: func(_ *testing.T, f *fakeBackend) { f.prepared = testDayClose() },
		drive: func(t *testing.T, tm *teatest.TestModel, f *fakeBackend) {
			openDayClose(t, tm, f)
			waitFor(t, tm, "Confira e tecle s")
			tm.Type("s")
		},
		marker: []string{"Dia fechado em", "sha256 3f9a0c1e5b7d2468"},
	},
	{
		name:  "close_en_failed",
		cfg:   func(c *Config) { c.Lang = "en" },
		setup: func(_ *testing.T, f *fakeBackend) { f.prepared = failedClose() },
		drive: func(t *testing.T, tm *teatest.TestModel, _ *fakeBackend) {
			waitFor(t, tm, "New PIX charge")
			tm.Send(tea.KeyMsg{Type: tea.KeyCtrlT})
		},
		marker: []string{"Day's close, counter C01", "could not be checked", "check again"},
	},
}

// failedClose is testDayClose where ConnectPSP could not be asked about
// one charge.
func failedClose() *engine.DayClose {
	c := testDayClose()
	c.Reconciliation.Failed = []engine.Reconciled{{ChargeID: 42, Reference: "PD-000042", Amount: 300,
		From: psp.StatusAwaitingPayment, Err: "connectpsp: 503 service unavailable"}}
	return c
}

// TestCloseGolden captures the close screen at 80×24 and 120×40. Refresh
// with: go test ./ui -run TestCloseGolden -update
func TestCloseGolden(t *testing.T) {
	for _, sc := range closeScenes {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				capture(t, sc, size[0], size[1])
			})
		}
	}
}

// runClose starts the console over f, opens the close and waits for marker.
func runClose(t *testing.T, f *fakeBackend, marker string) *teatest.TestModel {
	t.Helper()
	var out bytes.Buffer
	m := New(testConfig(&out), f)
	m.still = true
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	openDayClose(t, tm, f)
	waitFor(t, tm, marker)
	return tm
}

func finalClose(t *testing.T, tm *teatest.TestModel) *Model {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
}

// A burst of s seals the day once; the sealed day then shows as such, and
// opening the close again reprints it rather than closing it twice.
func TestCloseSealsOnce(t *testing.T) {
	f := newFake()
	f.prepared = testDayClose()
	tm := runClose(t, f, "Confira e tecle s")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("ss")})
	tm.Type("s")
	waitFor(t, tm, "Dia fechado em")
	sendKeys(tm, tea.KeyEsc)
	waitFor(t, tm, "Nova cobrança PIX")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlT})
	waitFor(t, tm, "já foi fechado")
	m := finalClose(t, tm)
	if f.seals != 1 {
		t.Errorf("Seal called %d times, want 1", f.seals)
	}
	if v := m.View(); !strings.Contains(v, "já foi fechado") || strings.Contains(v, "fechar e selar") {
		t.Errorf("reprint screen:\n%s", v)
	}
}

// A reconciliation that could not check every charge offers no seal: s
// does nothing, and the help says how to try again.
func TestCloseRefusesPartial(t *testing.T) {
	f := newFake()
	f.prepared = failedClose()
	tm := runClose(t, f, "não foi possível conferir")
	tm.Type("s")
	m := finalClose(t, tm)
	if f.seals != 0 {
		t.Errorf("Seal called %d times on a partial reconciliation", f.seals)
	}
	if v := m.View(); strings.Contains(v, "fechar e selar") || !strings.Contains(v, "conferir de novo") ||
		!strings.Contains(v, "o dia não pode ser fechado agora") {
		t.Errorf("screen:\n%s", v)
	}
}

// The chart's bars grow with the count and every hour that had a payment
// shows, however small next to the busiest.
func TestHourChart(t *testing.T) {
	st := NewStyles(nil, true)
	hours := []store.HourTotal{{Hour: 0, Count: 1}, {Hour: 12, Count: 16}, {Hour: 23, Count: 8}}
	got := hourChart(st, "pt-BR", hours, 1, 2)
	want := []string{
		"Pagamentos por hora máx. 16",
		"            █          ",
		"▁           █          █",
		"0     6     12    18",
	}
	for i := range want {
		if i >= len(got) || strings.TrimRight(got[i], " ") != strings.TrimRight(want[i], " ") {
			t.Fatalf("chart:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// Outside text in a close — ConnectPSP's error, an internal code, an
// operator's name — is shown in its visible form on the screen and in
// pixdesk close's text, never obeyed.
func TestCloseShowsHostileText(t *testing.T) {
	for _, kind := range hostiletest.Kinds {
		t.Run(kind.Name, func(t *testing.T) {
			c := failedClose()
			c.Reconciliation.Failed[0].Err = kind.Raw
			c.Reconciliation.Changed[0].Reference = "PD-" + kind.Raw
			c.Operators = []store.Totals{c.Total, c.Total}
			c.Operators[1].Operator = kind.Raw
			var b bytes.Buffer
			if err := WriteClose(&b, c, "pt-BR", brt, "", false, false); err != nil {
				t.Fatal(err)
			}
			if err := hostiletest.Check(b.String()); err != nil {
				t.Errorf("pixdesk close: %v", err)
			}
			if !strings.Contains(b.String(), kind.Seen) {
				t.Errorf("pixdesk close does not show %q:\n%s", kind.Seen, b.String())
			}
			f := newFake()
			f.prepared = c
			tm := runClose(t, f, "o dia não pode ser fechado agora")
			v := finalClose(t, tm).View()
			if err := hostiletest.Check(v); err != nil {
				t.Errorf("close screen: %v", err)
			}
		})
	}
}

// The operator signed in is who sealed the day: the close carries the
// name to the engine, which writes it into the audit trail.
func TestCloseNamesWhoSealed(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, f, _, _ := operatorsConsole(t, &out, nil)
		signInAs(m, "ana", "1234")
		f.prepared = testDayClose()
		run(m, tea.KeyMsg{Type: tea.KeyCtrlT})
		run(m, runes("s"))
		f.mu.Lock()
		defer f.mu.Unlock()
		sealed := f.sealed[f.prepared.Day]
		if sealed == nil || sealed.ClosedBy != "ana" {
			t.Fatalf("sealed %+v; want the day closed by ana\n%s", sealed, m.View())
		}
	})
}
