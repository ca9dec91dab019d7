package store

import (
	"strings"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"  JOÃO  da Conceição ":            "joao da conceicao",
		"Mário\tLima":                      "mario lima",
		"Ñandú Çağrı Straße":               "nandu cagri strasse",
		"ÆØÅ":                              "aeoa",
		"":                                 "",
		"Ana-Lúcia O'Brien 2º":             "ana lucia o brien 2º",
		"Joa\u0303o Conceic\u0327a\u0303o": "joao conceicao", // NFD
		"Maria D'Ávila":                    "maria d avila",
		"  -- ":                            "",
		"Łukasz Øster Đorđe":               "lukasz oster dorde",
		"NGUYỄN Văn":                       "nguyen van",
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
	for in, want := range map[string]TextKind{
		"123.456.789-09":                      TextDocument,
		"12345678909":                         TextDocument,
		"11.222.333/0001-81":                  TextDocument,
		"12.ABC.345/01DE-35":                  TextDocument,
		"12ABC34501DE36":                      TextReferenceOrName, // bad check digit
		"US7B1JQ":                             TextInternalCode,
		"us7b1jq":                             TextInternalCode,
		"ABCDEFG":                             TextInternalCode,
		"mariana":                             TextReferenceOrName,
		"kk6g232xel65a0daee4dd13kk2912714964": TextTransactionID,
		"E00416968202603101827cemeFscF6AG":    TextEndToEnd,
		"D00416968202603101827cemeFscF6AG":    TextEndToEnd,
		"C01-000123":                          TextReferenceOrName,
		"joão da":                             TextReferenceOrName,
		"   ":                                 TextNone,
	} {
		if got, _ := Classify(in); got != want {
			t.Errorf("Classify(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestFlagString(t *testing.T) {
	if got := (FlagAmountMismatch | FlagForged | 1<<9).String(); got != "amount_mismatch,forged,0x200" {
		t.Fatalf("String = %q", got)
	}
}
