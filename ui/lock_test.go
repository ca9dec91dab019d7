package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/store"
)

// fakeAuthority knows operators by name and PIN and keeps the audit trail
// in memory. With a clock it holds wrong PINs back by store.PINBackoff,
// as the store does (store/pinwait.go; the store's tests prove the rule,
// these the prompt's words for it).
type fakeAuthority struct {
	mu         sync.Mutex
	ops        map[string]fakeOp
	checks     []string // "name/purpose" of every PIN checked
	audit      []store.NewAudit
	authorised []string // "id asked approved" of AuthoriseRefund
	now        func() time.Time
	fails      int // wrong PINs in a row
	lastFail   time.Time
}

type fakeOp struct {
	pin  string
	role store.Role
}

func newFakeAuthority() *fakeAuthority {
	return &fakeAuthority{ops: map[string]fakeOp{
		"ana":   {"1234", store.RoleCaixa},
		"bruno": {"9876", store.RoleSupervisor},
		"carla": {"5555", store.RoleCaixa},
	}}
}

func (a *fakeAuthority) CheckPIN(ctx context.Context, at store.Actor, name, pin, purpose string) (*store.Operator, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var now time.Time
	if a.now != nil {
		now = a.now()
		if wait := a.lastFail.Add(store.PINBackoff(a.fails)).Sub(now); wait > 0 {
			return nil, &store.PINWaitError{Wait: wait}
		}
	}
	a.checks = append(a.checks, name+"/"+purpose)
	if o, ok := a.ops[name]; ok && o.pin == pin {
		a.fails = 0
		return &store.Operator{Name: name, Role: o.role}, nil
	}
	a.audit = append(a.audit, store.NewAudit{Actor: at, Action: store.AuditPINFailed, Detail: map[string]string{"name": name, "purpose": purpose}})
	a.fails, a.lastFail = a.fails+1, now
	if wait := store.PINBackoff(a.fails); a.now != nil && wait > 0 {
		return nil, errors.Join(store.ErrBadPIN, &store.PINWaitError{Wait: wait})
	}
	return nil, store.ErrBadPIN
}

func (a *fakeAuthority) Audit(ctx context.Context, e store.NewAudit) (*store.AuditEntry, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.audit = append(a.audit, e)
	return &store.AuditEntry{Seq: int64(len(a.audit)), Action: e.Action}, nil
}

func (a *fakeAuthority) AuditTrail(ctx context.Context, q store.AuditQuery) ([]store.AuditEntry, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []store.AuditEntry
	for i, e := range a.audit {
		if q.ChargeID == 0 || e.ChargeID == q.ChargeID {
			d, _ := json.Marshal(e.Detail)
			out = append(out, store.AuditEntry{Seq: int64(i + 1), At: testNow, Terminal: e.Terminal, Operator: e.Operator,
				Action: e.Action, ChargeID: e.ChargeID, Detail: string(d)})
		}
	}
	return out, nil
}

func (a *fakeAuthority) AuthoriseRefund(ctx context.Context, at store.Actor, id int64, asked, approved string) error {
	a.mu.Lock()
	a.authorised = append(a.authorised, strings.Join([]string{store.Actor{}.Terminal, asked, approved}, " "))
	a.mu.Unlock()
	_, err := a.Audit(ctx, store.NewAudit{Actor: at, Action: store.AuditRefundApproved, ChargeID: id})
	return err
}

// actions lists the audited actions, each as "operator:action".
func (a *fakeAuthority) actions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.audit {
		out = append(out, e.Operator+":"+string(e.Action))
	}
	return out
}

func (a *fakeAuthority) checked() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.checks)
}

// clockAt is a settable clock for Config.Now.
type clockAt struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clockAt) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// advance moves the clock on by d and has the console see it (a tick).
func (c *clockAt) advance(m *Model, d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	t := c.t
	c.mu.Unlock()
	run(m, tickMsg(t))
}

