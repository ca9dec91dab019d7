package psp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestShouldRetry(t *testing.T) {
	status := func(code int) *http.Response { return &http.Response{StatusCode: code, Header: http.Header{}} }
	netErr := &transportError{err: &url.Error{Op: "Post", URL: "http://127.0.0.1/cash-in", Err: io.EOF}}
	timeout := &transportError{err: &url.Error{Op: "Post", URL: "http://127.0.0.1/cash-in", Err: context.DeadlineExceeded}}
	canceled := &transportError{err: &url.Error{Op: "Post", URL: "http://127.0.0.1/cash-in", Err: context.Canceled}}
	dialTimeout := &transportError{err: &net.OpError{Op: "dial", Err: timeoutErr{}}}
	tests := []struct {
		name string
		resp *http.Response
		err  error
		want bool
	}{
		{"network error", nil, netErr, true},
		{"attempt timeout", nil, timeout, true},
		{"dial timeout", nil, dialTimeout, true},
		{"canceled", nil, canceled, false},
		{"bare deadline", nil, context.DeadlineExceeded, true},
		{"read error after 201", status(201), &transportError{err: io.ErrUnexpectedEOF}, true},
		{"decode error after 201", status(201), errors.New("psp: decoding"), false},
		{"token endpoint 503", nil, &Error{Status: 503}, true},
		{"token endpoint 401", nil, &Error{Status: 401, Code: CodeInvalidCredentials}, false},
		{"500", status(500), &Error{Status: 500}, true},
		{"502", status(502), nil, true},
		{"503", status(503), nil, true},
		{"504", status(504), nil, true},
		{"429", status(429), &Error{Status: 429}, true},
		{"400", status(400), &Error{Status: 400}, false},
		{"401", status(401), &Error{Status: 401}, false},
		{"403", status(403), nil, false},
		{"404", status(404), nil, false},
		{"409", status(409), nil, false},
		{"422", status(422), nil, false},
		{"200", status(200), nil, false},
		{"307", status(307), nil, false},
		{"nothing", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := shouldRetry(tt.resp, tt.err)
			if got != tt.want || reason == "" {
				t.Errorf("shouldRetry = %v, %q; want %v", got, reason, tt.want)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestBackoff(t *testing.T) {
	top := retryPolicy{base: 200 * time.Millisecond, maxWait: 5 * time.Second, rand: func(n int64) int64 { return n - 1 }}
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
		1600 * time.Millisecond, 3200 * time.Millisecond, 5 * time.Second, 5 * time.Second}
	for i, w := range want {
		if got := top.backoff(i + 1); got != w {
			t.Errorf("backoff(%d) at ceiling = %v, want %v", i+1, got, w)
		}
	}
	for _, attempt := range []int{0, -1, 63, 64, 1000} {
		if got := top.backoff(attempt); got < 0 || got > 5*time.Second {
			t.Errorf("backoff(%d) = %v, out of [0, 5s]", attempt, got)
		}
	}
	bottom := top
	bottom.rand = func(int64) int64 { return 0 }
	if got := bottom.backoff(4); got != 0 {
		t.Errorf("backoff with zero jitter = %v, want 0", got)
	}
	wild := top
	wild.rand = func(n int64) int64 { return n * 3 } // a broken source stays in range
	if got := wild.backoff(2); got != 400*time.Millisecond {
		t.Errorf("backoff with out-of-range jitter = %v", got)
	}
	real := top
	real.rand = randInt64N
	for attempt := 1; attempt < 10; attempt++ {
		ceiling := min(top.base<<(attempt-1), top.maxWait)
		if got := real.backoff(attempt); got < 0 || got > ceiling {
			t.Errorf("backoff(%d) = %v, out of [0, %v]", attempt, got, ceiling)
		}
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"", 0, false},
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{now.Add(12 * time.Second).Format(http.TimeFormat), 12 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"99999999999", 24 * time.Hour, true},
	}
	for _, tt := range tests {
		resp := &http.Response{Header: http.Header{}}
		if tt.value != "" {
			resp.Header.Set("Retry-After", tt.value)
		}
		got, ok := retryAfter(resp, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := retryAfter(nil, now); ok {
		t.Error("retryAfter(nil) ok")
	}
}

func TestIsTemporary(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"exhausted 503", &temporaryError{attempts: 6, err: &Error{Status: 503}}, true},
		{"transport", &transportError{err: io.EOF}, true},
		{"wrapped transport", fmt.Errorf("create: %w", &transportError{err: io.EOF}), true},
		{"deadline", context.DeadlineExceeded, true},
		{"canceled", context.Canceled, false},
		{"canceled transport", &transportError{err: context.Canceled}, false},
		{"500", &Error{Status: 500}, true},
		{"429", &Error{Status: 429}, true},
		{"409", &Error{Status: 409}, false},
		{"422", &Error{Status: 422, Code: CodeCashInNotPaid}, false},
		{"validation", errors.New("psp: idempotency key is required"), false},
	}
	for _, tt := range tests {
		if got := IsTemporary(tt.err); got != tt.want {
			t.Errorf("IsTemporary(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSleepEndsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep(canceled, 1h) = %v", err)
	}
	if err := Sleep(context.Background(), time.Microsecond); err != nil {
		t.Errorf("Sleep(1µs) = %v", err)
	}
}

// assertSameRequest checks that every call carried the same key and body.
func assertSameRequest(t *testing.T, calls []recorded, key string) {
	t.Helper()
	for i, rec := range calls {
		assertHeader(t, rec, "X-Idempotency-Key", key)
		if !bytes.Equal(rec.Body, calls[0].Body) {
			t.Errorf("call %d body %q differs from %q", i, rec.Body, calls[0].Body)
		}
	}
}

func TestRetriesCarrySameKeyAndBody(t *testing.T) {
	c, f := setup(t)
	f.handle("POST /cash-in", func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= 2 {
			problem(w, 500, CodeInternal, "boom")
			return
		}
		writeJSON(w, 201, cashIn(StatusAwaitingPayment))
	})
	var trail []string
	ctx := WithProgress(context.Background(), func(p Progress) {
		trail = append(trail, fmt.Sprintf("%s/%d/%v", p.Stage, p.Attempt, p.Wait))
	})
	if _, err := c.CreateCashIn(ctx, testParams, "key-same"); err != nil {
		t.Fatalf("CreateCashIn: %v", err)
	}
	calls := f.apiCalls()
	if len(calls) != 3 {
		t.Fatalf("calls = %d, want 3", len(calls))
	}
	assertSameRequest(t, calls, "key-same")
	if got, want := fmt.Sprint(f.sleepLog()), "[200ms 400ms]"; got != want {
		t.Errorf("sleeps = %s, want %s", got, want)
	}
	want := "[authenticating/0/0s sending/1/0s retrying/2/200ms sending/2/0s retrying/3/400ms sending/3/0s done/0/0s]"
	if got := fmt.Sprint(trail); got != want {
		t.Errorf("progress = %s\nwant       %s", got, want)
	}
}

func TestDroppedResponseRetriedWithSameKey(t *testing.T) {
	// With keep-alive, net/http itself may replay the request on a new
	// connection (it does so for requests with X-Idempotency-Key); without,
	// the client's own loop must. Both must reuse the key and body.
	for _, keepAlive := range []bool{true, false} {
		t.Run(fmt.Sprint("keepAlive=", keepAlive), func(t *testing.T) {
			tr := &http.Transport{DisableKeepAlives: !keepAlive}
			defer tr.CloseIdleConnections()
			c, f := setup(t)
			c.hc.Transport = tr
			f.handle("POST /cash-in", func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 { // committed, then the answer is lost
					conn, _, err := http.NewResponseController(w).Hijack()
					if err != nil {
						t.Errorf("hijack: %v", err)
						return
					}
					conn.Close()
					return
				}
				writeJSON(w, 201, cashIn(StatusAwaitingPayment))
			})
			ci, err := c.CreateCashIn(context.Background(), testParams, "key-drop")
			if err != nil || ci.InternalCode != "US7B1JQ" {
				t.Fatalf("CreateCashIn = %+v, %v", ci, err)
			}
			calls := f.apiCalls()
			if len(calls) != 2 {
				t.Fatalf("calls = %d, want 2", len(calls))
			}
			assertSameRequest(t, calls, "key-drop")
			if n := len(f.sleepLog()); !keepAlive && n != 1 {
				t.Errorf("client retries = %d, want 1", n)
			}
		})
	}
}

func TestClientErrorsNotRetried(t *testing.T) {
	tests := []struct {
		status int
		code   string
		is     error
	}{
		{400, CodeValidation, nil},
		{401, CodeInvalidApplicationToken, nil},
		{403, "FORBIDDEN", nil},
		{404, CodeNotFound, ErrNotFound},
		{409, CodeDuplicateReference, ErrDuplicateReference},
		{422, CodeDuplicateReference, ErrDuplicateReference},
		{422, CodeIdempotencyMismatch, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, tt.code), func(t *testing.T) {
			c, f := setup(t)
			f.handle("POST /cash-in", func(w http.ResponseWriter, r *http.Request, _ int) {
				problem(w, tt.status, tt.code, "nope")
			})
			_, err := c.CreateCashIn(context.Background(), testParams, "k")
			var pe *Error
			if !errors.As(err, &pe) || pe.Status != tt.status || pe.Code != tt.code || pe.Detail != "nope" {
				t.Fatalf("err = %v, want %d %s", err, tt.status, tt.code)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if IsTemporary(err) {
				t.Errorf("IsTemporary(%v) = true", err)
			}
			if n := len(f.apiCalls()); n != 1 {
				t.Errorf("calls = %d, want 1", n)
			}
		})
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	c, f := setup(t)
	first := f.clock.Now()
	f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, n int) {
		switch n {
		case 1:
			w.Header().Set("Retry-After", "7")
			problem(w, 429, "RATE_LIMITED", "slow down")
		case 2:
			w.Header().Set("Retry-After", first.Add(7*time.Second+12*time.Second).Format(http.TimeFormat))
			problem(w, 503, CodeInternal, "maintenance")
		default:
			writeJSON(w, 200, cashIn(StatusPaid))
		}
	})
	if _, err := c.GetCashIn(context.Background(), "tx1"); err != nil {
		t.Fatalf("GetCashIn: %v", err)
	}
	if got, want := fmt.Sprint(f.sleepLog()), "[7s 12s]"; got != want {
		t.Errorf("sleeps = %s, want %s", got, want)
	}
}

