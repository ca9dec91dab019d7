package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// Timeouts of serve's HTTP server. ConnectPSP waits 5 s for a webhook's
// answer; a load balancer's health check a little less.
const (
	serveReadHeaderTimeout = 5 * time.Second
	serveReadTimeout       = 10 * time.Second
	serveWriteTimeout      = 10 * time.Second
	serveIdleTimeout       = 60 * time.Second
	serveShutdownTimeout   = 15 * time.Second
	healthTimeout          = 2 * time.Second
)

// serveOptions is what serve takes besides the shared configuration: the
// TLS files, and knobs for tests. The zero value is production.
type serveOptions struct {
	tlsCert, tlsKey string
	log             *slog.Logger         // default: discarded
	leaseTTL        time.Duration        // default engine.DefaultLeaseTTL
	tune            func(*engine.Config) // has the last word on the engine's configuration
}

// server is a running `pixdesk serve`: the webhook receiver, /healthz and
// /metrics on one HTTP server, and the engine polling every terminal's
// charges through leases.
type server struct {
	log     *slog.Logger
	db      *store.DB
	client  *psp.Client
	engine  *engine.Engine
	sandbox *sandbox.Sandbox // the embedded one, in sandbox mode
	http    *http.Server
	addr    string // the address it listens on
	hookURL string // the webhookUrl of charges this process creates

	stopLife   context.CancelFunc // ends the engine and the embedded sandbox
	engineDone chan error
	served     chan error // the HTTP server's end, if it ends by itself
	closers    []func()
	stopOnce   sync.Once
}

// startServe opens the store, starts the embedded sandbox when there are no
// credentials, binds cfg.webhookListen and runs the HTTP server and the
// engine until shutdown. The server outlives ctx: ctx bounds only starting.
func startServe(ctx context.Context, cfg *config, o serveOptions) (*server, error) {
	if cfg.webhookListen == "" {
		return nil, badUsage("pixdesk serve needs an address to listen on: set PIXDESK_WEBHOOK_LISTEN or --webhook-listen, e.g. 0.0.0.0:8443")
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, badUsage("--tls-cert and --tls-key go together")
	}
	log := o.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	life, stopLife := context.WithCancel(context.WithoutCancel(ctx))
	s := &server{log: log, stopLife: stopLife, engineDone: make(chan error, 1), served: make(chan error, 1)}
	s.closers = append(s.closers, stopLife)
	fail := func(err error) (*server, error) {
		s.close()
		return nil, err
	}

	dsn, dataDir, err := storeDSN(cfg)
	if err != nil {
		return fail(err)
	}
	if s.db, err = store.Open(ctx, dsn, store.WithLogger(log.With("component", "store"))); err != nil {
		return fail(fmt.Errorf("cannot open the store: %w", err))
	}
	s.closers = append(s.closers, func() { s.db.Close() })

	base, creds := cfg.baseURL, cfg.creds
	if cfg.embedded {
		base, s.sandbox, err = sandbox.Serve(life, "127.0.0.1:0", sandbox.Options{
			Logger:    log.With("component", "sandbox"),
			RetryBase: 500 * time.Millisecond,
			StatePath: sandboxState(dataDir),
		})
		if err != nil {
			return fail(fmt.Errorf("cannot start the built-in sandbox: %w", err))
		}
		creds = s.sandbox.Credentials()
	}
	if s.client, err = psp.NewClient(base, creds, psp.WithLogger(log.With("component", "connectpsp"))); err != nil {
		return fail(err)
	}

	var tlsConfig *tls.Config
	if o.tlsCert != "" {
		pair, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return fail(fmt.Errorf("cannot load the TLS certificate: %w", err))
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.webhookListen)
	if err != nil {
		return fail(fmt.Errorf("cannot listen on %s: %w", cfg.webhookListen, err))
	}
	s.addr = ln.Addr().String()
	s.hookURL = cfg.webhookURL
	if s.hookURL == "" {
		scheme := "http"
		if tlsConfig != nil {
			scheme = "https"
		}
		s.hookURL = scheme + "://" + s.addr + engine.WebhookPath
		if !cfg.embedded {
			log.Warn("serve: PIXDESK_WEBHOOK_URL is not set; charges created here name the listening address, which ConnectPSP may not reach", "webhookUrl", s.hookURL)
		}
	}

	ecfg := engine.Config{
		DB:         s.db,
		Client:     s.client,
		Terminal:   cfg.terminal,
		WebhookURL: s.hookURL,
		WebhookKey: creds.CryptoToken,
		Logger:     log.With("component", "engine"),
		PollAll:    true,
		LeaseTTL:   o.leaseTTL,
	}
	if ecfg.LeaseTTL <= 0 {
		ecfg.LeaseTTL = engine.DefaultLeaseTTL
	}
	if o.tune != nil {
		o.tune(&ecfg)
	}
	s.engine = engine.New(ecfg)

	mux := http.NewServeMux()
	mux.Handle("POST "+engine.WebhookPath, s.engine.WebhookHandler())
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /metrics", s.engine.MetricsHandler())
	s.http = &http.Server{
		Handler:           mux,
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: serveReadHeaderTimeout,
		ReadTimeout:       serveReadTimeout,
		WriteTimeout:      serveWriteTimeout,
		IdleTimeout:       serveIdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() { s.engineDone <- s.engine.Run(life) }()
	go func() {
		var err error
		if tlsConfig != nil {
			err = s.http.ServeTLS(ln, "", "")
		} else {
			err = s.http.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.served <- err
		}
	}()
	log.Info("serve: listening", "addr", s.addr, "tls", tlsConfig != nil, "webhookPath", engine.WebhookPath,
		"webhookUrl", s.hookURL, "store", s.db.Describe(), "env", cfg.env, "leaseOwner", s.engine.LeaseOwner())
	return s, nil
}

// storeDSN is where the journal is: cfg.db, or the default SQLite file (a
// separate one in sandbox mode, so sandbox charges never mix with real
// ones). dataDir is the SQLite file's directory ("" for PostgreSQL).
func storeDSN(cfg *config) (dsn, dataDir string, err error) {
	dsn = cfg.db
	if dsn != "" && isPostgres(dsn) {
		return dsn, "", nil
	}
	if dsn == "" {
		p, err := store.DefaultPath()
		if err != nil {
			return "", "", err
		}
		dsn = p
		if cfg.embedded {
			dsn = filepath.Join(filepath.Dir(p), "pixdesk-sandbox.db")
		}
	}
	return dsn, filepath.Dir(dsn), nil
}

// healthz answers 200 when the store answers a ping and ConnectPSP answered
// the engine's last call with a valid token, else 503; the JSON body says
// which part failed.
func (s *server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	defer cancel()
	res := struct {
		Store      string `json:"store"`
		ConnectPSP string `json:"connectpsp"`
	}{"ok", "ok"}
	if err := s.db.Ping(ctx); err != nil {
		res.Store = "unreachable"
		s.log.Warn("healthz: store", "err", err)
	}
	switch h := s.engine.Health(); {
	case !h.Reachable:
		res.ConnectPSP = "unreachable"
	case !h.TokenValid:
		res.ConnectPSP = "no valid token"
	}
	code := http.StatusOK
	if res.Store != "ok" || res.ConnectPSP != "ok" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(res)
}

// shutdown stops accepting connections and waits for the deliveries in
// flight (until ctx ends), then stops the engine, which hands back the
// leases it holds, and closes the store. It is safe to call twice.
func (s *server) shutdown(ctx context.Context) error {
	var err error
	s.stopOnce.Do(func() {
		s.log.Info("serve: stopping")
		if err = s.http.Shutdown(ctx); err != nil {
			s.http.Close()
		}
		s.stopLife()
		if rerr := <-s.engineDone; rerr != nil && err == nil {
			err = rerr
		}
		s.close()
		s.log.Info("serve: stopped")
	})
	return err
}

// close releases what startServe opened, in reverse order.
func (s *server) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// runServe is `pixdesk serve`: headless, logging to stderr, until SIGINT
// or SIGTERM.
func runServe(args []string, getenv func(string) string, stderr io.Writer) int {
	rest, o, err := serveFlags(args, getenv)
	if err != nil {
		return reportConfigError(err, stderr)
	}
	cfg, err := loadConfig("pixdesk serve", rest, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, serveUsage)
		return 0
	}
	if err != nil {
		return reportConfigError(err, stderr)
	}
	if cfg.webhookListen == "" {
		return reportConfigError(badUsage("pixdesk serve needs an address to listen on: set PIXDESK_WEBHOOK_LISTEN or --webhook-listen, e.g. 0.0.0.0:8443"), stderr)
	}
	o.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("terminal", cfg.terminal)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	s, err := startServe(ctx, cfg, o)
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk serve: %v\n", err)
		return 1
	}
	code := 0
	select {
	case <-ctx.Done():
	case err := <-s.served:
		o.log.Error("serve: HTTP server failed", "err", err)
		code = 1
	case err := <-s.engineDone:
		o.log.Error("serve: engine stopped", "err", err)
		s.engineDone <- err // for shutdown
		code = 1
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	if err := s.shutdown(sctx); err != nil {
		o.log.Warn("serve: shutdown", "err", err)
	}
	return code
}

