package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func TestCreateShowsTheCharge(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		fillValid(t, m)
		press(m, tea.KeyEnter)
		if m.active != m.charge || m.charge.c == nil || m.charge.c.ID != 1 {
			t.Fatalf("after a create the charge screen is not active")
		}
		if !m.form.pristine() {
			t.Error("the form keeps the values of a created charge")
		}
		if len(submitted(f)) != 1 {
			t.Errorf("%d creates", len(submitted(f)))
		}
	})
}

func TestCreateRejectedKeepsTheValues(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		f.create = func(context.Context, engine.Input) (*store.Charge, error) {
			c := openCharge(7)
			c.Stage, c.Status, c.RejectReason = store.StageRejected, "", "422 VALIDATION_ERROR"
			return c, &psp.Error{Status: 422, Code: psp.CodeValidation, Detail: "payer.document is not a valid CPF"}
		}
		fillValid(t, m)
		press(m, tea.KeyEnter)
		if m.active != m.form {
			t.Fatal("a refused charge does not go back to the form")
		}
		if m.form.amount() != 1250 || m.form.inputs[fName].Value() != "  João da Silva  " || m.form.inputs[fReference].Value() != "PED-7_a" {
			t.Error("the form lost the typed values")
		}
		if v := m.View(); !strings.Contains(v, "payer.document is not a valid CPF") {
			t.Errorf("the refusal's detail is not shown:\n%s", v)
		}
	})
}

func TestCreateTemporaryErrorRetriesInTheBackground(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		pending := openCharge(9)
		pending.Stage, pending.Status, pending.CopyAndPaste = store.StagePending, "", ""
		f.create = func(context.Context, engine.Input) (*store.Charge, error) {
			f.put(pending)
			return pending, errors.New("connectpsp: dial tcp: connection refused")
		}
		fillValid(t, m)
		press(m, tea.KeyEnter)
		if m.active != m.creating {
			t.Fatal("a temporary error leaves the creating screen")
		}
		v := m.View()
		for _, want := range []string{"connection refused", "reenviada automaticamente com a mesma chave"} {
			if !strings.Contains(v, want) {
				t.Errorf("creating screen lacks %q:\n%s", want, v)
			}
		}
		// The engine's resend succeeds: a change arrives, the charge is reloaded.
		f.put(openCharge(9))
		run(m, ChangeMsg{store.Change{ChargeID: 9, Version: 2}})
		if m.active != m.charge || m.charge.c.ID != 9 {
			t.Fatal("the charge does not open once created in the background")
		}
	})
}

func TestPendingChargeCanBeResentNow(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		pending := openCharge(9)
		pending.Stage, pending.Status, pending.CopyAndPaste = store.StagePending, "", ""
		release := make(chan struct{})
		f.create = func(ctx context.Context, _ engine.Input) (*store.Charge, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			f.put(pending)
			return pending, errors.New("connectpsp: dial tcp: connection refused")
		}
		fillValid(t, m)
		create := submitForm(t, m)
		// While our own call is in flight there is nothing to resend.
		if m.env.keys.Resend.Enabled() || strings.Contains(m.View(), "reenviar agora") {
			t.Error("resend offered while the create is in flight")
		}
		close(release)
		for _, msg := range drain(create) {
			run(m, msg)
		}
		if m.active != m.creating || !strings.Contains(m.View(), "r reenviar agora") {
			t.Fatalf("a pending charge does not offer to resend now:\n%s", m.View())
		}

		// Still unreachable: the screen says so and offers r again.
		f.resume = func(context.Context, int64) (*store.Charge, error) {
			return pending, errors.New("connectpsp: dial tcp: no route to host")
		}
		_, resend := m.Update(runes("r"))
		if v := m.View(); !strings.Contains(v, "Reenviando agora") || m.env.keys.Resend.Enabled() {
			t.Errorf("no word of the resend, or r offered twice:\n%s", v)
		}
		for _, msg := range drain(resend) {
			run(m, msg)
		}
		if v := m.View(); m.active != m.creating || !strings.Contains(v, "no route to host") || !m.env.keys.Resend.Enabled() {
			t.Fatalf("a failed resend:\n%s", v)
		}

		// Created: its QR opens.
		f.resume = nil
		f.put(openCharge(9))
		run(m, runes("r"))
		if m.active != m.charge || m.charge.c.ID != 9 {
			t.Fatal("the resent charge does not open once created")
		}
		if got := f.resumed; len(got) != 2 || got[0] != 9 || got[1] != 9 {
			t.Errorf("resumed %v", got)
		}
		if len(submitted(f)) != 1 {
			t.Errorf("%d creates: a resend must not create again", len(submitted(f)))
		}
		if m.env.keys.Resend.Enabled() {
			t.Error("resend still enabled off the creating screen")
		}
	})
}