// operatorsConsole is a console over a fake whose shop has operators.
func operatorsConsole(t *testing.T, out *bytes.Buffer, edit func(*Config)) (*Model, *fakeBackend, *fakeAuthority, *clockAt) {
	t.Helper()
	a, clk := newFakeAuthority(), &clockAt{t: testNow}
	a.now = clk.now
	cfg := testConfig(out)
	cfg.Authority, cfg.Operators, cfg.Now = a, true, clk.now
	if edit != nil {
		edit(&cfg)
	}
	m, f := newTestModel(t, cfg, 120, 40)
	return m, f, a, clk
}

// signInAs types name, enter, pin, enter at the sign-in.
func signInAs(m *Model, name, pin string) {
	typeText(m, name)
	press(m, tea.KeyEnter)
	typeText(m, pin)
	press(m, tea.KeyEnter)
}

func TestNoOperatorsKeepsTheConsoleOpen(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, _ := newTestModel(t, testConfig(&out), 120, 40)
		if m.locked() {
			t.Fatal("locked without operators")
		}
		if v := m.View(); !strings.Contains(v, "sem operadores") || strings.Contains(v, "Quem está no caixa") {
			t.Errorf("status bar does not say there are no operators:\n%s", v)
		}
		typeText(m, "1250")
		if m.form.amount() != 1250 {
			t.Errorf("the form did not take the amount: %v", m.form.amount())
		}
	})
}

func TestSignInBeforeAnything(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, f, a, _ := operatorsConsole(t, &out, nil)
		v := m.View()
		if !m.locked() || !strings.Contains(v, "Quem está no caixa?") || !strings.Contains(v, "bloqueado") {
			t.Fatalf("no sign-in at start:\n%s", v)
		}
		typeText(m, "12")
		if m.form.amount() != 0 {
			t.Fatal("a key reached the form through the sign-in")
		}
		press(m, tea.KeyEsc)
		m.gate.name.SetValue("")
		signInAs(m, "ana", "1234")
		if m.locked() || m.env.op == nil || m.env.op.Name != "ana" {
			t.Fatalf("ana's PIN did not sign in: %+v", m.env.op)
		}
		v = m.View()
		if !strings.Contains(v, "operador ana (caixa)") || strings.Contains(v, "1234") {
			t.Errorf("status bar after sign-in:\n%s", v)
		}
		if got := a.actions(); len(got) != 1 || got[0] != "ana:signed_in" {
			t.Errorf("audit = %v", got)
		}
		// The charge records its operator.
		fillValid(t, m)
		press(m, tea.KeyEnter)
		if in := submitted(f); len(in) != 1 || in[0].Operator != "ana" {
			t.Fatalf("create inputs = %+v", in)
		}
	})
}

func TestOperatorFlagAsksOnlyThePIN(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, _, _, _ := operatorsConsole(t, &out, func(c *Config) { c.Operator = "bruno" })
		typeText(m, "9876")
		press(m, tea.KeyEnter)
		if m.locked() || m.env.op.Role != store.RoleSupervisor {
			t.Fatalf("--operator bruno and his PIN: op %+v", m.env.op)
		}
	})
}

