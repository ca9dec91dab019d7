package sandbox

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/brcode"
)

var (
	reTransactionID = regexp.MustCompile(`^[a-z0-9]{35}$`)
	reInternalCode  = regexp.MustCompile(`^[A-Z0-9]{7}$`)
	reEndToEnd      = regexp.MustCompile(`^[ED][0-9]{8}[0-9]{12}[A-Za-z0-9]{11}$`)
)

// crc16 is CRC-16/CCITT-FALSE, computed here independently of brcode.
func crc16(s string) string {
	crc := uint16(0xFFFF)
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return fmt.Sprintf("%04X", crc)
}

func TestCreate(t *testing.T) {
	e := setup(t, Options{})
	tok := e.token()
	r := e.do("POST", "/cash-in", e.headers(tok), createBody("order-1", `, "expirationInMinutes": 30`))
	ci := r.cashIn(t, 201)
	if !reTransactionID.MatchString(ci.TransactionID) || !reInternalCode.MatchString(ci.InternalCode) {
		t.Errorf("ids %q %q", ci.TransactionID, ci.InternalCode)
	}
	if ci.Status != psp.StatusAwaitingPayment || ci.Amount != 1050 || ci.ExternalReference != "order-1" ||
		ci.Payer.Name != "João Silva" || ci.Payer.Document != "12345678909" || ci.EndToEndID != "" {
		t.Errorf("cash-in %+v", ci)
	}
	body := string(r.body)
	for _, want := range []string{`"amount":10.50`, `"requestedAt":"2026-03-10T11:20:00-03:00"`} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, "paidAt") || strings.Contains(body, "bankData") {
		t.Errorf("unpaid charge shows payment fields: %s", body)
	}

	code := ci.PixData.CopyAndPaste
	if n := len(code); n < 8 || crc16(code[:n-4]) != code[n-4:] || code[n-8:n-4] != "6304" {
		t.Fatalf("bad CRC in %q", code)
	}
	bc, err := brcode.Parse(code)
	if err != nil {
		t.Fatalf("brcode.Parse: %v", err)
	}
	loc := regexp.MustCompile(`^127\.0\.0\.1:8080/pix/v2/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	if !bc.Dynamic() || !loc.MatchString(bc.URL) || bc.Initiation != "12" || bc.HasAmount || bc.TxID != "***" ||
		bc.MerchantName != merchantName || bc.MerchantCity != merchantCity {
		t.Errorf("not a dynamic one-payment code: %+v", bc)
	}

	text, err := decodePNGQR(ci.PixData.QRCodeImageBase64)
	if err != nil {
		t.Fatalf("decoding QR: %v", err)
	}
	if text != code {
		t.Errorf("QR holds %q, want %q", text, code)
	}

	// Each charge gets its own ids and location.
	other := e.create(tok, "order-2", "")
	if other.TransactionID == ci.TransactionID || other.PixData.CopyAndPaste == code {
		t.Error("second charge repeats the first")
	}
}

func TestCreateValidation(t *testing.T) {
	e := setup(t, Options{})
	tok := e.token()
	payer := `"payer": {"name": "Ana", "document": "12345678909"}`
	for _, tc := range []struct{ name, body string }{
		{"malformed", `{"amount": 10.00,`},
		{"trailing data", `{"amount": 1, "externalReference": "x", ` + payer + `} {}`},
		{"three decimals", `{"amount": 10.123, "externalReference": "x", ` + payer + `}`},
		{"string amount", `{"amount": "10.00", "externalReference": "x", ` + payer + `}`},
		{"negative amount", `{"amount": -1, "externalReference": "x", ` + payer + `}`},
		{"exponent finer than a centavo", `{"amount": 1e-3, "externalReference": "x", ` + payer + `}`},
		{"zero amount", `{"amount": 0.00, "externalReference": "x", ` + payer + `}`},
		{"too large", `{"amount": 10000000000.00, "externalReference": "x", ` + payer + `}`},
		{"no amount", `{"externalReference": "x", ` + payer + `}`},
		{"no reference", `{"amount": 1, ` + payer + `}`},
		{"no payer", `{"amount": 1, "externalReference": "x"}`},
		{"no payer name", `{"amount": 1, "externalReference": "x", "payer": {"document": "12345678909"}}`},
		{"bad cpf", `{"amount": 1, "externalReference": "x", "payer": {"name": "A", "document": "12345678900"}}`},
		{"punctuated cpf", `{"amount": 1, "externalReference": "x", "payer": {"name": "A", "document": "123.456.789-09"}}`},
		{"equal digits", `{"amount": 1, "externalReference": "x", "payer": {"name": "A", "document": "11111111111"}}`},
		{"bad cnpj", `{"amount": 1, "externalReference": "x", "payer": {"name": "A", "document": "12ABC34501DE36"}}`},
		{"zero expiration", `{"amount": 1, "externalReference": "x", "expirationInMinutes": 0, ` + payer + `}`},
		{"fractional expiration", `{"amount": 1, "externalReference": "x", "expirationInMinutes": 1.5, ` + payer + `}`},
		{"bad webhook url", `{"amount": 1, "externalReference": "x", "webhookUrl": "ftp://h/x", ` + payer + `}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do("POST", "/cash-in", e.headers(tok), tc.body).problem(t, 400, psp.CodeValidation)
		})
	}
	if n := e.sb.Stats().CashInsCreated; n != 0 {
		t.Fatalf("invalid requests created %d charges", n)
	}
	for _, doc := range []string{"23858488135", "11222333000181", "12ABC34501DE35"} {
		r := e.do("POST", "/cash-in", e.headers(tok), `{"amount": 0.01, "externalReference": "`+doc+`", "payer": {"name": "A", "document": "`+doc+`"}}`)
		r.cashIn(t, 201)
	}
	// Any exact JSON number of whole centavos is an amount, as JSON
	// readers take it: 1.5e1 is R$ 15,00.
	r := e.do("POST", "/cash-in", e.headers(tok), `{"amount": 1.5e1, "externalReference": "exp", `+payer+`}`)
	if ci := r.cashIn(t, 201); ci.Amount != 1500 {
		t.Errorf("amount 1.5e1 created %d centavos, want 1500", ci.Amount)
	}
}