func TestCreatingShowsProgressAndTheSameKey(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		release := make(chan struct{})
		f.create = func(ctx context.Context, _ engine.Input) (*store.Charge, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			c := openCharge(3)
			c.Stage, c.Status = store.StagePending, ""
			return c, ctx.Err()
		}
		fillValid(t, m)
		create := submitForm(t, m)
		if m.active != m.creating {
			t.Fatal("no creating screen")
		}
		m.Update(NoticeMsg{engine.Notice{Kind: engine.NoticeProgress, ChargeID: 3, Progress: psp.Progress{Stage: psp.StageAuthenticating}}})
		if !strings.Contains(m.View(), "Autenticando") {
			t.Error("authenticating is not shown")
		}
		m.Update(NoticeMsg{engine.Notice{Kind: engine.NoticeProgress, ChargeID: 3, Progress: psp.Progress{Stage: psp.StageRetrying, Attempt: 2, Wait: 2 * time.Second, Err: errors.New("connection reset by peer")}}})
		v := m.View()
		for _, want := range []string{"nova tentativa 2 em 2s", "connection reset by peer", "mesma chave de idempotência"} {
			if !strings.Contains(v, want) {
				t.Errorf("creating screen lacks %q:\n%s", want, v)
			}
		}
		// Esc: stop waiting. The call is cancelled, the charge tracked.
		run(m, tea.KeyMsg{Type: tea.KeyEsc})
		if m.active != m.form || !strings.Contains(m.View(), "continua sendo criada em segundo plano") {
			t.Fatalf("esc does not go back to the form with a warning:\n%s", m.View())
		}
		if !m.track.has(3) {
			t.Fatal("the abandoned charge is not tracked")
		}
		msgs := drain(create)
		close(release)
		for _, msg := range msgs {
			run(m, msg)
		}
		if m.active != m.form {
			t.Error("the cancelled create's answer took over the screen")
		}
		if len(submitted(f)) != 1 {
			t.Errorf("%d creates, want 1: never twice", len(submitted(f)))
		}
		// Created in the background while the form is untouched: it opens.
		f.put(openCharge(3))
		run(m, NoticeMsg{engine.Notice{Kind: engine.NoticeChanged, ChargeID: 3}})
		if m.active != m.charge || m.charge.c.ID != 3 {
			t.Error("the charge created in the background does not open on an untouched form")
		}
	})
}

func TestBackgroundChargeOffersCtrlO(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		c := openCharge(4)
		c.Stage, c.Status = store.StagePending, ""
		m.track.observe(c, true)
		typeText(m, "99") // the cashier started another charge
		f.put(openCharge(4))
		run(m, ChangeMsg{store.Change{ChargeID: 4}})
		if m.active != m.form || !strings.Contains(m.View(), "ctrl+o") {
			t.Fatalf("no offer to open the background charge:\n%s", m.View())
		}
		run(m, tea.KeyMsg{Type: tea.KeyCtrlO})
		if m.active != m.charge || m.charge.c.ID != 4 {
			t.Error("ctrl+o does not open it")
		}
	})
}

func TestStartResumesTheOpenCharge(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		f := newFake()
		f.put(openCharge(5))
		f.latest = 5
		m := New(testConfig(&out), f)
		m.still = true
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		for _, msg := range drain(loadLatest(context.Background(), f)) {
			run(m, msg)
		}
		if m.active != m.charge || !strings.Contains(m.View(), "12:30") {
			t.Fatalf("the open charge is not resumed with its real time:\n%s", m.View())
		}
	})
}

func TestStartResumesAPendingCharge(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		c := openCharge(6)
		c.Stage, c.Status = store.StagePending, ""
		f.put(c)
		run(m, latestMsg{c: c})
		if m.active != m.creating || !strings.Contains(m.View(), "ainda não foi confirmada") {
			t.Fatalf("a pending charge does not show the creating screen:\n%s", m.View())
		}
		if !strings.Contains(m.View(), "r reenviar agora") {
			t.Errorf("a pending charge found at start does not offer to resend now:\n%s", m.View())
		}
	})
}