func TestWrongPINsBackOff(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, _, a, clk := operatorsConsole(t, &out, func(c *Config) { c.Operator = "ana" })
		for i := range store.PINFreeTries {
			typeText(m, "0000")
			press(m, tea.KeyEnter)
			if !strings.Contains(m.View(), "Operador ou PIN errado.") {
				t.Fatalf("try %d: no word of the wrong PIN", i+1)
			}
		}
		if a.checked() != store.PINFreeTries {
			t.Fatalf("%d checks, want %d", a.checked(), store.PINFreeTries)
		}
		// Held back: the next try is not even checked.
		typeText(m, "1234")
		press(m, tea.KeyEnter)
		if a.checked() != store.PINFreeTries || !m.locked() || !strings.Contains(m.View(), "aguarde 5 s") {
			t.Fatalf("a try during the back-off was checked (%d) or not refused:\n%s", a.checked(), m.View())
		}
		clk.advance(m, store.PINFirstWait)
		typeText(m, "0001")
		press(m, tea.KeyEnter)
		if a.checked() != store.PINFreeTries+1 || !strings.Contains(m.View(), "aguarde 10 s") {
			t.Fatalf("after the wait, a wrong PIN: %d checks\n%s", a.checked(), m.View())
		}
		clk.advance(m, 2*store.PINFirstWait)
		typeText(m, "1234")
		press(m, tea.KeyEnter)
		if m.locked() {
			t.Fatal("the right PIN after the back-off does not sign in")
		}
		got := strings.Join(a.actions(), " ")
		if want := ":pin_failed :pin_failed :pin_failed :pin_failed ana:signed_in"; got != want {
			t.Errorf("audit = %s, want %s", got, want)
		}
		if a.fails != 0 {
			t.Error("the right PIN did not reset the count")
		}
	})
}

func TestIdleLockKeepsTracking(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, f, a, clk := operatorsConsole(t, &out, func(c *Config) { c.IdleLock = 2 * time.Minute })
		signInAs(m, "ana", "1234")
		c := openCharge(1)
		f.put(c)
		run(m, latestMsg{c: c})
		if m.active != m.charge {
			t.Fatal("the charge is not on screen")
		}
		clk.advance(m, 90*time.Second)
		run(m, runes("?")) // a key: the idle time starts again
		run(m, runes("?"))
		clk.advance(m, 90*time.Second)
		if m.locked() {
			t.Fatal("locked 90 s after a key, with a 2-minute idle lock")
		}
		clk.advance(m, 31*time.Second)
		if !m.locked() || m.env.op != nil {
			t.Fatal("not locked after 2 minutes without a key")
		}
		if v := m.View(); !strings.Contains(v, "Quem está no caixa?") || strings.Contains(v, "Maria") {
			t.Errorf("the lock shows the charge:\n%s", v)
		}
		// Underneath, the charge is still tracked, and its payment rings.
		f.put(paid(c))
		run(m, ChangeMsg{store.Change{ChargeID: 1, Version: 2}})
		if out.String() != "\a" {
			t.Errorf("terminal got %q while locked, want the bell", out.String())
		}
		if m.active != m.result || !m.locked() {
			t.Fatal("the payment did not move the screen on under the lock, or unlocked it")
		}
		signInAs(m, "bruno", "9876")
		if m.locked() || m.active != m.result {
			t.Fatal("signing in again does not show the paid charge")
		}
		got := strings.Join(a.actions(), " ")
		if want := "ana:signed_in ana:locked bruno:signed_in"; got != want {
			t.Errorf("audit = %s, want %s", got, want)
		}
	})
}

func TestIdleLockDefault(t *testing.T) {
	var out bytes.Buffer
	if got := testConfig(&out).withDefaults().IdleLock; got != 5*time.Minute {
		t.Errorf("default idle lock = %v", got)
	}
}

func TestLockKey(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, _, a, _ := operatorsConsole(t, &out, nil)
		signInAs(m, "ana", "1234")
		if !strings.Contains(m.View(), "ctrl+l bloquear") {
			t.Errorf("the form's help does not offer the lock:\n%s", m.View())
		}
		run(m, tea.KeyMsg{Type: tea.KeyCtrlL})
		if !m.locked() {
			t.Fatal("ctrl+l does not lock")
		}
		if got := strings.Join(a.actions(), " "); got != "ana:signed_in ana:locked" {
			t.Errorf("audit = %s", got)
		}
		// Without operators there is nothing to lock.
		m2, _ := newTestModel(t, testConfig(&out), 120, 40)
		run(m2, tea.KeyMsg{Type: tea.KeyCtrlL})
		if m2.locked() || strings.Contains(m2.View(), "bloquear") {
			t.Error("ctrl+l locks, or is offered, without operators")
		}
	})
}
