package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

func TestFailNext(t *testing.T) {
	e := setup(t, Options{})
	tok := e.token()
	e.sb.SetFaults(Faults{FailNext: 2})
	h := e.headers(tok, "X-Idempotency-Key", "k1")
	e.do("POST", "/cash-in", h, createBody("order-1", "")).problem(t, 500, psp.CodeInternal)
	e.do("POST", "/auth/token", nil, `{}`).problem(t, 500, psp.CodeInternal)
	if n := e.sb.Stats().CashInsCreated; n != 0 {
		t.Fatalf("a failed call created %d charges", n)
	}
	// The key was not spent by the failure: the retry creates the charge.
	e.do("POST", "/cash-in", h, createBody("order-1", "")).cashIn(t, 201)
	e.do("GET", "/_sandbox/stats", nil, "") // control endpoints never fail
}

func TestDropNext(t *testing.T) {
	e := setup(t, Options{})
	tok := e.token()
	e.sb.SetFaults(Faults{DropNext: 1})
	// A fresh transport, so net/http does not transparently retry the
	// idempotent-looking request on a reused connection.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	h := e.headers(tok, "X-Idempotency-Key", "k1")
	if r, err := e.try(fresh, "POST", "/cash-in", h, createBody("order-1", "")); err == nil {
		t.Fatalf("dropped call answered %d %s", r.status, r.body)
	}
	if n := e.sb.Stats().CashInsCreated; n != 1 {
		t.Fatalf("the dropped call was not committed: %d charges", n)
	}
	// Retrying with the same key recovers the charge; a new key is a duplicate.
	ci := e.do("POST", "/cash-in", h, createBody("order-1", "")).cashIn(t, 201)
	e.do("POST", "/cash-in", e.headers(tok, "X-Idempotency-Key", "k2"), createBody("order-1", "")).problem(t, 409, psp.CodeDuplicateReference)
	if got := e.do("GET", "/cash-in/"+ci.InternalCode, e.headers(tok), "").cashIn(t, 200); got.TransactionID != ci.TransactionID {
		t.Fatalf("got %s", got.TransactionID)
	}
}

func TestLatencyHonoursClientCancel(t *testing.T) {
	e := setup(t, Options{})
	e.sb.SetFaults(Faults{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", e.srv.URL+"/auth/token", strings.NewReader(`{}`))
	done := make(chan error, 1)
	go func() {
		resp, err := e.hc.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for e.sb.Stats().Requests["POST /auth/token"] == 0 {
		time.Sleep(time.Millisecond) // until the handler is sleeping
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("request answered despite an hour of latency")
	}
	e.sb.SetFaults(Faults{})
	e.token()
	// srv.Close in cleanup waits for the sleeping handler: it must have returned.
}

func TestControlEndpoints(t *testing.T) {
	e := setup(t, Options{})
	tok := e.token()
	a := e.create(tok, "order-a", "")
	b := e.create(tok, "order-b", "")
	c := e.create(tok, "order-c", "")

	r := e.do("POST", "/_sandbox/cash-in/"+a.InternalCode+"/pay", nil, `{"amount": 12.34}`)
	if got := r.cashIn(t, 200); got.Status != psp.StatusPaid || got.Amount != 1234 {
		t.Errorf("pay: %s", r.body)
	}
	e.do("POST", "/_sandbox/cash-in/"+a.InternalCode+"/pay", nil, "").problem(t, 422, codeAlreadyPaid)
	if got := e.do("POST", "/_sandbox/cash-in/"+b.TransactionID+"/pay", nil, "").cashIn(t, 200); got.Amount != 1050 {
		t.Errorf("pay without amount: %v", got.Amount)
	}
	e.do("POST", "/_sandbox/cash-in/"+c.TransactionID+"/pay", nil, `{"amount": 1.234}`).problem(t, 400, psp.CodeValidation)
	if got := e.do("POST", "/_sandbox/cash-in/"+c.TransactionID+"/expire", nil, "").cashIn(t, 200); got.Status != psp.StatusExpired || got.ExpiredAt.IsZero() {
		t.Errorf("expire: %+v", got)
	}
	e.do("POST", "/_sandbox/cash-in/"+c.TransactionID+"/cancel", nil, "").problem(t, 422, psp.CodeCashInExpired)
	e.do("POST", "/_sandbox/cash-in/nope/cancel", nil, "").problem(t, 404, psp.CodeNotFound)

	r = e.do("POST", "/_sandbox/faults", nil, `{"failNext": 1, "latency": "1ms"}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"latency":"1ms"`) {
		t.Errorf("faults: %d %s", r.status, r.body)
	}
	e.do("POST", "/_sandbox/faults", nil, `{"latency": "soon"}`).problem(t, 400, psp.CodeValidation)
	e.do("GET", "/cash-in/"+a.InternalCode, e.headers(tok), "").problem(t, 500, psp.CodeInternal)
	e.do("POST", "/_sandbox/faults", nil, `{}`)

	if r := e.do("POST", "/_sandbox/webhooks", nil, `{"duplicate": true, "outOfOrder": true}`); r.status != 200 {
		t.Errorf("webhooks: %d %s", r.status, r.body)
	}
	e.sb.mu.Lock()
	mode := e.sb.mode
	e.sb.mu.Unlock()
	if mode != (WebhookMode{Duplicate: true, OutOfOrder: true}) {
		t.Errorf("mode %+v", mode)
	}

	var st Stats
	if err := json.Unmarshal(e.do("GET", "/_sandbox/stats", nil, "").body, &st); err != nil {
		t.Fatal(err)
	}
	if st.CashInsCreated != 3 || st.Payments != 2 || st.TokensIssued != 1 || st.Requests["POST /cash-in"] != 3 || st.Requests["GET /cash-in/{id}"] != 1 {
		t.Errorf("stats %+v", st)
	}
	if r := e.do("GET", "/_sandbox/deliveries", nil, ""); r.status != 200 || strings.TrimSpace(string(r.body)) != "[]" {
		t.Errorf("deliveries: %s", r.body)
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, sb, err := Serve(ctx, "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base %q", base)
	}
	c := sb.Credentials()
	resp, err := http.Post(base+"/auth/token", "application/json",
		strings.NewReader(`{"clientId":"`+c.ClientID+`","clientSecret":"`+c.ClientSecret.Reveal()+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if sb.publicHost != strings.TrimPrefix(base, "http://") {
		t.Errorf("public host %q", sb.publicHost)
	}
	if _, _, err := Serve(ctx, "256.0.0.1:0", Options{}); err == nil {
		t.Error("bad address accepted")
	}
}

func TestEndToEndIDShape(t *testing.T) {
	at := time.Date(2026, 3, 10, 18, 27, 59, 0, time.FixedZone("x", -3*3600))
	id := endToEndID('E', "00416968", at)
	if len(id) != 32 || !reEndToEnd.MatchString(id) || !strings.HasPrefix(id, "E00416968202603102127") {
		t.Fatalf("%q", id)
	}
}

func BenchmarkCreate(b *testing.B) {
	sb := New(Options{})
	defer sb.Close()
	for i := 0; b.Loop(); i++ {
		sb.mu.Lock()
		_, err := sb.createLocked([]byte(createBody("ref-"+strconv.Itoa(i), "")), time.Now())
		sb.mu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
	}
}