func TestCountdownExpiryAsksOnceAndWaitsForTheStore(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		clock := testNow
		cfg := testConfig(&out)
		cfg.Now = func() time.Time { return clock }
		m, f := newTestModel(t, cfg, 120, 40)
		c := openCharge(1)
		f.put(c)
		run(m, latestMsg{c: c})

		clock = c.ExpiresAt.Add(-30 * time.Second)
		m.Update(tickMsg(clock))
		if v := m.View(); !strings.Contains(v, "⚠ 00:30") {
			t.Errorf("the last minute is not a warning:\n%s", v)
		}
		clock = c.ExpiresAt
		for range 3 {
			run(m, tickMsg(clock))
		}
		if len(f.polled) != 1 || f.polled[0] != 1 {
			t.Errorf("polled %v at expiry, want once [1]", f.polled)
		}
		v := m.View()
		if !strings.Contains(v, "confirmando com a ConnectPSP") || strings.Contains(v, "EXPIRADA") || m.active != m.charge {
			t.Fatalf("at zero the screen must confirm, not expire:\n%s", v)
		}
		exp := *c
		exp.Status, exp.ExpiredAt = psp.StatusExpired, clock
		f.put(&exp)
		run(m, NoticeMsg{engine.Notice{Kind: engine.NoticePoll, ChargeID: 1, Outcome: store.OutcomeApplied}})
		if m.active != m.result || m.result.c.Status != psp.StatusExpired {
			t.Fatal("EXPIRED from the store is not shown")
		}
		// r: redo with the same values (a new reference).
		run(m, runes("r"))
		if m.active != m.form || m.form.amount() != 1250 || m.form.inputs[fName].Value() != "João da Silva" ||
			m.form.inputs[fDocument].Value() != "123.456.789-09" || m.form.inputs[fReference].Value() != "" {
			t.Errorf("redo did not fill the form: %v %q %q", m.form.amount(), m.form.inputs[fName].Value(), m.form.inputs[fDocument].Value())
		}
	})
}

func TestPaidRingsAndNextCharge(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, f := newTestModel(t, testConfig(&out), 120, 40)
		c := openCharge(1)
		f.put(c)
		run(m, latestMsg{c: c})
		f.put(paid(c))
		run(m, ChangeMsg{store.Change{ChargeID: 1, Version: 2}})
		if m.active != m.result {
			t.Fatal("PAID does not show the result")
		}
		if out.String() != "\a" {
			t.Errorf("terminal got %q, want one bell", out.String())
		}
		run(m, NoticeMsg{engine.Notice{Kind: engine.NoticeWebhook, ChargeID: 1}})
		if out.String() != "\a" {
			t.Error("the bell rang twice for one payment")
		}
		v := m.View()
		for _, want := range []string{"█", "Banco do Brasil", "E00416968202603101422cemeFscF6AG", "11:19:55", "R$\u00a012,50"} {
			if !strings.Contains(v, want) {
				t.Errorf("paid screen lacks %q", want)
			}
		}
		if key.Matches(runes("r"), m.env.keys.Recreate) {
			t.Error("redo is offered for a paid charge")
		}
		run(m, tea.KeyMsg{Type: tea.KeyEnter})
		if m.active != m.form || !m.form.pristine() {
			t.Error("enter does not start the next charge")
		}
	})
}

func TestPaidWarnings(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, f := newTestModel(t, testConfig(&out), 120, 40)
		c := paid(openCharge(1))
		c.PaidAmount = 125
		c.Flags = store.FlagAmountMismatch | store.FlagPaidAfterExpiry
		f.put(c)
		run(m, latestMsg{c: c})
		v := m.View()
		for _, want := range []string{"VALOR PAGO DIFERENTE", "cobrado R$\u00a012,50, pago R$\u00a01,25", "PAGO APÓS O VENCIMENTO"} {
			if !strings.Contains(v, want) {
				t.Errorf("paid screen lacks %q:\n%s", want, v)
			}
		}
	})
}

func TestNewChargeKeepsTrackingAndReportsPayment(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, f := newTestModel(t, testConfig(&out), 120, 40)
		c := openCharge(1)
		f.put(c)
		run(m, latestMsg{c: c})
		run(m, runes("n"))
		if m.active != m.form {
			t.Fatal("n does not open the form")
		}
		f.put(paid(c))
		run(m, ChangeMsg{store.Change{ChargeID: 1}})
		if m.active != m.form || !strings.Contains(m.View(), "PAGO: R$\u00a012,50 de João da Silva") || out.String() != "\a" {
			t.Errorf("the tracked charge's payment is not reported:\n%s", m.View())
		}
	})
}

