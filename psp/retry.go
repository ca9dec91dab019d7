package psp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retry defaults: six attempts, waits from 200 ms doubling up to 5 s, all
// within 30 s; each attempt gets 10 s.
const (
	defaultMaxAttempts    = 6
	defaultBaseWait       = 200 * time.Millisecond
	defaultMaxWait        = 5 * time.Second
	defaultOverall        = 30 * time.Second
	defaultAttemptTimeout = 10 * time.Second
)

// retryPolicy is how often and how long the client retries one call.
type retryPolicy struct {
	maxAttempts int
	base        time.Duration
	maxWait     time.Duration
	overall     time.Duration
	rand        func(n int64) int64
}

// backoff returns the wait after the given failed attempt (1-based): full
// jitter, a uniform pick in [0, min(maxWait, base·2^(attempt-1))].
func (p retryPolicy) backoff(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	ceiling := p.maxWait
	if shift := attempt - 1; shift < 62 && p.base <= p.maxWait>>shift {
		ceiling = p.base << shift
	}
	if ceiling <= 0 {
		return 0
	}
	d := time.Duration(p.rand(int64(ceiling) + 1))
	return min(max(d, 0), ceiling)
}

// randInt64N is the default jitter source.
func randInt64N(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return rand.Int64N(n)
}

// transportError marks a failure to exchange bytes with ConnectPSP (dial,
// write, read, per-attempt timeout): the request may or may not have arrived.
type transportError struct{ err error }

func (e *transportError) Error() string { return "connectpsp: " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// temporaryError is returned when retries ran out on a retryable failure.
type temporaryError struct {
	attempts int
	err      error
}

func (e *temporaryError) Error() string {
	return fmt.Sprintf("connectpsp: gave up after %d attempt(s): %v", e.attempts, e.err)
}
func (e *temporaryError) Unwrap() error { return e.err }

// shouldRetry decides whether a failed attempt is worth repeating with the
// same idempotency key and body, and says why. A transport error decides
// first; otherwise the status does (of resp, or of an *Error from the token
// endpoint). Only network failures, timeouts, 5xx and 429 are retried.
func shouldRetry(resp *http.Response, err error) (bool, string) {
	status := 0
	var pe *Error
	switch {
	case err != nil && errors.As(err, &pe):
		status = pe.Status
	case err != nil:
		switch {
		case errors.Is(err, context.Canceled):
			return false, "canceled"
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			return true, "timeout"
		}
		var te *transportError
		if errors.As(err, &te) {
			return true, "network error"
		}
		return false, "not retryable"
	case resp != nil:
		status = resp.StatusCode
	default:
		return false, "no response"
	}
	switch {
	case status == http.StatusTooManyRequests:
		return true, "rate limited (429)"
	case status >= 500:
		return true, fmt.Sprintf("server error (%d)", status)
	case status >= 200 && status < 300:
		return false, "success"
	default:
		return false, fmt.Sprintf("status %d is not retryable", status)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retryAfter reads a Retry-After header (delay in seconds or an HTTP date,
// measured against now). A date in the past gives zero.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// Sleep waits for d or until ctx ends, whichever is first: nil when d ran
// out, ctx.Err() when ctx ended. It is pixdesk's one wait that a
// cancellation cuts short (time.Sleep ignores it): the client's retries,
// the engine's loops and the sandbox all wait through it.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// IsTemporary reports whether err leaves the outcome unknown or transient:
// a network failure, a timeout, or 5xx/429 after the retries ran out. The
// request MAY have reached ConnectPSP, so try again later with the same
// idempotency key. A cancellation the caller asked for is not temporary.
func IsTemporary(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var (
		tmp *temporaryError
		te  *transportError
		pe  *Error
		ne  net.Error
	)
	switch {
	case errors.As(err, &tmp), errors.As(err, &te):
		return true
	case errors.As(err, &pe):
		return pe.Temporary()
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne),
		errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	return false
}
