package store

import (
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"  JOÃO  da Conceição ": "joao da conceicao",
		"Mário\tLima":           "mario lima",
		"Ñandú Çağrı Straße":    "nandu cagri strasse",
		"ÆØÅ":                   "aeoa",
		"":                      "",
		"Ana-Lúcia O'Brien 2º":  "ana-lucia o'brien 2º",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, p := range []string{"a", "joao da", "zz", "ç", "a\U0010FFFF", "\uD7FF"} {
		end := prefixEnd(p)
		for _, s := range []string{p, p + " ", p + "zzzz", p + "\U0010FFFF"} {
			if !(s >= p && s < end) {
				t.Errorf("%q is not inside [%q, %q)", s, p, end)
			}
		}
		if next := end + "a"; next < end || strings.HasPrefix(next, p) {
			t.Errorf("%q: end %q is inside the prefix", p, end)
		}
	}
}

func TestClassify(t *testing.T) {
	for in, want := range map[string]textKind{
		"123.456.789-09":                      textDocument,
		"12345678909":                         textDocument,
		"11.222.333/0001-81":                  textDocument,
		"12.ABC.345/01DE-35":                  textDocument,
		"12ABC34501DE36":                      textReferenceOrName, // bad check digit
		"US7B1JQ":                             textInternalCode,
		"us7b1jq":                             textInternalCode,
		"ABCDEFG":                             textInternalCode,
		"mariana":                             textReferenceOrName,
		"kk6g232xel65a0daee4dd13kk2912714964": textTransactionID,
		"E00416968202603101827cemeFscF6AG":    textEndToEnd,
		"D00416968202603101827cemeFscF6AG":    textEndToEnd,
		"C01-000123":                          textReferenceOrName,
		"joão da":                             textReferenceOrName,
		"   ":                                 textNone,
	} {
		if got, _ := classify(in); got != want {
			t.Errorf("classify(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFlagString(t *testing.T) {
	if got := (FlagAmountMismatch | FlagForged | 1<<9).String(); got != "amount_mismatch,forged,0x200" {
		t.Fatalf("String = %q", got)
	}
}
