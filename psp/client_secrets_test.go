package psp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the log handler and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// echo answers with everything the request carried: headers and body.
func echo(r *http.Request) string {
	body, _ := io.ReadAll(r.Body)
	var b strings.Builder
	for k, v := range r.Header {
		fmt.Fprintf(&b, "%s=%s;", k, strings.Join(v, ","))
	}
	b.Write(body)
	return b.String()
}

func TestSecretsNeverLeak(t *testing.T) {
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, f := setup(t, WithLogger(logger), WithRetry(2, time.Millisecond, time.Millisecond, time.Second))
	f.handle("POST /cash-in", func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			writeJSON(w, 201, cashIn(StatusAwaitingPayment))
			return
		}
		problem(w, 400, CodeValidation, echo(r)) // a server echoing the request
	})
	f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, _ int) {
		w.WriteHeader(500)
		io.WriteString(w, "panic: "+echo(r)) // not JSON
	})
	f.handle("POST /cash-in/{id}/refund", func(w http.ResponseWriter, r *http.Request, _ int) {
		problem(w, 422, CodeInvalidSignature, echo(r))
	})
	ctx := context.Background()
	var errs []error
	keep := func(_ any, err error) {
		if err == nil {
			t.Error("expected an error")
			return
		}
		errs = append(errs, err)
	}
	if _, err := c.CreateCashIn(ctx, testParams, "k1"); err != nil {
		t.Fatalf("CreateCashIn: %v", err)
	}
	keep(c.CreateCashIn(ctx, testParams, "k2"))
	keep(c.GetCashIn(ctx, "tx1"))
	keep(c.RefundCashIn(ctx, "tx1", RefundFraud, "", "k3"))

	// Wrong credentials, echoed back by the token endpoint.
	f.setAuthHook(func(w http.ResponseWriter, r *http.Request, _ int) bool {
		problem(w, 401, CodeInvalidCredentials, echo(r))
		return true
	})
	keep(nil, c.Ping(ctx))
	f.srv.Close()
	keep(nil, c.Ping(ctx))

	if len(f.authCalls()) == 0 || !strings.Contains(logs.String(), `"path":"/cash-in"`) {
		t.Fatal("the scenario did not run: no requests logged")
	}
	sentinels := []string{testClientSecret.Reveal(), testAppToken.Reveal(), testCryptoToken.Reveal(),
		accessPrefix, Sign([]byte(accessPrefix+"1"), testCryptoToken)}
	var texts []string
	for _, err := range errs {
		texts = append(texts, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		var pe *Error
		if errors.As(err, &pe) {
			texts = append(texts, fmt.Sprintf("%#v", *pe))
		}
	}
	texts = append(texts, logs.String(), fmt.Sprintf("%v %+v %#v", c, c, c), fmt.Sprintf("%+v %#v", testCreds, testCreds))
	for _, text := range texts {
		for _, s := range sentinels {
			if strings.Contains(text, s) {
				t.Errorf("secret %.12q… leaked in %q", s, text)
			}
		}
	}
	if !strings.Contains(logs.String(), `"externalReference":"test-order-001"`) {
		t.Error("logs lack externalReference")
	}
	if strings.Contains(logs.String(), "12345678909") {
		t.Error("logs contain the payer's document")
	}
}

