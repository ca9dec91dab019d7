package ui

import (
	"bytes"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/store"
)

// A name of 100 characters is cut, not the masked document after it.
func TestLongNameKeepsTheDocumentInView(t *testing.T) {
	bubble(t, func(t *testing.T) {
		long := strings.Repeat("Maria Aparecida ", 7)[:100]
		for _, tc := range []struct {
			doc, masked string
		}{
			{"12345678909", "***.456.789-**"},
			{"11222333000181", "**.222.333/****-**"}, // a CNPJ is masked too
		} {
			var out bytes.Buffer
			m, _, _ := chargeShown(t, testConfig(&out), 80, 24, func(c *store.Charge) {
				*c = *paid(c)
				c.Payer.Name, c.Payer.Document = long, tc.doc
			})
			v := m.View()
			line := ""
			for _, l := range strings.Split(v, "\n") {
				if strings.Contains(l, "Pagador") {
					line = l
				}
			}
			if !strings.Contains(line, tc.masked) || !strings.Contains(line, "Maria Aparecida") {
				t.Errorf("the PAGO screen's payer line lacks %q: %q", tc.masked, line)
			}
			if strings.Contains(v, "0001-81") || strings.Contains(v, "678909") {
				t.Errorf("a document is shown unmasked:\n%s", v)
			}
		}
	})
}

// "digite só números" belongs to the field that refused the key, and goes
// when the focus leaves it.
func TestHintStaysBesideItsField(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newFormModel(t)
		typeText(m, "12a")
		if !strings.Contains(lineWith(m, "Valor"), "digite só números") {
			t.Fatalf("no hint beside the amount:\n%s", m.View())
		}
		press(m, tea.KeyEnter)
		if v := m.View(); strings.Contains(v, "digite só números") {
			t.Errorf("the amount's hint moved with the focus:\n%s", v)
		}
	})
}

// lineWith is the first line on screen holding text.
func lineWith(m *Model, text string) string {
	for _, l := range strings.Split(m.View(), "\n") {
		if strings.Contains(l, text) {
			return l
		}
	}
	return ""
}

// The custom period says it waits for dates rather than showing the zero
// time, and leaving its prompt without dates goes back to no period.
func TestCustomPeriodBeforeItIsTyped(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newLookupModel(t, 120, 40)
		for range 3 { // all → today → 7 days → custom
			run(m, tea.KeyMsg{Type: tea.KeyCtrlP})
		}
		if l := lineWith(m, "Status"); strings.Contains(l, "/0001") || !strings.Contains(l, "Período personalizado (informe as datas)") {
			t.Fatalf("the custom period before its dates: %q", l)
		}
		press(m, tea.KeyEsc)
		if l := lineWith(m, "Status"); m.lookup.f.period != periodAll || !strings.Contains(l, "Período tudo") {
			t.Errorf("esc without dates leaves the period custom: %q", l)
		}
	})
}

// Drawing the detail changes nothing, and scrolling stops at the end.
func TestDetailViewIsPure(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newLookupModel(t, 80, 20)
		openDetail(t, m, "US7B1JQ")
		for range 50 {
			press(m, tea.KeyDown)
		}
		before := *m.detail
		first := m.View()
		if again := m.View(); again != first || m.detail.offset != before.offset {
			t.Fatal("drawing the detail changed it")
		}
		press(m, tea.KeyUp)
		if m.View() == first {
			t.Error("↑ after scrolling past the end does not move: the offset ran on")
		}
	})
}
