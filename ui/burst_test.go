package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/store"
)

// Keys arrive in bursts: Bubble Tea hands every key of one read to Update
// before any command's answer comes back. These tests send the keys of a
// burst first and only then run what they started, as the program does
// when a cashier presses Enter twice or a key bounces.

// burst sends keys to m one after another, running none of the commands
// they yield, and returns those commands.
func burst(m *Model, keys ...tea.KeyMsg) []tea.Cmd {
	var cmds []tea.Cmd
	for _, k := range keys {
		_, cmd := m.Update(k)
		cmds = append(cmds, cmd)
	}
	return cmds
}

// settleAll runs the commands of a burst and everything they lead to.
func settleAll(m *Model, cmds []tea.Cmd) {
	for _, cmd := range cmds {
		for _, msg := range drain(cmd) {
			run(m, msg)
		}
	}
}

var enter = tea.KeyMsg{Type: tea.KeyEnter}

func TestEnterBurstCreatesOneCharge(t *testing.T) {
	for _, n := range []int{2, 3, 5} {
		t.Run(fmt.Sprintf("%d enters", n), func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newFormModel(t)
				fillValid(t, m)
				keys := make([]tea.KeyMsg, n)
				for i := range keys {
					keys[i] = enter
				}
				settleAll(m, burst(m, keys...))
				if got := len(submitted(f)); got != 1 {
					t.Fatalf("%d Enters in one read made %d creates, want 1", n, got)
				}
				if m.active != m.charge || m.charge.c == nil {
					t.Fatalf("the charge is not on screen:\n%s", m.View())
				}
				if strings.Contains(m.View(), "ctrl+o") {
					t.Errorf("a second charge is offered:\n%s", m.View())
				}
			})
		})
	}
}

// The check's answer may land anywhere in the burst: whichever Enter
// finds the question open opens the charge that exists, and no Enter
// creates a second one.
func TestEnterBurstCannotSlipPastTheQuestion(t *testing.T) {
	for at := 1; at <= 3; at++ {
		t.Run(fmt.Sprintf("answer after enter %d", at), func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newFormModel(t)
				first := openCharge(7)
				first.ExternalReference = "PD-000007"
				f.put(first)
				fillValid(t, m)
				var pending []tea.Cmd
				for i := 1; i <= 3; i++ {
					pending = append(pending, burst(m, enter)...)
					if i == at {
						settleAll(m, pending) // the store answers here
						pending = nil
					}
				}
				settleAll(m, pending)
				if got := len(submitted(f)); got != 0 {
					t.Fatalf("%d creates: a burst slipped past the question", got)
				}
				v := m.View()
				switch {
				case m.active == m.charge:
					if m.charge.c.ID != 7 {
						t.Errorf("opened charge %d, want the existing 7", m.charge.c.ID)
					}
				case m.active == m.form:
					if !strings.Contains(v, "Já existe uma cobrança igual aguardando pagamento: abrir / criar outra") ||
						!strings.Contains(v, "PD-000007") || !strings.Contains(v, "***.456.789-**") {
						t.Errorf("the question does not show:\n%s", v)
					}
				default:
					t.Errorf("neither the question nor the existing charge:\n%s", v)
				}
			})
		})
	}
}

// asked returns a form that submitted the sale of openCharge(7), which
// is open: the question is on screen.
func asked(t *testing.T) (*Model, *fakeBackend) {
	t.Helper()
	m, f := newFormModel(t)
	f.put(openCharge(7))
	fillValid(t, m)
	press(m, tea.KeyEnter)
	if m.active != m.form || !m.form.captures() {
		t.Fatalf("no question:\n%s", m.View())
	}
	return m, f
}

func TestQuestionCreatesAnotherOnlyWhenAsked(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := asked(t)
		// Digits and letters aimed at the form go nowhere.
		typeText(m, "99x")
		if m.form.amount() != 1250 || len(submitted(f)) != 0 {
			t.Fatalf("a key changed a submitted form (amount %v) or created", m.form.amount())
		}
		// c and Enter in one burst: one create, the Enter finds the
		// creating screen.
		settleAll(m, burst(m, runes("c"), enter, enter))
		if got := len(submitted(f)); got != 1 {
			t.Fatalf("%d creates after 'create another', want 1", got)
		}
		if m.active != m.charge || m.charge.c.ID != 1 {
			t.Errorf("the new charge is not on screen:\n%s", m.View())
		}
	})
}

func TestQuestionEscKeepsTheForm(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := asked(t)
		press(m, tea.KeyEsc)
		if m.active != m.form || m.form.captures() || m.form.amount() != 1250 {
			t.Fatalf("esc does not give the form back with its values:\n%s", m.View())
		}
		// Esc while the store is being asked: its late answer is dropped.
		_, check := m.Update(enter)
		press(m, tea.KeyEsc)
		settleAll(m, []tea.Cmd{check})
		if m.form.captures() || strings.Contains(m.View(), "Já existe") || len(submitted(f)) != 0 {
			t.Errorf("a check answered after esc took the form:\n%s", m.View())
		}
	})
}

// An expired or paid charge of the same amount and document is not a
// duplicate, nor is another payer's.
func TestQuestionOnlyForAChargeStillToBePaid(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		expired := openCharge(7)
		expired.ExpiresAt = testNow.Add(-time.Second)
		f.put(expired)
		f.put(paid(openCharge(8)))
		other := openCharge(9)
		other.Payer.Document = "23858488135"
		f.put(other)
		fillValid(t, m)
		press(m, tea.KeyEnter)
		if len(submitted(f)) != 1 || m.active != m.charge {
			t.Fatalf("asked about a charge that is not open:\n%s", m.View())
		}
	})
}

