package psp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// maxResponseBody caps every response body the client reads; maxErrorSnippet
// is how much of a non-JSON error body an *Error keeps.
const (
	maxResponseBody = 1 << 20
	maxErrorSnippet = 200
)

// Client talks to the ConnectPSP API: it keeps one access token, renews it
// ahead of expiry, and retries what is safe to retry with the same
// idempotency key and body. It is safe for concurrent use.
type Client struct {
	base           string // scheme://host[/prefix], no trailing slash
	creds          Credentials
	hc             *http.Client
	log            *slog.Logger
	retry          retryPolicy
	attemptTimeout time.Duration
	sleep          func(ctx context.Context, d time.Duration) error
	now            func() time.Time

	mu     sync.Mutex
	tok    *token       // cached token, nil when none
	flight *tokenFlight // renewal in progress, nil when none
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send through hc. The client works on a
// copy that does not follow redirects, so headers never reach another host.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithLogger sets where request summaries go (at Debug). Bodies, documents
// and secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) {
		if l != nil {
			c.log = l
		}
	}
}

// WithRetry sets the retry policy: at most maxAttempts attempts per call,
// full-jitter exponential waits starting at base and capped at maxWait, and
// no wait that would end after overall has passed since the call began (an
// attempt already started may still run its attempt timeout). A Retry-After
// longer than what is left of overall ends the call with a temporary error.
func WithRetry(maxAttempts int, base, maxWait, overall time.Duration) Option {
	return func(c *Client) {
		c.retry.maxAttempts, c.retry.base, c.retry.maxWait, c.retry.overall = maxAttempts, base, maxWait, overall
	}
}

// WithAttemptTimeout bounds each HTTP exchange, the response body included.
func WithAttemptTimeout(d time.Duration) Option {
	return func(c *Client) { c.attemptTimeout = d }
}

// WithSleep replaces the wait between attempts. It must return ctx.Err() at
// once when ctx ends.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) {
		if sleep != nil {
			c.sleep = sleep
		}
	}
}

// WithClock replaces time.Now for token expiry, Retry-After dates and the
// overall retry deadline.
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// WithRand replaces the jitter source: rand(n) must return a value in
// [0, n) and be safe for concurrent use.
func WithRand(rand func(n int64) int64) Option {
	return func(c *Client) {
		if rand != nil {
			c.retry.rand = rand
		}
	}
}

// NewClient returns a client for the ConnectPSP API at baseURL (for example
// https://api.homologacao.connectpsp.com). ClientID, ClientSecret and
// ApplicationToken are required; CryptoToken is needed only for refunds.
func NewClient(baseURL string, creds Credentials, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	switch {
	case err != nil:
		// url.Parse errors quote the whole URL, which may hold a password.
		return nil, errors.New("psp: base url is not a valid url")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("psp: base url must be http or https")
	case u.Host == "":
		return nil, errors.New("psp: base url has no host")
	case u.User != nil:
		return nil, errors.New("psp: base url must not carry credentials")
	case u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return nil, errors.New("psp: base url must not have a query or fragment")
	case creds.ClientID == "":
		return nil, errors.New("psp: client id is required")
	case creds.ClientSecret == "":
		return nil, errors.New("psp: client secret is required")
	case creds.ApplicationToken == "":
		return nil, errors.New("psp: application token is required")
	}
	c := &Client{
		base:  u.Scheme + "://" + u.Host + strings.TrimRight(u.EscapedPath(), "/"),
		creds: creds,
		hc:    &http.Client{Transport: http.DefaultTransport},
		log:   slog.New(slog.DiscardHandler),
		retry: retryPolicy{
			maxAttempts: defaultMaxAttempts, base: defaultBaseWait,
			maxWait: defaultMaxWait, overall: defaultOverall, rand: randInt64N,
		},
		attemptTimeout: defaultAttemptTimeout,
		sleep:          Sleep,
		now:            time.Now,
	}
	for _, o := range opts {
		if o != nil {
			o(c)
		}
	}
	r := c.retry
	if r.maxAttempts < 1 || r.base <= 0 || r.maxWait < r.base || r.overall <= 0 {
		return nil, errors.New("psp: invalid retry policy")
	}
	if c.attemptTimeout <= 0 {
		return nil, errors.New("psp: attempt timeout must be positive")
	}
	hc := *c.hc
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &hc
	return c, nil
}

// String describes the client without its credentials, so printing or
// logging a *Client never reveals them.
func (c *Client) String() string { return "psp.Client(" + c.base + ")" }

// GoString implements fmt.GoStringer like String.
func (c *Client) GoString() string { return c.String() }

// CloseIdleConnections closes the client's kept-alive connections, which
// would otherwise outlive its owner's shutdown.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

// BaseURL returns the API address the client talks to.
func (c *Client) BaseURL() string { return c.base }

