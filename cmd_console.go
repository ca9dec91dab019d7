package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
	"github.com/pixdesk/pixdesk/ui"
)

// stack is everything a console or serve runs on: the store, the client,
// the engine and, without credentials, the embedded sandbox.
type stack struct {
	cfg     *config
	log     *slog.Logger
	db      *store.DB
	client  *psp.Client
	engine  *engine.Engine
	sandbox *sandbox.Sandbox
	notices chan engine.Notice
	hookURL string // where ConnectPSP posts webhooks
	hookAt  string // the local listener's address ("" when off)
	closers []func()
}

// close releases the stack in reverse order.
func (s *stack) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// openStack opens the store and wires the client, the engine and, in
// sandbox mode, the embedded sandbox. listen says whether this process
// receives webhooks itself.
func openStack(ctx context.Context, cfg *config, pollAll bool) (*stack, error) {
	s := &stack{cfg: cfg, notices: make(chan engine.Notice, 1024)}
	logger, closeLog, err := openLog(cfg)
	if err != nil {
		return nil, err
	}
	s.log = logger
	s.closers = append(s.closers, closeLog)
	dsn, dataDir, err := storeDSN(cfg)
	if err != nil {
		s.close()
		return nil, err
	}
	s.db, err = store.Open(ctx, dsn, store.WithLogger(logger))
	if err != nil {
		s.close()
		return nil, fmt.Errorf("cannot open the store: %w", err)
	}
	s.closers = append(s.closers, func() { s.db.Close() })

	base, creds := cfg.baseURL, cfg.creds
	if cfg.embedded {
		var sb *sandbox.Sandbox
		base, sb, err = sandbox.Serve(ctx, "127.0.0.1:0", sandbox.Options{
			Logger:    logger.With("component", "sandbox"),
			RetryBase: 500e6,
			StatePath: sandboxState(dataDir),
		})
		if err != nil {
			s.close()
			return nil, fmt.Errorf("cannot start the built-in sandbox: %w", err)
		}
		s.sandbox, creds = sb, sb.Credentials()
	}
	s.client, err = psp.NewClient(base, creds, psp.WithLogger(logger.With("component", "connectpsp")))
	if err != nil {
		s.close()
		return nil, err
	}
	s.engine = engine.New(engine.Config{
		DB:         s.db,
		Client:     s.client,
		Terminal:   cfg.terminal,
		WebhookKey: creds.CryptoToken,
		Logger:     logger.With("component", "engine"),
		PollAll:    pollAll,
		LeaseTTL:   sharedLeaseTTL(s.db),
		Notify: func(n engine.Notice) {
			select {
			case s.notices <- n:
			default: // a hint only: the store stays the truth
			}
		},
	})
	listen := cfg.webhookListen
	if listen == "" && cfg.embedded {
		listen = "127.0.0.1:0"
	}
	if listen != "" {
		s.hookAt, err = s.engine.ListenWebhooks(ctx, listen)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("cannot receive webhooks on %s: %w", listen, err)
		}
	}
	s.hookURL = cfg.webhookURL
	if s.hookURL == "" && cfg.embedded {
		s.hookURL = "http://" + s.hookAt + engine.WebhookPath
	}
	s.engine.SetWebhookURL(s.hookURL)
	return s, nil
}

// openLog opens the log file: the console owns the terminal, so nothing is
// ever logged to it.
func openLog(cfg *config) (*slog.Logger, func(), error) {
	path := cfg.logPath
	if path == "" {
		p, err := store.DefaultPath()
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
	l := slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return l.With("terminal", cfg.terminal), func() { f.Close() }, nil
}

// runConsole opens the counter console, or with lookup the support lookup.
func runConsole(args []string, lookup bool, getenv func(string) string, stderr io.Writer) int {
	name := "pixdesk"
	if lookup {
		name = "pixdesk lookup"
	}
	cfg, err := loadConfig(name, args, getenv, stderr)
	if err != nil {
		return reportConfigError(err, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	s, err := openStack(ctx, cfg, false)
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk: %v\n", err)
		return 1
	}
	defer s.close()
	go s.engine.Run(ctx)

	b := &backend{Engine: s.engine, db: s.db, client: s.client, sandbox: s.sandbox, terminal: cfg.terminal}
	model := ui.New(uiConfig(cfg, s, getenv), b)
	if lookup {
		model = ui.NewLookup(uiConfig(cfg, s, getenv), b)
	}
	p := tea.NewProgram(model, tea.WithAltScreen(), tea.WithContext(ctx))
	go ui.Forward(ctx, p, s.notices, s.db.Subscribe(ctx))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && ctx.Err() == nil {
		fmt.Fprintf(stderr, "pixdesk: %v\n", err)
		return 1
	}
	return 0
}

// uiConfig is the console's view of the configuration.
func uiConfig(cfg *config, s *stack, getenv func(string) string) ui.Config {
	style := ui.QRHalfBlocks
	if cfg.qrStyle == "sextant" {
		style = ui.QRSextants
	}
	return ui.Config{
		Lang:          cfg.lang,
		Terminal:      cfg.terminal,
		Env:           string(cfg.env),
		Sandbox:       s.sandbox != nil,
		MaxAmount:     cfg.maxAmount,
		DefaultExpiry: cfg.expiry,
		WebhookAddr:   s.hookAt,
		Store:         s.db.Describe(),
		QRStyle:       style,
		NoColor:       getenv("NO_COLOR") != "",
	}
}

// reportConfigError prints a configuration problem as one sentence.
func reportConfigError(err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "pixdesk: %v\n", err)
	return 2
}

// isPostgres reports whether dsn names a PostgreSQL server.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// sandboxState is where the embedded sandbox keeps its charges, so that a
// restarted console finds the charges it was tracking; with a PostgreSQL
// store it sits in the user's data directory.
func sandboxState(dataDir string) string {
	if dataDir == "" {
		p, err := store.DefaultPath()
		if err != nil {
			return ""
		}
		dataDir = filepath.Dir(p)
	}
	return filepath.Join(dataDir, "pixdesk-sandbox.json")
}
