package ui

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// lookupScenes are the lookup's screens to capture; each starts from
// NewLookup over the fixture.
var lookupScenes = []scene{
	{name: "list", marker: []string{"5 transações", "linha 1 de 5"}},
	{
		name: "search_cpf",
		drive: func(t *testing.T, tm *teatest.TestModel, _ *fakeBackend) {
			waitFor(t, tm, "linha 1 de 5")
			tm.Type("123.456.789-09")
		},
		marker: []string{"3 transações"},
	},
	{
		name: "search_name",
		drive: func(t *testing.T, tm *teatest.TestModel, _ *fakeBackend) {
			waitFor(t, tm, "linha 1 de 5")
			tm.Type("souza")
		},
		marker: []string{"linha 1 de 1"},
	},
	{
		name: "detail",
		drive: func(t *testing.T, tm *teatest.TestModel, _ *fakeBackend) {
			waitFor(t, tm, "linha 1 de 5")
			sendKeys(tm, tea.KeyEnter)
		},
		marker: []string{"Histórico (8)"},
	},
	{
		name: "refund",
		drive: func(t *testing.T, tm *teatest.TestModel, _ *fakeBackend) {
			waitFor(t, tm, "linha 1 de 5")
			sendKeys(tm, tea.KeyEnter)
			waitFor(t, tm, "Histórico (8)")
			tm.Type("e")
			sendKeys(tm, tea.KeyDown, tea.KeyEnter)
			tm.Type("cobrado duas vezes")
			sendKeys(tm, tea.KeyEnter)
		},
		marker: []string{"confirmar o estorno"},
	},
	{
		name: "refund_reason",
		drive: func(t *testing.T, tm *teatest.TestModel, _ *fakeBackend) {
			waitFor(t, tm, "linha 1 de 5")
			sendKeys(tm, tea.KeyEnter)
			waitFor(t, tm, "Histórico (8)")
			tm.Type("e")
		},
		marker: []string{"Pagamento em duplicidade"},
	},
}

// TestLookupGolden captures the lookup, the detail and the refund dialog
// at 80×24 and 120×40 with an ASCII profile and a fixed clock. Refresh
// with: go test ./ui -run TestLookupGolden -update
func TestLookupGolden(t *testing.T) {
	for _, sc := range lookupScenes {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				captureLookup(t, sc, size[0], size[1])
			})
		}
	}
}

func captureLookup(t *testing.T, sc scene, w, h int) {
	var out bytes.Buffer
	f := newFake()
	lookupFixture(f)
	m := NewLookup(testConfig(&out), f)
	m.still = true
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	if sc.drive != nil {
		sc.drive(t, tm, f)
	}
	waitFor(t, tm, append([]string{healthy}, sc.marker...)...)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	teatest.RequireEqualOutput(t, []byte(final.View()))
}
