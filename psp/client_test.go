package psp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Sentinel credentials: tests search logs and errors for them.
const (
	testClientID     = "123456"
	testClientSecret = Secret("SENTINEL-CLIENT-SECRET-7f3a")
	testAppToken     = Secret("SENTINEL-APP-TOKEN-91bd")
	testCryptoToken  = Secret("SENTINEL-CRYPTO-TOKEN-c0de")
	accessPrefix     = "SENTINEL-ACCESS-TOKEN-"
)

var testCreds = Credentials{
	ClientID: testClientID, ClientSecret: testClientSecret,
	ApplicationToken: testAppToken, CryptoToken: testCryptoToken,
}

// fakeClock is a settable clock; sleeps advance it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorded is one request the fake server saw.
type recorded struct {
	Method, Path string
	Header       http.Header
	Body         []byte
}

// fakePSP is a minimal ConnectPSP on loopback. /auth/token issues
// accessPrefix+"1", "2", … valid for an hour; tests add the other routes.
type fakePSP struct {
	t     *testing.T
	srv   *httptest.Server
	mux   *http.ServeMux
	clock *fakeClock

	mu     sync.Mutex
	auth   []recorded
	calls  []recorded
	sleeps []time.Duration
	// authHook, when set, answers /auth/token instead of the default.
	authHook func(w http.ResponseWriter, r *http.Request, n int) bool
}

func (f *fakePSP) record(r *http.Request) recorded {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("reading request body: %v", err)
	}
	return recorded{Method: r.Method, Path: r.URL.EscapedPath(), Header: r.Header.Clone(), Body: body}
}

// handle registers a route that records each call before h runs.
func (f *fakePSP) handle(pattern string, h func(w http.ResponseWriter, r *http.Request, n int)) {
	f.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		rec := f.record(r)
		f.mu.Lock()
		f.calls = append(f.calls, rec)
		n := len(f.calls)
		f.mu.Unlock()
		h(w, r, n)
	})
}

func (f *fakePSP) setAuthHook(h func(w http.ResponseWriter, r *http.Request, n int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.authHook = h
}

func (f *fakePSP) authCalls() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.auth...)
}

func (f *fakePSP) apiCalls() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.calls...)
}

func (f *fakePSP) sleepLog() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

