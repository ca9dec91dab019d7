package psp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const webhookKey = Secret("SENTINEL-CRYPTO-TOKEN-c0de")

// paidEvent is the CASHIN_PAID example of the API digest §7.
const paidEvent = paidEventJSON

// fakeSink records deliveries in order with the writes to the response.
type fakeSink struct {
	mu         sync.Mutex
	deliveries []*Delivery
	trail      *[]string
	err        error
}

func (s *fakeSink) RecordDelivery(ctx context.Context, d *Delivery) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries = append(s.deliveries, d)
	*s.trail = append(*s.trail, "recorded")
	return s.err
}

// orderWriter notes when the status is written, to prove the sink ran first.
type orderWriter struct {
	*httptest.ResponseRecorder
	trail *[]string
}

func (w *orderWriter) WriteHeader(code int) {
	*w.trail = append(*w.trail, fmt.Sprint("status ", code))
	w.ResponseRecorder.WriteHeader(code)
}

func TestWebhookHandler(t *testing.T) {
	big := `{"eventType":"CASHIN_PAID","pad":"` + strings.Repeat("x", MaxWebhookBody) + `"}`
	unknown := `{"eventType":"CASHOUT_DONE","eventAt":"2026-03-10T11:22:18Z","data":{"transactionId":"t1","status":"PAID","amount":1.5}}`
	tests := []struct {
		name      string
		method    string
		body      string
		sig       string // "" for none; "sign" for a genuine signature
		sinkErr   error
		status    int
		verdict   Verdict // "" when the sink must not be called
		eventType string
	}{
		{"genuine", "POST", paidEvent, "sign", nil, 200, VerdictGenuine, EventCashInPaid},
		{"forged signature", "POST", paidEvent, Sign([]byte(paidEvent), "wrong-key"), nil, 401, VerdictForged, ""},
		{"missing signature", "POST", paidEvent, "", nil, 401, VerdictForged, ""},
		{"not hex signature", "POST", paidEvent, "zz", nil, 401, VerdictForged, ""},
		{"tampered body", "POST", strings.Replace(paidEvent, "10.00", "1000.00", 1), Sign([]byte(paidEvent), webhookKey), nil, 401, VerdictForged, ""},
		{"oversize", "POST", big, "sign", nil, 413, "", ""},
		{"GET", "GET", "", "", nil, 405, "", ""},
		{"malformed JSON", "POST", `{"eventType":`, "sign", nil, 400, VerdictMalformed, ""},
		{"inexact amount", "POST", strings.Replace(paidEvent, "10.00", "10.001", 1), "sign", nil, 400, VerdictMalformed, ""},
		{"unknown eventType", "POST", unknown, "sign", nil, 200, VerdictGenuine, "CASHOUT_DONE"},
		{"sink error on genuine", "POST", paidEvent, "sign", errors.New("disk full"), 500, VerdictGenuine, EventCashInPaid},
		{"sink error on forged", "POST", paidEvent, "bad", errors.New("disk full"), 401, VerdictForged, ""},
	}
	received := time.Date(2026, 3, 10, 14, 22, 19, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var trail []string
			sink := &fakeSink{trail: &trail, err: tt.sinkErr}
			h := &WebhookHandler{Key: webhookKey, Sink: sink, Now: func() time.Time { return received }}
			r := httptest.NewRequest(tt.method, "/webhook", strings.NewReader(tt.body))
			r.Header.Set(HeaderEventID, "evt-1")
			switch tt.sig {
			case "":
			case "sign":
				r.Header.Set(HeaderSignature, Sign([]byte(tt.body), webhookKey))
			default:
				r.Header.Set(HeaderSignature, tt.sig)
			}
			w := &orderWriter{ResponseRecorder: httptest.NewRecorder(), trail: &trail}
			h.ServeHTTP(w, r)

			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %q)", w.Code, tt.status, w.Body.String())
			}
			if tt.status == 405 && w.Header().Get("Allow") != "POST" {
				t.Errorf("Allow = %q", w.Header().Get("Allow"))
			}
			if tt.verdict == "" {
				if len(sink.deliveries) != 0 {
					t.Errorf("sink called %d times, want none", len(sink.deliveries))
				}
				return
			}
			if len(sink.deliveries) != 1 {
				t.Fatalf("sink called %d times, want 1", len(sink.deliveries))
			}
			if want := []string{"recorded", fmt.Sprint("status ", tt.status)}; fmt.Sprint(trail) != fmt.Sprint(want) {
				t.Errorf("order = %v, want %v", trail, want)
			}
			d := sink.deliveries[0]
			if d.Verdict != tt.verdict || d.EventID != "evt-1" || !d.ReceivedAt.Equal(received) || string(d.Body) != tt.body {
				t.Errorf("delivery = %s %q at %v, body %d bytes", d.Verdict, d.EventID, d.ReceivedAt, len(d.Body))
			}
			if tt.verdict != VerdictGenuine {
				if d.Event != nil {
					t.Errorf("a %s delivery carries an event", d.Verdict)
				}
				return
			}
			if d.Event == nil || d.Event.Type != tt.eventType {
				t.Fatalf("event = %+v, want type %s", d.Event, tt.eventType)
			}
			if tt.eventType == EventCashInPaid {
				ev := d.Event.Data
				if ev.Amount != 1000 || ev.Status != StatusPaid || ev.ExternalReference != "test-order-001" ||
					ev.Payer.BankData == nil || ev.Payer.BankData.ISPB != "00000000" || ev.PaidAt.IsZero() {
					t.Errorf("decoded data = %+v", ev)
				}
			}
		})
	}
}

