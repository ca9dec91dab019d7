package engine

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"plain", "Maria Souza", "Maria Souza", nil},
		{"accents", "João Conceição", "João Conceição", nil},
		{"decomposed (NFD) is composed", "Joa\u0303o Conceic\u0327a\u0303o", "João Conceição", nil},
		{"white space of every kind", "  Ana\u00a0\tMaria\u2003 de\u2028Souza \n", "Ana Maria de Souza", nil},
		{"apostrophe, hyphen, dot", "D'Ávila-Peña Jr.", "D'Ávila-Peña Jr.", nil},
		{"one letter", "A", "A", nil},
		{"at the limit", strings.Repeat("ã", MaxNameLen), strings.Repeat("ã", MaxNameLen), nil},
		{"decomposed at the limit counts composed", strings.Repeat("a\u0303", MaxNameLen), strings.Repeat("ã", MaxNameLen), nil},

		{"empty", "", "", ErrRequired},
		{"only spaces", " \u00a0\t\u3000 ", "", ErrRequired},
		{"over the limit", strings.Repeat("a", MaxNameLen+1), "", ErrTooLong},
		{"bidi override", "Ana \u202eovlis\u202c", "", ErrInvisible},
		{"bidi isolate", "Ana \u2066x\u2069", "", ErrInvisible},
		{"right-to-left mark", "Ana\u200f", "", ErrInvisible},
		{"zero-width space", "Jo\u200bão", "", ErrInvisible},
		{"zero-width joiner", "Jo\u200dão", "", ErrInvisible},
		{"byte order mark", "\ufeffJoão", "", ErrInvisible},
		{"soft hyphen", "Jo\u00adão", "", ErrInvisible},
		{"escape sequence", "Ana\x1b[31m", "", ErrInvisible},
		{"C1 CSI", "Ana\u009b31m", "", ErrInvisible},
		{"NUL", "Ana\x00", "", ErrInvisible},
		{"DEL", "Ana\x7f", "", ErrInvisible},
		{"invalid UTF-8", "Jo\xe3o", "", ErrInvisible},
		{"only zero-width", "\u200b", "", ErrInvisible},
		{"only symbols", "--- ...", "", ErrNoLetters},
		{"only digits", "12345", "", ErrNoLetters},
		{"only emoji", "☕ ☕", "", ErrNoLetters},
	}
	for _, tt := range tests {
		got, err := CheckName(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("%s: CheckName(%q) = %q, %v; want %q, %v", tt.name, tt.in, got, err, tt.want, tt.err)
		}
		var ie *InputError
		if tt.err != nil && (!errors.As(err, &ie) || ie.Field != FieldName) {
			t.Errorf("%s: error %v is not an *InputError about the name", tt.name, err)
		}
	}
}