// setup starts a fake ConnectPSP and a client with an instant, recorded
// sleep, a fake clock and jitter that always picks the ceiling.
func setup(t *testing.T, opts ...Option) (*Client, *fakePSP) {
	t.Helper()
	f := &fakePSP{t: t, mux: http.NewServeMux(), clock: &fakeClock{t: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)}}
	f.mux.HandleFunc("POST /auth/token", func(w http.ResponseWriter, r *http.Request) {
		rec := f.record(r)
		f.mu.Lock()
		f.auth = append(f.auth, rec)
		n := len(f.auth)
		hook := f.authHook
		f.mu.Unlock()
		if hook != nil && hook(w, r, n) {
			return
		}
		writeJSON(w, 200, fmt.Sprintf(`{"accessToken":%q,"tokenType":"Bearer","expiresIn":3600,"issuedAt":"2026-03-10T14:00:00Z"}`, accessPrefix+fmt.Sprint(n)))
	})
	f.srv = httptest.NewServer(f.mux)
	t.Cleanup(f.srv.Close)
	base := []Option{
		WithHTTPClient(f.srv.Client()),
		WithClock(f.clock.Now),
		WithRand(func(n int64) int64 { return n - 1 }),
		WithSleep(func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.mu.Unlock()
			f.clock.Advance(d)
			return ctx.Err()
		}),
	}
	c, err := NewClient(f.srv.URL, testCreds, append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c, f
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func problem(w http.ResponseWriter, status int, code, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"type":"https://connect-psp.redocly.app/errors/x","title":"T","status":%d,"code":%q,"detail":%q}`, status, code, detail)
}

const cashInJSON = `{"transactionId":"kk6g232xel65a0daee4dd13kk2912714964","internalCode":"US7B1JQ",
"externalReference":"test-order-001","status":"%s","amount":150.5,
"payer":{"name":"Test User","document":"12345678909"},
"pixData":{"copyAndPaste":"00020101021226","qrCodeImageBase64":"iVBORw0KGgo"},
"requestedAt":"2026-03-10T11:20:00-03:00"}`

func cashIn(status Status) string { return fmt.Sprintf(cashInJSON, status) }

var testParams = CreateParams{
	Amount: 1000, ExternalReference: "test-order-001",
	Payer: Payer{Name: "Test User", Document: "12345678909"},
}

func assertHeader(t *testing.T, rec recorded, name, want string) {
	t.Helper()
	if got := rec.Header.Get(name); got != want {
		t.Errorf("%s %s: header %s = %q, want %q", rec.Method, rec.Path, name, got, want)
	}
}

func TestHappyPath(t *testing.T) {
	c, f := setup(t)
	f.handle("POST /cash-in", func(w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 201, cashIn(StatusAwaitingPayment))
	})
	f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 200, cashIn(StatusPaid))
	})
	f.handle("POST /cash-in/{id}/refund", func(w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 202, cashIn(StatusRefunded))
	})
	ctx := context.Background()

	ci, err := c.CreateCashIn(ctx, testParams, "key-create-1")
	if err != nil {
		t.Fatalf("CreateCashIn: %v", err)
	}
	if ci.Amount != 15050 || ci.Status != StatusAwaitingPayment || ci.PixData == nil || ci.PixData.CopyAndPaste != "00020101021226" {
		t.Errorf("CreateCashIn decoded %+v", ci)
	}
	got, err := c.GetCashIn(ctx, ci.InternalCode)
	if err != nil || got.Status != StatusPaid {
		t.Fatalf("GetCashIn = %+v, %v", got, err)
	}
	ref, err := c.RefundCashIn(ctx, ci.TransactionID, RefundCustomerRequest, "cliente desistiu", "key-refund-1")
	if err != nil || ref.Status != StatusRefunded {
		t.Fatalf("RefundCashIn = %+v, %v", ref, err)
	}

	auth := f.authCalls()
	if len(auth) != 1 {
		t.Fatalf("auth calls = %d, want 1 (token cached)", len(auth))
	}
	a := auth[0]
	assertHeader(t, a, "Content-Type", "application/json")
	assertHeader(t, a, "Authorization", "")
	assertHeader(t, a, "ApplicationToken", "")
	var cred map[string]string
	if err := json.Unmarshal(a.Body, &cred); err != nil || cred["clientId"] != testClientID || cred["clientSecret"] != testClientSecret.Reveal() || len(cred) != 2 {
		t.Errorf("auth body = %s (%v)", a.Body, err)
	}

	calls := f.apiCalls()
	if len(calls) != 3 {
		t.Fatalf("api calls = %d, want 3", len(calls))
	}
	access := accessPrefix + "1"
	for _, rec := range calls {
		assertHeader(t, rec, "Authorization", "Bearer "+access)
		assertHeader(t, rec, "ApplicationToken", testAppToken.Reveal())
		if !strings.Contains(rec.Header.Get("Accept"), "application/json") {
			t.Errorf("%s %s: Accept = %q", rec.Method, rec.Path, rec.Header.Get("Accept"))
		}
	}
	create, get, refund := calls[0], calls[1], calls[2]
	assertHeader(t, create, "X-Idempotency-Key", "key-create-1")
	assertHeader(t, create, "Content-Type", "application/json")
	if want := `{"amount":10.00,"externalReference":"test-order-001","payer":{"name":"Test User","document":"12345678909"}}`; string(create.Body) != want {
		t.Errorf("create body = %s, want %s", create.Body, want)
	}
	if get.Method != "GET" || get.Path != "/cash-in/US7B1JQ" || len(get.Body) != 0 {
		t.Errorf("get = %s %s %q", get.Method, get.Path, get.Body)
	}
	assertHeader(t, get, "X-Idempotency-Key", "")
	assertHeader(t, refund, "X-Idempotency-Key", "key-refund-1")
	assertHeader(t, refund, "DigitalSignature", Sign([]byte(access), testCryptoToken))
	if refund.Path != "/cash-in/kk6g232xel65a0daee4dd13kk2912714964/refund" {
		t.Errorf("refund path = %s", refund.Path)
	}
	if want := `{"reason":"CUSTOMER_REQUEST","description":"cliente desistiu"}`; string(refund.Body) != want {
		t.Errorf("refund body = %s, want %s", refund.Body, want)
	}
	if !c.TokenValid() {
		t.Error("TokenValid = false after successful calls")
	}
}

func TestNewClientValidation(t *testing.T) {
	ok := testCreds
	tests := []struct {
		name  string
		url   string
		creds Credentials
		opts  []Option
	}{
		{"ftp scheme", "ftp://api.example", ok, nil},
		{"no host", "https:///cash-in", ok, nil},
		{"userinfo", "https://u:SENTINEL-PW@api.example", ok, nil},
		{"query", "https://api.example/?a=b", ok, nil},
		{"garbage", "://x", ok, nil},
		{"no client id", "https://api.example", Credentials{ClientSecret: "s", ApplicationToken: "a"}, nil},
		{"no secret", "https://api.example", Credentials{ClientID: "1", ApplicationToken: "a"}, nil},
		{"no app token", "https://api.example", Credentials{ClientID: "1", ClientSecret: "s"}, nil},
		{"zero attempts", "https://api.example", ok, []Option{WithRetry(0, time.Second, time.Second, time.Second)}},
		{"cap below base", "https://api.example", ok, []Option{WithRetry(3, time.Second, time.Millisecond, time.Second)}},
		{"zero attempt timeout", "https://api.example", ok, []Option{WithAttemptTimeout(0)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewClient(tt.url, tt.creds, tt.opts...)
			if err == nil {
				t.Fatalf("NewClient = %v, want error", c)
			}
			if strings.Contains(err.Error(), "SENTINEL") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
	c, err := NewClient("https://api.homologacao.connectpsp.com/", ok)
	if err != nil || c.BaseURL() != "https://api.homologacao.connectpsp.com" {
		t.Errorf("NewClient = %v, %v", c, err)
	}
}

func TestRenewsAheadOfExpiry(t *testing.T) {
	c, f := setup(t)
	f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 200, cashIn(StatusPaid))
	})
	get := func() {
		t.Helper()
		if _, err := c.GetCashIn(context.Background(), "US7B1JQ"); err != nil {
			t.Fatalf("GetCashIn: %v", err)
		}
	}
	get()
	f.clock.Advance(3600*time.Second - 61*time.Second)
	get()
	if n := len(f.authCalls()); n != 1 {
		t.Fatalf("auth calls 61 s before expiry = %d, want 1", n)
	}
	f.clock.Advance(2 * time.Second)
	get()
	if n := len(f.authCalls()); n != 2 {
		t.Fatalf("auth calls 59 s before expiry = %d, want 2", n)
	}
	if last := f.apiCalls()[2]; last.Header.Get("Authorization") != "Bearer "+accessPrefix+"2" {
		t.Errorf("renewed call used %q", last.Header.Get("Authorization"))
	}
}

func TestConcurrentRenewalIsShared(t *testing.T) {
	const callers = 50
	var waiting sync.WaitGroup
	waiting.Add(callers)
	c, f := setup(t)
	f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, _ int) {
		writeJSON(w, 200, cashIn(StatusPaid))
	})
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	f.clock.Advance(2 * time.Hour) // the cached token has expired
	allWaiting := make(chan struct{})
	go func() { waiting.Wait(); close(allWaiting) }()
	f.setAuthHook(func(w http.ResponseWriter, r *http.Request, n int) bool {
		// Hold the renewal until every caller is waiting for a token, so
		// all 50 overlap. The timer only prevents a hang if one never asks.
		select {
		case <-allWaiting:
		case <-time.After(10 * time.Second):
		}
		return false
	})
	var once sync.Map
	errs := make(chan error, callers)
	for i := range callers {
		go func() {
			ctx := WithProgress(context.Background(), func(p Progress) {
				if p.Stage == StageAuthenticating {
					if _, dup := once.LoadOrStore(i, true); !dup {
						waiting.Done()
					}
				}
			})
			_, err := c.GetCashIn(ctx, fmt.Sprint("id-", i))
			errs <- err
		}()
	}
	for range callers {
		if err := <-errs; err != nil {
			t.Errorf("GetCashIn: %v", err)
		}
	}
	if n := len(f.authCalls()); n != 2 {
		t.Errorf("auth calls = %d, want 2 (the Ping and ONE shared renewal)", n)
	}
	for _, rec := range f.apiCalls() {
		assertHeader(t, rec, "Authorization", "Bearer "+accessPrefix+"2")
	}
}

func TestTokenExpiredReplayedOnce(t *testing.T) {
	c, f := setup(t)
	f.handle("POST /cash-in/{id}/refund", func(w http.ResponseWriter, r *http.Request, _ int) {
		if r.Header.Get("Authorization") == "Bearer "+accessPrefix+"1" {
			problem(w, 401, CodeTokenExpired, "token expired")
			return
		}
		writeJSON(w, 202, cashIn(StatusRefunded))
	})
	if _, err := c.RefundCashIn(context.Background(), "tx1", RefundFraud, "", "key-r"); err != nil {
		t.Fatalf("RefundCashIn: %v", err)
	}
	calls := f.apiCalls()
	if len(calls) != 2 || len(f.authCalls()) != 2 {
		t.Fatalf("calls = %d, auth = %d; want 2 and 2", len(calls), len(f.authCalls()))
	}
	for i, rec := range calls {
		access := accessPrefix + fmt.Sprint(i+1)
		assertHeader(t, rec, "X-Idempotency-Key", "key-r")
		assertHeader(t, rec, "DigitalSignature", Sign([]byte(access), testCryptoToken))
		if !bytes.Equal(rec.Body, calls[0].Body) {
			t.Errorf("replay body %s differs from %s", rec.Body, calls[0].Body)
		}
	}
	if s := f.sleepLog(); len(s) != 0 {
		t.Errorf("replay waited %v, want no wait", s)
	}
}

func TestTokenExpiredTwiceFails(t *testing.T) {
	c, f := setup(t)
	f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, _ int) {
		problem(w, 401, CodeTokenExpired, "token expired")
	})
	_, err := c.GetCashIn(context.Background(), "tx1")
	var pe *Error
	if !errors.As(err, &pe) || pe.Code != CodeTokenExpired {
		t.Fatalf("err = %v, want TOKEN_EXPIRED", err)
	}
	if n := len(f.apiCalls()); n != 2 {
		t.Errorf("calls = %d, want 2 (one replay only)", n)
	}
	if c.TokenValid() {
		t.Error("an expired token is still cached")
	}
}

func TestInvalidCredentialsNotRetried(t *testing.T) {
	c, f := setup(t)
	f.setAuthHook(func(w http.ResponseWriter, r *http.Request, n int) bool {
		problem(w, 401, CodeInvalidCredentials, "bad credentials")
		return true
	})
	f.handle("POST /cash-in", func(w http.ResponseWriter, r *http.Request, _ int) {
		t.Error("cash-in reached without a token")
	})
	_, err := c.CreateCashIn(context.Background(), testParams, "k1")
	var pe *Error
	if !errors.As(err, &pe) || pe.Status != 401 || pe.Code != CodeInvalidCredentials {
		t.Fatalf("err = %v, want 401 INVALID_CREDENTIALS", err)
	}
	if IsTemporary(err) {
		t.Error("IsTemporary(INVALID_CREDENTIALS) = true")
	}
	if n := len(f.authCalls()); n != 1 {
		t.Errorf("auth calls = %d, want 1", n)
	}
	if err := c.Ping(context.Background()); err == nil || c.TokenValid() {
		t.Errorf("Ping = %v, TokenValid = %v; want error and false", err, c.TokenValid())
	}
}

func TestPingAndTokenValid(t *testing.T) {
	c, f := setup(t)
	if c.TokenValid() {
		t.Fatal("TokenValid before any token")
	}
	var stages []Stage
	ctx := WithProgress(context.Background(), func(p Progress) { stages = append(stages, p.Stage) })
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if !c.TokenValid() {
		t.Error("TokenValid = false after Ping")
	}
	if fmt.Sprint(stages) != "[authenticating done]" {
		t.Errorf("stages = %v", stages)
	}
	f.clock.Advance(time.Hour)
	if c.TokenValid() {
		t.Error("TokenValid = true after expiry")
	}
	f.srv.Close()
	err := c.Ping(context.Background())
	if err == nil || !IsTemporary(err) {
		t.Errorf("Ping with the server down = %v, want a temporary error", err)
	}
}
