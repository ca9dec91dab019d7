package ui

import (
	"bytes"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store/engine"
)

// newForm returns a console on the form, at 100×30.
func newFormModel(t *testing.T) (*Model, *fakeBackend) {
	t.Helper()
	var out bytes.Buffer
	m, f := newTestModel(t, testConfig(&out), 100, 30)
	if m.active != m.form {
		t.Fatal("the console does not start on the form")
	}
	return m, f
}

// focusOn moves the form's focus to fl with tab.
func focusOn(t *testing.T, m *Model, fl field) {
	t.Helper()
	for i := 0; m.form.focus != fl; i++ {
		if i > int(fieldCount) {
			t.Fatalf("cannot reach field %d", fl)
		}
		press(m, tea.KeyTab)
	}
}

// fillValid types a valid charge into the form.
func fillValid(t *testing.T, m *Model) {
	t.Helper()
	focusOn(t, m, fAmount)
	typeText(m, "1250")
	focusOn(t, m, fName)
	typeText(m, "  João da Silva  ")
	focusOn(t, m, fDocument)
	typeText(m, "12345678909")
	focusOn(t, m, fReference)
	typeText(m, "PED-7_a")
	focusOn(t, m, fExpiry)
}

// submitted returns the inputs the backend received.
func submitted(f *fakeBackend) []engine.Input {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]engine.Input(nil), f.inputs...)
}

func TestAmountShiftsInFromTheRight(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newFormModel(t)
		for _, step := range []struct{ key, want string }{{"1", "R$\u00a00,01"}, {"2", "R$\u00a00,12"}, {"5", "R$\u00a01,25"}, {"0", "R$\u00a012,50"}} {
			typeText(m, step.key)
			if got := m.form.amount().String(); got != step.want {
				t.Fatalf("after %q: amount %q, want %q", step.key, got, step.want)
			}
		}
		if !strings.Contains(m.View(), "R$\u00a012,50") {
			t.Error("the form does not show R$ 12,50")
		}
		press(m, tea.KeyBackspace)
		if got := m.form.amount(); got != 125 {
			t.Errorf("after backspace: %d centavos, want 125", got)
		}
		typeText(m, "00")
		press(m, tea.KeyBackspace)
		press(m, tea.KeyBackspace)
		press(m, tea.KeyBackspace)
		press(m, tea.KeyBackspace)
		press(m, tea.KeyBackspace)
		if got := m.form.amount(); got != 0 {
			t.Errorf("after clearing: %d centavos, want 0", got)
		}
	})
}

func TestAmountIgnoresLettersWithAHint(t *testing.T) {
	m, _ := newFormModel(t)
	typeText(m, "1a2,b")
	if got := m.form.amount(); got != 12 {
		t.Errorf("amount %d centavos, want 12", got)
	}
	if m.form.hint == "" || !strings.Contains(m.View(), "digite só números") {
		t.Error("no hint for a letter in the amount")
	}
	m.Update(hintExpiredMsg{m.form.hintSeq})
	if m.form.hint != "" {
		t.Error("the hint does not go away")
	}
}

func TestAmountPasteReadsTheAmount(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newFormModel(t)
		paste(m, "1.234,56")
		if got := m.form.amount(); got != 123456 {
			t.Errorf("pasted 1.234,56: %d centavos", got)
		}
	})
}

func TestAmountZeroIsInvalidOnSubmit(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		fillValid(t, m)
		focusOn(t, m, fAmount)
		for m.form.digits != "" {
			press(m, tea.KeyBackspace)
		}
		focusOn(t, m, fExpiry)
		press(m, tea.KeyEnter)
		if m.form.errs[fAmount] == "" || m.form.focus != fAmount {
			t.Errorf("zero amount: error %q, focus %d", m.form.errs[fAmount], m.form.focus)
		}
		if len(submitted(f)) != 0 || m.active != m.form {
			t.Error("a zero amount was sent")
		}
	})
}

func TestAmountOverTheMaximum(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t) // maximum R$ 5.000,00
		fillValid(t, m)
		focusOn(t, m, fAmount)
		m.form.digits = ""
		typeText(m, "500001")
		if e := m.form.errs[fAmount]; !strings.Contains(e, "acima do máximo") || !strings.Contains(e, "R$\u00a05.000,00") {
			t.Errorf("over the maximum: error %q", e)
		}
		if !strings.Contains(m.View(), "acima do máximo") {
			t.Error("the error is not beside the field")
		}
		focusOn(t, m, fExpiry)
		press(m, tea.KeyEnter)
		if len(submitted(f)) != 0 || m.form.focus != fAmount {
			t.Error("an amount over the maximum was sent")
		}
		focusOn(t, m, fAmount)
		press(m, tea.KeyBackspace)
		if m.form.errs[fAmount] != "" {
			t.Errorf("R$ 500,00 still in error: %q", m.form.errs[fAmount])
		}
	})
}

