package ui

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func TestExportWritesEveryPageAtomically(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		f := newFake()
		manyCharges(f, 2500)
		c := f.charges[7]
		c.Payer.Name = "=HYPERLINK(\"http://x\")"
		m := NewLookup(testConfig(&out), f)
		m.lookup.debounce = 0
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		runCmd(m, m.lookup.start())
		dir := t.TempDir()
		path := filepath.Join(dir, "out.csv")
		run(m, tea.KeyMsg{Type: tea.KeyCtrlE})
		if got := m.lookup.prompt.Value(); got != "./pixdesk-2026-03-10.csv" {
			t.Errorf("default path %q", got)
		}
		m.lookup.prompt.SetValue(path)
		msgs := drain(m.lookup.acceptPrompt())
		if len(msgs) == 0 {
			t.Fatal("enter on the export path exports nothing")
		}
		for _, msg := range msgs {
			run(m, msg)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2501 || rows[0][0] != "criada_em" || rows[1][3] != "C002500" || rows[2500][3] != "C000001" {
			t.Fatalf("%d rows; first %v; last %v", len(rows), rows[1], rows[len(rows)-1])
		}
		for _, r := range rows[1:] {
			if r[10] != "***.456.789-**" {
				t.Fatalf("document written %q", r[10])
			}
			if r[3] == "C000007" && !strings.HasPrefix(r[9], "'=") {
				t.Errorf("formula not defused: %q", r[9])
			}
		}
		if rows[1][7] != "12.50" || rows[1][0] != "2026-03-10T11:20:00-03:00" {
			t.Errorf("amount %q, time %q", rows[1][7], rows[1][0])
		}
		if !strings.Contains(m.View(), "2.500 transações exportadas") {
			t.Errorf("no word of the export:\n%s", m.View())
		}
		left, _ := os.ReadDir(dir)
		if len(left) != 1 {
			t.Errorf("temporary files left: %v", left)
		}
	})
}
