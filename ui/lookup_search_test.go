package ui

import (
	"testing"
	"time"
)

// The lookup reads a search text the way the store does (store.Classify),
// documents as pasted, plus amounts and BR Codes the store does not read.
func TestMakePlanReadsWhatTheCustomerHas(t *testing.T) {
	for in, want := range map[string]inputKind{
		"":                                    inNone,
		"123.456.789-09":                      inDocument,
		"１２３.４５６.７８９–０９":                      inDocument, // full-width digits, en dash
		"123 456 789 09":                      inDocument,
		"123.456.789-00":                      inDocument, // check digits wrong: still searched as one
		"11.222.333/0001-81":                  inDocument,
		"12.ABC.345/01DE-35":                  inDocument,
		"US7B1JQ":                             inCode,
		"kk6g232xel65a0daee4dd13kk2912714964": inTxID,
		"E00416968202603101827cemeFscF6AG":    inE2E,
		"C01-000123":                          inText,
		"joão da silva":                       inText,
		"12,50":                               inAmount,
		"R$ 0,00":                             inBad,
	} {
		if got := makePlan(in, filters{}, time.Now(), time.UTC).kind; got != want {
			t.Errorf("makePlan(%q).kind = %d, want %d", in, got, want)
		}
	}
	p := makePlan("１２３.４５６.７８９–０９", filters{}, time.Now(), time.UTC)
	if p.q.Text != "12345678909" || p.doc == "" || p.doc == "123.456.789-09" {
		t.Errorf("a pasted document is searched as %q and hinted as %q", p.q.Text, p.doc)
	}
}