func TestNameRequiredAndLimited(t *testing.T) {
	for _, tc := range []struct {
		name, typed string
		bad         bool
	}{
		{"empty", "", true},
		{"blank", "   ", true},
		{"over 100", strings.Repeat("a", 101), true},
		{"exactly 100", strings.Repeat("á", 100), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newFormModel(t)
				fillValid(t, m)
				focusOn(t, m, fName)
				m.form.inputs[fName].SetValue("")
				typeText(m, tc.typed)
				focusOn(t, m, fExpiry)
				press(m, tea.KeyEnter)
				if bad := m.form.errs[fName] != ""; bad != tc.bad {
					t.Fatalf("error %q, want error: %v", m.form.errs[fName], tc.bad)
				}
				if tc.bad && (m.form.focus != fName || len(submitted(f)) != 0) {
					t.Errorf("focus %d, sent %d", m.form.focus, len(submitted(f)))
				}
				if !tc.bad && len(submitted(f)) != 1 {
					t.Error("a valid name was not sent")
				}
			})
		})
	}
}

func TestNameIsTrimmed(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		fillValid(t, m)
		press(m, tea.KeyEnter)
		in := submitted(f)
		if len(in) != 1 {
			t.Fatalf("%d creates, want 1", len(in))
		}
		want := engine.Input{Amount: 1250, Payer: psp.Payer{Name: "João da Silva", Document: "12345678909"}, Reference: "PED-7_a", ExpiresInMinutes: 15}
		if in[0] != want {
			t.Errorf("sent %+v, want %+v", in[0], want)
		}
	})
}

func TestDocumentValidation(t *testing.T) {
	for _, tc := range []struct {
		name, typed, shown, err string
	}{
		{"cpf check digits", "12345678900", "123.456.789-00", "dígito verificador"},
		{"cpf all equal", "11111111111", "111.111.111-11", "dígito verificador"},
		{"short", "1234567", "123.456.7", "11 e CNPJ 14"},
		{"cnpj check digits", "12ABC34501DE36", "12.ABC.345/01DE-36", "dígito verificador"},
		{"chars", "123*456", "123*456", "caractere inválido"},
		{"too long", "123456789012345", "123456789012345", "11 e CNPJ 14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newFormModel(t)
				fillValid(t, m)
				focusOn(t, m, fDocument)
				m.form.inputs[fDocument].SetValue("")
				typeText(m, tc.typed)
				if got := m.form.inputs[fDocument].Value(); got != tc.shown {
					t.Errorf("typed %q, shown %q, want %q", tc.typed, got, tc.shown)
				}
				press(m, tea.KeyTab) // leaving the field checks it
				if !strings.Contains(m.form.errs[fDocument], tc.err) {
					t.Errorf("error %q, want %q", m.form.errs[fDocument], tc.err)
				}
				focusOn(t, m, fExpiry)
				press(m, tea.KeyEnter)
				if len(submitted(f)) != 0 || m.form.focus != fDocument {
					t.Error("an invalid document was sent")
				}
				if !strings.Contains(m.View(), tc.err) {
					t.Error("the error is not shown")
				}
			})
		})
	}
}

func TestDocumentEmptyOnSubmit(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newFormModel(t)
		fillValid(t, m)
		m.form.inputs[fDocument].SetValue("")
		press(m, tea.KeyEnter)
		if !strings.Contains(m.form.errs[fDocument], "informe o CPF") || m.form.focus != fDocument {
			t.Errorf("empty document: %q, focus %d", m.form.errs[fDocument], m.form.focus)
		}
	})
}

func TestDocumentPastedAndTyped(t *testing.T) {
	for _, tc := range []struct {
		name, input, shown, sent string
		pasted                   bool
	}{
		{"pasted formatted cpf", "123.456.789-09", "123.456.789-09", "12345678909", true},
		{"pasted cpf with spaces", " 238.584.881-35 ", "238.584.881-35", "23858488135", true},
		{"pasted alphanumeric cnpj", "12.ABC.345/01DE-35", "12.ABC.345/01DE-35", "12ABC34501DE35", true},
		{"pasted lower-case cnpj", "12.abc.345/01de-35", "12.ABC.345/01DE-35", "12ABC34501DE35", true},
		{"pasted numeric cnpj", "11222333000181", "11.222.333/0001-81", "11222333000181", true},
		{"typed cpf", "12345678909", "123.456.789-09", "12345678909", false},
		{"typed cnpj", "12abc34501de35", "12.ABC.345/01DE-35", "12ABC34501DE35", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newFormModel(t)
				fillValid(t, m)
				focusOn(t, m, fDocument)
				m.form.inputs[fDocument].SetValue("")
				if tc.pasted {
					paste(m, tc.input)
				} else {
					typeText(m, tc.input)
				}
				if got := m.form.inputs[fDocument].Value(); got != tc.shown {
					t.Errorf("shown %q, want %q", got, tc.shown)
				}
				if !strings.Contains(m.View(), "válido") {
					t.Error("a valid document is not marked valid")
				}
				focusOn(t, m, fExpiry)
				press(m, tea.KeyEnter)
				in := submitted(f)
				if len(in) != 1 || in[0].Payer.Document != tc.sent {
					t.Fatalf("sent %+v, want document %q", in, tc.sent)
				}
			})
		})
	}
}

