package psp

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

type recordingSink struct{ got *Delivery }

func (s *recordingSink) RecordDelivery(_ context.Context, d *Delivery) error {
	s.got = d
	return nil
}

// FuzzWebhookDecode sends arbitrary bodies, genuinely signed or not,
// through the receiver: it never panics, a forged body is never parsed, and
// a genuine verdict always carries a decoded event with a type.
func FuzzWebhookDecode(f *testing.F) {
	f.Add([]byte(`{"eventType":"CASHIN_PAID","data":{"transactionId":"t","status":"PAID","amount":10.00}}`), true)
	f.Add([]byte(`{"eventType":"CASHIN_PAID","data":{"amount":1e3}}`), true)
	f.Add([]byte(`null`), true)
	f.Add([]byte(`{"eventType":"X","data":{"amount":10.001}}`), true)
	f.Add([]byte(`{"eventType":"CASHIN_PAID"}`), false)
	key := Secret("fuzz-key")
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		sink := &recordingSink{}
		h := &WebhookHandler{Key: key, Sink: sink}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/connectpsp", bytes.NewReader(body))
		if signed {
			r.Header.Set(HeaderSignature, Sign(body, key))
		} else {
			r.Header.Set(HeaderSignature, Sign(append([]byte("x"), body...), key))
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		d := sink.got
		switch {
		case len(body) > MaxWebhookBody:
			if w.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("oversize body: status %d", w.Code)
			}
		case !signed:
			if w.Code != http.StatusUnauthorized || d == nil || d.Verdict != VerdictForged || d.Event != nil {
				t.Fatalf("forged body: status %d, delivery %+v", w.Code, d)
			}
		case w.Code == http.StatusOK:
			if d == nil || d.Verdict != VerdictGenuine || d.Event == nil || d.Event.Type == "" {
				t.Fatalf("200 without a decoded event: %+v", d)
			}
		case w.Code == http.StatusBadRequest:
			if d == nil || d.Verdict != VerdictMalformed || d.Event != nil {
				t.Fatalf("400 with %+v", d)
			}
		default:
			t.Fatalf("unexpected status %d", w.Code)
		}
	})
}
