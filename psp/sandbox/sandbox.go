// Package sandbox is a ConnectPSP that runs on loopback, in memory and
// optionally saved to a file (Options.StatePath): the same endpoints, JSON,
// problem codes and webhooks as the real API (see the API digest), plus
// control endpoints under /_sandbox/ to pay, expire or cancel a charge and to
// inject faults. It is what `go run .`, the tests and `pixdesk sandbox` talk
// to on a machine with no access to ConnectPSP.
package sandbox

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// Defaults used when the matching Options field is zero, and limits.
const (
	// DefaultTokenLifetime is how long an access token lives: 1 hour, as documented.
	DefaultTokenLifetime = time.Hour
	// DefaultRetryBase is the first webhook retry delay.
	DefaultRetryBase = time.Second
	// DefaultPublicHost is the location host written into BR Codes when
	// Options.PublicURL is empty. The .invalid TLD never resolves.
	DefaultPublicHost = "pixdesk.invalid"
	// WebhookAttempts bounds the delivery attempts of one event.
	WebhookAttempts = 8
	webhookTimeout  = 5 * time.Second
	maxBody         = 1 << 20
)

// DefaultCredentials returns the fixed credentials a sandbox accepts when
// Options.Credentials is zero. They are not secret: `pixdesk sandbox` prints
// them so a console can be configured against it.
func DefaultCredentials() psp.Credentials {
	return psp.Credentials{
		ClientID:         "1000001",
		ClientSecret:     "5a1d0b6e-0000-4000-8000-5a1db0c5ec01",
		ApplicationToken: "5a1d0b6e-0000-4000-8000-5a1db0c5ec02",
		CryptoToken:      "sandbox-crypto-token",
	}
}

// Options configure a Sandbox. Every field is optional.
type Options struct {
	// Credentials accepted by the sandbox; empty fields take the values of
	// DefaultCredentials.
	Credentials psp.Credentials
	// TokenLifetime is how long an access token lives (default 1h).
	TokenLifetime time.Duration
	// Now is the clock for expiry, token lifetime and timestamps (default time.Now).
	Now func() time.Time
	// PublicURL is the base of the BR Code location URL; only its host and
	// path go into the code. Serve defaults it to the listening address.
	PublicURL string
	// WebhookClient posts webhooks (default: a client with a 5 s timeout).
	WebhookClient *http.Client
	// RetryBase is the first webhook retry delay; attempt n waits
	// RetryBase·2^(n-1), capped at 64·RetryBase (default 1 s).
	RetryBase time.Duration
	// Logger receives the sandbox's log lines (default: discarded). Secrets,
	// tokens and payer documents are never logged.
	Logger *slog.Logger
	// StatePath, when set, is a JSON file the sandbox loads at New and
	// rewrites after every change, so its charges and idempotency records
	// survive a restart; empty keeps everything in memory. The file (mode
	// 0600) holds payer names and documents. A corrupt file is renamed to
	// <StatePath>.corrupt-<unix time> and the sandbox starts empty, logging
	// a warning; tokens, faults, webhook modes, pending webhook deliveries
	// and Stats are never saved.
	StatePath string
}

// Faults make the API misbehave on purpose. /_sandbox endpoints are never
// affected.
type Faults struct {
	// FailNext answers the next N API calls 500 INTERNAL_ERROR, without side effects.
	FailNext int `json:"failNext"`
	// Latency is slept before every API call (cut short if the client gives up).
	Latency time.Duration `json:"-"`
	// DropNext processes and commits the next N API calls, then closes the
	// connection without an answer.
	DropNext int `json:"dropNext"`
}

// WebhookMode changes how webhooks are delivered.
type WebhookMode struct {
	// Duplicate delivers each event twice (each attempt with its own X-Event-Id).
	Duplicate bool `json:"duplicate"`
	// OutOfOrder holds a charge's event until the next one exists, then
	// delivers them newest first (REFUNDED before PAID). Held events are
	// released in order when the mode is switched off.
	OutOfOrder bool `json:"outOfOrder"`
	// Disabled drops events without delivering them, as a lost webhook.
	Disabled bool `json:"disabled"`
}

// Stats counts what the sandbox has done.
type Stats struct {
	TokensIssued      int `json:"tokensIssued"`
	CashInsCreated    int `json:"cashInsCreated"`
	Payments          int `json:"payments"`
	Refunds           int `json:"refunds"`
	IdempotentReplays int `json:"idempotentReplays"`
	WebhookAttempts   int `json:"webhookAttempts"`
	// Requests counts requests by route pattern, e.g. "POST /cash-in".
	Requests map[string]int `json:"requests"`
}

// Sandbox is a fake ConnectPSP. It is an http.Handler and safe for
// concurrent use; Close stops its webhook deliveries.
type Sandbox struct {
	creds         psp.Credentials
	tokenLifetime time.Duration
	now           func() time.Time
	publicHost    string
	webhookClient *http.Client
	retryBase     time.Duration
	log           *slog.Logger
	mux           *http.ServeMux
	tokenKey      []byte
	statePath     string // "" when not persisting

	ctx    context.Context // cancelled by Close; parent of webhook requests
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// stopServer shuts down the HTTP server Serve started and waits for
	// it; nil for a sandbox made by New.
	stopServer func()
	closeOnce  sync.Once

	mu         sync.Mutex
	closed     bool
	tokens     map[string]time.Time // access token → expiry
	charges    []*charge            // creation order
	ids        map[string]*charge   // transactionId, internalCode, E… and D… ids
	refs       map[string]*charge   // externalReference
	idem       map[string]*idemEntry
	faults     Faults
	mode       WebhookMode
	deliveries []Delivery
	stats      Stats
}

