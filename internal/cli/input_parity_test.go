package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// The counter form and `pixdesk tx create` take a new charge's inputs by
// the same rules (the engine's) and refuse with the same sentence (the
// console's catalogue), in both languages. These tests type and paste the
// same inputs into the real console and pass them to the real command.

// parityInput is what a cashier types or a script passes.
type parityInput struct {
	name, doc, ref string
}

// parityRefused are inputs both entry points refuse; field is the form's
// label of the field refused (in each language) and flag the option that
// tx create names.
var parityRefused = []struct {
	what   string
	in     parityInput
	flag   string
	label  map[string]string
	wantPT string // the sentence, in pt-BR
	wantEN string
}{
	{"bidi override in the name", parityInput{"Ana \u202eovlis\u202c", "123.456.789-09", ""}, "--name", nameLabel,
		"caracteres invisíveis ou de controle não são aceitos", "invisible or control characters are not accepted"},
	{"zero-width space in the name", parityInput{"Jo\u200bão Silva", "123.456.789-09", ""}, "--name", nameLabel,
		"caracteres invisíveis ou de controle não são aceitos", "invisible or control characters are not accepted"},
	{"escape sequence in the name", parityInput{"Ana\x1b[2J", "123.456.789-09", ""}, "--name", nameLabel,
		"caracteres invisíveis ou de controle não são aceitos", "invisible or control characters are not accepted"},
	{"only spaces", parityInput{"  \u00a0  ", "123.456.789-09", ""}, "--name", nameLabel,
		"informe o nome do pagador", "enter the payer's name"},
	{"name too long", parityInput{strings.Repeat("Ana ", 26), "123.456.789-09", ""}, "--name", nameLabel,
		"no máximo 100 caracteres", "at most 100 characters"},
	{"only symbols", parityInput{"--- ...", "123.456.789-09", ""}, "--name", nameLabel,
		"o nome precisa ter letras", "a name needs letters"},
	{"reference with a space", parityInput{"Ana", "123.456.789-09", "pedido 7"}, "--reference", refLabel,
		"use só letras sem acento, números, - e _", "unaccented letters, digits, - and _ only"},
	{"accented reference", parityInput{"Ana", "123.456.789-09", "ação-1"}, "--reference", refLabel,
		"use só letras sem acento, números, - e _", "unaccented letters, digits, - and _ only"},
	{"reference too long", parityInput{"Ana", "123.456.789-09", strings.Repeat("P", 36)}, "--reference", refLabel,
		"no máximo 35 caracteres", "at most 35 characters"},
	{"document check digits", parityInput{"Ana", "123.456.789-00", ""}, "--document", docLabel,
		"dígito verificador não confere", "check digits do not match"},
	{"document too short", parityInput{"Ana", "1234567", ""}, "--document", docLabel,
		"CPF tem 11 e CNPJ 14 caracteres", "a CPF has 11 and a CNPJ 14 characters"},
	{"character no document has", parityInput{"Ana", "123*456*789", ""}, "--document", docLabel,
		"caractere inválido", "invalid character"},
}

var (
	nameLabel = map[string]string{"pt-BR": "Pagador", "en": "Payer"}
	docLabel  = map[string]string{"pt-BR": "CPF/CNPJ", "en": "CPF/CNPJ"}
	refLabel  = map[string]string{"pt-BR": "Pedido", "en": "Order"}
)

func TestFormAndTxCreateRefuseAlike(t *testing.T) {
	for _, lang := range []string{"pt-BR", "en"} {
		st := e2eOpenMain(t, t.TempDir())
		st.cfg.lang = lang
		for _, tc := range parityRefused {
			t.Run(lang+"/"+tc.what, func(t *testing.T) {
				want := map[string]string{"pt-BR": tc.wantPT, "en": tc.wantEN}[lang]

				code, stdout, stderr := runParityCreate(t, t.TempDir(), lang, tc.in)
				if line := "pixdesk tx create: " + tc.flag + ": " + want + "\n"; code != 2 || stderr != line || stdout != "" {
					t.Errorf("tx create: exit %d, stderr %q, stdout %q; want 2 and %q", code, stderr, stdout, line)
				}

				fillForm(t, st, tc.in, "▸ "+tc.label[lang], "✗ "+want)
			})
		}
		if n := len(st.charges()); n != 0 {
			t.Errorf("%s: the form sent %d charges", lang, n)
		}
	}
}