// CreateCashIn creates a PIX charge (POST /cash-in, 201). idempotencyKey is
// required and must be stored with the intent before calling: every retry,
// here or later after IsTemporary, must reuse it with the same params.
func (c *Client) CreateCashIn(ctx context.Context, p CreateParams, idempotencyKey string) (*CashIn, error) {
	switch {
	case strings.TrimSpace(idempotencyKey) == "":
		return nil, errors.New("psp: idempotency key is required")
	case p.ExternalReference == "":
		return nil, errors.New("psp: external reference is required")
	case p.Amount <= 0:
		return nil, errors.New("psp: amount must be positive")
	}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("psp: encoding cash-in: %w", err)
	}
	var out CashIn
	rq := &call{method: http.MethodPost, path: "/cash-in", body: body, key: idempotencyKey,
		want: http.StatusCreated, ref: p.ExternalReference}
	if err := c.do(ctx, rq, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// GetCashIn fetches a charge by transactionId, internalCode or endToEndId
// (GET /cash-in/{id}, 200). An unknown id matches ErrNotFound.
func (c *Client) GetCashIn(ctx context.Context, id string) (*CashIn, error) {
	seg, err := PathSegment(id)
	if err != nil {
		return nil, err
	}
	var out CashIn
	rq := &call{method: http.MethodGet, path: "/cash-in/" + seg, want: http.StatusOK}
	if err := c.do(ctx, rq, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RefundCashIn returns a paid charge in full (POST /cash-in/{id}/refund,
// 202), signing the request with the credentials' CryptoToken.
func (c *Client) RefundCashIn(ctx context.Context, id string, reason RefundReason, description, idempotencyKey string) (*CashIn, error) {
	seg, err := PathSegment(id)
	switch {
	case err != nil:
		return nil, err
	case strings.TrimSpace(idempotencyKey) == "":
		return nil, errors.New("psp: idempotency key is required")
	case !reason.Valid():
		return nil, fmt.Errorf("psp: invalid refund reason %.40q", string(reason))
	case c.creds.CryptoToken == "":
		return nil, errors.New("psp: crypto token is required to sign refunds")
	}
	body, err := json.Marshal(struct {
		Reason      RefundReason `json:"reason"`
		Description string       `json:"description,omitempty"`
	}{reason, description})
	if err != nil {
		return nil, fmt.Errorf("psp: encoding refund: %w", err)
	}
	var out CashIn
	rq := &call{method: http.MethodPost, path: "/cash-in/" + seg + "/refund", body: body,
		key: idempotencyKey, want: http.StatusAccepted, sign: true}
	if err := c.do(ctx, rq, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PathSegment escapes a cash-in id as one path segment, refusing one that
// is empty or would climb the path ("." or "..").
func PathSegment(id string) (string, error) {
	if id == "" || id == "." || id == ".." {
		return "", errors.New("psp: cash-in id is required")
	}
	return url.PathEscape(id), nil
}

// call is one API request, fixed before the first attempt: every attempt
// sends the same key and byte-identical body.
type call struct {
	method string
	path   string // escaped, starting with "/"
	body   []byte
	key    string
	want   int
	ref    string // externalReference, for logs
	sign   bool   // add DigitalSignature for the token used
}

// do runs rq with token handling and retries, decoding the answer into out.
func (c *Client) do(ctx context.Context, rq *call, out any) (err error) {
	defer func() { report(ctx, Progress{Stage: StageDone, Err: err}) }()
	deadline := c.now().Add(c.retry.overall)
	replayed := false
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, rq, attempt, out)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !replayed && isTokenExpired(err) {
			// The token was dropped in attempt; replay once with a new one.
			replayed, attempt = true, attempt-1
			continue
		}
		retry, reason := shouldRetry(resp, err)
		if !retry {
			return err
		}
		if attempt >= c.retry.maxAttempts {
			return &temporaryError{attempts: attempt, err: err}
		}
		wait := c.retry.backoff(attempt)
		if ra, ok := retryAfter(resp, c.now()); ok {
			wait = ra
		}
		if c.now().Add(wait).After(deadline) {
			return &temporaryError{attempts: attempt, err: err}
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return &temporaryError{attempts: attempt, err: err}
		}
		c.log.Debug("connectpsp: retrying", "method", rq.method, "path", rq.path,
			"attempt", attempt, "reason", reason, "wait", wait)
		report(ctx, Progress{Stage: StageRetrying, Attempt: attempt + 1, Wait: wait, Err: err})
		if serr := c.sleep(ctx, wait); serr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return serr
		}
	}
}

// isTokenExpired reports a 401 that a fresh token may cure: TOKEN_EXPIRED,
// and any other 401 that is not about the credentials or the
// ApplicationToken (a restarted server forgets the tokens it issued).
func isTokenExpired(err error) bool {
	var pe *Error
	if !errors.As(err, &pe) || pe.Status != http.StatusUnauthorized {
		return false
	}
	return pe.Code != CodeInvalidCredentials && pe.Code != CodeInvalidApplicationToken
}

// attempt obtains a token and makes one exchange. It returns the response
// (body consumed) when one arrived, for shouldRetry and Retry-After.
func (c *Client) attempt(ctx context.Context, rq *call, attempt int, out any) (*http.Response, error) {
	tok, err := c.token(ctx, false)
	if err != nil {
		return nil, &tokenError{err: err}
	}
	actx, cancel := context.WithTimeout(ctx, c.attemptTimeout)
	defer cancel()
	var rd io.Reader
	if rq.body != nil {
		rd = bytes.NewReader(rq.body)
	}
	req, err := http.NewRequestWithContext(actx, rq.method, c.base+rq.path, rd)
	if err != nil {
		return nil, fmt.Errorf("psp: building request: %v", err)
	}
	access := tok.access.Reveal()
	req.Header.Set("Authorization", "Bearer "+access)
	req.Header.Set("ApplicationToken", c.creds.ApplicationToken.Reveal())
	req.Header.Set("Accept", "application/json, application/problem+json")
	if rq.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if rq.key != "" {
		req.Header.Set("X-Idempotency-Key", rq.key)
	}
	sig := ""
	if rq.sign {
		sig = Sign([]byte(access), c.creds.CryptoToken)
		req.Header.Set("DigitalSignature", sig)
	}
	report(ctx, Progress{Stage: StageSending, Attempt: attempt})
	start := c.now()
	resp, body, err := c.exchange(req)
	c.logExchange(rq.method, rq.path, rq.ref, attempt, start, resp, err)
	if err != nil {
		if isTokenExpired(err) {
			c.dropToken(tok)
		}
		return resp, c.scrub(err, access, sig)
	}
	if resp.StatusCode != rq.want {
		c.log.Debug("connectpsp: unexpected success status", "path", rq.path, "status", resp.StatusCode, "want", rq.want)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return resp, fmt.Errorf("psp: decoding %s %s response: %v", rq.method, rq.path, err)
	}
	return resp, nil
}

// exchange sends req and reads the answer through CheckResponse. Transport
// failures come back as *transportError.
func (c *Client) exchange(req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, &transportError{err: err}
	}
	body, err := CheckResponse(resp)
	return resp, body, err
}

// CheckResponse reads at most 1 MiB of resp's body and closes it. A 2xx
// answer returns its body; anything else returns an *Error decoded from
// problem+json, or holding the start of the body when it is not JSON,
// with any CPF it echoes masked.
func CheckResponse(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody+1))
	if err != nil {
		return nil, &transportError{err: fmt.Errorf("reading response: %w", err)}
	}
	tooBig := len(body) > maxResponseBody
	if tooBig {
		body = body[:maxResponseBody]
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if tooBig {
			return nil, errors.New("psp: response body exceeds 1 MiB")
		}
		return body, nil
	}
	e := &Error{}
	if json.Unmarshal(body, e) != nil || (e.Code == "" && e.Title == "" && e.Detail == "") {
		*e = Error{Body: snippet(body)}
	}
	e.Status = resp.StatusCode
	e.maskProblem()
	return nil, e
}