// Letters typed faster than one read arrive as one key: each acts in
// turn, and after n the rest is the next charge's amount.
func TestLettersInOneReadActInTurn(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		c := openCharge(1)
		f.put(c)
		run(m, latestMsg{c: c})
		run(m, runes("n1250"))
		if m.active != m.form || m.form.amount() != 1250 {
			t.Fatalf("n1250 in one read: screen %T, amount %v", m.active, m.form.amount())
		}
		run(m, tea.KeyMsg{Type: tea.KeyCtrlO})
		run(m, runes("fx")) // full-window QR, then any key leaves it
		if m.active != m.charge || m.full {
			t.Errorf("fx in one read: full %v", m.full)
		}
	})
}

// Enter in the lookup opens what the text typed finds, not the row that
// was highlighted before the text: "zzzz" and Enter in one read open
// nothing, "Maria" and Enter open Maria's charge.
func TestLookupEnterActsOnTheTextTyped(t *testing.T) {
	for _, tc := range []struct {
		text string
		want string // the code of the charge opened; "" none
	}{
		{"zzzz", ""},
		{"maria", "AB12CD3"},
		{"ZZ9Y8X7", "ZZ9Y8X7"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newLookupModel(t, 120, 40)
				m.lookup.debounce = searchDebounce
				if c := m.lookup.selected(); c == nil || c.InternalCode != "US7B1JQ" {
					t.Fatal("the newest row is not highlighted")
				}
				n := len(f.searches)
				settleAll(m, burst(m, runes(tc.text), enter))
				if got := len(f.searches) - n; got != 1 {
					t.Errorf("%d searches for the text, want 1", got)
				}
				switch {
				case tc.want == "" && m.active != m.lookup:
					t.Fatalf("%q and Enter opened %T:\n%s", tc.text, m.active, m.View())
				case tc.want == "" && !strings.Contains(m.View(), "Nenhuma transação"):
					t.Errorf("no word that nothing matches:\n%s", m.View())
				case tc.want != "" && (m.active != m.detail || m.detail.c == nil || m.detail.c.InternalCode != tc.want):
					t.Fatalf("%q and Enter did not open %s:\n%s", tc.text, tc.want, m.View())
				}
				// The debounce firing afterwards searches nothing again.
				run(m, searchDueMsg{seq: m.lookup.seq})
				if got := len(f.searches) - n; got != 1 {
					t.Errorf("the debounce searched again (%d searches)", got)
				}
			})
		})
	}
}

// Enter while the text's answer is on its way: nothing opens until it
// comes, then its first row; an arrow key in between cancels the open.
func TestLookupEnterWaitsForTheAnswer(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newLookupModel(t, 120, 40)
		m.lookup.debounce = searchDebounce
		cmds := burst(m, runes("maria"), enter)
		if m.active != m.lookup || !strings.Contains(m.View(), "abrir o primeiro resultado") {
			t.Fatalf("Enter before the answer:\n%s", m.View())
		}
		settleAll(m, cmds)
		if m.active != m.detail || m.detail.c.InternalCode != "AB12CD3" {
			t.Fatalf("the answer did not open Maria's charge:\n%s", m.View())
		}

		m, _ = newLookupModel(t, 120, 40)
		m.lookup.debounce = searchDebounce
		settleAll(m, burst(m, runes("maria"), enter, tea.KeyMsg{Type: tea.KeyDown}))
		if m.active != m.lookup {
			t.Errorf("an open cancelled by ↓ still opened %T", m.active)
		}
	})
}

// A search that fails leaves the old rows; Enter then searches again and
// never opens one of them.
func TestLookupEnterAfterAFailedSearch(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newLookupModel(t, 120, 40)
		m.lookup.debounce = searchDebounce
		f.mu.Lock()
		f.search = func(context.Context, store.Query) ([]*store.Charge, error) {
			return nil, errors.New("database is locked")
		}
		f.mu.Unlock()
		settleAll(m, burst(m, runes("zzzz"), enter))
		if m.active != m.lookup || !strings.Contains(m.View(), "database is locked") {
			t.Fatalf("a failed search opened %T, or said nothing:\n%s", m.active, m.View())
		}
		f.mu.Lock()
		f.search = nil
		f.mu.Unlock()
		n := len(f.searches)
		settleAll(m, burst(m, enter))
		if m.active != m.lookup || len(f.searches) != n+1 || strings.Contains(m.View(), "US7B1JQ") {
			t.Errorf("Enter after a failure: %T, %d searches:\n%s", m.active, len(f.searches)-n, m.View())
		}
	})
}

// Text, ctrl+e and Enter (the default path) in one read export what the
// text finds, not the rows shown before it.
func TestLookupExportActsOnTheTextTyped(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newLookupModel(t, 120, 40)
		m.lookup.debounce = searchDebounce
		path := filepath.Join(t.TempDir(), "maria.csv")
		m.Update(runes("maria"))
		m.Update(tea.KeyMsg{Type: tea.KeyCtrlE})
		m.lookup.prompt.SetValue(path)
		settleAll(m, burst(m, enter))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "AB12CD3") || strings.Contains(string(b), "US7B1JQ") {
			t.Errorf("the export holds other rows than the text's:\n%s", b)
		}
	})
}
