package ui

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

// The help fits the window: at 80 columns (and at the smallest window) no
// help line is cut, and a screen that has more help keeps "?" in view.
func TestHelpFitsTheWindow(t *testing.T) {
	screens := []struct {
		name  string
		open  func(t *testing.T, m *Model, f *fakeBackend)
		more  bool // offers "?"
		lines int  // at most
	}{
		{"form", func(*testing.T, *Model, *fakeBackend) {}, false, 2},
		{"charge", func(t *testing.T, m *Model, f *fakeBackend) {
			c := openCharge(1)
			f.put(c)
			run(m, latestMsg{c: c})
			m.track.observe(openCharge(2), true) // ctrl+o is offered too
		}, true, 1},
		{"paid", func(t *testing.T, m *Model, f *fakeBackend) {
			c := paid(openCharge(1))
			f.put(c)
			run(m, latestMsg{c: c})
		}, true, 2},
	}
	for _, lang := range []string{"pt-BR", "en"} {
		for _, w := range []int{80, MinWidth} {
			for _, sc := range screens {
				t.Run(fmt.Sprintf("%s/%s/%d", lang, sc.name, w), func(t *testing.T) {
					bubble(t, func(t *testing.T) {
						var out bytes.Buffer
						cfg := testConfig(&out)
						cfg.Lang = lang
						m, f := newTestModel(t, cfg, w, 24)
						sc.open(t, m, f)
						lines := m.helpLines()
						if len(lines) > sc.lines {
							t.Errorf("%d help lines, want at most %d: %q", len(lines), sc.lines, lines)
						}
						all := strings.Join(lines, "\n")
						for _, l := range lines {
							if lw := lipgloss.Width(l); lw > w-2 {
								t.Errorf("help line of %d cells in a window of %d: %q", lw, w, l)
							}
							if strings.HasSuffix(strings.TrimSpace(l), "…") {
								t.Errorf("help line cut: %q", l)
							}
						}
						if sc.more && !strings.Contains(all, "? ") {
							t.Errorf("\"?\" is not in the help: %q", lines)
						}
						if !strings.Contains(m.View(), strings.TrimSpace(lines[len(lines)-1])) {
							t.Errorf("the help is not drawn as laid out:\n%s", m.View())
						}
					})
				})
			}
		}
	}
}