func TestCheckReference(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"", "", nil},
		{"   ", "", nil},
		{" PED-7_a ", "PED-7_a", nil},
		{strings.Repeat("x", MaxReferenceLen), strings.Repeat("x", MaxReferenceLen), nil},
		{strings.Repeat("x", MaxReferenceLen+1), "", ErrTooLong},
		{"pedido 7", "", ErrChars},
		{"pedido/7", "", ErrChars},
		{"pedidoº7", "", ErrChars},
		{"ação", "", ErrChars},
		{"ＰＥＤ７", "", ErrChars},
		{"PED\u200b7", "", ErrInvisible},
		{"PED\x1b[7", "", ErrInvisible},
	}
	for _, tt := range tests {
		got, err := CheckReference(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("CheckReference(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestCheckDocument(t *testing.T) {
	tests := []struct {
		in   string
		kind psp.DocumentKind
		want string
		err  error
	}{
		{"123.456.789-09", psp.DocCPF, "12345678909", nil},
		{"１２３.４５６.７８９–０９", psp.DocCPF, "12345678909", nil},      // full-width digits, en dash
		{"１２３．４５６．７８９－０９", psp.DocCPF, "12345678909", nil},      // full-width stops and hyphen
		{"123.456.789—09", psp.DocCPF, "12345678909", nil},      // em dash
		{"123.456.789\u221209", psp.DocCPF, "12345678909", nil}, // minus sign
		{"123\u00a0456\u00a0789\u00a009", psp.DocCPF, "12345678909", nil},
		{"\u202a123.456.789-09\u202c\u200e", psp.DocCPF, "12345678909", nil}, // wrapped in direction marks
		{"11.222.333/0001-81", psp.DocCNPJ, "11222333000181", nil},
		{"11.222.333／0001‐81", psp.DocCNPJ, "11222333000181", nil}, // full-width solidus, hyphen U+2010
		{"１２．ａｂｃ．３４５／０１ｄｅ－３５", psp.DocCNPJ, "12ABC34501DE35", nil},
		{"", 0, "", psp.ErrDocumentEmpty},
		{"\u200b", 0, "", psp.ErrDocumentEmpty},
		{"123.456.789-00", 0, "", psp.ErrDocumentCheckDigits},
		{"1234567890", 0, "", psp.ErrDocumentLength},
		{"123.456.789-0٩", 0, "", psp.ErrDocumentChars}, // an Arabic-Indic digit is not read as 9
	}
	for _, tt := range tests {
		kind, got, err := CheckDocument(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want || kind != tt.kind {
			t.Errorf("CheckDocument(%q) = %v, %q, %v; want %v, %q, %v", tt.in, kind, got, err, tt.kind, tt.want, tt.err)
		}
		var ie *InputError
		if tt.err != nil && (!errors.As(err, &ie) || ie.Field != FieldDocument) {
			t.Errorf("CheckDocument(%q): error %v is not an *InputError about the document", tt.in, err)
		}
		if err != nil && strings.Contains(err.Error(), "123") {
			t.Errorf("CheckDocument(%q): error %q carries the document", tt.in, err)
		}
	}
	if got := FoldDocument("１２３.４５６.７８９–０９"); got != "123.456.789-09" {
		t.Errorf("FoldDocument = %q", got)
	}
}

func TestCheckInput(t *testing.T) {
	in := Input{Amount: 1250, Payer: psp.Payer{Name: " Joa\u0303o da Silva ", Document: "１２３.４５６.７８９–０９"}, Reference: " PED-1 ", ExpiresInMinutes: 15}
	got, err := CheckInput(in)
	want := Input{Amount: 1250, Payer: psp.Payer{Name: "João da Silva", Document: "12345678909"}, Reference: "PED-1", ExpiresInMinutes: 15}
	if err != nil || got != want {
		t.Errorf("CheckInput = %+v, %v; want %+v", got, err, want)
	}
	for _, tc := range []struct {
		edit  func(*Input)
		field Field
		err   error
	}{
		{func(i *Input) { i.Amount = 0 }, FieldAmount, ErrRequired},
		{func(i *Input) { i.Amount = psp.MaxAmount + 1 }, FieldAmount, ErrRange},
		{func(i *Input) { i.Payer.Name = "\u202e" }, FieldName, ErrInvisible},
		{func(i *Input) { i.Payer.Document = "1" }, FieldDocument, psp.ErrDocumentLength},
		{func(i *Input) { i.Reference = "a b" }, FieldReference, ErrChars},
		{func(i *Input) { i.ExpiresInMinutes = MaxExpiryMinutes + 1 }, FieldExpiry, ErrRange},
		// The first field in the form's order is the one reported.
		{func(i *Input) { i.Payer.Name, i.Reference = "", "a b" }, FieldName, ErrRequired},
	} {
		bad := in
		tc.edit(&bad)
		_, err := CheckInput(bad)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != tc.field || !errors.Is(err, tc.err) {
			t.Errorf("CheckInput(%+v) = %v; want %s %v", bad, err, tc.field, tc.err)
		}
	}
}

// Create stores and sends the input as CheckInput cleans it.
func TestCreateSendsCleanInput(t *testing.T) {
	f := setup(t)
	e := New(f.config())
	ch, err := e.Create(f.ctx, Input{Amount: 1250, Payer: psp.Payer{Name: "  Joa\u0303o\u00a0da Silva ", Document: "１２３.４５６.７８９–０９"}, Reference: " PED-77 "})
	if err != nil || ch.Stage != store.StageCreated {
		t.Fatalf("Create: %+v, %v", ch, err)
	}
	if ch.Payer.Name != "João da Silva" || ch.Payer.Document != "12345678909" || ch.ExternalReference != "PED-77" {
		t.Errorf("stored payer %+v, reference %q", ch.Payer, ch.ExternalReference)
	}
	ci, err := f.config().Client.GetCashIn(f.ctx, ch.TransactionID)
	if err != nil {
		t.Fatal(err)
	}
	if ci.Payer.Name != "João da Silva" || ci.Payer.Document != "12345678909" {
		t.Errorf("ConnectPSP got payer %+v", ci.Payer)
	}
}

// FuzzCheckInput: whatever is typed or pasted, what the rules accept is
// clean — a name in NFC, trimmed, with a letter, no unsafe rune, within the
// limit, and the same when checked again; a document bare ASCII that psp
// reads as it is; a reference of the allowed characters.
func FuzzCheckInput(f *testing.F) {
	for _, s := range []string{"João", "Joa\u0303o", "Ana \u202eovlis", "Jo\u200bão", "  ", "---", "１２３.４５６.７８９–０９",
		"123.456.789-09", "12.ABC.345/01DE-35", "PED-7_a", "pedido 7", "\xff", "a\u00a0\u3000b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if name, err := CheckName(s); err == nil {
			if !norm.NFC.IsNormalString(name) || strings.TrimSpace(name) != name || strings.Contains(name, "  ") ||
				utf8.RuneCountInString(name) > MaxNameLen || strings.IndexFunc(name, unicode.IsLetter) < 0 ||
				strings.IndexFunc(name, safetext.Unsafe) >= 0 {
				t.Fatalf("CheckName(%q) = %q", s, name)
			}
			if again, err := CheckName(name); err != nil || again != name {
				t.Fatalf("CheckName(CheckName(%q)) = %q, %v", s, again, err)
			}
		} else if !errors.As(err, new(*InputError)) {
			t.Fatalf("CheckName(%q): %v is not an *InputError", s, err)
		}
		if _, bare, err := CheckDocument(s); err == nil {
			if _, again, err := psp.ParseDocument(bare); err != nil || again != bare {
				t.Fatalf("CheckDocument(%q) = %q, which psp reads as %q, %v", s, bare, again, err)
			}
		}
		if ref, err := CheckReference(s); err == nil {
			if len(ref) > MaxReferenceLen || strings.Trim(ref, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
				t.Fatalf("CheckReference(%q) = %q", s, ref)
			}
		}
	})
}
