package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// stopTimeout bounds how long a stop waits for the webhook deliveries in
// flight when its caller gives no deadline of its own.
const stopTimeout = 5 * time.Second

// stack is what every command that takes payments runs on — the console,
// serve, tx create and the end-to-end tests alike: the log, the store, the
// ConnectPSP client (and without credentials the embedded sandbox), the
// engine and the webhook receiver. openStack builds it; start runs the
// engine; stop ends it in the one order that is safe: stop receiving,
// stop the engine and every goroutine the stack started, wait for them,
// and only then close the store and the log.
type stack struct {
	cfg     *config
	log     *slog.Logger
	db      *store.DB
	client  *psp.Client
	engine  *engine.Engine
	sandbox *sandbox.Sandbox // nil unless the sandbox runs in process
	// pay pays a charge at the sandbox (built in, or a `pixdesk sandbox`
	// on loopback); nil against ConnectPSP.
	pay     func(ctx context.Context, transactionID string) error
	notices chan engine.Notice
	hookURL string // where ConnectPSP posts webhooks ("" none)
	hookAt  string // the receiver's address ("" when off)
	tls     bool   // the receiver speaks TLS

	http   *http.Server // the receiver, nil when off
	served chan error   // the receiver's error if it ends by itself

	life   context.Context // ends the engine, the sandbox and the stack's goroutines
	cancel context.CancelFunc
	wg     sync.WaitGroup

	running    bool
	engineDone chan struct{} // closed when Run returns
	engineErr  error         // Run's error, once engineDone is closed

	closeLog func() // the log file's, when the stack opened it
	stopOnce sync.Once
	stopErr  error
}

// stackOptions are what a caller may choose about a stack. The zero value
// is the console's.
type stackOptions struct {
	log      *slog.Logger                 // nil: the log file (cfg.logPath)
	now      func() time.Time             // the clock of the store, the engine and the sandbox
	listen   *string                      // the receiver's address; nil: cfg's, loopback in sandbox mode
	routes   func(*stack, *http.ServeMux) // more handlers beside the webhook's (serve's /healthz, /metrics)
	tls      *tls.Config                  // the receiver's TLS
	pollAll  bool                         // poll every terminal's charges (serve)
	leaseTTL time.Duration                // on a shared journal; 0: engine.DefaultLeaseTTL
	tune     func(*engine.Config)         // the last word on the engine's configuration
	client   []psp.Option                 // after the stack's own
	sandbox  func(*sandbox.Options)
	via      func(base string) string // the URL the client uses for ConnectPSP at base
}

// counterConns is the PostgreSQL pool of a counter's stack (the console,
// tx): a few connections and the change feed's LISTEN one, so that
// hundreds of counters fit one server; serve keeps store.DefaultMaxConns.
const counterConns = 4

// stackOption changes what openStack builds.
type stackOption func(*stackOptions)

// withLogger logs to l instead of the log file.
func withLogger(l *slog.Logger) stackOption { return func(o *stackOptions) { o.log = l } }

// withClock gives the store, the engine and the sandbox one clock.
func withClock(now func() time.Time) stackOption { return func(o *stackOptions) { o.now = now } }

// withListen receives webhooks on addr ("" none), whatever cfg says.
func withListen(addr string) stackOption { return func(o *stackOptions) { o.listen = &addr } }

// withRoutes adds handlers to the receiver's mux.
func withRoutes(r func(*stack, *http.ServeMux)) stackOption {
	return func(o *stackOptions) { o.routes = r }
}

// withTLS serves the receiver over TLS.
func withTLS(c *tls.Config) stackOption { return func(o *stackOptions) { o.tls = c } }

// pollingAll has the engine poll every terminal's open charges.
func pollingAll() stackOption { return func(o *stackOptions) { o.pollAll = true } }

// withLeaseTTL is the poll lease taken on a shared (PostgreSQL) journal.
func withLeaseTTL(d time.Duration) stackOption { return func(o *stackOptions) { o.leaseTTL = d } }

// withEngine has the last word on the engine's configuration.
func withEngine(f func(*engine.Config)) stackOption { return func(o *stackOptions) { o.tune = f } }

// withClient adds options to the ConnectPSP client's.
func withClient(opts ...psp.Option) stackOption {
	return func(o *stackOptions) { o.client = append(o.client, opts...) }
}

// withSandbox adjusts the embedded sandbox's options.
func withSandbox(f func(*sandbox.Options)) stackOption {
	return func(o *stackOptions) { o.sandbox = f }
}

// connectVia has the client reach ConnectPSP through the URL via returns
// for its base URL (a test's proxy).
func connectVia(via func(base string) string) stackOption {
	return func(o *stackOptions) { o.via = via }
}

// leaseTTL is the poll lease for journal db: on a shared PostgreSQL every
// process polls through leases, so that each charge is polled by one of
// them at a time; a SQLite file serves one process, which keeps its own
// schedule.
func (o *stackOptions) leaseTTLFor(db *store.DB) time.Duration {
	if db.Backend() != store.BackendPostgres {
		return 0
	}
	if o.leaseTTL > 0 {
		return o.leaseTTL
	}
	return engine.DefaultLeaseTTL
}

