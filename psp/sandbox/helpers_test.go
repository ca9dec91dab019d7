package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 10, 14, 20, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a sandbox behind an httptest server, with a fake clock.
type env struct {
	t     *testing.T
	sb    *Sandbox
	srv   *httptest.Server
	clock *clock
	hc    *http.Client
}

func setup(t *testing.T, o Options) *env {
	t.Helper()
	c := newClock()
	if o.Now == nil {
		o.Now = c.Now
	}
	if o.RetryBase == 0 {
		o.RetryBase = time.Millisecond
	}
	if o.PublicURL == "" {
		o.PublicURL = "http://127.0.0.1:8080/"
	}
	sb := New(o)
	srv := httptest.NewServer(sb)
	t.Cleanup(func() {
		srv.Close()
		sb.Close()
	})
	return &env{t: t, sb: sb, srv: srv, clock: c, hc: srv.Client()}
}

// response is an answer read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

// problem decodes the answer as problem+json and checks status and code.
func (r response) problem(t *testing.T, status int, code string) psp.Error {
	t.Helper()
	var p psp.Error
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %q: %v", r.body, err)
	}
	if r.status != status || p.Code != code || p.Status != status {
		t.Fatalf("got %d %s (%s), want %d %s", r.status, p.Code, r.body, status, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Errorf("incomplete problem %+v", p)
	}
	return p
}

// cashIn decodes the answer as a Cash-In and checks the status code.
func (r response) cashIn(t *testing.T, status int) psp.CashIn {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var ci psp.CashIn
	if err := json.Unmarshal(r.body, &ci); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
	return ci
}

func (e *env) do(method, path string, hdr map[string]string, body string) response {
	e.t.Helper()
	r, err := e.try(e.hc, method, path, hdr, body)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (e *env) try(hc *http.Client, method, path string, hdr map[string]string, body string) (response, error) {
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}, err
}

// token gets an access token with the sandbox's credentials.
func (e *env) token() string {
	e.t.Helper()
	c := e.sb.Credentials()
	r := e.do("POST", "/auth/token", nil, `{"clientId":"`+c.ClientID+`","clientSecret":"`+c.ClientSecret.Reveal()+`"}`)
	if r.status != 200 {
		e.t.Fatalf("token: %d %s", r.status, r.body)
	}
	var tr struct{ AccessToken string }
	json.Unmarshal(r.body, &tr)
	return tr.AccessToken
}

// headers are the API headers for tok, plus extra name/value pairs.
func (e *env) headers(tok string, extra ...string) map[string]string {
	h := map[string]string{
		"Authorization":    "Bearer " + tok,
		"ApplicationToken": e.sb.Credentials().ApplicationToken.Reveal(),
	}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

// refundHeaders adds a valid DigitalSignature and the idempotency key.
func (e *env) refundHeaders(tok, key string) map[string]string {
	return e.headers(tok, "DigitalSignature", psp.Sign([]byte(tok), e.sb.Credentials().CryptoToken), "X-Idempotency-Key", key)
}

func createBody(ref, extra string) string {
	return `{"amount": 10.50, "externalReference": "` + ref + `", "payer": {"name": "João Silva", "document": "12345678909"}` + extra + `}`
}

// create makes a charge and returns it.
func (e *env) create(tok, ref, extra string) psp.CashIn {
	e.t.Helper()
	return e.do("POST", "/cash-in", e.headers(tok), createBody(ref, extra)).cashIn(e.t, 201)
}

// waitFor polls cond until it holds; the deadline only guards against a hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
