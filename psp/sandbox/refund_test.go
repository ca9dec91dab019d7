package sandbox

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

func TestRefund(t *testing.T) {
	e := setup(t, Options{})
	tok := e.token()
	ci := e.create(tok, "order-1", "")
	path := "/cash-in/" + ci.TransactionID + "/refund"
	body := `{"reason":"CUSTOMER_REQUEST","description":"troca"}`

	bad := e.headers(tok, "X-Idempotency-Key", "k0", "DigitalSignature", psp.Sign([]byte(tok), "wrong-key"))
	e.do("POST", path, bad, body).problem(t, 422, psp.CodeInvalidSignature)
	delete(bad, "DigitalSignature")
	e.do("POST", path, bad, body).problem(t, 422, psp.CodeInvalidSignature)
	// Signed with "Bearer " or another token: still wrong.
	bad["DigitalSignature"] = psp.Sign([]byte("Bearer "+tok), e.sb.Credentials().CryptoToken)
	e.do("POST", path, bad, body).problem(t, 422, psp.CodeInvalidSignature)

	e.do("POST", path, e.refundHeaders(tok, "k1"), body).problem(t, 422, psp.CodeCashInNotPaid)
	e.do("POST", path, e.headers(tok, "DigitalSignature", psp.Sign([]byte(tok), e.sb.Credentials().CryptoToken)), body).problem(t, 400, psp.CodeValidation)
	e.do("POST", "/cash-in/nope/refund", e.refundHeaders(tok, "k2"), body).problem(t, 404, psp.CodeNotFound)

	e.clock.Add(time.Minute)
	paid, err := e.sb.Pay(ci.TransactionID, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, reason := range []string{`{"reason":"BORED"}`, `{}`, `{"reason":`} {
		e.do("POST", path, e.refundHeaders(tok, "k3"), reason).problem(t, 400, psp.CodeValidation)
	}

	e.clock.Add(time.Minute)
	first := e.do("POST", path, e.refundHeaders(tok, "k4"), body)
	got := first.cashIn(t, 202)
	if got.Status != psp.StatusRefunded || got.OriginalEndToEndID != paid.EndToEndID || got.EndToEndID[0] != 'D' ||
		!reEndToEnd.MatchString(got.EndToEndID) || got.EndToEndID[1:9] != connectISPB ||
		!strings.Contains(string(first.body), `"refundedAt":"2026-03-10T11:22:00-03:00"`) {
		t.Errorf("refund: %s", first.body)
	}

	// Same key: replay, even with a fresh token (and so a new signature).
	tok2 := e.token()
	again := e.do("POST", path, e.refundHeaders(tok2, "k4"), body)
	if again.status != 202 || !bytes.Equal(again.body, first.body) {
		t.Errorf("replay: %d %s", again.status, again.body)
	}
	e.do("POST", path, e.refundHeaders(tok2, "k5"), body).problem(t, 422, psp.CodeCashInAlreadyRefunded)
	e.do("POST", path, e.refundHeaders(tok2, "k4"), `{"reason":"FRAUD"}`).problem(t, 422, psp.CodeIdempotencyMismatch)
	if st := e.sb.Stats(); st.Refunds != 1 {
		t.Errorf("refunds %d", st.Refunds)
	}
}

func TestRefundCancelled(t *testing.T) {
	e := setup(t, Options{})
	tok := e.token()
	ci := e.create(tok, "order-1", "")
	if err := e.sb.Cancel(ci.InternalCode); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.Cancel(ci.InternalCode); err != nil {
		t.Fatalf("cancelling twice: %v", err)
	}
	e.do("POST", "/cash-in/"+ci.InternalCode+"/refund", e.refundHeaders(tok, "k"), `{"reason":"FRAUD"}`).problem(t, 422, psp.CodeCashInCancelled)
	if err := e.sb.Expire(ci.InternalCode); err == nil || err.(*psp.Error).Code != psp.CodeCashInCancelled {
		t.Errorf("expiring a cancelled charge: %v", err)
	}
	if _, err := e.sb.Pay(ci.InternalCode, 0); err == nil || err.(*psp.Error).Code != psp.CodeCashInCancelled {
		t.Errorf("paying a cancelled charge: %v", err)
	}
	if _, err := e.sb.Pay("nope", 0); err == nil || err.(*psp.Error).Status != 404 {
		t.Errorf("paying an unknown charge: %v", err)
	}
}
