package ui

import (
	"context"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// TestMovedReferenceIsSaid: a charge the engine moved on from a reference
// ConnectPSP had opens with the catalogue's sentence naming both.
func TestMovedReferenceIsSaid(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		f.create = func(context.Context, engine.Input) (*store.Charge, error) {
			c := openCharge(1)
			c.ExternalReference, c.ReplacedReference = "C01-000006", "C01-000001"
			f.put(c)
			return c, nil
		}
		fillValid(t, m)
		press(m, tea.KeyEnter)
		want := "O pedido C01-000001 já existia na ConnectPSP; usamos C01-000006"
		if v := m.View(); m.active != m.charge || !strings.Contains(v, want) {
			t.Errorf("the charge screen does not say %q:\n%s", want, v)
		}
	})
}

// TestTakenReferenceInTheCashiersWords: ConnectPSP refusing a typed order
// reference it has is worded by the catalogue; its English detail is not
// shown.
func TestTakenReferenceInTheCashiersWords(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		detail := `externalReference "PED-7_a" already has cash-in kk6g232xel65a0daee4dd13kk2912714964`
		f.create = func(context.Context, engine.Input) (*store.Charge, error) {
			c := openCharge(7)
			c.ExternalReference = "PED-7_a"
			c.Stage, c.Status, c.RejectCode, c.RejectReason = store.StageRejected, "", psp.CodeDuplicateReference, detail
			return c, &psp.Error{Status: 409, Code: psp.CodeDuplicateReference, Title: "Conflict", Detail: detail}
		}
		fillValid(t, m)
		press(m, tea.KeyEnter)
		v := m.View()
		if m.active != m.form || !strings.Contains(v, "o pedido PED-7_a já tem uma cobrança na ConnectPSP") {
			t.Errorf("the refusal is not worded by the catalogue:\n%s", v)
		}
		if strings.Contains(v, "already has") || strings.Contains(v, "Conflict") {
			t.Errorf("ConnectPSP's English is shown:\n%s", v)
		}
	})
	// Without the answer at hand (a charge refused in the background), the
	// stored code says the same.
	c := openCharge(7)
	c.ExternalReference, c.Stage, c.RejectCode, c.RejectReason = "C01-000003", store.StageRejected, psp.CodeDuplicateReference, "already has"
	if got := RefusalText("en", c, nil); got != "order C01-000003 already has a charge at ConnectPSP; no other was made — use another order number" {
		t.Errorf("RefusalText = %q", got)
	}
	if got := ReferenceNote("en", &store.Charge{ExternalReference: "C01-000006", ReplacedReference: "C01-000001"}); got != "Order C01-000001 already existed at ConnectPSP; we used C01-000006" {
		t.Errorf("ReferenceNote = %q", got)
	}
	if got := ReferenceNote("pt-BR", c); got != "" {
		t.Errorf("ReferenceNote of an unmoved charge = %q", got)
	}
}

// TestMovedReferenceHistory: the move is a fact on the timeline, worded in
// the reader's language.
func TestMovedReferenceHistory(t *testing.T) {
	en := store.Entry{Kind: store.EntryReferenceReplaced, Outcome: string(store.OutcomeApplied),
		Facts: store.Facts{Reference: "C01-000006", Replaced: "C01-000001", IdempotencyKey: "k-2"}}
	if got, want := HistoryNote(en, "pt-BR", testNow.Location()), "o pedido C01-000001 já existia na ConnectPSP; usamos C01-000006, chave de idempotência k-2"; got != want {
		t.Errorf("pt-BR note %q, want %q", got, want)
	}
	var b strings.Builder
	if err := WriteHistory(&b, []store.Entry{en}, "en", testNow.Location()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Order changed") || !strings.Contains(b.String(), "order C01-000001 already existed at ConnectPSP; we used C01-000006") {
		t.Errorf("English history:\n%s", b.String())
	}
}
