package ui

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// startRefund opens charge 1 (PAID) and walks the dialog to its
// confirmation: reason (down times), note.
func startRefund(t *testing.T, m *Model, down int, note string) {
	t.Helper()
	openDetail(t, m, "US7B1JQ")
	run(m, runes("e"))
	if m.detail.refund == nil {
		t.Fatal("e does not open the refund dialog")
	}
	for range down {
		press(m, tea.KeyDown)
	}
	press(m, tea.KeyEnter)
	if note != "" {
		typeText(m, note)
	}
	press(m, tea.KeyEnter)
	if m.detail.refund.step != stepConfirm {
		t.Fatalf("step %d, want the confirmation", m.detail.refund.step)
	}
}

func TestRefundSuccess(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newLookupModel(t, 80, 24)
		startRefund(t, m, 0, "cliente desistiu")
		v := m.View()
		for _, want := range []string{"Estornar", "12,50", "João da Silva", "***.456.789-**", "Pedido do cliente", "cliente desistiu", "não pode ser desfeito"} {
			if !strings.Contains(v, want) {
				t.Errorf("confirmation lacks %q:\n%s", want, v)
			}
		}
		if len(f.refunds) != 0 {
			t.Fatal("refund sent before confirmation")
		}
		press(m, tea.KeyEnter)
		if len(f.refunds) != 1 || f.refunds[0] != (fakeRefund{1, psp.RefundCustomerRequest, "cliente desistiu"}) {
			t.Fatalf("refunds %+v", f.refunds)
		}
		if v := m.View(); !strings.Contains(v, "Estorno aceito") || !strings.Contains(v, "D00416968202603101425refundXYZ01") {
			t.Errorf("after the refund:\n%s", v)
		}
		press(m, tea.KeyEnter)
		if m.detail.refund != nil || m.detail.c.Status != psp.StatusRefunded || m.detail.keysNow().Refund.Enabled() {
			t.Error("the detail does not show the refunded charge, or still offers a refund")
		}
		if m.lookup.row(0).Status != psp.StatusRefunded {
			t.Error("the list row is not refunded")
		}
	})
}

func TestRefundReasons(t *testing.T) {
	bubble(t, func(t *testing.T) {
		for i, want := range psp.RefundReasons {
			m, f := newLookupModel(t, 80, 24)
			startRefund(t, m, i, "")
			press(m, tea.KeyEnter)
			if len(f.refunds) != 1 || f.refunds[0].reason != want || f.refunds[0].note != "" {
				t.Errorf("down %d: %+v", i, f.refunds)
			}
		}
		// Labels are translated.
		for _, l := range []lang{"pt-BR", "en"} {
			for _, r := range psp.RefundReasons {
				if got := reasonLabel(l, r); got == string(r) {
					t.Errorf("%s: %s has no label", l, r)
				}
			}
		}
	})
}

func TestRefundEscapeSendsNothing(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newLookupModel(t, 80, 24)
		startRefund(t, m, 1, "x")
		press(m, tea.KeyEsc) // back to the note
		press(m, tea.KeyEsc) // back to the reason
		press(m, tea.KeyEsc) // closed
		if m.detail.refund != nil || len(f.refunds) != 0 {
			t.Errorf("dialog %v, refunds %v", m.detail.refund, f.refunds)
		}
	})
}

func TestRefundRefusals(t *testing.T) {
	for _, tc := range []struct {
		code, want, en string
	}{
		{psp.CodeCashInNotPaid, "não foi paga", "was not paid"},
		{psp.CodeCashInAlreadyRefunded, "já foi estornada", "already refunded"},
		{psp.CodeCashInExpired, "expirou sem pagamento", "expired unpaid"},
		{psp.CodeCashInCancelled, "foi cancelada", "was cancelled"},
		{psp.CodeMissingEndToEndID, "ainda não tem ID fim a fim", "no end-to-end id"},
		{psp.CodeInvalidSignature, "CryptoToken", "CryptoToken"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				for _, lg := range []string{"pt-BR", "en"} {
					var out bytes.Buffer
					f := newFake()
					lookupFixture(f)
					cfg := testConfig(&out)
					cfg.Lang = lg
					m := NewLookup(cfg, f)
					m.lookup.debounce = 0
					m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
					runCmd(m, m.lookup.start())
					f.refund = func(_ context.Context, id int64, _ psp.RefundReason, _ string) (*store.Charge, error) {
						return f.get(id), &psp.Error{Status: 422, Code: tc.code, Detail: "detail " + tc.code}
					}
					startRefund(t, m, 0, "")
					press(m, tea.KeyEnter)
					want := tc.want
					if lg == "en" {
						want = tc.en
					}
					v := m.View()
					if !strings.Contains(v, want) {
						t.Errorf("%s: %s lacks %q:\n%s", lg, tc.code, want, v)
					}
					if m.detail.refund.temporary || strings.Contains(v, "r tentar") || strings.Contains(v, "r try") {
						t.Errorf("%s: a refusal is offered a retry", lg)
					}
				}
			})
		})
	}
}

func TestRefundTemporaryErrorRetriesWithTheSameRequest(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newLookupModel(t, 80, 24)
		fail := true
		f.refund = func(_ context.Context, id int64, reason psp.RefundReason, _ string) (*store.Charge, error) {
			c := f.get(id)
			c.RefundKey, c.RefundReason = "5b0c7a9e-0000-4000-8000-000000000001", reason
			f.put(c)
			if fail {
				fail = false
				return c, &psp.Error{Status: 503, Title: "Service Unavailable"}
			}
			c.Status, c.EndToEndID = psp.StatusRefunded, "D00416968202603101425refundXYZ01"
			f.put(c)
			return c, nil
		}
		startRefund(t, m, 2, "troco errado")
		press(m, tea.KeyEnter)
		v := m.View()
		for _, want := range []string{"não respondeu", "Tecle r para tentar de novo", "mesma chave"} {
			if !strings.Contains(v, want) {
				t.Errorf("temporary error lacks %q:\n%s", want, v)
			}
		}
		if !m.detail.keysNow().Retry.Enabled() || !m.detail.refund.temporary {
			t.Fatal("no retry offered")
		}
		run(m, runes("r"))
		if len(f.refunds) != 2 || f.refunds[1] != f.refunds[0] {
			t.Fatalf("retry sent %+v", f.refunds)
		}
		if !strings.Contains(m.View(), "Estorno aceito") {
			t.Errorf("after the retry:\n%s", m.View())
		}

		// Opening the dialog again on a charge whose refund was asked for says
		// so and keeps the stored reason.
		c := f.get(1)
		c.Status = psp.StatusPaid
		m.detail.refund = nil
		m.detail.show(c)
		run(m, runes("e"))
		if d := m.detail.refund; d == nil || !d.again || psp.RefundReasons[d.reason] != psp.RefundMerchantError {
			t.Fatalf("dialog %+v", d)
		}
		if v := m.View(); !strings.Contains(v, "já foi pedido") {
			t.Errorf("no word of the earlier request:\n%s", v)
		}
	})
}

func TestRefundOtherErrors(t *testing.T) {
	l := lang("pt-BR")
	for err, want := range map[error]string{
		store.ErrConflict: "não está paga",
		errors.New("connectpsp: dial tcp: refused"):                                    "O estorno falhou",
		&psp.Error{Status: 400, Code: psp.CodeValidation, Detail: "reason is invalid"}: "reason is invalid",
		context.DeadlineExceeded:                                                       "não respondeu",
	} {
		if got := refundError(l, err); !strings.Contains(got, want) {
			t.Errorf("%v: %q", err, got)
		}
	}
}