// serveUsage is printed after the shared flags on `pixdesk serve -h`.
const serveUsage = `
serve also takes:
  -tls-cert file   TLS certificate (PEM) for the listener (PIXDESK_TLS_CERT)
  -tls-key file    its private key (PIXDESK_TLS_KEY)
and needs -webhook-listen (PIXDESK_WEBHOOK_LISTEN). It serves
  POST /webhooks/connectpsp, GET /healthz, GET /metrics
`

// serveFlags takes serve's own flags (--tls-cert, --tls-key, in the forms
// the flag package accepts) out of args and returns the rest for loadConfig.
func serveFlags(args []string, getenv func(string) string) (rest []string, o serveOptions, err error) {
	o.tlsCert = strings.TrimSpace(getenv("PIXDESK_TLS_CERT"))
	o.tlsKey = strings.TrimSpace(getenv("PIXDESK_TLS_KEY"))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var dst *string
		switch {
		case !strings.HasPrefix(a, "-"):
		case name == "tls-cert":
			dst = &o.tlsCert
		case name == "tls-key":
			dst = &o.tlsKey
		}
		if dst == nil {
			rest = append(rest, a)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return nil, o, badUsage("flag needs an argument: -%s", name)
			}
			i++
			value = args[i]
		}
		*dst = value
	}
	return rest, o, nil
}

// sharedLeaseTTL is the poll lease a console takes on journal db: on a
// shared PostgreSQL every process polls through leases; a SQLite file
// serves one process, which keeps its own schedule.
func sharedLeaseTTL(db *store.DB) time.Duration {
	if db.Backend() == store.BackendPostgres {
		return engine.DefaultLeaseTTL
	}
	return 0
}
