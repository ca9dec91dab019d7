package ui

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
)

// operatorsLookup is the lookup over the lookup fixture, in a shop with
// operators, signed in as name.
func operatorsLookup(t *testing.T, name, pin string) (*Model, *fakeBackend, *fakeAuthority) {
	t.Helper()
	var out bytes.Buffer
	f, a := newFake(), newFakeAuthority()
	lookupFixture(f)
	cfg := testConfig(&out)
	cfg.Authority, cfg.Operators = a, true
	m := NewLookup(cfg, f)
	m.still = true
	m.lookup.debounce = 0
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	signInAs(m, name, pin)
	if m.locked() {
		t.Fatalf("%s did not sign in", name)
	}
	runCmd(m, m.lookup.start())
	return m, f, a
}

func TestCaixaRefundNeedsASupervisorPIN(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f, a := operatorsLookup(t, "ana", "1234")
		startRefund(t, m, 0, "")
		press(m, tea.KeyEnter)
		if len(f.refunds) != 0 || m.detail.refund.step != stepApprove {
			t.Fatalf("a caixa's refund went without approval: %+v, step %d", f.refunds, m.detail.refund.step)
		}
		if v := m.View(); !strings.Contains(v, "PIN de um supervisor") {
			t.Errorf("no approval prompt:\n%s", v)
		}
		// Another caixa's right PIN is not authority.
		signInAs(m, "carla", "5555")
		if len(f.refunds) != 0 || !strings.Contains(m.View(), "carla não pode aprovar estornos") {
			t.Fatalf("a caixa approved a refund: %+v\n%s", f.refunds, m.View())
		}
		// A wrong supervisor PIN is refused and audited.
		signInAs(m, "bruno", "0000")
		if len(f.refunds) != 0 || !strings.Contains(m.View(), "Operador ou PIN errado.") || !slices.Contains(a.actions(), "ana:pin_failed") {
			t.Fatalf("a wrong PIN approved: %+v (audit %v)", f.refunds, a.actions())
		}
		signInAs(m, "bruno", "9876")
		if len(f.refunds) != 1 || f.refunds[0].id != 1 {
			t.Fatalf("the supervisor's PIN did not send the refund: %+v", f.refunds)
		}
		if m.env.op.Name != "ana" {
			t.Error("approving signed the supervisor in instead of the cashier")
		}
		if len(a.authorised) != 1 || a.authorised[0] != " ana bruno" {
			t.Errorf("authority recorded = %q", a.authorised)
		}
		got := strings.Join(a.actions(), " ")
		for _, want := range []string{"ana:refund_refused", "ana:pin_failed", "ana:refund_approved", "ana:refund_sent"} {
			if !strings.Contains(got, want) {
				t.Errorf("audit lacks %s: %s", want, got)
			}
		}
		if v := m.View(); !strings.Contains(v, "Aprovado por bruno.") {
			t.Errorf("the result does not name the approver:\n%s", v)
		}
	})
}

func TestCaixaRefundAbandoned(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f, a := operatorsLookup(t, "ana", "1234")
		startRefund(t, m, 0, "")
		press(m, tea.KeyEnter)
		press(m, tea.KeyEsc)
		if m.detail.refund.step != stepConfirm || len(f.refunds) != 0 {
			t.Fatalf("esc at the approval: step %d, refunds %+v", m.detail.refund.step, f.refunds)
		}
		if got := strings.Join(a.actions(), " "); !strings.Contains(got, "ana:refund_refused") {
			t.Errorf("audit = %s", got)
		}
	})
}

func TestSupervisorRefundsDirectly(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f, a := operatorsLookup(t, "bruno", "9876")
		startRefund(t, m, 0, "")
		press(m, tea.KeyEnter)
		if len(f.refunds) != 1 {
			t.Fatalf("a supervisor's refund was not sent: %+v", f.refunds)
		}
		if len(a.authorised) != 1 || a.authorised[0] != " bruno bruno" {
			t.Errorf("authority recorded = %q", a.authorised)
		}
	})
}

func TestRevealAndExportNeedAuthority(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _, a := operatorsLookup(t, "ana", "1234")
		openDetail(t, m, "US7B1JQ")
		run(m, runes("v"))
		if v := m.View(); m.detail.reveal || strings.Contains(v, "123.456.789-09") || !strings.Contains(v, "Só um supervisor ou o suporte") {
			t.Fatalf("a caixa revealed the document:\n%s", v)
		}
		press(m, tea.KeyEsc)
		run(m, tea.KeyMsg{Type: tea.KeyCtrlE})
		if m.lookup.promptKind == promptExport {
			t.Fatal("a caixa opened the export")
		}
		if got := strings.Join(a.actions(), " "); got != "ana:signed_in ana:reveal ana:export" {
			t.Errorf("audit = %s", got)
		}

		m, _, _ = operatorsLookup(t, "bruno", "9876")
		openDetail(t, m, "US7B1JQ")
		run(m, runes("v"))
		v := m.View()
		if !m.detail.reveal || !strings.Contains(v, "123.456.789-09") {
			t.Fatalf("a supervisor cannot reveal:\n%s", v)
		}
		// The detail lists the charge's audit entries, this one included.
		if !strings.Contains(v, "Auditoria") || !strings.Contains(v, "bruno  revelar documento  outcome=shown") {
			t.Errorf("the detail does not show the reveal in its audit:\n%s", v)
		}
		press(m, tea.KeyEsc)
		run(m, tea.KeyMsg{Type: tea.KeyCtrlE})
		if m.lookup.promptKind != promptExport {
			t.Fatal("a supervisor cannot export")
		}
	})
}

func TestNoOperatorsRefundsAsBefore(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		f, a := newFake(), newFakeAuthority()
		lookupFixture(f)
		cfg := testConfig(&out)
		cfg.Authority = a // audited, but nobody signs in
		m := NewLookup(cfg, f)
		m.still = true
		m.lookup.debounce = 0
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		runCmd(m, m.lookup.start())
		startRefund(t, m, 0, "")
		press(m, tea.KeyEnter)
		if len(f.refunds) != 1 || len(a.authorised) != 0 {
			t.Fatalf("refunds %+v, authorised %q", f.refunds, a.authorised)
		}
		if got := strings.Join(a.actions(), " "); got != ":refund_sent" {
			t.Errorf("audit = %s", got)
		}
		if m.detail.refund == nil || m.detail.refund.step != stepDone || m.detail.c.Status != psp.StatusRefunded {
			t.Error("no refund result")
		}
	})
}

// Fast hands at the approval: the supervisor's PIN and Enter three times
// in one read (every key handled before the PIN check answers) send one
// refund.
func TestApprovalBurstRefundsOnce(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f, _ := operatorsLookup(t, "ana", "1234")
		startRefund(t, m, 0, "")
		press(m, tea.KeyEnter)
		typeText(m, "bruno")
		press(m, tea.KeyEnter)
		typeText(m, "9876")
		var later []tea.Msg
		for range 3 {
			_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
			later = append(later, drain(cmd)...)
		}
		for _, msg := range later {
			run(m, msg)
		}
		if len(f.refunds) != 1 {
			t.Fatalf("three Enters at the approval sent %d refunds, want 1: %+v", len(f.refunds), f.refunds)
		}
	})
}
