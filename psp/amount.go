package psp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Amount is a sum of Brazilian reais held as integer centavos. It never passes
// through a float: JSON is written with exactly two decimals and read from the
// raw number text.
type Amount int64

// MaxAmount is the largest amount ConnectPSP and this console accept:
// R$ 9.999.999.999,99.
const MaxAmount Amount = 999_999_999_999

// Errors returned by the amount parsers. They are meant to be matched with
// errors.Is; the UI turns them into sentences in the user's language.
var (
	ErrAmountEmpty     = errors.New("amount is empty")
	ErrAmountSyntax    = errors.New("amount is not a number")
	ErrAmountNegative  = errors.New("amount is negative")
	ErrAmountPrecision = errors.New("amount has more than two decimals")
	ErrAmountTooLarge  = errors.New("amount is too large")
)

// Reais returns the whole-reais part and the centavos part.
func (a Amount) Reais() (reais, centavos int64) { return int64(a) / 100, int64(a) % 100 }

// Decimal formats the amount as the API writes it: "1234.56", two decimals,
// no grouping.
func (a Amount) Decimal() string {
	sign := ""
	if a < 0 {
		sign, a = "-", -a
	}
	r, c := a.Reais()
	return fmt.Sprintf("%s%d.%02d", sign, r, c)
}

// String formats the amount for people in pt-BR: "R$ 1.234,56", with a
// no-break space (U+00A0) after the currency sign.
func (a Amount) String() string {
	sign := ""
	if a < 0 {
		sign, a = "-", -a
	}
	r, c := a.Reais()
	return fmt.Sprintf("%sR$\u00a0%s,%02d", sign, group(r), c)
}

// group writes n with a dot every three digits, as pt-BR does.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MarshalJSON writes the amount as a JSON number with exactly two decimals.
func (a Amount) MarshalJSON() ([]byte, error) {
	if a < 0 || a > MaxAmount {
		return nil, fmt.Errorf("psp: amount %d centavos out of range", int64(a))
	}
	return []byte(a.Decimal()), nil
}

// UnmarshalJSON reads a JSON number exactly from its text, in any of the
// forms JSON allows ("10", "10.010", "1E+1", "1.5e1"), as long as it is a
// whole number of centavos: trailing zeros past the centavos are fine, a
// non-zero digit there ("10.001", "1e-3") is ErrAmountPrecision. Negative
// values and values over MaxAmount are errors too. It never passes through a
// float: the digits are shifted as text.
func (a *Amount) UnmarshalJSON(b []byte) error {
	v, err := parseJSONNumber(string(b))
	if err != nil {
		return fmt.Errorf("psp: amount %.40q: %w", b, err)
	}
	*a = v
	return nil
}

// ParseDecimal reads an amount in the plain dot-decimal form that BR Code
// tag 54 uses and MarshalJSON writes: "10", "10.5", "10.00". Signs,
// exponents, grouping, leading zeros, more than two decimals and values over
// MaxAmount are errors.
func ParseDecimal(s string) (Amount, error) { return parseDecimal(s) }

// parseDecimal reads a plain decimal with a dot separator: digits, optionally
// a dot and one or two digits.
func parseDecimal(s string) (Amount, error) {
	if s == "" {
		return 0, ErrAmountEmpty
	}
	if s[0] == '-' {
		return 0, ErrAmountNegative
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		return 0, ErrAmountSyntax
	}
	if len(whole) > 1 && whole[0] == '0' {
		return 0, ErrAmountSyntax // JSON forbids leading zeros
	}
	return fromParts(whole, frac)
}

// maxAmountDigits is how many digits MaxAmount has in centavos.
const maxAmountDigits = 12