func TestCreateIdempotency(t *testing.T) {
	e := setup(t, Options{})
	tok := e.token()
	h := e.headers(tok, "X-Idempotency-Key", "6f1f8a47-2d57-4c43-9d48-4e2b9d35d2c1")
	first := e.do("POST", "/cash-in", h, createBody("order-1", ""))
	first.cashIn(t, 201)

	again := e.do("POST", "/cash-in", h, createBody("order-1", ""))
	reformatted := e.do("POST", "/cash-in", h, `{"payer":{"document":"12345678909","name":"João Silva"},"externalReference":"order-1","amount":10.50}`)
	for _, r := range []response{again, reformatted} {
		if r.status != 201 || !bytes.Equal(r.body, first.body) || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %d %s", r.status, r.body)
		}
	}
	if st := e.sb.Stats(); st.CashInsCreated != 1 || st.IdempotentReplays != 2 {
		t.Errorf("stats %+v", st)
	}

	e.do("POST", "/cash-in", h, createBody("order-2", "")).problem(t, 422, psp.CodeIdempotencyMismatch)
	e.do("POST", "/cash-in", h, strings.Replace(createBody("order-1", ""), "10.50", "10.51", 1)).problem(t, 422, psp.CodeIdempotencyMismatch)

	h2 := e.headers(tok, "X-Idempotency-Key", "1b5b8d8e-4d35-4f44-a3a5-0b8f9b1c6a01")
	p := e.do("POST", "/cash-in", h2, createBody("order-1", "")).problem(t, 409, psp.CodeDuplicateReference)
	if !strings.Contains(p.Detail, first.cashIn(t, 201).TransactionID) {
		t.Errorf("409 detail does not name the existing charge: %s", p.Detail)
	}
	e.do("POST", "/cash-in", e.headers(tok), createBody("order-1", "")).problem(t, 409, psp.CodeDuplicateReference)

	// A refused request is not remembered: the key still works once corrected.
	e.do("POST", "/cash-in", h2, createBody("order-2", "")).cashIn(t, 201)

	// Keys are honoured for 24 hours.
	e.clock.Add(24 * time.Hour)
	e.do("POST", "/cash-in", e.headers(e.token(), "X-Idempotency-Key", "6f1f8a47-2d57-4c43-9d48-4e2b9d35d2c1"),
		createBody("order-1", "")).problem(t, 409, psp.CodeDuplicateReference)
}

