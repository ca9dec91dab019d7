package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// openDetail searches for text and opens the first row.
func openDetail(t *testing.T, m *Model, text string) {
	t.Helper()
	search(m, text)
	press(m, tea.KeyEnter)
	if m.active != m.detail || m.detail.c == nil {
		t.Fatalf("the detail of %q did not open", text)
	}
}

func TestDetailShowsEverything(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newLookupModel(t, 120, 40)
		openDetail(t, m, "US7B1JQ")
		v := m.View()
		for _, want := range []string{
			"Transação 1", "PAGO", "12,50", "João da Silva", "***.456.789-**", "v: mostrar",
			"Banco do Brasil S.A. · ISPB 00000000 · agência 0001 · conta 123456", fixTxID, fixE2E, "caixa-01",
			"Histórico (8)", "Webhook · assinatura INVÁLIDA", "Webhook · assinatura válida", "repetido", "Consulta",
			"AGUARDANDO → PAGO", "evento 1a2b…, CASHIN_PAID", "3 respostas iguais, a última às 11:20:58",
		} {
			if !strings.Contains(v, want) {
				t.Errorf("detail lacks %q:\n%s", want, v)
			}
		}
		if strings.Contains(v, "123.456.789-09") {
			t.Error("the document is shown before it is revealed")
		}
		run(m, runes("v"))
		if v := m.View(); !strings.Contains(v, "123.456.789-09") {
			t.Errorf("v does not reveal the document:\n%s", v)
		}
		// Actions follow the status: a paid charge can be refunded, not reopened.
		k := m.detail.keysNow()
		if !k.Refund.Enabled() || k.Reopen.Enabled() || k.Import.Enabled() {
			t.Errorf("PAID: refund %v reopen %v import %v", k.Refund.Enabled(), k.Reopen.Enabled(), k.Import.Enabled())
		}
		if v := m.View(); !strings.Contains(v, "e estornar") || strings.Contains(v, "reabrir QR") {
			t.Errorf("help line of a paid charge:\n%s", v)
		}
		press(m, tea.KeyEsc)
		if m.active != m.lookup {
			t.Error("esc does not go back to the list")
		}
	})
}

func TestDetailFlags(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newLookupModel(t, 120, 40)
		openDetail(t, m, "MM5NN6P")
		v := m.View()
		for _, want := range []string{"VALOR PAGO DIFERENTE: cobrado R$", "ENTREGA FORJADA", "pago R$"} {
			if !strings.Contains(v, want) {
				t.Errorf("flags lack %q:\n%s", want, v)
			}
		}
	})
}

func TestDetailReopensTheQR(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newLookupModel(t, 120, 40)
		openDetail(t, m, "AB12CD3")
		k := m.detail.keysNow()
		if k.Refund.Enabled() || !k.Reopen.Enabled() {
			t.Fatalf("AWAITING: refund %v reopen %v", k.Refund.Enabled(), k.Reopen.Enabled())
		}
		if v := m.View(); !strings.Contains(v, "restam 05:00") || strings.Contains(v, "estornar") {
			t.Errorf("awaiting detail:\n%s", v)
		}
		run(m, runes("o"))
		if m.active != m.charge || m.charge.c.ID != 2 {
			t.Fatal("o does not reopen the QR")
		}
		if v := m.View(); !strings.Contains(v, "05:00") {
			t.Errorf("the QR's countdown is not the real remaining time:\n%s", v)
		}
		// ctrl+f comes back to the lookup.
		run(m, tea.KeyMsg{Type: tea.KeyCtrlF})
		if m.active != m.lookup {
			t.Error("ctrl+f does not open the lookup")
		}
	})
}

func TestDetailRefreshAndLiveChange(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newLookupModel(t, 120, 40)
		openDetail(t, m, "AB12CD3")
		c := f.get(2)
		c.Status, c.PaidAt, c.PaidAmount = psp.StatusPaid, testNow, c.Amount
		f.put(c)
		run(m, runes("r"))
		if len(f.refreshed) != 1 || f.refreshed[0] != 2 {
			t.Fatalf("refreshed %v", f.refreshed)
		}
		if v := m.View(); !strings.Contains(v, "ConnectPSP consultada: PAGO") || !m.detail.keysNow().Refund.Enabled() {
			t.Errorf("after r:\n%s", v)
		}
		if m.lookup.row(0).Status != psp.StatusPaid {
			t.Error("the list row was not updated")
		}
		c.Status = psp.StatusRefunded
		f.put(c)
		run(m, ChangeMsg{store.Change{ChargeID: 2, Version: 3}})
		if m.detail.c.Status != psp.StatusRefunded || m.detail.keysNow().Refund.Enabled() {
			t.Error("a change does not reach the detail")
		}
	})
}

func TestLookupFromTheCounter(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newTestModel(t, testConfig(nil), 80, 24)
		lookupFixture(f)
		m.lookup.debounce = 0
		run(m, tea.KeyMsg{Type: tea.KeyCtrlF})
		if m.active != m.lookup || len(listed(m)) != 5 {
			t.Fatalf("ctrl+f: active %T, %d rows", m.active, len(listed(m)))
		}
		typeText(m, "ana?")
		if m.lookup.input.Value() != "ana?" {
			t.Errorf("? was not typed: %q", m.lookup.input.Value())
		}
		press(m, tea.KeyEsc) // clears
		press(m, tea.KeyEsc) // back
		if m.active != m.form {
			t.Errorf("esc goes to %T", m.active)
		}
	})
}
