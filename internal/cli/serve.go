package cli

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/pixdesk/pixdesk/store/engine"
)

// Timeouts of serve besides its HTTP server's (engine.NewWebhookServer):
// how long a shutdown waits for deliveries in flight, and how long /healthz
// may take, a little less than a load balancer's health check waits.
const (
	serveShutdownTimeout = 15 * time.Second
	healthTimeout        = 2 * time.Second
)

// serveGCPercent is serve's garbage-collector target when GOGC is not
// set: the heap may grow to five times what is live before a collection,
// not twice. serve's live heap is small (tens of MB) and every delivery
// allocates, so at Go's default the collector ran often enough to take a
// measurable share of two cores from the answers: in 13 of 15 alternated
// wrk pairs serve answered more with it (median gain 9 %, on PostgreSQL
// 21 %), for about 12 MB more resident memory (docs/load.md). A GOGC in
// the environment wins.
const serveGCPercent = 400

// tuneGC sets serve's collector target unless getenv has GOGC.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

// serveOptions is what serve takes besides the shared configuration: the
// TLS files, and knobs for tests. The zero value is production.
type serveOptions struct {
	tlsCert, tlsKey string
	log             *slog.Logger         // default: discarded
	leaseTTL        time.Duration        // on PostgreSQL; default engine.DefaultLeaseTTL
	leaseTTLText    string               // --lease-ttl as given, read by runServe
	tune            func(*engine.Config) // has the last word on the engine's configuration
}

// serveFlags adds serve's own flags to loadConfig's.
func serveFlags(o *serveOptions) configOption {
	return func(_ *config, f *flagSet) {
		f.stringVar(&o.tlsCert, "tls-cert", "PIXDESK_TLS_CERT", "", "TLS certificate (PEM) for the listener (PIXDESK_TLS_CERT)")
		f.stringVar(&o.tlsKey, "tls-key", "PIXDESK_TLS_KEY", "", "its private key (PIXDESK_TLS_KEY)")
		f.stringVar(&o.leaseTTLText, "lease-ttl", "PIXDESK_LEASE_TTL", "",
			"on PostgreSQL, how long a poll lease lasts: a serve that dies delays its charges' polls by at most this, e.g. 10s (default 30s; PIXDESK_LEASE_TTL)")
	}
}

// server is a running `pixdesk serve`: the stack with the webhook
// receiver, /healthz and /metrics on one HTTP server, and the engine
// polling every terminal's charges (through leases on PostgreSQL).
type server struct {
	*stack
	addr string // the address it listens on
}

// startServe opens the stack of serve on cfg — the embedded sandbox when
// there are no credentials, cfg.webhookListen bound — and runs it until
// shutdown. The server outlives ctx: ctx bounds only starting.
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
	srv := &server{}
	tune := func(c *engine.Config) {
		// A poll must never outlive its lease.
		if o.leaseTTL > 0 && o.leaseTTL < 3*engine.DefaultPollTimeout {
			c.PollTimeout = o.leaseTTL / 3
		}
		if o.tune != nil {
			o.tune(c)
		}
	}
	opts := []stackOption{withLogger(log), pollingAll(), withLeaseTTL(o.leaseTTL), withEngine(tune),
		withRoutes(func(s *stack, mux *http.ServeMux) {
			srv.stack = s // before the first request
			mux.HandleFunc("GET /healthz", srv.healthz)
			mux.Handle("GET /metrics", s.engine.MetricsHandler())
		})}
	if o.tlsCert != "" {
		pair, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("cannot load the TLS certificate: %w", err)
		}
		opts = append(opts, withTLS(&tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}))
	}
	s, err := openStack(ctx, cfg, opts...)
	if err != nil {
		return nil, err
	}
	srv.addr = s.hookAt
	if s.hookURL == "" {
		s.hookURL = s.scheme() + "://" + s.hookAt + engine.WebhookPath
		if !cfg.embedded {
			log.Warn("serve: PIXDESK_WEBHOOK_URL is not set; charges created here name the listening address, which ConnectPSP may not reach", "webhookUrl", s.hookURL)
		}
		s.engine.SetWebhookURL(s.hookURL)
	}
	s.start()
	log.Info("serve: listening", "addr", srv.addr, "tls", s.tls, "webhookPath", engine.WebhookPath,
		"webhookUrl", s.hookURL, "store", s.db.Describe(), "env", cfg.env, "leaseOwner", s.engine.LeaseOwner())
	return srv, nil
}

// healthz answers 200 when the store can be written (a ping, then a
// write probe, within healthTimeout) and ConnectPSP answered the engine's
// last call with a valid token, else 503; the JSON body says which part
// failed. A journal that is locked, full or read-only answers pings but
// cannot record a webhook: it is "not writable".
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
	} else if err := s.db.Probe(ctx); err != nil {
		res.Store = "not writable"
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

// shutdown stops serve in the stack's order (stack.stop): no new
// connections, the deliveries in flight finished (until ctx ends), the
// engine stopped, which hands back the leases it holds, and the store
// closed. It is safe to call twice.
func (s *server) shutdown(ctx context.Context) error {
	s.log.Info("serve: stopping")
	err := s.stop(ctx)
	s.log.Info("serve: stopped")
	return err
}

// runServe is `pixdesk serve`: headless, logging to stderr, until SIGINT
// or SIGTERM.
func runServe(args []string, sys system) int {
	var o serveOptions
	cfg, code, ok := commandConfig("pixdesk serve", serveUsage, args, sys, serveFlags(&o))
	if !ok {
		return code
	}
	if cfg.webhookListen == "" {
		return reportConfigError(badUsage("pixdesk serve needs an address to listen on: set PIXDESK_WEBHOOK_LISTEN or --webhook-listen, e.g. 0.0.0.0:8443"), sys.stderr)
	}
	var err error
	if o.leaseTTL, err = durationAtLeast("lease-ttl", o.leaseTTLText, time.Second, "10s"); err != nil {
		return reportConfigError(err, sys.stderr)
	}
	o.log = newLogger(sys.stderr, slog.LevelInfo).With("terminal", cfg.terminal)
	tuneGC(sys.getenv)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	s, err := startServe(ctx, cfg, o)
	if err != nil {
		fmt.Fprintf(sys.stderr, "pixdesk serve: %v\n", err)
		var ue *usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	code = 0
	select {
	case <-ctx.Done():
	case err := <-s.served:
		o.log.Error("serve: HTTP server failed", "err", err)
		code = 1
	case <-s.engineDone:
		o.log.Error("serve: engine stopped", "err", s.engineErr)
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

// serveUsage is printed after the flags on `pixdesk serve -h`.
const serveUsage = `
serve needs -webhook-listen (PIXDESK_WEBHOOK_LISTEN); -tls-cert and
-tls-key (PIXDESK_TLS_CERT, PIXDESK_TLS_KEY) put TLS on it. It serves
  POST /webhooks/connectpsp, GET /healthz, GET /metrics
`
