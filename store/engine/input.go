package engine

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
)

// The rules for what a new charge may hold live here, in one place, for
// every entry point: the counter form calls them as the cashier types,
// `tx create` before it opens the store, and Create before it stores
// anything. They return *InputError, which the console's catalogue words in
// the user's language; the form and the command cannot disagree.
//
// The Unicode folding is here, not in psp: psp keeps to the standard
// library and to the ASCII forms ConnectPSP speaks, and internal/safetext
// is the output sanitiser every package may import, which should not pull
// golang.org/x/text into psp's dependencies.

// Limits of a new charge's inputs. ConnectPSP documents none for the payer's
// name or the order reference: these are this project's choices.
const (
	// MaxNameLen is the longest payer name, in characters after NFC: room
	// for a full Brazilian name with several given names and surnames,
	// and short enough that a pasted paragraph is caught, not sent.
	MaxNameLen = 100
	// MaxReferenceLen is the longest order reference: the longest txid of
	// BACEN's API Pix ([a-zA-Z0-9]{26,35}), so that a reference fits
	// wherever a txid does.
	MaxReferenceLen = 35
	// MaxExpiryMinutes is the longest QR validity: ConnectPSP's default,
	// 24 hours.
	MaxExpiryMinutes = 1440
)

// Field is the input of a new charge that an InputError is about.
type Field string

// The fields of a new charge, as Input holds them.
const (
	FieldAmount    Field = "amount"
	FieldName      Field = "name"
	FieldDocument  Field = "document"
	FieldReference Field = "reference"
	FieldExpiry    Field = "expiry"
)

// Reasons an input is refused, for errors.Is on an *InputError. A refused
// document's Reason is instead the psp.ErrDocument… sentinel that
// psp.ParseDocument returned.
var (
	ErrRequired  = errors.New("missing")
	ErrTooLong   = errors.New("too long")
	ErrInvisible = errors.New("has control, bidi or invisible characters")
	ErrNoLetters = errors.New("has no letters")
	ErrChars     = errors.New("has characters other than A-Z, a-z, 0-9, - and _")
	ErrRange     = errors.New("out of range")
)

// InputError is an input of a new charge that the engine refuses. It never
// carries the value: a document is personal data.
type InputError struct {
	Field  Field
	Reason error
}

// Error returns e.g. "engine: name: too long".
func (e *InputError) Error() string { return fmt.Sprintf("engine: %s: %v", e.Field, e.Reason) }

// Unwrap returns the reason, so that errors.Is(err, ErrTooLong) works.
func (e *InputError) Unwrap() error { return e.Reason }

func refuse(f Field, reason error) *InputError { return &InputError{Field: f, Reason: reason} }

// CheckInput checks every field of in, in the form's order, and returns in
// as it is to be sent: the name cleaned (CheckName), the document bare
// (CheckDocument), the reference trimmed (CheckReference). The error, for
// the first field that is refused, is an *InputError.
func CheckInput(in Input) (Input, error) {
	switch {
	case in.Amount == 0:
		return in, refuse(FieldAmount, ErrRequired)
	case in.Amount < 0 || in.Amount > psp.MaxAmount:
		return in, refuse(FieldAmount, ErrRange)
	}
	var err error
	if in.Payer.Name, err = CheckName(in.Payer.Name); err != nil {
		return in, err
	}
	if _, in.Payer.Document, err = CheckDocument(in.Payer.Document); err != nil {
		return in, err
	}
	if in.Reference, err = CheckReference(in.Reference); err != nil {
		return in, err
	}
	if in.ExpiresInMinutes < 0 || in.ExpiresInMinutes > MaxExpiryMinutes {
		return in, refuse(FieldExpiry, ErrRange)
	}
	return in, nil
}

// CheckName returns the payer's name as it is to be sent: in NFC (a name
// pasted from macOS arrives decomposed, "Joa\u0303o"), with every kind of
// white space (tab, no-break space, line separator…) made one plain space
// and the ends trimmed. A name is refused when it holds anything that is
// never part of a name and would change how it reads — a control, a bidi
// override or isolate, a zero-width or other invisible character
// (safetext.Unsafe) — rather than have it silently dropped (ErrInvisible);
// when it is empty after cleaning (ErrRequired); when it has more than
// MaxNameLen characters (ErrTooLong); or when it has no letter at all, only
// digits or symbols (ErrNoLetters). Accented names (João, Conceição) are
// names.
func CheckName(s string) (string, error) {
	s, err := cleanText(s, FieldName)
	switch {
	case err != nil:
		return "", err
	case s == "":
		return "", refuse(FieldName, ErrRequired)
	case utf8.RuneCountInString(s) > MaxNameLen:
		return "", refuse(FieldName, ErrTooLong)
	case strings.IndexFunc(s, unicode.IsLetter) < 0:
		return "", refuse(FieldName, ErrNoLetters)
	}
	return s, nil
}

// CheckReference returns the order reference trimmed; "" (the counter
// takes its next one) is allowed. It is refused with ErrInvisible for a
// control or invisible character, ErrTooLong over MaxReferenceLen
// characters, and ErrChars for anything but unaccented letters, digits, '-'
// and '_': a reference is an identifier that scripts, URLs and ConnectPSP's
// search must take as it is.
func CheckReference(s string) (string, error) {
	s, err := cleanText(s, FieldReference)
	switch {
	case err != nil:
		return "", err
	case utf8.RuneCountInString(s) > MaxReferenceLen:
		return "", refuse(FieldReference, ErrTooLong)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", refuse(FieldReference, ErrChars)
		}
	}
	return s, nil
}

// CheckDocument reads a CPF or CNPJ as it was typed or pasted (FoldDocument,
// then psp.ParseDocument) and returns its kind and bare form. A refusal is
// an *InputError whose Reason is psp's sentinel.
func CheckDocument(s string) (psp.DocumentKind, string, error) {
	kind, bare, err := psp.ParseDocument(FoldDocument(s))
	if err != nil {
		return 0, "", refuse(FieldDocument, err)
	}
	return kind, bare, nil
}

// FoldDocument turns a document pasted from anywhere into the ASCII that
// psp's rules read: NFKC makes full-width and other compatibility forms
// plain (１２３ → 123, ／ → /, a no-break space → a space), every dash
// (hyphen, en and em dash, minus sign) becomes '-', and invisible
// characters are dropped (chat apps wrap numbers in direction marks). A
// document is 11 or 14 ASCII characters checked by their check digits, so
// nothing dropped here can change which document it is.
func FoldDocument(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Pd, r) || r == '\u2212':
			return '-'
		case unicode.IsSpace(r):
			return ' '
		case safetext.Unsafe(r):
			return -1
		}
		return r
	}, norm.NFKC.String(s))
}

// cleanText is what every typed or pasted text goes through: NFC, any white
// space made one plain space, ends trimmed. A rune that safetext.Unsafe
// reports (and is not white space) refuses the text for field.
func cleanText(s string, field Field) (string, error) {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
		case safetext.Unsafe(r):
			return "", refuse(field, ErrInvisible)
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(r)
		}
	}
	return b.String(), nil
}