// parseJSONNumber reads the JSON number grammar (RFC 8259 §6):
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, and returns its
// value in centavos when that is a whole number in [0, MaxAmount].
func parseJSONNumber(s string) (Amount, error) {
	if s == "" {
		return 0, ErrAmountEmpty
	}
	if s[0] == '-' {
		if len(s) > 1 && s[1] >= '0' && s[1] <= '9' {
			return 0, ErrAmountNegative
		}
		return 0, ErrAmountSyntax
	}
	mant, exp, hasExp := strings.Cut(strings.ReplaceAll(s, "E", "e"), "e")
	whole, frac, hasDot := strings.Cut(mant, ".")
	switch {
	case !allDigits(whole), len(whole) > 1 && whole[0] == '0', hasDot && !allDigits(frac):
		return 0, ErrAmountSyntax
	}
	shift := 2 - len(frac) // the power of ten that turns the digits into centavos
	if hasExp {
		e, ok := exponent(exp, len(s))
		if !ok {
			return 0, ErrAmountSyntax
		}
		shift += e
	}
	digits := strings.TrimLeft(whole+frac, "0")
	if digits == "" {
		return 0, nil // zero, whatever its exponent
	}
	if shift < 0 {
		// Only zeros may be cut: the value must be whole centavos.
		cut := len(digits) + shift
		if cut <= 0 || strings.TrimRight(digits[cut:], "0") != "" {
			return 0, ErrAmountPrecision
		}
		digits, shift = digits[:cut], 0
	}
	if len(digits)+shift > maxAmountDigits {
		return 0, ErrAmountTooLarge
	}
	v, _ := strconv.ParseInt(digits+strings.Repeat("0", shift), 10, 64)
	if Amount(v) > MaxAmount {
		return 0, ErrAmountTooLarge
	}
	return Amount(v), nil
}

// exponent reads the exponent of a JSON number: an optional sign and at
// least one digit. Its magnitude is capped just above n, the length of the
// whole number: an exponent that large already decides the outcome (a
// non-zero value is too large, or too fine), and the cap keeps the
// arithmetic far from overflow.
func exponent(s string, n int) (int, bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if !allDigits(s) {
		return 0, false
	}
	limit := n + maxAmountDigits + 2
	e := 0
	for i := 0; i < len(s) && e <= limit; i++ {
		e = e*10 + int(s[i]-'0')
	}
	e = min(e, limit+1)
	if neg {
		e = -e
	}
	return e, true
}

// fromParts builds an amount from validated digit strings.
func fromParts(whole, frac string) (Amount, error) {
	if len(frac) > 2 {
		return 0, ErrAmountPrecision
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 10 {
		return 0, ErrAmountTooLarge
	}
	var r int64
	if whole != "" {
		r, _ = strconv.ParseInt(whole, 10, 64)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	c, _ := strconv.ParseInt(frac, 10, 64)
	v := Amount(r*100 + c)
	if v > MaxAmount {
		return 0, ErrAmountTooLarge
	}
	return v, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ParseAmount reads an amount as a Brazilian types it: "10", "10,5",
// "1.234,56", "R$ 12,50". A comma is the decimal separator and dots group
// thousands; a single dot followed by one or two digits ("12.50") is read as a
// decimal point, since a thousands group always has three digits.
func ParseAmount(s string) (Amount, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", " "))
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "R$"), "r$"))
	if s == "" {
		return 0, ErrAmountEmpty
	}
	if s[0] == '-' {
		return 0, ErrAmountNegative
	}
	whole, frac, hasComma := strings.Cut(s, ",")
	if !hasComma {
		if i := strings.LastIndexByte(s, '.'); i >= 0 && strings.Count(s, ".") == 1 && len(s)-i-1 <= 2 {
			whole, frac, hasComma = s[:i], s[i+1:], true
		}
	}
	if hasComma && (frac == "" || !allDigits(frac)) {
		return 0, ErrAmountSyntax
	}
	if strings.Contains(whole, ".") {
		groups := strings.Split(whole, ".")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return 0, ErrAmountSyntax
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return 0, ErrAmountSyntax
			}
		}
		whole = strings.Join(groups, "")
	}
	if whole == "" {
		whole = "0"
	}
	if !allDigits(whole) {
		return 0, ErrAmountSyntax
	}
	return fromParts(whole, frac)
}
