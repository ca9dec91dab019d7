package psp

import (
	"errors"
	"strings"
	"unicode"
)

// DocumentKind tells a CPF (a person) from a CNPJ (a company). The zero value
// is no kind: what ParseDocument returns with an error.
type DocumentKind int

// The document kinds.
const (
	DocCPF DocumentKind = iota + 1
	DocCNPJ
)

// String returns "CPF", "CNPJ" or "unknown".
func (k DocumentKind) String() string {
	switch k {
	case DocCPF:
		return "CPF"
	case DocCNPJ:
		return "CNPJ"
	}
	return "unknown"
}

// Errors returned by ParseDocument, for errors.Is; the UI turns them into
// sentences. They never carry the document itself: a CPF is personal data.
var (
	ErrDocumentEmpty       = errors.New("document is empty")
	ErrDocumentLength      = errors.New("document must have 11 (CPF) or 14 (CNPJ) characters")
	ErrDocumentChars       = errors.New("document has characters a CPF or CNPJ cannot have")
	ErrDocumentCheckDigits = errors.New("document check digits do not match")
)

// Lengths of the bare documents.
const (
	cpfLen  = 11
	cnpjLen = 14
)

// NormalizeDocument removes the punctuation people type or paste into a
// document (dots, dashes, slashes and white space) and upper-cases ASCII
// letters. Other characters are kept, so that ParseDocument can reject them.
func NormalizeDocument(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '.' || r == '-' || r == '/' || unicode.IsSpace(r):
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ParseDocument validates a CPF or CNPJ, typed with or without punctuation,
// and returns its kind and its bare form: 11 digits for a CPF; 14 characters
// for a CNPJ, the first 12 digits or upper-case letters (the alphanumeric
// CNPJ), the last 2 digits. Errors wrap ErrDocumentEmpty, ErrDocumentLength,
// ErrDocumentChars or ErrDocumentCheckDigits.
func ParseDocument(s string) (kind DocumentKind, normalized string, err error) {
	n := NormalizeDocument(s)
	if n == "" {
		return 0, "", ErrDocumentEmpty
	}
	for i := 0; i < len(n); i++ {
		if !isDocChar(n[i]) {
			return 0, "", ErrDocumentChars
		}
	}
	switch len(n) {
	case cpfLen:
		if !allDigits(n) {
			// Letters only occur in a CNPJ, which is longer.
			return 0, "", ErrDocumentLength
		}
		if allSame(n) || !cpfValid(n) {
			return 0, "", ErrDocumentCheckDigits
		}
		return DocCPF, n, nil
	case cnpjLen:
		if !allDigits(n[12:]) {
			return 0, "", ErrDocumentChars
		}
		if allSame(n) || !cnpjValid(n) {
			return 0, "", ErrDocumentCheckDigits
		}
		return DocCNPJ, n, nil
	}
	return 0, "", ErrDocumentLength
}

func isDocChar(c byte) bool { return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' }

func allSame(s string) bool { return strings.Count(s, s[:1]) == len(s) }

// cpfValid checks both CPF check digits of 11 validated digits.
func cpfValid(n string) bool {
	return cpfDigit(n[:9]) == n[9] && cpfDigit(n[:10]) == n[10]
}

// cpfDigit computes the check digit that follows the digits of p: weights
// count down from len(p)+1 to 2; DV = Σ·10 mod 11, with 10 written as 0.
func cpfDigit(p string) byte {
	sum := 0
	for i := 0; i < len(p); i++ {
		sum += int(p[i]-'0') * (len(p) + 1 - i)
	}
	d := sum * 10 % 11
	if d == 10 {
		d = 0
	}
	return byte('0' + d)
}

// cnpjValid checks both CNPJ check digits of 14 validated characters.
func cnpjValid(n string) bool {
	return cnpjDigit(n[:12]) == n[12] && cnpjDigit(n[:13]) == n[13]
}

// cnpjDigit computes the check digit that follows p (12 or 13 characters).
// Each character counts as its ASCII code − 48, so digits keep their value
// and 'A' is 17; weights run 2..9 cyclically from the right.
func cnpjDigit(p string) byte {
	sum := 0
	for i := 0; i < len(p); i++ {
		w := 2 + (len(p)-1-i)%8
		sum += int(p[i]-'0') * w
	}
	r := sum % 11
	if r < 2 {
		return '0'
	}
	return byte('0' + 11 - r)
}

// FormatDocument formats a document, possibly partial, as the user types it:
// CPF style ("123.456.789-09") while it has at most 11 characters, all
// digits; CNPJ style ("12.ABC.345/01DE-35") once it has a letter or more than
// 11 characters. Partial input is formatted progressively ("1234" →
// "123.4"). Input may already be formatted. Input that cannot become a
// document (over 14 characters, or characters other than digits and letters)
// is returned normalized but unformatted, so the user sees what is wrong.
func FormatDocument(s string) string {
	n := NormalizeDocument(s)
	if len(n) > cnpjLen {
		return n
	}
	for i := 0; i < len(n); i++ {
		if !isDocChar(n[i]) {
			return n
		}
	}
	if len(n) <= cpfLen && allDigits(n) {
		return punctuate(n, cpfMarks)
	}
	return punctuate(n, cnpjMarks)
}

// A mark is a separator written before the character at index at.
type mark struct {
	at  int
	sep byte
}

var (
	cpfMarks  = []mark{{3, '.'}, {6, '.'}, {9, '-'}}
	cnpjMarks = []mark{{2, '.'}, {5, '.'}, {8, '/'}, {12, '-'}}
)

// punctuate writes n with the separators of marks, stopping at its end.
func punctuate(n string, marks []mark) string {
	var b strings.Builder
	b.Grow(len(n) + len(marks))
	m := 0
	for i := 0; i < len(n); i++ {
		if m < len(marks) && marks[m].at == i {
			b.WriteByte(marks[m].sep)
			m++
		}
		b.WriteByte(n[i])
	}
	return b.String()
}

// MaskDocument returns a document fit to show where its full value is not
// needed. A valid CPF or CNPJ keeps only its two middle groups of three
// ("***.456.789-**", "**.345.678/****-**"): a CNPJ may be a sole trader's,
// as personal as a CPF, and one rule is easier to trust than two. Anything
// else is masked but for its last 2 characters (all of it when it has 2
// characters or fewer).
func MaskDocument(s string) string {
	kind, n, err := ParseDocument(s)
	switch {
	case err == nil && kind == DocCPF:
		return "***." + n[3:6] + "." + n[6:9] + "-**"
	case err == nil && kind == DocCNPJ:
		return "**." + n[2:5] + "." + n[5:8] + "/****-**"
	}
	r := []rune(NormalizeDocument(s))
	keep := 2
	if len(r) <= keep {
		keep = 0
	}
	for i := range len(r) - keep {
		r[i] = '*'
	}
	return string(r)
}
