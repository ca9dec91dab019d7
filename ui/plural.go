package ui

// Counted sentences. A sentence that counts something ("2 transações
// exportadas") has two forms in the catalogue: k for any count but one, and
// k+pluralOne for exactly one ("1 transação exportada"). Both languages
// here take the plural for zero ("0 transações", "0 transactions"), as
// Brazilian grammar books do; CLDR's pt rule, which makes 0 singular, is
// not followed.

// pluralOne ends the key of a sentence's form for a count of one; the
// catalogues name it k…One (kExportedOne = kExported + pluralOne).
const pluralOne msgKey = ".one"

// n returns sentence k for count: its form for one when count is 1 and the
// catalogue has it, else k; args format it as in s, the count among them
// as the sentence writes it (thousands, %d).
func (l lang) n(k msgKey, count int, args ...any) string {
	if count == 1 && l.has(k+pluralOne) {
		return l.s(k+pluralOne, args...)
	}
	return l.s(k, args...)
}
