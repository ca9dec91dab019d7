package psp

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want Amount
		err  error
	}{
		{in: "10", want: 1000},
		{in: "10,5", want: 1050},
		{in: "10,50", want: 1050},
		{in: "1.234,56", want: 123456},
		{in: "1.234.567,89", want: 123456789},
		{in: "1.234", want: 123400}, // a three-digit group is thousands
		{in: "R$ 12,50", want: 1250},
		{in: "R$\u00a012,50", want: 1250},
		{in: "R$12,50", want: 1250},
		{in: "r$ 12,50", want: 1250},
		{in: "  12,50  ", want: 1250},
		{in: "12.50", want: 1250},
		{in: "12.5", want: 1250},
		{in: "0,01", want: 1},
		{in: ",5", want: 50},
		{in: "0", want: 0},
		{in: "0,29", want: 29},
		{in: "8,20", want: 820},
		{in: "9.999.999.999,99", want: MaxAmount},
		{in: "0009,99", want: 999},

		{in: "", err: ErrAmountEmpty},
		{in: "R$ ", err: ErrAmountEmpty},
		{in: "abc", err: ErrAmountSyntax},
		{in: "1,234", err: ErrAmountPrecision},
		{in: "1.23,4", err: ErrAmountSyntax},
		{in: "-5", err: ErrAmountNegative},
		{in: "R$ -5,00", err: ErrAmountNegative},
		{in: "1e3", err: ErrAmountSyntax},
		{in: "10,555", err: ErrAmountPrecision},
		{in: "10.555,5", want: 1055550},
		{in: "10,", err: ErrAmountSyntax},
		{in: "12.", err: ErrAmountSyntax},
		{in: "1,2,3", err: ErrAmountSyntax},
		{in: "1.2345", err: ErrAmountSyntax},
		{in: ".123,00", err: ErrAmountSyntax},
		{in: "1 234,56", err: ErrAmountSyntax},
		{in: "+5", err: ErrAmountSyntax},
		{in: "１０", err: ErrAmountSyntax},
		{in: "10.000.000.000,00", err: ErrAmountTooLarge},
		{in: "99999999999", err: ErrAmountTooLarge},
	}
	for _, tt := range tests {
		got, err := ParseAmount(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ParseAmount(%q) = %d, %v; want error %v", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestAmountString(t *testing.T) {
	tests := []struct {
		a    Amount
		want string
	}{
		{0, "R$\u00a00,00"},
		{1, "R$\u00a00,01"},
		{1050, "R$\u00a010,50"},
		{123456, "R$\u00a01.234,56"},
		{100000000, "R$\u00a01.000.000,00"},
		{MaxAmount, "R$\u00a09.999.999.999,99"},
		{-1250, "-R$\u00a012,50"},
	}
	for _, tt := range tests {
		if got := tt.a.String(); got != tt.want {
			t.Errorf("Amount(%d).String() = %q, want %q", int64(tt.a), got, tt.want)
		}
		if tt.a >= 0 {
			back, err := ParseAmount(tt.a.String())
			if err != nil || back != tt.a {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d", tt.a.String(), back, err, tt.a)
			}
		}
	}
	if r, c := Amount(123456).Reais(); r != 1234 || c != 56 {
		t.Errorf("Reais() = %d, %d", r, c)
	}
	if got := Amount(5).Decimal(); got != "0.05" {
		t.Errorf("Decimal() = %q", got)
	}
}

func TestAmountJSON(t *testing.T) {
	for a, want := range map[Amount]string{0: "0.00", 1: "0.01", 1000: "10.00", 15050: "150.50", MaxAmount: "9999999999.99"} {
		b, err := json.Marshal(a)
		if err != nil || string(b) != want {
			t.Errorf("Marshal(%d) = %s, %v; want %s", int64(a), b, err, want)
		}
	}
	for _, a := range []Amount{-1, MaxAmount + 1} {
		if b, err := json.Marshal(a); err == nil {
			t.Errorf("Marshal(%d) = %s, want an error", int64(a), b)
		}
	}

	for _, tt := range wireAmounts {
		var a Amount
		err := json.Unmarshal([]byte(tt.in), &a)
		if tt.err == nil {
			if err != nil || a != tt.want {
				t.Errorf("json.Unmarshal(%s) = %d, %v; want %d", tt.in, a, err, tt.want)
			}
			continue
		}
		if err == nil || a != 0 {
			t.Errorf("json.Unmarshal(%s) = %d, %v; want an error", tt.in, a, err)
		}
		// Some are invalid JSON, stopped by the decoder; Amount rejects them too.
		if err := a.UnmarshalJSON([]byte(tt.in)); !errors.Is(err, tt.err) {
			t.Errorf("UnmarshalJSON(%s) = %d, %v; want %v", tt.in, a, err, tt.err)
		}
	}
	// Inside a struct the error still surfaces, and the field is not guessed.
	var p CreateParams
	if err := json.Unmarshal([]byte(`{"amount": 10.001}`), &p); err == nil || p.Amount != 0 {
		t.Errorf("Unmarshal CreateParams = %d, %v; want an error", p.Amount, err)
	}
}

// wireAmounts are amounts as ConnectPSP may write them: any exact JSON
// number that is a whole number of centavos is accepted.
var wireAmounts = []struct {
	in   string
	want Amount
	err  error
}{
	{in: "10", want: 1000},
	{in: "10.0", want: 1000},
	{in: "10.00", want: 1000},
	{in: "10.000", want: 1000},
	{in: "10.010", want: 1001},
	{in: "10.0100000000000000000000", want: 1001},
	{in: "150.5", want: 15050},
	{in: "0.5", want: 50},
	{in: "0.01", want: 1},
	{in: "0", want: 0},
	{in: "0.000", want: 0},
	{in: "0e-999", want: 0},
	{in: "0E+999999999999999999999", want: 0},
	{in: "1E+1", want: 1000},
	{in: "1e1", want: 1000},
	{in: "1E1", want: 1000},
	{in: "1.5e1", want: 1500},
	{in: "1.5E+1", want: 1500},
	{in: "1e3", want: 100000},
	{in: "1E2", want: 10000},
	{in: "1e-2", want: 1},
	{in: "1000e-3", want: 100},
	{in: "15050e-2", want: 15050},
	{in: "1001E-2", want: 1001},
	{in: "100.00e-2", want: 100},
	{in: "9.99999999999e9", want: MaxAmount},
	{in: "999999999999e-2", want: MaxAmount},
	{in: "9999999999.99", want: MaxAmount},
	{in: "9999999999.990000", want: MaxAmount},
	// The float pitfalls: 0.29*100 is 28.999… and 8.20*100 has given 819.
	{in: "0.29", want: 29},
	{in: "8.20", want: 820},
	{in: "8.2", want: 820},
	{in: "1.15", want: 115},
	{in: "2.675", err: ErrAmountPrecision},

	{in: "10.001", err: ErrAmountPrecision},
	{in: "10.0001", err: ErrAmountPrecision},
	{in: "1e-3", err: ErrAmountPrecision},
	{in: "1E-3", err: ErrAmountPrecision},
	{in: "0.001", err: ErrAmountPrecision},
	{in: "1.001e1", want: 1001},
	{in: "1.0001e1", err: ErrAmountPrecision},
	{in: "1e-999999999999999999999", err: ErrAmountPrecision},
	{in: "-1", err: ErrAmountNegative},
	{in: "-0", err: ErrAmountNegative},
	{in: "-0.01", err: ErrAmountNegative},
	{in: "-1e-3", err: ErrAmountNegative},
	{in: "10000000000.00", err: ErrAmountTooLarge},
	{in: "1e10", err: ErrAmountTooLarge},
	{in: "10000000000e0", err: ErrAmountTooLarge},
	{in: "9999999999.991e0", err: ErrAmountPrecision},
	{in: "9223372036854775807", err: ErrAmountTooLarge},  // int64's largest
	{in: "92233720368547758.08", err: ErrAmountTooLarge}, // over int64 in centavos
	{in: "1e400", err: ErrAmountTooLarge},
	{in: "1E+999999999999999999999", err: ErrAmountTooLarge},
	{in: `"10.00"`, err: ErrAmountSyntax},
	{in: "010.00", err: ErrAmountSyntax},
	{in: "00", err: ErrAmountSyntax},
	{in: "10.", err: ErrAmountSyntax},
	{in: ".5", err: ErrAmountSyntax},
	{in: "+1", err: ErrAmountSyntax},
	{in: "1e", err: ErrAmountSyntax},
	{in: "1e+", err: ErrAmountSyntax},
	{in: "1.e5", err: ErrAmountSyntax},
	{in: "1ee5", err: ErrAmountSyntax},
	{in: "1e5.0", err: ErrAmountSyntax},
	{in: "0x10", err: ErrAmountSyntax},
	{in: "1_000", err: ErrAmountSyntax},
	{in: "Infinity", err: ErrAmountSyntax},
	{in: "NaN", err: ErrAmountSyntax},
	{in: "-", err: ErrAmountSyntax},
	{in: "true", err: ErrAmountSyntax},
	{in: "null", err: ErrAmountSyntax},
	{in: "1.2.3", err: ErrAmountSyntax},
	{in: "１０", err: ErrAmountSyntax},
}

func TestParseDecimal(t *testing.T) {
	if a, err := ParseDecimal("10.00"); err != nil || a != 1000 {
		t.Errorf("ParseDecimal(10.00) = %d, %v", a, err)
	}
	if _, err := ParseDecimal("10,00"); !errors.Is(err, ErrAmountSyntax) {
		t.Errorf("ParseDecimal(10,00) error = %v", err)
	}
	if _, err := ParseDecimal(""); !errors.Is(err, ErrAmountEmpty) {
		t.Errorf("ParseDecimal(\"\") error = %v", err)
	}
	// What BR Code tag 54 holds is the plain form only.
	for _, s := range []string{"1e1", "10.000", "1E+1"} {
		if a, err := ParseDecimal(s); err == nil {
			t.Errorf("ParseDecimal(%s) = %d, want an error", s, a)
		}
	}
}

// The examples of connectpsp-api.md §4 and §7, verbatim.
const (
	createResponseJSON = `{
  "transactionId": "kk6g232xel65a0daee4dd13kk2912714964",
  "internalCode": "US7B1JQ",
  "externalReference": "test-order-001",
  "status": "AWAITING_PAYMENT",
  "amount": 10.00,
  "payer": { "name": "Test User", "document": "12345678909" },
  "pixData": {
    "copyAndPaste": "00020101021226...",
    "qrCodeImageBase64": "iVBORw0KGgoAAAANSU..."
  },
  "requestedAt": "2026-03-10T11:20:00-03:00"
}`
	paidEventJSON = `{
  "eventType": "CASHIN_PAID",
  "eventAt": "2026-03-10T11:22:18Z",
  "data": {
    "transactionId": "kk6g232xel65a0daee4dd13kk2912714964",
    "internalCode": "US7B1JQ",
    "externalReference": "test-order-001",
    "endToEndId": "E00416968202603101827cemeFscF6AG",
    "status": "PAID",
    "amount": 10.00,
    "payer": {
      "name": "Test User",
      "document": "12345678909",
      "bankData": {"ispb": "00000000", "bank": "Banco do Brasil S.A.", "branch": "0001", "account": "123456"}
    },
    "requestedAt": "2026-03-10T11:20:00-03:00",
    "paidAt": "2026-03-10T11:22:15-03:00"
  }
}`
)

func TestDecodeDigestExamples(t *testing.T) {
	requested := time.Date(2026, 3, 10, 14, 20, 0, 0, time.UTC)

	var c CashIn
	if err := json.Unmarshal([]byte(createResponseJSON), &c); err != nil {
		t.Fatal(err)
	}
	if c.Amount != 1000 || c.Status != StatusAwaitingPayment || c.TransactionID != "kk6g232xel65a0daee4dd13kk2912714964" ||
		c.InternalCode != "US7B1JQ" || c.Payer.Document != "12345678909" || c.PixData == nil ||
		!strings.HasPrefix(c.PixData.CopyAndPaste, "000201") {
		t.Errorf("decoded create response = %+v", c)
	}
	if !c.RequestedAt.Equal(requested) || !c.PaidAt.IsZero() {
		t.Errorf("requestedAt = %v, paidAt = %v", c.RequestedAt, c.PaidAt)
	}
	if _, off := c.RequestedAt.Zone(); off != -3*3600 {
		t.Errorf("requestedAt offset = %d, want -03:00 kept", off)
	}

	var e Event
	if err := json.Unmarshal([]byte(paidEventJSON), &e); err != nil {
		t.Fatal(err)
	}
	if e.Type != EventCashInPaid || !e.At.Equal(time.Date(2026, 3, 10, 11, 22, 18, 0, time.UTC)) {
		t.Errorf("event = %q at %v", e.Type, e.At)
	}
	d := e.Data
	if d.Amount != 1000 || d.Status != StatusPaid || d.EndToEndID != "E00416968202603101827cemeFscF6AG" ||
		d.Payer.BankData == nil || d.Payer.BankData.ISPB != "00000000" || d.Payer.BankData.Branch != "0001" {
		t.Errorf("decoded event data = %+v", d)
	}
	if !d.RequestedAt.Equal(requested) || !d.PaidAt.Equal(time.Date(2026, 3, 10, 14, 22, 15, 0, time.UTC)) {
		t.Errorf("requestedAt = %v, paidAt = %v", d.RequestedAt, d.PaidAt)
	}

	// Encoding writes the amount with two decimals, never through a float.
	b, err := json.Marshal(d)
	if err != nil || !strings.Contains(string(b), `"amount":10.00,`) {
		t.Errorf("Marshal(data) = %s, %v", b, err)
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{
		"10", "10,5", "1.234,56", "R$ 12,50", "R$\u00a012,50", "12.50", "0,01", "abc",
		"1,234", "1.23,4", "-5", "1e3", "10,555", "10.000.000.000,00", ",", ".", "R$", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAmount(s)
		if err != nil {
			return
		}
		if a < 0 || a > MaxAmount {
			t.Fatalf("ParseAmount(%q) = %d, out of range", s, a)
		}
		// What we show people reads back to the same value.
		if back, err := ParseAmount(a.String()); err != nil || back != a {
			t.Fatalf("ParseAmount(%q) = %d, %v; want %d", a.String(), back, err, a)
		}
		if back, err := ParseDecimal(a.Decimal()); err != nil || back != a {
			t.Fatalf("ParseDecimal(%q) = %d, %v; want %d", a.Decimal(), back, err, a)
		}
	})
}

func FuzzAmountJSON(f *testing.F) {
	for _, tt := range wireAmounts {
		f.Add(tt.in, int64(tt.want))
	}
	f.Add("", int64(-1))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		var a Amount
		err := a.UnmarshalJSON([]byte(s))
		if err == nil {
			if a < 0 || a > MaxAmount {
				t.Fatalf("UnmarshalJSON(%q) = %d, out of range", s, a)
			}
			if !json.Valid([]byte(s)) {
				t.Fatalf("UnmarshalJSON accepted invalid JSON %q", s)
			}
		}
		// math/big reads the number exactly: it is the judge of what the
		// value is. Exponents are kept small, as big.Rat would build them.
		if want, ok := exactCentavos(s); ok {
			if err != nil || a != want {
				t.Fatalf("UnmarshalJSON(%q) = %d, %v; the value is %d centavos", s, a, err, want)
			}
		} else if err == nil && jsonNumber(s) && smallExponent(s) {
			t.Fatalf("UnmarshalJSON(%q) = %d, but it is not whole centavos in range", s, a)
		}
		a = Amount(n)
		b, err := json.Marshal(a)
		if err != nil {
			if a >= 0 && a <= MaxAmount {
				t.Fatalf("Marshal(%d): %v", n, err)
			}
			return
		}
		var back Amount
		if err := json.Unmarshal(b, &back); err != nil || back != a {
			t.Fatalf("Unmarshal(Marshal(%d)) = %d, %v (json %s)", n, back, err, b)
		}
	})
}

// exactCentavos returns, by math/big, the centavos a non-negative JSON
// number s holds, when it is a whole number of them within MaxAmount.
func exactCentavos(s string) (Amount, bool) {
	if !jsonNumber(s) || !smallExponent(s) || strings.HasPrefix(s, "-") {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() || r.Num().Sign() < 0 || r.Num().Cmp(big.NewInt(int64(MaxAmount))) > 0 {
		return 0, false
	}
	return Amount(r.Num().Int64()), true
}

// jsonNumber reports whether s is exactly one JSON number.
func jsonNumber(s string) bool {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		return false
	}
	n, ok := v.(json.Number)
	return ok && string(n) == s
}

// smallExponent reports whether s has no exponent or one of at most three
// digits, which big.Rat evaluates quickly.
func smallExponent(s string) bool {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return true
	}
	return len(strings.TrimLeft(s[i+1:], "+-")) <= 3
}
