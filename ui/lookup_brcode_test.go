package ui

import (
	"strings"
	"testing"
)

// PIX Automático codes (tag 80), hand-built with independently computed
// CRCs (see psp/brcode's recurrenceVector): a recurrence alone, with tag 26
// holding only the GUI, and a payment that also asks for a recurrence.
const (
	testRecurrence = "00020126180014br.gov.bcb.pix5204000053039865802BR5916PADARIA SAO JOSE6008CURITIBA62070503***" +
		"80810014br.gov.bcb.pix2559pix.connectpsp.example/rec/5e1f0c3a9b7d4e2f8a6c1b0d3e5f7a9c63044E67"
	testComposite = "000201010212" + "26840014br.gov.bcb.pix2562pix.connectpsp.example/v2/cob/3b9e6d1f2a4c4e8b9f0a1c2d3e4f5a6b" +
		"520400005303986540549.905802BR5916PADARIA SAO JOSE6008CURITIBA62070503***" +
		"80810014br.gov.bcb.pix2559pix.connectpsp.example/rec/5e1f0c3a9b7d4e2f8a6c1b0d3e5f7a9c63045E2A"
)

// TestLookupFindsRecurrenceCodes pastes PIX Automático codes into the
// search: each is recognised as a copy-and-paste code, its CRC checked,
// its kind said, and the charge that holds it listed.
func TestLookupFindsRecurrenceCodes(t *testing.T) {
	for _, tc := range []struct {
		name, lang, code, hint string
	}{
		{"recurrence alone", "pt-BR", testRecurrence, "copia e cola com CRC 4E67 correto · Pix Automático (autorização de recorrência) · PADARIA SAO JOSE"},
		{"recurrence alone, en", "en", testRecurrence, "copy and paste with a correct CRC 4E67 · Pix Automático (recurring payment authorisation) · PADARIA SAO JOSE"},
		{"payment and recurrence", "pt-BR", testComposite, "copia e cola com CRC 5E2A correto · dinâmico + Pix Automático · PADARIA SAO JOSE"},
		{"payment and recurrence, en", "en", testComposite, "copy and paste with a correct CRC 5E2A · dynamic + Pix Automático · PADARIA SAO JOSE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newLookupIn(t, 120, 40, tc.lang)
				c := openCharge(6)
				c.InternalCode, c.TransactionID, c.ExternalReference = "RC6AUT0", "rec6aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "PD-000050"
				c.CopyAndPaste = tc.code
				f.put(c)
				before := len(f.searches)
				search(m, tc.code)
				if got := strings.Join(listed(m), " "); got != "RC6AUT0" {
					t.Errorf("listed %q, want RC6AUT0", got)
				}
				if v := m.View(); !strings.Contains(v, tc.hint) {
					t.Errorf("hint %q missing:\n%s", tc.hint, v)
				}
				if len(f.searches) != before {
					t.Errorf("the code went to the text search: %+v", lastQuery(t, f))
				}

				// One character changed: the CRC no longer matches.
				search(m, tc.code[:len(tc.code)-1]+"X")
				if got := listed(m); len(got) != 0 {
					t.Errorf("a code with a wrong CRC listed %v", got)
				}
				want := map[string]string{"pt-BR": "CRC inválido", "en": "wrong CRC"}[tc.lang]
				if v := m.View(); !strings.Contains(v, want) {
					t.Errorf("no %q for a changed code:\n%s", want, v)
				}
			})
		})
	}
}
