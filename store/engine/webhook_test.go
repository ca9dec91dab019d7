package engine

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// TestWebhookNamingAnotherTransaction: a signed PAID event naming a charge
// by its order reference but carrying another transactionId is not
// applied; the charge is flagged and polled at once by its own id.
func TestWebhookNamingAnotherTransaction(t *testing.T) {
	f := setup(t)
	cfg := f.config()
	cfg.PollFast, cfg.PollSlow = time.Hour, time.Hour // only the webhook may cause a poll
	e := New(cfg)
	f.run(e)
	ch := f.create(e, Input{Amount: 1234})
	srv := httptest.NewServer(e.WebhookHandler())
	defer srv.Close()
	polls := func() int { return f.sb.Stats().Requests["GET /cash-in/{id}"] }
	before := polls()

	ev := psp.Event{Type: psp.EventCashInPaid, At: time.Now(), Data: psp.CashIn{
		TransactionID: otherID(ch.TransactionID), ExternalReference: ch.ExternalReference,
		Status: psp.StatusPaid, Amount: ch.Amount, EndToEndID: "E00416968202603101827cemeFscF6AG"}}
	body := mustJSON(ev)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
	req.Header.Set(psp.HeaderSignature, psp.Sign(body, cfg.WebhookKey))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200: the event is genuine, only not this charge's", resp.StatusCode)
	}
	// The 200 says the delivery is in the inbox; it is applied a moment later.
	waitFor(t, "the delivery applied", func() bool { return f.get(ch.ID).Flags != 0 })
	got := f.get(ch.ID)
	if got.Status != psp.StatusAwaitingPayment || got.Flags != store.FlagTxidMismatch || got.EndToEndID != "" || got.TransactionID != ch.TransactionID {
		t.Fatalf("charge after another transaction's event: %+v", got)
	}
	waitFor(t, "a poll of the charge's own transaction", func() bool { return polls() > before })
}

// otherID returns an id of the same shape as id that is certainly not id.
func otherID(id string) string {
	if strings.HasPrefix(id, "zz") {
		return "yy" + id[2:]
	}
	return "zz" + id[2:]
}
