package store

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Fold returns s as the name index holds it: its words, lower-case and
// without accents, one space between them. Accents go whether they come
// composed (NFC, "ã") or as combining marks after the letter (NFD, "a" +
// U+0303, as macOS and some copy-pastes write them); anything that is not
// a letter or a digit separates words, so "D'Ávila" is two words and
// "Ana-Lúcia" too. "  JOÃO  da Conceição" folds to "joao da conceicao".
// Every name search and the name indexes of both stores go through Fold:
// it is the one definition of which names match which text.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.M, r):
			continue // a combining accent, taken off its letter
		case !unicode.IsLetter(r) && !unicode.IsNumber(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		r = unicode.ToLower(r)
		if f, ok := foldTable[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// foldTable maps the letters of European names that do not decompose
// into a letter and an accent to plain ASCII.
var foldTable = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ð': "d", 'đ': "d", 'þ': "th", 'ł': "l", 'ı': "i", 'ħ': "h",
}

// prefixEnd returns the smallest string greater than every string that
// starts with p, so that "col >= p AND col < prefixEnd(p)" is a prefix
// match an index can range-scan. UTF-8 sorts as code points, so bumping the
// last rune is enough; the result stays valid UTF-8 for PostgreSQL.
func prefixEnd(p string) string {
	rs := []rune(p)
	for len(rs) > 0 {
		last := rs[len(rs)-1] + 1
		if last >= 0xD800 && last <= 0xDFFF {
			last = 0xE000
		}
		if last <= unicode.MaxRune {
			rs[len(rs)-1] = last
			return string(rs)
		}
		rs = rs[:len(rs)-1]
	}
	return string(rune(unicode.MaxRune))
}

// normDoc keeps a document's letters and digits, upper-cased: CPFs and
// (alphanumeric) CNPJs are stored and searched this way.
func normDoc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		}
	}
	return b.String()
}
