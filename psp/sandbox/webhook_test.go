package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pixdesk/pixdesk/psp"
)

// hook is one webhook request as a receiver saw it.
type hook struct {
	header http.Header
	body   []byte
	event  psp.Event
	data   json.RawMessage
}

// receiver is a webhook endpoint on loopback that fails its first attempts.
type receiver struct {
	t   *testing.T
	url string
	got chan hook
	mu  sync.Mutex
	// fail is how many more requests to answer 500.
	fail int
}

func newReceiver(t *testing.T, fail int) *receiver {
	rc := &receiver{t: t, got: make(chan hook, 64), fail: fail}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h := hook{header: r.Header.Clone(), body: b}
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(b, &h.event); err != nil || json.Unmarshal(b, &env) != nil {
			t.Errorf("webhook body %s: %v", b, err)
		}
		h.data = env.Data
		rc.got <- h
		rc.mu.Lock()
		fail := rc.fail > 0
		rc.fail--
		rc.mu.Unlock()
		if fail {
			http.Error(w, "try later", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	rc.url = srv.URL + "/webhooks/connectpsp"
	return rc
}

// next waits for the next webhook; the deadline only guards against a hang.
func (rc *receiver) next() hook {
	rc.t.Helper()
	select {
	case h := <-rc.got:
		return h
	case <-time.After(10 * time.Second):
		rc.t.Fatal("no webhook arrived")
		return hook{}
	}
}

func (e *env) createWithHook(tok, ref string, rc *receiver) psp.CashIn {
	return e.create(tok, ref, `, "webhookUrl": "`+rc.url+`"`)
}

func TestWebhookPaidRetried(t *testing.T) {
	e := setup(t, Options{})
	rc := newReceiver(t, 1)
	tok := e.token()
	ci := e.createWithHook(tok, "order-1", rc)
	e.clock.Add(2 * time.Minute)
	if _, err := e.sb.Pay(ci.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	first, second := rc.next(), rc.next()
	key := e.sb.Credentials().CryptoToken
	for _, h := range []hook{first, second} {
		if !psp.Verify(h.body, h.header.Get(psp.HeaderSignature), key) {
			t.Errorf("bad signature %q", h.header.Get(psp.HeaderSignature))
		}
		id, err := uuid.Parse(h.header.Get(psp.HeaderEventID))
		if err != nil || id.Version() != 4 {
			t.Errorf("X-Event-Id %q", h.header.Get(psp.HeaderEventID))
		}
		if h.header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type %q", h.header.Get("Content-Type"))
		}
		if h.event.Type != psp.EventCashInPaid || h.event.Data.Status != psp.StatusPaid || h.event.Data.Amount != 1050 ||
			h.event.Data.TransactionID != ci.TransactionID || !h.event.At.Equal(e.clock.Now()) {
			t.Errorf("event %s", h.body)
		}
		if !strings.Contains(string(h.body), `"eventAt":"2026-03-10T14:22:00Z"`) {
			t.Errorf("eventAt not UTC: %s", h.body)
		}
	}
	if first.header.Get(psp.HeaderEventID) == second.header.Get(psp.HeaderEventID) {
		t.Error("a retry reused the X-Event-Id")
	}
	if !bytes.Equal(first.body, second.body) {
		t.Error("a retry changed the body")
	}
	get := e.do("GET", "/cash-in/"+ci.TransactionID, e.headers(tok), "")
	if !bytes.Equal(first.data, get.body) {
		t.Errorf("data is not the GET object:\n%s\n%s", first.data, get.body)
	}

	waitFor(t, "the second attempt to be recorded", func() bool { return len(e.sb.Deliveries()) == 2 })
	e.sb.Close() // waits for the delivery goroutine: no more attempts
	ds := e.sb.Deliveries()
	if len(ds) != 2 || ds[0].Attempt != 1 || ds[0].StatusCode != 500 || ds[1].Attempt != 2 || ds[1].StatusCode != 200 ||
		ds[1].EventID != second.header.Get(psp.HeaderEventID) || ds[0].EventType != psp.EventCashInPaid || ds[0].TransactionID != ci.TransactionID {
		t.Errorf("deliveries %+v", ds)
	}
}

func TestWebhookOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode WebhookMode
		want []string
	}{
		{"in order", WebhookMode{}, []string{psp.EventCashInPaid, psp.EventCashInRefunded}},
		{"out of order", WebhookMode{OutOfOrder: true}, []string{psp.EventCashInRefunded, psp.EventCashInPaid}},
		{"duplicate", WebhookMode{Duplicate: true}, []string{psp.EventCashInPaid, psp.EventCashInPaid, psp.EventCashInRefunded, psp.EventCashInRefunded}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, Options{})
			e.sb.SetWebhookMode(tc.mode)
			rc := newReceiver(t, 0)
			tok := e.token()
			ci := e.createWithHook(tok, "order-1", rc)
			if _, err := e.sb.Pay(ci.TransactionID, 0); err != nil {
				t.Fatal(err)
			}
			e.do("POST", "/cash-in/"+ci.TransactionID+"/refund", e.refundHeaders(tok, "k"), `{"reason":"MERCHANT_ERROR"}`).cashIn(t, 202)
			ids := map[string]bool{}
			for i, want := range tc.want {
				h := rc.next()
				if h.event.Type != want {
					t.Fatalf("webhook %d is %s, want %s", i, h.event.Type, want)
				}
				ids[h.header.Get(psp.HeaderEventID)] = true
			}
			if len(ids) != len(tc.want) {
				t.Errorf("event ids repeat: %v", ids)
			}
		})
	}
}

