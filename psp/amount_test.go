package psp

import (
	"encoding/json"
	"errors"
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

	good := map[string]Amount{
		"10": 1000, "10.0": 1000, "10.00": 1000, "150.5": 15050, "0.01": 1, "0": 0,
		// The float pitfalls: 0.29*100 is 28.999… and 8.20*100 has given 819.
		"0.29": 29, "8.20": 820, "8.2": 820, "1.15": 115, "9999999999.99": MaxAmount,
	}
	for in, want := range good {
		var a Amount
		if err := json.Unmarshal([]byte(in), &a); err != nil || a != want {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d", in, a, err, want)
		}
	}
	bad := map[string]error{
		"-1": ErrAmountNegative, "1e3": ErrAmountSyntax, "1E2": ErrAmountSyntax, "10.001": ErrAmountPrecision,
		`"10.00"`: ErrAmountSyntax, "10000000000.00": ErrAmountTooLarge, "010.00": ErrAmountSyntax,
		"10.": ErrAmountSyntax, ".5": ErrAmountSyntax, "true": ErrAmountSyntax, "1.2.3": ErrAmountSyntax,
	}
	for in, want := range bad {
		var a Amount
		if err := json.Unmarshal([]byte(in), &a); err == nil || a != 0 {
			t.Errorf("json.Unmarshal(%s) = %d, %v; want an error", in, a, err)
		}
		// Some are invalid JSON, stopped by the decoder; Amount rejects them too.
		if err := a.UnmarshalJSON([]byte(in)); !errors.Is(err, want) {
			t.Errorf("UnmarshalJSON(%s) = %d, %v; want %v", in, a, err, want)
		}
	}
	// Inside a struct the error still surfaces, and the field is not guessed.
	var p CreateParams
	if err := json.Unmarshal([]byte(`{"amount": 10.001}`), &p); err == nil || p.Amount != 0 {
		t.Errorf("Unmarshal CreateParams = %d, %v; want an error", p.Amount, err)
	}
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
	for _, s := range []string{"10", "10.0", "10.00", "150.5", "0", "0.29", "8.20", "-1", "1e3", "10.001", "1E2", `"10.00"`, "10000000000.00", "null"} {
		f.Add(s, int64(1000))
	}
	f.Add("9999999999.99", int64(MaxAmount))
	f.Add("", int64(-1))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		var a Amount
		if err := a.UnmarshalJSON([]byte(s)); err == nil {
			if a < 0 || a > MaxAmount {
				t.Fatalf("UnmarshalJSON(%q) = %d, out of range", s, a)
			}
			if json.Valid([]byte(s)) == false {
				t.Fatalf("UnmarshalJSON accepted invalid JSON %q", s)
			}
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