func TestNewChargeClearsTheLastChargesMessages(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, f := newTestModel(t, testConfig(&out), 120, 40)
		c := openCharge(1)
		f.put(c)
		run(m, latestMsg{c: c})
		run(m, runes("p"))
		if !strings.Contains(m.View(), "Pagamento simulado enviado") {
			t.Fatalf("no word of the simulation:\n%s", m.View())
		}
		run(m, runes("n"))
		if m.active != m.form || strings.Contains(m.View(), "Pagamento simulado enviado") {
			t.Fatalf("the last charge's message stays on the form:\n%s", m.View())
		}
		// Its answer arriving late says nothing on the form either.
		run(m, simulatedMsg{id: 1})
		if strings.Contains(m.View(), "Pagamento simulado enviado") {
			t.Error("a late answer about the last charge shows on the form")
		}
		// News of a charge in the background matters on every screen.
		f.put(paid(c))
		run(m, ChangeMsg{store.Change{ChargeID: 1, Version: 2}})
		const news = "PAGO: R$\u00a012,50 de João da Silva"
		if !strings.Contains(m.View(), news) {
			t.Fatalf("no news of the payment:\n%s", m.View())
		}
		f.create = func(context.Context, engine.Input) (*store.Charge, error) {
			next := openCharge(2)
			f.put(next)
			return next, nil
		}
		run(m, submitMsg{engine.Input{Amount: 1250, Payer: c.Payer, ExpiresInMinutes: 15}})
		if m.active != m.charge || m.charge.c.ID != 2 || !strings.Contains(m.View(), news) {
			t.Errorf("the news went with the form:\n%s", m.View())
		}
	})
}

func TestChargeKeys(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out, clip bytes.Buffer
		cfg := testConfig(&out)
		m, f := newTestModel(t, cfg, 120, 40)
		c := openCharge(1)
		f.put(c)
		run(m, latestMsg{c: c})

		// No system clipboard: the code goes to the terminal, and the
		// cashier is told to check, not that it was copied.
		run(m, runes("c"))
		want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(testPayload)) + "\a"
		if out.String() != want {
			t.Errorf("OSC 52 wrote %q, want %q", out.String(), want)
		}
		if v := m.View(); !strings.Contains(v, "enviado ao terminal (OSC 52) — confira se colou") || strings.Contains(v, "área de transferência") {
			t.Errorf("the OSC 52 copy is not reported as sent to the terminal:\n%s", v)
		}
		_ = clip
		run(m, runes("r"))
		run(m, runes("p"))
		if len(f.refreshed) != 1 || len(f.simulated) != 1 {
			t.Errorf("refreshed %v, simulated %v", f.refreshed, f.simulated)
		}
		run(m, runes("f"))
		if !m.full || !strings.Contains(m.View(), "Escaneie para pagar") {
			t.Fatal("f does not show the QR full-window")
		}
		run(m, runes("x"))
		if m.full {
			t.Error("any key does not leave the full-window QR")
		}
		run(m, runes("?"))
		if !m.env.help.ShowAll {
			t.Error("? does not open the help")
		}
		if v := m.View(); !strings.Contains(v, "ctrl+f") || !strings.Contains(v, "consultar") {
			t.Errorf("the help does not offer the lookup:\n%s", v)
		}
	})
}

func TestSimulateOnlyInSandbox(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		cfg := testConfig(&out)
		cfg.Sandbox, cfg.Env = false, EnvProduction
		m, f := newTestModel(t, cfg, 120, 40)
		c := openCharge(1)
		f.put(c)
		run(m, latestMsg{c: c})
		run(m, runes("p"))
		if len(f.simulated) != 0 {
			t.Error("p simulated a payment outside the sandbox")
		}
		v := m.View()
		if strings.Contains(v, "simular") {
			t.Error("help offers the simulation outside the sandbox")
		}
		if !strings.Contains(v, "!! PRODUÇÃO !!") {
			t.Error("production is not unmistakable")
		}
	})
}

func TestTickDoesNotReencodeTheQR(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		m, f := newTestModel(t, testConfig(&out), 120, 40)
		c := openCharge(1)
		f.put(c)
		run(m, latestMsg{c: c})
		q := m.charge.qr
		if q == nil || m.charge.mode != qrSide {
			t.Fatalf("no QR beside the details at 120×40 (mode %d)", m.charge.mode)
		}
		before := q.encodes
		for range 5 {
			m.Update(tickMsg(testNow))
			_ = m.View()
		}
		cp := *c
		cp.Version++
		run(m, ChangeMsg{store.Change{ChargeID: 1, Version: cp.Version}})
		if m.charge.qr != q || q.encodes != before {
			t.Errorf("the QR was encoded again (%d → %d encodes)", before, q.encodes)
		}
	})
}