func TestWebhookHeldUntilModeOff(t *testing.T) {
	e := setup(t, Options{})
	e.sb.SetWebhookMode(WebhookMode{OutOfOrder: true})
	rc := newReceiver(t, 0)
	ci := e.createWithHook(e.token(), "order-1", rc)
	if _, err := e.sb.Pay(ci.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(e.sb.Deliveries()); n != 0 {
		t.Fatalf("held event delivered: %d", n)
	}
	e.sb.SetWebhookMode(WebhookMode{})
	if h := rc.next(); h.event.Type != psp.EventCashInPaid {
		t.Fatalf("got %s", h.event.Type)
	}
}

func TestWebhookDisabled(t *testing.T) {
	e := setup(t, Options{})
	e.sb.SetWebhookMode(WebhookMode{Disabled: true})
	rc := newReceiver(t, 0)
	ci := e.createWithHook(e.token(), "order-1", rc)
	if _, err := e.sb.Pay(ci.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	e.sb.Close()
	if n := len(e.sb.Deliveries()); n != 0 || len(rc.got) != 0 {
		t.Fatalf("disabled webhooks delivered %d", n)
	}
}

func TestWebhookGivesUp(t *testing.T) {
	e := setup(t, Options{RetryBase: time.Microsecond})
	rc := newReceiver(t, 1000)
	ci := e.createWithHook(e.token(), "order-1", rc)
	if _, err := e.sb.Pay(ci.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	for range WebhookAttempts {
		rc.next()
	}
	e.sb.Close()
	if n := len(e.sb.Deliveries()); n != WebhookAttempts {
		t.Fatalf("%d attempts, want %d", n, WebhookAttempts)
	}
}

func TestCloseStopsRetries(t *testing.T) {
	e := setup(t, Options{RetryBase: time.Hour})
	rc := newReceiver(t, 1000)
	ci := e.createWithHook(e.token(), "order-1", rc)
	if _, err := e.sb.Pay(ci.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	rc.next()
	e.sb.Close() // would hang for an hour if the backoff ignored Close
	if n := len(e.sb.Deliveries()); n != 1 {
		t.Fatalf("%d attempts", n)
	}
}

// sinkFunc adapts a function to psp.WebhookSink.
type sinkFunc func(d *psp.Delivery)

func (f sinkFunc) RecordDelivery(_ context.Context, d *psp.Delivery) error { f(d); return nil }

func TestWebhookAcceptedByReceiver(t *testing.T) {
	e := setup(t, Options{})
	got := make(chan *psp.Delivery, 4)
	srv := httptest.NewServer(&psp.WebhookHandler{Key: e.sb.Credentials().CryptoToken, Sink: sinkFunc(func(d *psp.Delivery) { got <- d })})
	t.Cleanup(srv.Close)
	ci := e.create(e.token(), "order-1", `, "webhookUrl": "`+srv.URL+`"`)
	if _, err := e.sb.Pay(ci.TransactionID, 1049); err != nil {
		t.Fatal(err)
	}
	var d *psp.Delivery
	select {
	case d = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("no webhook arrived")
	}
	if d.Verdict != psp.VerdictGenuine || d.Event.Data.Amount != 1049 || d.Event.Data.Payer.BankData == nil {
		t.Fatalf("delivery %+v", d)
	}
}