func TestWebhookHandlerOverHTTP(t *testing.T) {
	var trail []string
	sink := &fakeSink{trail: &trail}
	srv := httptest.NewServer(&WebhookHandler{Key: webhookKey, Sink: sink})
	defer srv.Close()
	post := func(body, sig string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(HeaderSignature, sig)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("POST: %v", err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(paidEvent, Sign([]byte(paidEvent), webhookKey)); got != 200 {
		t.Errorf("genuine = %d, want 200", got)
	}
	big := strings.Repeat(" ", MaxWebhookBody+1)
	if got := post(big, Sign([]byte(big), webhookKey)); got != 413 {
		t.Errorf("oversize = %d, want 413", got)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.deliveries) != 1 || sink.deliveries[0].RemoteAddr == "" {
		t.Errorf("deliveries = %d", len(sink.deliveries))
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte(paidEvent), "crypto-token", uint(0))
	f.Add([]byte{}, "k", uint(3))
	f.Add([]byte{0xff, 0x00}, "\x00", uint(1))
	f.Fuzz(func(t *testing.T, body []byte, key string, pos uint) {
		k := Secret(key)
		sig := Sign(body, k)
		if len(sig) != 64 || strings.ToLower(sig) != sig {
			t.Fatalf("Sign = %q, want 64 lowercase hex", sig)
		}
		Verify(body, key, k) // arbitrary signature text: must not panic
		Verify(body, string(body), k)
		if key == "" {
			if Verify(body, sig, k) {
				t.Fatal("Verify accepted an empty key")
			}
			return
		}
		if !Verify(body, sig, k) {
			t.Fatal("Verify(b, Sign(b, k), k) = false")
		}
		if len(body) > 0 {
			tampered := bytes.Clone(body)
			tampered[pos%uint(len(body))] ^= 0x01
			if Verify(tampered, sig, k) {
				t.Fatal("Verify accepted a flipped body byte")
			}
		}
		bad := []byte(sig)
		i := pos % uint(len(bad))
		if bad[i] == '0' {
			bad[i] = '1'
		} else {
			bad[i] = '0'
		}
		if Verify(body, string(bad), k) {
			t.Fatal("Verify accepted a flipped signature byte")
		}
		if Verify(body, sig, k+"x") {
			t.Fatal("Verify accepted another key")
		}
	})
}

// BenchmarkWebhookVerifyDecode measures what the receiver does per delivery
// before the store: verify the signature, then decode the event.
func BenchmarkWebhookVerifyDecode(b *testing.B) {
	body := []byte(paidEvent)
	sig := Sign(body, webhookKey)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if !Verify(body, sig, webhookKey) {
			b.Fatal("Verify = false")
		}
		var ev Event
		if err := json.Unmarshal(body, &ev); err != nil {
			b.Fatal(err)
		}
	}
}