// openStack opens the log and the store and, unless cfg is storeOnly,
// wires the client, the engine and, in sandbox mode, the embedded sandbox,
// and starts receiving webhooks. ctx bounds the opening only: the stack
// lives until stop. The engine is not running until start.
func openStack(ctx context.Context, cfg *config, opts ...stackOption) (s *stack, err error) {
	var o stackOptions
	for _, f := range opts {
		f(&o)
	}
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s = &stack{cfg: cfg, notices: make(chan engine.Notice, 1024), life: life, cancel: cancel,
		served: make(chan error, 1), engineDone: make(chan struct{}), log: o.log}
	defer func() {
		if err != nil {
			s.stop(ctx)
			s = nil
		}
	}()
	if s.log == nil {
		if s.log, s.closeLog, err = openLog(cfg); err != nil {
			return s, err
		}
	}
	dsn, dataDir, err := storeDSN(cfg)
	if err != nil {
		return s, err
	}
	sopts := []store.Option{store.WithLogger(s.log.With("component", "store"))}
	if o.now != nil {
		sopts = append(sopts, store.WithClock(o.now))
	}
	if !o.pollAll {
		sopts = append(sopts, store.WithMaxConns(counterConns))
	}
	if s.db, err = store.Open(ctx, dsn, sopts...); err != nil {
		return s, fmt.Errorf("cannot open the store: %w", err)
	}
	if cfg.storeOnly {
		return s, nil
	}

	base, creds := cfg.baseURL, cfg.creds
	if cfg.embedded {
		so := sandbox.Options{
			Logger:    s.log.With("component", "sandbox"),
			RetryBase: 500 * time.Millisecond,
			StatePath: sandboxState(cfg, dataDir),
			Now:       o.now,
		}
		if o.sandbox != nil {
			o.sandbox(&so)
		}
		if base, s.sandbox, err = sandbox.Serve(life, "127.0.0.1:0", so); err != nil {
			return s, fmt.Errorf("cannot start the built-in sandbox: %w", err)
		}
		creds = s.sandbox.Credentials()
	}
	if o.via != nil {
		base = o.via(base)
	}
	copts := append([]psp.Option{psp.WithLogger(s.log.With("component", "connectpsp"))}, o.client...)
	if s.client, err = psp.NewClient(base, creds, copts...); err != nil {
		return s, err
	}
	switch {
	case s.sandbox != nil:
		s.pay = func(_ context.Context, id string) error { _, err := s.sandbox.Pay(id, 0); return err }
	case cfg.env == envSandbox:
		hc := &http.Client{Timeout: 10 * time.Second}
		s.pay = func(ctx context.Context, id string) error { return sandbox.PayAt(ctx, hc, base, id) }
	}

	ec := engine.Config{
		DB:         s.db,
		Client:     s.client,
		Terminal:   cfg.terminal,
		WebhookURL: cfg.webhookURL,
		WebhookKey: creds.CryptoToken,
		Logger:     s.log.With("component", "engine"),
		Now:        o.now,
		PollAll:    o.pollAll,
		LeaseTTL:   o.leaseTTLFor(s.db),
		Notify: func(n engine.Notice) {
			select {
			case s.notices <- n:
			default: // a hint only: the store stays the truth
			}
		},
	}
	if o.tune != nil {
		o.tune(&ec)
	}
	s.engine = engine.New(ec)

	// A sandbox on this machine, built in or a `pixdesk sandbox` on
	// loopback, can reach the console's own receiver: one is opened on
	// loopback unless PIXDESK_WEBHOOK_LISTEN says where, and named as
	// webhookUrl, so PAID arrives by webhook and not only by polling.
	// When PIXDESK_WEBHOOK_URL names another receiver (serve's), nothing
	// would ever reach this one: none is opened.
	local := cfg.env == envSandbox
	listen := cfg.webhookListen
	if listen == "" && local && cfg.webhookURL == "" {
		listen = "127.0.0.1:0"
	}
	if o.listen != nil {
		listen = *o.listen
	}
	if listen != "" {
		if err := s.receive(ctx, listen, o); err != nil {
			return s, err
		}
	}
	s.hookURL = cfg.webhookURL
	if s.hookURL == "" && local && s.hookAt != "" {
		s.hookURL = s.localHookURL()
	}
	s.engine.SetWebhookURL(s.hookURL)
	return s, nil
}