func TestCreateConcurrentSameKey(t *testing.T) {
	e := setup(t, Options{})
	h := e.headers(e.token(), "X-Idempotency-Key", "k-concurrent")
	var wg sync.WaitGroup
	bodies := make([][]byte, 8)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.try(e.hc, "POST", "/cash-in", h, createBody("order-c", ""))
			if err == nil && r.status == 201 {
				bodies[i] = r.body
			}
		}()
	}
	wg.Wait()
	for i, b := range bodies {
		if !bytes.Equal(b, bodies[0]) || b == nil {
			t.Fatalf("answer %d differs: %s", i, b)
		}
	}
	if n := e.sb.Stats().CashInsCreated; n != 1 {
		t.Fatalf("created %d", n)
	}
}

func TestGetByEveryID(t *testing.T) {
	e := setup(t, Options{})
	tok := e.token()
	ci := e.create(tok, "order-1", "")
	for _, id := range []string{ci.TransactionID, ci.InternalCode} {
		r := e.do("GET", "/cash-in/"+id, e.headers(tok), "")
		got := r.cashIn(t, 200)
		if got.TransactionID != ci.TransactionID || got.Status != psp.StatusAwaitingPayment || got.PixData != nil {
			t.Errorf("GET %s: %s", id, r.body)
		}
	}
	e.do("GET", "/cash-in/nope", e.headers(tok), "").problem(t, 404, psp.CodeNotFound)

	e.clock.Add(90 * time.Second)
	paid, err := e.sb.Pay(ci.InternalCode, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reEndToEnd.MatchString(paid.EndToEndID) || paid.EndToEndID[0] != 'E' || paid.EndToEndID[9:21] != "202603101421" {
		t.Errorf("endToEndId %q", paid.EndToEndID)
	}
	if paid.Payer.BankData == nil || len(paid.Payer.BankData.ISPB) != 8 || paid.EndToEndID[1:9] != paid.Payer.BankData.ISPB {
		t.Errorf("bankData %+v", paid.Payer.BankData)
	}
	r := e.do("GET", "/cash-in/"+paid.EndToEndID, e.headers(tok), "")
	got := r.cashIn(t, 200)
	if got.Status != psp.StatusPaid || got.Amount != 1050 || !strings.Contains(string(r.body), `"paidAt":"2026-03-10T11:21:30-03:00"`) {
		t.Errorf("paid: %s", r.body)
	}

	ref := e.do("POST", "/cash-in/"+ci.TransactionID+"/refund", e.refundHeaders(tok, "rk1"), `{"reason":"CUSTOMER_REQUEST"}`).cashIn(t, 202)
	for _, id := range []string{ref.EndToEndID, paid.EndToEndID} {
		if got := e.do("GET", "/cash-in/"+id, e.headers(tok), "").cashIn(t, 200); got.Status != psp.StatusRefunded {
			t.Errorf("GET %s: %v", id, got.Status)
		}
	}
}

func TestExpiry(t *testing.T) {
	e := setup(t, Options{})
	tok := e.token()
	ci := e.create(tok, "order-1", `, "expirationInMinutes": 10`)
	def := e.create(tok, "order-2", "")

	e.clock.Add(10*time.Minute - time.Second)
	if got := e.do("GET", "/cash-in/"+ci.TransactionID, e.headers(e.token()), "").cashIn(t, 200); got.Status != psp.StatusAwaitingPayment {
		t.Fatalf("expired early: %v", got.Status)
	}
	e.clock.Add(time.Second)
	tok = e.token()
	r := e.do("GET", "/cash-in/"+ci.TransactionID, e.headers(tok), "")
	if got := r.cashIn(t, 200); got.Status != psp.StatusExpired || !strings.Contains(string(r.body), `"expiredAt":"2026-03-10T11:30:00-03:00"`) {
		t.Fatalf("not expired: %s", r.body)
	}
	if _, err := e.sb.Pay(ci.TransactionID, 0); err == nil || err.(*psp.Error).Code != psp.CodeCashInExpired {
		t.Errorf("paying an expired charge: %v", err)
	}
	e.do("POST", "/cash-in/"+ci.TransactionID+"/refund", e.refundHeaders(tok, "rk"), `{"reason":"FRAUD"}`).problem(t, 422, psp.CodeCashInExpired)

	// The default validity is 1440 minutes; Pay applies the clock too.
	e.clock.Add(1430*time.Minute - time.Second)
	if _, err := e.sb.Pay(def.TransactionID, 0); err != nil {
		t.Fatalf("default validity shorter than 24h: %v", err)
	}
}