func TestValidationSendsNothing(t *testing.T) {
	c, f := setup(t)
	noCrypto := testCreds
	noCrypto.CryptoToken = ""
	c2, err := NewClient(f.srv.URL, noCrypto, WithHTTPClient(f.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	bad := testParams
	bad.Amount = 0
	noRef := testParams
	noRef.ExternalReference = ""
	tests := []struct {
		name string
		err  error
	}{
		{"create without key", second(c.CreateCashIn(ctx, testParams, ""))},
		{"create with blank key", second(c.CreateCashIn(ctx, testParams, "  "))},
		{"create zero amount", second(c.CreateCashIn(ctx, bad, "k"))},
		{"create without reference", second(c.CreateCashIn(ctx, noRef, "k"))},
		{"get empty id", second(c.GetCashIn(ctx, ""))},
		{"get dot-dot", second(c.GetCashIn(ctx, ".."))},
		{"refund without key", second(c.RefundCashIn(ctx, "tx1", RefundFraud, "", ""))},
		{"refund bad reason", second(c.RefundCashIn(ctx, "tx1", "BECAUSE", "", "k"))},
		{"refund without id", second(c.RefundCashIn(ctx, "", RefundFraud, "", "k"))},
		{"refund without crypto token", second(c2.RefundCashIn(ctx, "tx1", RefundFraud, "", "k"))},
	}
	for _, tt := range tests {
		if tt.err == nil || IsTemporary(tt.err) {
			t.Errorf("%s: err = %v, want a permanent error", tt.name, tt.err)
		}
	}
	if a, n := len(f.authCalls()), len(f.apiCalls()); a+n != 0 {
		t.Errorf("requests sent: %d auth, %d api; want none", a, n)
	}
}

func second(_ *CashIn, err error) error { return err }

func TestGetEscapesID(t *testing.T) {
	c, f := setup(t)
	var got atomic.Value
	f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, _ int) {
		got.Store(r.PathValue("id"))
		writeJSON(w, 200, cashIn(StatusPaid))
	})
	if _, err := c.GetCashIn(context.Background(), "a/b c?d#e"); err != nil {
		t.Fatalf("GetCashIn: %v", err)
	}
	if id, _ := got.Load().(string); id != "a/b c?d#e" {
		t.Errorf("server saw id %q", id)
	}
	if p := f.apiCalls()[0].Path; p != "/cash-in/a%2Fb%20c%3Fd%23e" {
		t.Errorf("path = %s", p)
	}
}

func TestBadSuccessBodiesNotRetried(t *testing.T) {
	tests := map[string]string{
		"too large":    `{"transactionId":"` + strings.Repeat("x", maxResponseBody) + `"}`,
		"not json":     `<html>ok</html>`,
		"float amount": `{"transactionId":"t","amount":10.001}`,
	}
	for name, body := range tests {
		t.Run(name, func(t *testing.T) {
			c, f := setup(t)
			f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, _ int) {
				writeJSON(w, 200, body)
			})
			if _, err := c.GetCashIn(context.Background(), "t"); err == nil || IsTemporary(err) {
				t.Errorf("err = %v, want a permanent error", err)
			}
			if n := len(f.apiCalls()); n != 1 {
				t.Errorf("calls = %d, want 1", n)
			}
		})
	}
}

func TestAttemptTimeoutRetriedWithSameKey(t *testing.T) {
	c, f := setup(t, WithAttemptTimeout(50*time.Millisecond))
	f.handle("POST /cash-in", func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			<-r.Context().Done() // never answers; the client gives up on this attempt
			return
		}
		writeJSON(w, 201, cashIn(StatusAwaitingPayment))
	})
	if _, err := c.CreateCashIn(context.Background(), testParams, "key-t"); err != nil {
		t.Fatalf("CreateCashIn: %v", err)
	}
	calls := f.apiCalls()
	if len(calls) != 2 {
		t.Fatalf("calls = %d, want 2", len(calls))
	}
	assertSameRequest(t, calls, "key-t")
}

func TestRedirectNotFollowed(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("ApplicationToken") != "")
	}))
	defer other.Close()
	c, f := setup(t)
	f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	})
	_, err := c.GetCashIn(context.Background(), "t")
	var pe *Error
	if !errors.As(err, &pe) || pe.Status != http.StatusTemporaryRedirect {
		t.Errorf("err = %v, want a 307 *Error", err)
	}
	if leaked.Load() {
		t.Error("the redirect was followed with the application token")
	}
}
