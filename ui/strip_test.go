package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// stripLine is the open-charges strip on screen, or "".
func stripLine(m *Model) string {
	first, _, _ := strings.Cut(m.View(), "\n")
	if !strings.Contains(first, "Em aberto") {
		return ""
	}
	return first
}

// A charge paid while the cashier types the next one: the bell rings once,
// its entry turns to PAGO and stays after the flash has gone, until the
// cashier looks at it; coming back, the half-typed charge is still there.
func TestPaymentOffScreenStaysUntilSeen(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		clock := testNow
		cfg := testConfig(&out)
		cfg.Now = func() time.Time { return clock }
		m, f, c := chargeShown(t, cfg, 120, 40, nil)
		run(m, runes("n"))
		typeText(m, "99")
		press(m, tea.KeyTab)
		typeText(m, "Ana")
		if s := stripLine(m); !strings.Contains(s, "R$\u00a012,50 12:30") {
			t.Fatalf("the open charge is not in the strip with its time left: %q", s)
		}

		f.put(paid(c))
		run(m, ChangeMsg{store.Change{ChargeID: 1, Version: 2}})
		if s := stripLine(m); !strings.Contains(s, "✓ R$\u00a012,50 PAGO") {
			t.Fatalf("the payment does not show in the strip: %q", s)
		}
		if out.String() != "\a" {
			t.Errorf("terminal got %q, want one bell", out.String())
		}
		clock = clock.Add(flashFor + time.Second)
		run(m, tickMsg(clock))
		if v := m.View(); strings.Contains(v, "PAGO: R$") || !strings.Contains(stripLine(m), "PAGO") {
			t.Fatalf("the flash should be gone and the strip stay:\n%s", v)
		}

		run(m, tea.KeyMsg{Type: tea.KeyCtrlO})
		if m.active != m.result || m.result.c.ID != 1 {
			t.Fatalf("ctrl+o does not show the paid charge:\n%s", m.View())
		}
		if out.String() != "\a" {
			t.Error("seeing the payment rang the bell again")
		}
		press(m, tea.KeyEnter)
		if m.active != m.form || m.form.amount() != 99 || m.form.inputs[fName].Value() != "Ana" {
			t.Fatalf("the half-typed charge was lost: %v %q", m.form.amount(), m.form.inputs[fName].Value())
		}
		if s := stripLine(m); s != "" {
			t.Errorf("a seen payment stays in the strip: %q", s)
		}
	})
}

// ctrl+o goes through the open charges in the order they were made, and
// after the last one back to the form as it was left; n does too.
func TestCycleThroughOpenCharges(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, f := newTestModel(t, testConfig(&out), 120, 40)
		c1, c2 := openCharge(1), openCharge(2)
		c2.Amount, c2.CreatedAt = 800, c1.CreatedAt.Add(time.Minute)
		c2.ExpiresAt = testNow.Add(3 * time.Minute)
		f.put(c1)
		f.put(c2)
		run(m, openMsg{[]*store.Charge{c2, c1}})
		if m.active != m.form || !strings.Contains(stripLine(m), "R$\u00a012,50 12:30") || !strings.Contains(stripLine(m), "R$\u00a08,00 03:00") {
			t.Fatalf("the charges open at start are not in the strip:\n%s", m.View())
		}
		typeText(m, "4500")
		for _, want := range []int64{1, 2} {
			run(m, tea.KeyMsg{Type: tea.KeyCtrlO})
			if m.active != m.charge || m.charge.c.ID != want {
				t.Fatalf("ctrl+o: %T, want charge %d", m.active, want)
			}
			if s := stripLine(m); !strings.Contains(s, "▸ ") {
				t.Errorf("the charge on screen is not marked: %q", s)
			}
		}
		run(m, tea.KeyMsg{Type: tea.KeyCtrlO})
		if m.active != m.form || m.form.amount() != 4500 {
			t.Fatalf("after the last one: %T, amount %v", m.active, m.form.amount())
		}
		run(m, tea.KeyMsg{Type: tea.KeyCtrlO})
		run(m, runes("n"))
		if m.active != m.form || m.form.amount() != 4500 {
			t.Errorf("n lost the half-typed charge: amount %v", m.form.amount())
		}
	})
}

// With one charge open and a half-typed one, ctrl+o goes there and back.
func TestCycleWithOneCharge(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, _, _ := chargeShown(t, testConfig(&out), 120, 40, nil)
		run(m, runes("n"))
		typeText(m, "800")
		run(m, tea.KeyMsg{Type: tea.KeyCtrlO})
		if m.active != m.charge {
			t.Fatalf("ctrl+o from the form: %T", m.active)
		}
		run(m, tea.KeyMsg{Type: tea.KeyCtrlO})
		if m.active != m.form || m.form.amount() != 800 {
			t.Fatalf("ctrl+o back: %T, amount %v", m.active, m.form.amount())
		}
	})
}

// With only the charge on screen open, there is no strip and no ctrl+o.
func TestNoStripForTheChargeAlone(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, _, _ := chargeShown(t, testConfig(&out), 120, 40, nil)
		if v := m.View(); stripLine(m) != "" || strings.Contains(v, "ctrl+o") {
			t.Errorf("a strip or ctrl+o with nothing else open:\n%s", v)
		}
	})
}

// More open charges than fit: the one on screen is still in the strip,
// and "+N" counts the others left out.
func TestStripKeepsTheChargeOnScreen(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, _ := newTestModel(t, testConfig(&out), 80, 24)
		var cs []*store.Charge
		for i := range 8 {
			c := openCharge(int64(i + 1))
			c.Amount = psp.Amount(1000 * (i + 1))
			c.CreatedAt = c.CreatedAt.Add(time.Duration(i) * time.Second)
			cs = append(cs, c)
		}
		run(m, openMsg{cs})
		s := stripLine(m)
		if !strings.Contains(s, "R$\u00a010,00") || !strings.Contains(s, "+") {
			t.Fatalf("eight charges at 80 columns: %q", s)
		}
		for range 7 {
			run(m, tea.KeyMsg{Type: tea.KeyCtrlO})
		}
		s = stripLine(m)
		if m.charge.c.ID != 7 || !strings.Contains(s, "▸ R$\u00a070,00") || !strings.Contains(s, "+") {
			t.Errorf("the charge on screen (7) is not in the strip: %q", s)
		}
		if w := lipgloss.Width(s); w > 80 {
			t.Errorf("strip of %d cells", w)
		}
	})
}

// After n the cashier is on a fresh form; a reload of the charge that
// answers late (older than the copy shown) must not take the form away,
// nor must the current copy arriving again.
func TestLateReloadKeepsTheNewForm(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, _, c := chargeShown(t, testConfig(&out), 120, 40, nil)
		run(m, runes("n"))
		if m.active != m.form {
			t.Fatalf("n does not open the form:\n%s", m.View())
		}
		older := *c
		older.Stage, older.Status, older.Version = store.StagePending, "", c.Version-1
		run(m, chargeMsg{id: c.ID, c: &older})
		run(m, chargeMsg{id: c.ID, c: c})
		if m.active != m.form {
			t.Fatalf("a late reload took the form away:\n%s", m.View())
		}
	})
}