func TestRetryAfterBeyondDeadlineGivesUp(t *testing.T) {
	c, f := setup(t)
	f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Retry-After", "120")
		problem(w, 429, "RATE_LIMITED", "slow down")
	})
	_, err := c.GetCashIn(context.Background(), "tx1")
	if !IsTemporary(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
	if n, s := len(f.apiCalls()), f.sleepLog(); n != 1 || len(s) != 0 {
		t.Errorf("calls = %d, sleeps = %v; want 1 call and no wait past the deadline", n, s)
	}
}

func TestRetriesExhausted(t *testing.T) {
	c, f := setup(t, WithRetry(4, 100*time.Millisecond, time.Second, time.Minute))
	f.handle("POST /cash-in", func(w http.ResponseWriter, r *http.Request, _ int) {
		problem(w, 503, CodeInternal, "down")
	})
	_, err := c.CreateCashIn(context.Background(), testParams, "key-x")
	var pe *Error
	if !IsTemporary(err) || !errors.As(err, &pe) || pe.Status != 503 {
		t.Fatalf("err = %v, want a temporary 503", err)
	}
	if !strings.Contains(err.Error(), "4 attempt") {
		t.Errorf("err = %q, want the attempt count", err)
	}
	calls := f.apiCalls()
	if len(calls) != 4 {
		t.Errorf("calls = %d, want 4", len(calls))
	}
	assertSameRequest(t, calls, "key-x")
}