func TestReferenceValidation(t *testing.T) {
	for _, tc := range []struct {
		name, typed, err string
	}{
		{"space", "PED 01", "só letras"},
		{"hash", "ped#1", "só letras"},
		{"accent", "pedição", "só letras"},
		{"slash", "a/b", "só letras"},
		{"over 35", strings.Repeat("x", 36), "35"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newFormModel(t)
				fillValid(t, m)
				focusOn(t, m, fReference)
				m.form.inputs[fReference].SetValue("")
				typeText(m, tc.typed)
				press(m, tea.KeyEnter) // moves on, checking the field
				if !strings.Contains(m.form.errs[fReference], tc.err) {
					t.Errorf("error %q, want %q", m.form.errs[fReference], tc.err)
				}
				press(m, tea.KeyEnter) // on the last field: submit
				if len(submitted(f)) != 0 || m.form.focus != fReference {
					t.Errorf("sent %d, focus %d", len(submitted(f)), m.form.focus)
				}
			})
		})
	}
}

func TestReferenceEmptyIsGenerated(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		fillValid(t, m)
		m.form.inputs[fReference].SetValue("")
		press(m, tea.KeyEnter)
		if in := submitted(f); len(in) != 1 || in[0].Reference != "" {
			t.Fatalf("sent %+v: an empty reference goes as \"\" and the engine draws one", in)
		}
	})
}

func TestExpiryValidation(t *testing.T) {
	for _, tc := range []struct {
		typed string
		ok    bool
		want  int
	}{
		{"0", false, 0}, {"1441", false, 0}, {"", false, 0},
		{"1", true, 1}, {"1440", true, 1440}, {"3x0", true, 30},
	} {
		t.Run(tc.typed, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newFormModel(t)
				fillValid(t, m)
				m.form.inputs[fExpiry].SetValue("")
				typeText(m, tc.typed)
				press(m, tea.KeyEnter)
				in := submitted(f)
				if !tc.ok {
					if len(in) != 0 || !strings.Contains(m.form.errs[fExpiry], "entre 1 e 1440") || m.form.focus != fExpiry {
						t.Errorf("expiry %q: sent %d, error %q", tc.typed, len(in), m.form.errs[fExpiry])
					}
					return
				}
				if len(in) != 1 || in[0].ExpiresInMinutes != tc.want {
					t.Errorf("expiry %q: sent %+v", tc.typed, in)
				}
			})
		})
	}
}

func TestDefaultExpiryIsConfigurable(t *testing.T) {
	var out bytes.Buffer
	cfg := testConfig(&out)
	cfg.DefaultExpiry = 30
	m, _ := newTestModel(t, cfg, 100, 30)
	if got := m.form.inputs[fExpiry].Value(); got != "30" {
		t.Errorf("expiry %q, want 30", got)
	}
}

func TestFocusMovesAndJumpsToFirstInvalid(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		press(m, tea.KeyTab)
		press(m, tea.KeyDown)
		if m.form.focus != fDocument {
			t.Fatalf("tab, down: focus %d", m.form.focus)
		}
		press(m, tea.KeyShiftTab)
		press(m, tea.KeyUp)
		press(m, tea.KeyUp) // wraps to the last field
		if m.form.focus != fExpiry {
			t.Fatalf("shift+tab, up, up: focus %d", m.form.focus)
		}
		press(m, tea.KeyEnter) // submit an empty form
		if m.form.focus != fAmount || len(submitted(f)) != 0 {
			t.Fatalf("focus %d after submitting an empty form", m.form.focus)
		}
		for _, fl := range []field{fAmount, fName, fDocument} {
			if m.form.errs[fl] == "" {
				t.Errorf("field %d has no error", fl)
			}
		}
		typeText(m, "100")
		press(m, tea.KeyEnter) // to the name
		press(m, tea.KeyEnter)
		press(m, tea.KeyEnter)
		press(m, tea.KeyEnter)
		press(m, tea.KeyEnter) // submit again: the name is the first invalid
		if m.form.focus != fName {
			t.Errorf("focus %d, want the name", m.form.focus)
		}
	})
}

func TestEnglish(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		cfg := testConfig(&out)
		cfg.Lang = "en"
		m, _ := newTestModel(t, cfg, 100, 30)
		typeText(m, "x")
		if !strings.Contains(m.View(), "digits only") {
			t.Error("no hint in English")
		}
		press(m, tea.KeyTab)
		press(m, tea.KeyTab)
		typeText(m, "123")
		press(m, tea.KeyTab)
		v := m.View()
		for _, want := range []string{"New PIX charge", "Amount", "a CPF has 11", "R$\u00a00,00"} {
			if !strings.Contains(v, want) {
				t.Errorf("view lacks %q:\n%s", want, v)
			}
		}
	})
}