var _ http.Handler = (*Sandbox)(nil)

// New returns a sandbox configured by o. With o.StatePath set it starts from
// the charges saved there (see Options.StatePath); New never fails, so a bad
// state file is reported through o.Logger.
func New(o Options) *Sandbox {
	d := DefaultCredentials()
	c := o.Credentials
	if c.ClientID == "" {
		c.ClientID = d.ClientID
	}
	if c.ClientSecret == "" {
		c.ClientSecret = d.ClientSecret
	}
	if c.ApplicationToken == "" {
		c.ApplicationToken = d.ApplicationToken
	}
	if c.CryptoToken == "" {
		c.CryptoToken = d.CryptoToken
	}
	s := &Sandbox{
		creds:         c,
		tokenLifetime: o.TokenLifetime,
		now:           o.Now,
		publicHost:    publicHost(o.PublicURL),
		webhookClient: o.WebhookClient,
		retryBase:     o.RetryBase,
		log:           o.Logger,
		statePath:     o.StatePath,
		tokenKey:      make([]byte, 32),
		tokens:        map[string]time.Time{},
		ids:           map[string]*charge{},
		refs:          map[string]*charge{},
		idem:          map[string]*idemEntry{},
		stats:         Stats{Requests: map[string]int{}},
	}
	rand.Read(s.tokenKey)
	if s.tokenLifetime <= 0 {
		s.tokenLifetime = DefaultTokenLifetime
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.webhookClient == nil {
		s.webhookClient = &http.Client{Timeout: webhookTimeout}
	}
	if s.retryBase <= 0 {
		s.retryBase = DefaultRetryBase
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.statePath != "" {
		s.loadState()
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.mux = s.routes()
	return s
}

// publicHost reduces a URL to the host and path a BR Code location holds.
func publicHost(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return DefaultPublicHost
	}
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		raw = u.Host + u.Path
	}
	return strings.TrimRight(raw, "/")
}

func (s *Sandbox) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.Handle("POST /auth/token", s.api(s.handleToken))
	m.Handle("POST /cash-in", s.api(s.authed(s.handleCreate)))
	m.Handle("GET /cash-in/{id}", s.api(s.authed(s.handleGet)))
	m.Handle("POST /cash-in/{id}/refund", s.api(s.authed(s.handleRefund)))

	m.Handle("POST /_sandbox/cash-in/{id}/pay", s.counted(s.handlePay))
	m.Handle("POST /_sandbox/cash-in/{id}/expire", s.counted(s.handleExpire))
	m.Handle("POST /_sandbox/cash-in/{id}/cancel", s.counted(s.handleCancel))
	m.Handle("GET /_sandbox/deliveries", s.counted(s.handleDeliveries))
	m.Handle("POST /_sandbox/faults", s.counted(s.handleFaults))
	m.Handle("POST /_sandbox/webhooks", s.counted(s.handleWebhookMode))
	m.Handle("GET /_sandbox/stats", s.counted(s.handleStats))
	m.Handle("/", s.counted(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, psp.CodeNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	}))
	return m
}

// ServeHTTP implements http.Handler.
func (s *Sandbox) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Credentials returns the credentials the sandbox accepts.
func (s *Sandbox) Credentials() psp.Credentials { return s.creds }

// Close stops webhook deliveries and waits for their goroutines. A sandbox
// made by New keeps answering its API; events raised afterwards are not
// delivered. One started by Serve also stops its server and returns once
// every goroutine it started has ended, so that its owner can close what
// the sandbox talks to. Close may be called more than once.
func (s *Sandbox) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		if s.stopServer != nil {
			s.stopServer()
		}
		s.cancel()
		s.wg.Wait()
		s.webhookClient.CloseIdleConnections()
	})
}

// Stats returns a copy of the counters.
func (s *Sandbox) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = make(map[string]int, len(s.stats.Requests))
	for k, v := range s.stats.Requests {
		st.Requests[k] = v
	}
	return st
}

// Serve listens on addr (e.g. "127.0.0.1:0") and serves a new sandbox until
// ctx ends, then shuts the server down and closes the sandbox. It returns
// once listening, with the base URL clients should use ("http://host:port").
// An empty o.PublicURL becomes that base URL.
func Serve(ctx context.Context, addr string, o Options) (baseURL string, s *Sandbox, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	host := ln.Addr().String()
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
	}
	baseURL = "http://" + host
	if o.PublicURL == "" {
		o.PublicURL = baseURL
	}
	s = New(o)
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute, // room for an injected Latency
		IdleTimeout:       time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sandbox: serve", "err", err)
		}
	}()
	s.stopServer = func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		<-served
	}
	context.AfterFunc(ctx, s.Close)
	s.log.Info("sandbox: listening", "url", baseURL, "credentials", s.creds)
	return baseURL, s, nil
}