func TestOverallDeadlineStopsRetries(t *testing.T) {
	// Waits at the ceiling are 1s, 2s, 4s; the third would end after 5s.
	c, f := setup(t, WithRetry(10, time.Second, 8*time.Second, 5*time.Second))
	f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, _ int) {
		problem(w, 500, CodeInternal, "down")
	})
	_, err := c.GetCashIn(context.Background(), "tx1")
	if !IsTemporary(err) {
		t.Fatalf("err = %v, want temporary", err)
	}
	if n, s := len(f.apiCalls()), fmt.Sprint(f.sleepLog()); n != 3 || s != "[1s 2s]" {
		t.Errorf("calls = %d, sleeps = %s; want 3 and [1s 2s]", n, s)
	}
}

func TestCancelDuringBackoffReturnsAtOnce(t *testing.T) {
	// The real sleep, with an hour's wait: only cancellation can end it.
	c, f := setup(t, WithSleep(Sleep), WithRetry(3, time.Hour, time.Hour, 24*time.Hour))
	f.handle("POST /cash-in", func(w http.ResponseWriter, r *http.Request, _ int) {
		problem(w, 500, CodeInternal, "down")
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx = WithProgress(ctx, func(p Progress) {
		if p.Stage == StageRetrying {
			cancel()
		}
	})
	done := make(chan error, 1)
	go func() {
		_, err := c.CreateCashIn(ctx, testParams, "k")
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || IsTemporary(err) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second): // a guard against hanging, not a timing assertion
		t.Fatal("CreateCashIn kept waiting after cancellation")
	}
	if n := len(f.apiCalls()); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

func TestNonJSONBadGateway(t *testing.T) {
	c, f := setup(t, WithRetry(2, time.Millisecond, time.Millisecond, time.Second))
	page := "<html><head><title>502 Bad Gateway</title></head><body>" + strings.Repeat("nginx ", 100) + "</body></html>"
	f.handle("GET /cash-in/{id}", func(w http.ResponseWriter, r *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		io.WriteString(w, page)
	})
	_, err := c.GetCashIn(context.Background(), "tx1")
	var pe *Error
	if !errors.As(err, &pe) || pe.Status != 502 {
		t.Fatalf("err = %v, want *Error 502", err)
	}
	if !strings.HasPrefix(pe.Body, "<html><head><title>502 Bad Gateway") || len(pe.Body) > 210 {
		t.Errorf("Body = %q (%d bytes), want the start of the page", pe.Body, len(pe.Body))
	}
	if msg := err.Error(); !strings.Contains(msg, "502") || !strings.Contains(msg, "Bad Gateway") {
		t.Errorf("err = %q, want status and page start", msg)
	}
	if !IsTemporary(err) {
		t.Error("IsTemporary(502) = false")
	}
}
