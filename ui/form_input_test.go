package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// repaste empties field fl and pastes s into it.
func repaste(t *testing.T, m *Model, fl field, s string) {
	t.Helper()
	focusOn(t, m, fl)
	m.form.inputs[fl].SetValue("")
	paste(m, s)
}

// TestFormRefusesInvisibleCharacters: a key or paste that would bring a
// control, bidi or invisible character into the name or the reference
// changes nothing, and the field says why.
func TestFormRefusesInvisibleCharacters(t *testing.T) {
	const why = "caracteres invisíveis ou de controle não são aceitos"
	for _, tc := range []struct {
		name  string
		field field
		input string
		paste bool
	}{
		{"typed bidi override", fName, "\u202e", false},
		{"pasted name with a bidi override", fName, "Ana \u202eovlis\u202c", true},
		{"pasted name with a bidi isolate", fName, "Ana \u2066x\u2069", true},
		{"pasted name with a zero-width space", fName, "Jo\u200bão", true},
		{"typed zero-width joiner", fName, "\u200d", false},
		{"pasted name with an escape sequence", fName, "Ana\x1b[31m", true},
		{"pasted name with a C1 control", fName, "Ana\u009b2J", true},
		{"pasted reference with a zero-width space", fReference, "PED\u200b7", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newFormModel(t)
				fillValid(t, m)
				focusOn(t, m, tc.field)
				before := m.form.inputs[tc.field].Value()
				if tc.paste {
					paste(m, tc.input)
				} else {
					typeText(m, tc.input)
				}
				if got := m.form.inputs[tc.field].Value(); got != before {
					t.Errorf("the field took it: %q, was %q", got, before)
				}
				if m.form.errs[tc.field] != why || !strings.Contains(m.View(), why) {
					t.Errorf("error %q, want %q on screen", m.form.errs[tc.field], why)
				}
				// Typing on clears the sentence; the charge goes out clean.
				typeText(m, "x")
				if m.form.errs[tc.field] != "" {
					t.Errorf("error %q after a plain key", m.form.errs[tc.field])
				}
				focusOn(t, m, fExpiry)
				press(m, tea.KeyEnter)
				want := map[field]string{fName: "João da Silva x", fReference: "João da Silva"}[tc.field]
				if in := submitted(f); len(in) != 1 || in[0].Payer.Name != want {
					t.Errorf("sent %+v, want the name %q", in, want)
				}
			})
		})
	}
}

func TestFormNameRules(t *testing.T) {
	for _, tc := range []struct {
		name, pasted, err string
	}{
		{"only symbols", "--- ...", "o nome precisa ter letras"},
		{"only digits", "12345", "o nome precisa ter letras"},
		{"too long", strings.Repeat("Ana ", 26), "no máximo 100 caracteres"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newFormModel(t)
				fillValid(t, m)
				repaste(t, m, fName, tc.pasted)
				press(m, tea.KeyTab) // leaving the field checks it
				if m.form.errs[fName] != tc.err {
					t.Errorf("error %q, want %q", m.form.errs[fName], tc.err)
				}
				focusOn(t, m, fExpiry)
				press(m, tea.KeyEnter)
				if len(submitted(f)) != 0 || m.form.focus != fName {
					t.Error("the name was sent")
				}
			})
		})
	}
}

// TestFormCleansPastedText: a decomposed name is sent composed, white
// space of any kind as one space, and a document pasted with full-width
// digits, dashes or no-break spaces is read.
func TestFormCleansPastedText(t *testing.T) {
	for _, tc := range []struct {
		name, payer, doc, wantName, shown, wantDoc string
	}{
		{"NFD name", "Joa\u0303o Conceic\u0327a\u0303o", "12345678909", "João Conceição", "123.456.789-09", "12345678909"},
		{"no-break spaces in the name", "Maria\u00a0\u00a0Souza\u2003", "12345678909", "Maria Souza", "123.456.789-09", "12345678909"},
		{"full-width digits and an en dash", "Ana", "１２３.４５６.７８９–０９", "Ana", "123.456.789-09", "12345678909"},
		{"em dash", "Ana", "238.584.881—35", "Ana", "238.584.881-35", "23858488135"},
		{"no-break spaces in the document", "Ana", "123\u00a0456\u00a0789\u00a009", "Ana", "123.456.789-09", "12345678909"},
		{"direction marks around a CNPJ", "Ana", "\u202a11.222.333/0001-81\u202c", "Ana", "11.222.333/0001-81", "11222333000181"},
		{"full-width CNPJ", "Ana", "１２．ａｂｃ．３４５／０１ｄｅ－３５", "Ana", "12.ABC.345/01DE-35", "12ABC34501DE35"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newFormModel(t)
				fillValid(t, m)
				repaste(t, m, fName, tc.payer)
				repaste(t, m, fDocument, tc.doc)
				if got := m.form.inputs[fDocument].Value(); got != tc.shown {
					t.Errorf("document shown %q, want %q", got, tc.shown)
				}
				focusOn(t, m, fExpiry)
				press(m, tea.KeyEnter)
				in := submitted(f)
				if len(in) != 1 || in[0].Payer.Name != tc.wantName || in[0].Payer.Document != tc.wantDoc {
					t.Fatalf("sent %+v, want %q, %q", in, tc.wantName, tc.wantDoc)
				}
			})
		})
	}
}

func TestInputMessageLanguages(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newFormModel(t)
		m.form.env.lang = "en"
		fillValid(t, m)
		focusOn(t, m, fName)
		paste(m, "\u202e")
		if want := "invisible or control characters are not accepted"; m.form.errs[fName] != want {
			t.Errorf("en: %q, want %q", m.form.errs[fName], want)
		}
	})
	if _, _, ok := InputMessage("en", errors.ErrUnsupported); ok {
		t.Error("InputMessage words an error that is not an input error")
	}
}

// TestEngineRefusalShownOnItsField: should the engine refuse what the form
// let through, its sentence lands beside the field, as the form's own do.
func TestEngineRefusalShownOnItsField(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		f.create = func(context.Context, engine.Input) (*store.Charge, error) {
			return nil, &engine.InputError{Field: engine.FieldReference, Reason: engine.ErrChars}
		}
		fillValid(t, m)
		press(m, tea.KeyEnter)
		const why = "use só letras sem acento, números, - e _"
		if m.active != m.form || m.form.focus != fReference || m.form.errs[fReference] != why {
			t.Fatalf("focus %d, error %q", m.form.focus, m.form.errs[fReference])
		}
		if v := m.View(); !strings.Contains(v, "A cobrança não foi criada: "+why) {
			t.Errorf("no notice:\n%s", v)
		}
	})
}

// TestRefusalStandsUntilTheFieldChanges: a refused paste into an empty
// name keeps its sentence through tab and submit, which says more than
// "enter the payer's name".
func TestRefusalStandsUntilTheFieldChanges(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newFormModel(t)
		fillValid(t, m)
		repaste(t, m, fName, "Ana \u202eovlis")
		press(m, tea.KeyTab)
		focusOn(t, m, fExpiry)
		press(m, tea.KeyEnter)
		const why = "caracteres invisíveis ou de controle não são aceitos"
		if m.form.errs[fName] != why || m.form.focus != fName || len(submitted(f)) != 0 {
			t.Errorf("error %q, focus %d, sent %d", m.form.errs[fName], m.form.focus, len(submitted(f)))
		}
		typeText(m, "Ana")
		if m.form.errs[fName] != "" {
			t.Errorf("error %q after typing", m.form.errs[fName])
		}
	})
}