// receive binds addr and serves the webhook receiver there (with o.routes
// beside it) until stop.
func (s *stack) receive(ctx context.Context, addr string, o stackOptions) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot receive webhooks on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+engine.WebhookPath, s.engine.WebhookHandler())
	if o.routes != nil {
		o.routes(s, mux)
	}
	s.http = engine.NewWebhookServer(mux, s.log)
	s.http.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(s.life) }
	s.http.TLSConfig = o.tls
	s.hookAt, s.tls = ln.Addr().String(), o.tls != nil
	s.wg.Go(func() {
		var err error
		if s.tls {
			err = s.http.ServeTLS(ln, "", "")
		} else {
			err = s.http.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("webhook: receiver stopped", "err", err)
			s.served <- err
		}
	})
	s.log.Info("webhook: listening", "addr", s.hookAt, "path", engine.WebhookPath, "tls", s.tls)
	return nil
}

// scheme is the receiver's URL scheme.
// localHookURL is the receiver's URL as a sandbox on this machine reaches
// it: a listener on every address (0.0.0.0:8443, shown as [::]:8443) is
// called on 127.0.0.1.
func (s *stack) localHookURL() string {
	at := s.hookAt
	host, port, err := net.SplitHostPort(at)
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsUnspecified() {
		at = net.JoinHostPort("127.0.0.1", port) // Go listens on both families there ([::]:port)
	}
	return s.scheme() + "://" + at + engine.WebhookPath
}

func (s *stack) scheme() string {
	if s.tls {
		return "https"
	}
	return "http"
}

// start runs the engine until stop. An error it ends with (the store could
// not be read) is logged here and kept in the engine's Health, which the
// console's status bar shows; serve and tx create also watch engineDone.
func (s *stack) start() {
	s.running = true
	s.wg.Go(func() {
		defer close(s.engineDone)
		if s.engineErr = s.engine.Run(s.life); s.engineErr != nil {
			s.log.Error("engine: stopped: nothing is polled and no create is retried", "err", s.engineErr)
		}
	})
}

// spawn runs fn in a goroutine that stop ends (through ctx) and waits for.
func (s *stack) spawn(fn func(ctx context.Context)) {
	s.wg.Go(func() { fn(s.life) })
}

// stop ends the stack: the receiver stops accepting and finishes the
// deliveries in flight (until ctx ends, or stopTimeout), the engine stops
// (handing back its leases) with every goroutine the stack started, the
// sandbox stops, and only once all of them have returned are the store and
// then the log closed. It returns the engine's error, if it failed, or the
// receiver's. It is safe to call more than once.
func (s *stack) stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		if _, ok := ctx.Deadline(); !ok || ctx.Err() != nil {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
			defer cancel()
		}
		if s.http != nil {
			if err := s.http.Shutdown(ctx); err != nil {
				s.log.Warn("webhook: shutdown", "err", err)
				s.http.Close()
			}
			s.log.Info("shutdown: webhook receiver stopped")
		}
		s.cancel()
		s.wg.Wait()
		if s.running {
			s.stopErr = s.engineErr
			s.log.Info("shutdown: engine stopped")
		}
		select {
		case err := <-s.served:
			s.stopErr = cmpErr(s.stopErr, err)
		default:
		}
		if s.sandbox != nil {
			s.sandbox.Close()
			s.log.Info("shutdown: sandbox stopped")
		}
		if s.client != nil {
			s.client.CloseIdleConnections()
		}
		if s.db != nil {
			if err := s.db.Close(); err != nil {
				s.log.Warn("shutdown: closing the store", "err", err)
			}
			s.log.Info("shutdown: store closed")
		}
		if s.closeLog != nil {
			s.closeLog()
		}
	})
	return s.stopErr
}

// cmpErr is a, or b when a is nil.
func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// openLog opens the log file: the console owns the terminal, so nothing is
// ever logged to it.
func openLog(cfg *config) (*slog.Logger, func(), error) {
	path := cfg.logPath
	if path == "" {
		p, err := cfg.dataPath()
		if err != nil {
			return nil, nil, err
		}
		path = filepath.Join(filepath.Dir(p), "pixdesk.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("cannot create the log directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the log file: %w", err)
	}
	return newLogger(f, slog.LevelInfo).With("terminal", cfg.terminal), func() { f.Close() }, nil
}

// newLogger is the one way pixdesk makes a logger: text lines to w at
// level, with every logged string cleaned and clipped (safetext.Handler),
// since a log holds what forged requests sent and is read in a terminal.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(safetext.Handler(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})))
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
		p, err := cfg.dataPath()
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

// dataPath is store.DataPath in the command's environment.
func (c *config) dataPath() (string, error) {
	if c == nil || c.getenv == nil {
		return store.DefaultPath()
	}
	return store.DataPath(c.getenv)
}

// isPostgres reports whether dsn names a PostgreSQL server.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// sandboxState is where the embedded sandbox keeps its charges, so that a
// restarted console finds the charges it was tracking; with a PostgreSQL
// store it sits in the user's data directory.
func sandboxState(cfg *config, dataDir string) string {
	if dataDir == "" {
		p, err := cfg.dataPath()
		if err != nil {
			return ""
		}
		dataDir = filepath.Dir(p)
	}
	return filepath.Join(dataDir, "pixdesk-sandbox.json")
}