// parityAccepted are inputs both entry points take, and what they send.
var parityAccepted = []struct {
	what             string
	in               parityInput
	wantName, wantDo string
}{
	{"decomposed name, full-width document with an en dash",
		parityInput{"Joa\u0303o da Conceic\u0327a\u0303o", "１２３.４５６.７８９–０９", "PED-1"}, "João da Conceição", "12345678909"},
	{"no-break spaces",
		parityInput{"Maria\u00a0Souza", "238\u00a0584\u00a0881\u00a035", "PED-2"}, "Maria Souza", "23858488135"},
	{"full-width alphanumeric CNPJ with an em dash",
		parityInput{"Padaria São José", "１２.ＡＢＣ.３４５／０１ＤＥ—３５", "PED-3"}, "Padaria São José", "12ABC34501DE35"},
}

func TestFormAndTxCreateAcceptAlike(t *testing.T) {
	for _, tc := range parityAccepted {
		t.Run(tc.what, func(t *testing.T) {
			dir := t.TempDir()
			code, stdout, stderr := runParityCreate(t, dir, "en", tc.in)
			if code != 0 {
				t.Fatalf("tx create: exit %d, stderr %q", code, stderr)
			}
			var rec createRecord
			if err := json.Unmarshal([]byte(stdout), &rec); err != nil {
				t.Fatalf("tx create printed %q: %v", stdout, err)
			}
			db, err := store.Open(context.Background(), filepath.Join(dir, "pixdesk.db"))
			if err != nil {
				t.Fatal(err)
			}
			byCommand, err := db.Get(context.Background(), rec.ID)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}

			st := e2eOpenMain(t, t.TempDir())
			c := st.console(false, nil)
			c.waitFor("the new-charge form", "New PIX charge")
			c.typeText("1250")
			c.press(tea.KeyEnter)
			for _, s := range []string{tc.in.name, tc.in.doc, tc.in.ref} { // as pasted
				c.paste(s)
				c.press(tea.KeyEnter)
			}
			c.press(tea.KeyEnter)
			c.waitFor("the charge screen", e2eOnCharge, tc.in.ref)
			byForm := st.only()

			for who, ch := range map[string]*store.Charge{"tx create": byCommand, "the form": byForm} {
				if ch.Payer.Name != tc.wantName || ch.Payer.Document != tc.wantDo || ch.ExternalReference != tc.in.ref {
					t.Errorf("%s stored %q, %q, %q; want %q, %q, %q", who,
						ch.Payer.Name, ch.Payer.Document, ch.ExternalReference, tc.wantName, tc.wantDo, tc.in.ref)
				}
			}
		})
	}
}

// runParityCreate runs `pixdesk tx create` in process over the built-in
// sandbox, with its journal in dir.
func runParityCreate(t *testing.T, dir, lang string, in parityInput) (code int, stdout, stderr string) {
	t.Helper()
	args := []string{"create", "--db", filepath.Join(dir, "pixdesk.db"), "--log", filepath.Join(dir, "pixdesk.log"),
		"--lang", lang, "--terminal", "caixa-01", "--json", "--amount", "12,50",
		"--name=" + in.name, "--document=" + in.doc}
	if in.ref != "" {
		args = append(args, "--reference="+in.ref)
	}
	var out, errs bytes.Buffer
	code = runTxCreate(args[1:], sysOf(func(string) string { return "" }, &out, &errs))
	// The sandbox notice is the command's, not the refusal's.
	return code, out.String(), strings.Replace(errs.String(), "pixdesk tx create: no ConnectPSP credentials: using the built-in sandbox\n", "", 1)
}

