package ui

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCatalogues: both languages word every sentence, with the same format
// verbs for the same arguments (a sentence that drops, adds or retypes an
// argument prints %!d(string=…) or "%!(EXTRA …)" to the cashier), and every
// form for a count of one has its plural.
func TestCatalogues(t *testing.T) {
	if len(catalog) != 2 {
		t.Errorf("catalogues for %d languages, want pt-BR and en", len(catalog))
	}
	pt, en := catalog["pt-BR"], catalog["en"]
	for k, v := range pt {
		w, ok := en[k]
		if !ok {
			t.Errorf("%s: no English sentence (pt-BR %q)", k, v)
			continue
		}
		if a, b := formatVerbs(v), formatVerbs(w); !slices.Equal(a, b) {
			t.Errorf("%s: pt-BR %q has verbs %v, en %q has %v", k, v, a, w, b)
		}
	}
	for k, w := range en {
		if _, ok := pt[k]; !ok {
			t.Errorf("%s: no pt-BR sentence (en %q)", k, w)
		}
	}
	for _, m := range []map[msgKey]string{pt, en} {
		for k, v := range m {
			base, one := strings.CutSuffix(string(k), string(pluralOne))
			if !one {
				continue
			}
			other, ok := m[msgKey(base)]
			if !ok {
				t.Errorf("%s: a form for one without the plural %s", k, base)
				continue
			}
			if a, b := formatVerbs(v), formatVerbs(other); !slices.Equal(a, b) {
				t.Errorf("%s: the form for one %q has verbs %v, the plural %q has %v", k, v, a, other, b)
			}
		}
	}
}

// fmtVerb matches a verb of package fmt: flags, width, precision and an
// explicit argument index, then the verb.
var fmtVerb = regexp.MustCompile(`%([-+# 0]*)(\[(\d+)\])?(\d+|\*)?(\.(\d+|\*)?)?(\[(\d+)\])?([a-zA-Z%])`)

// formatVerbs lists the verbs of a format as argument:verb ("1:s", "2:d"),
// by argument, so that a language may reorder them with %[n]s.
func formatVerbs(format string) []string {
	var out []string
	arg := 0
	for _, m := range fmtVerb.FindAllStringSubmatch(format, -1) {
		if m[9] == "%" {
			continue
		}
		for _, ix := range []string{m[3], m[8]} {
			if ix != "" {
				arg, _ = strconv.Atoi(ix)
				arg--
			}
		}
		arg++
		out = append(out, strconv.Itoa(arg)+":"+m[9])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestFormatVerbs(t *testing.T) {
	for format, want := range map[string]string{
		"nada":                     "",
		"100%% ok":                 "",
		"%d de %s":                 "1:d 2:s",
		"%[2]s, %[1]d":             "1:d 2:s",
		"%-5s|%05.2f|%+d|%x %%":    "1:s 2:f 3:d 4:x",
		"%s %[1]s":                 "1:s",
		"linha %s de %s, %d itens": "1:s 2:s 3:d",
	} {
		if got := strings.Join(formatVerbs(format), " "); got != want {
			t.Errorf("formatVerbs(%q) = %q, want %q", format, got, want)
		}
	}
}

// Counted sentences take their form for one at 1 only: zero and many are
// plural, in both languages.
func TestCountedSentences(t *testing.T) {
	for _, tc := range []struct {
		l     lang
		k     msgKey
		count int
		args  []any
		want  string
	}{
		{"pt-BR", kExported, 1, []any{"1", "a.csv"}, "1 transação exportada para a.csv (documento mascarado)."},
		{"pt-BR", kExported, 2, []any{"2", "a.csv"}, "2 transações exportadas para a.csv (documentos mascarados)."},
		{"en", kExported, 1, []any{"1", "a.csv"}, "1 transaction exported to a.csv (document masked)."},
		{"en", kExported, 1000, []any{"1,000", "a.csv"}, "1,000 transactions exported to a.csv (documents masked)."},
		{"pt-BR", kRefusedHour, 1, []any{1}, "1 entrega recusada na última hora"},
		{"pt-BR", kRefusedHour, 37, []any{37}, "37 entregas recusadas na última hora"},
		{"en", kRefusedHour, 1, []any{1}, "1 delivery refused in the last hour"},
		{"pt-BR", kCount, 1, []any{"1"}, "1 transação"},
		{"pt-BR", kCount, 0, []any{"0"}, "0 transações"},
		{"en", kCount, 0, []any{"0"}, "0 transactions"},
		{"en", kCount, 2, []any{"2"}, "2 transactions"},
		{"en", kNothing, 1, nil, "No transaction found."}, // no form for one: the sentence itself
	} {
		if got := tc.l.n(tc.k, tc.count, tc.args...); got != tc.want {
			t.Errorf("%s n(%s, %d) = %q, want %q", tc.l, tc.k, tc.count, got, tc.want)
		}
	}
}