// snippet returns the start of b as valid UTF-8, at most maxErrorSnippet bytes.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > maxErrorSnippet {
		s = s[:maxErrorSnippet]
		s = strings.ToValidUTF8(s, "") + "…"
	}
	return s
}

// scrub removes any credential, token or signature a server echoed into an
// *Error.
func (c *Client) scrub(err error, extra ...string) error {
	var pe *Error
	if !errors.As(err, &pe) {
		return err
	}
	secrets := append([]string{c.creds.ClientSecret.Reveal(), c.creds.ApplicationToken.Reveal(), c.creds.CryptoToken.Reveal()}, extra...)
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, f := range []*string{&pe.Code, &pe.Title, &pe.Detail, &pe.Type, &pe.Body} {
			*f = strings.ReplaceAll(*f, s, "REDACTED")
		}
	}
	return err
}

// logExchange writes one Debug line per exchange. The detail of a problem is
// not logged: servers may echo documents in it.
func (c *Client) logExchange(method, path, ref string, attempt int, start time.Time, resp *http.Response, err error) {
	attrs := []any{"method", method, "path", path, "attempt", attempt, "duration", c.now().Sub(start)}
	if resp != nil {
		attrs = append(attrs, "status", resp.StatusCode)
	}
	if ref != "" {
		attrs = append(attrs, "externalReference", ref)
	}
	var pe *Error
	switch {
	case errors.As(err, &pe):
		attrs = append(attrs, "code", pe.Code)
	case err != nil:
		attrs = append(attrs, "err", err.Error())
	}
	c.log.Debug("connectpsp: request", attrs...)
}