// fillForm types in into a fresh console's form on st, as a cashier
// pastes, submits it, and waits, once every key was taken, for the screen
// to show every one of texts.
func fillForm(t *testing.T, st *e2eStack, in parityInput, texts ...string) {
	t.Helper()
	c := st.console(false, nil)
	defer c.stop()
	var mu sync.Mutex
	keys := 0
	c.scr.mu.Lock()
	c.scr.onMsg = func(msg tea.Msg) {
		if _, ok := msg.(tea.KeyMsg); ok {
			mu.Lock()
			keys++
			mu.Unlock()
		}
	}
	c.scr.mu.Unlock()
	c.waitFor("the new-charge form", map[string]string{"pt-BR": "Nova cobrança PIX", "en": "New PIX charge"}[st.cfg.lang])
	sent := 0
	send := func(k tea.KeyMsg) { c.tm.Send(k); sent++ }
	for _, r := range "1250" {
		send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	send(tea.KeyMsg{Type: tea.KeyEnter})
	for _, s := range []string{in.name, in.doc, in.ref} {
		if s != "" {
			send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: true})
		}
		send(tea.KeyMsg{Type: tea.KeyEnter})
	}
	send(tea.KeyMsg{Type: tea.KeyEnter}) // on the expiry: submit
	e2eUntil(t, "every key taken", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return keys == sent
	})
	// Every key was taken: a frame that shows texts is the submitted form.
	c.waitFor("the form refusing the input", texts...)
}

// An order that has a charge is refused by both entry points with the same
// sentence, the engine's rule: for another payer, neither makes a second
// charge; for the same order again, tx create reports the charge it has.
func TestFormAndTxCreateRefuseAnOrderThatHasACharge(t *testing.T) {
	ordered := parityInput{"Ana", "123.456.789-09", "PED-7"}
	again := parityInput{"Ana", "529.982.247-25", "PED-7"} // another payer
	want := map[string]string{
		"pt-BR": "o pedido já tem a cobrança 1, de outro valor ou pagador",
		"en":    "the order already has charge 1, for another amount or payer",
	}
	for _, lang := range []string{"pt-BR", "en"} {
		t.Run(lang, func(t *testing.T) {
			dir := t.TempDir()
			if code, _, stderr := runParityCreate(t, dir, lang, ordered); code != 0 {
				t.Fatalf("first tx create: exit %d, stderr %q", code, stderr)
			}
			code, stdout, stderr := runParityCreate(t, dir, lang, again)
			if line := "pixdesk tx create: --reference: " + want[lang] + "\n"; code != 1 || stderr != line || stdout != "" {
				t.Errorf("tx create for another payer: exit %d, stderr %q, stdout %q; want 1 and %q", code, stderr, stdout, line)
			}
			code, stdout, stderr = runParityCreate(t, dir, lang, ordered)
			var rec createRecord
			if code != 0 || json.Unmarshal([]byte(stdout), &rec) != nil || rec.ID != 1 ||
				stderr != "pixdesk tx create: order PED-7 already has charge 1; not creating another\n" {
				t.Errorf("tx create for the same order: exit %d, stdout %q, stderr %q; want 0 and charge 1 reported", code, stdout, stderr)
			}

			st := e2eOpenMain(t, t.TempDir())
			st.cfg.lang = lang
			ch, err := st.engine.Create(st.ctx, engine.Input{Amount: 1250, Payer: psp.Payer{Name: ordered.name, Document: ordered.doc},
				Reference: ordered.ref})
			if err != nil {
				t.Fatal(err)
			}
			// Paid, so that the console opens on the form, not on the charge.
			if _, err := st.sandbox.Pay(ch.TransactionID, 0); err != nil {
				t.Fatal(err)
			}
			e2eUntil(t, "the order's charge paid", func() bool {
				c, err := st.db.Get(st.ctx, ch.ID)
				return err == nil && c.Status == psp.StatusPaid
			})
			fillForm(t, st, again, "▸ "+refLabel[lang], "✗ "+want[lang])
			if n := len(st.charges()); n != 1 {
				t.Errorf("the journal holds %d charges, want 1", n)
			}
		})
	}
}
