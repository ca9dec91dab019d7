package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/internal/termcap"
	"github.com/pixdesk/pixdesk/ui"
)

// runConsole opens the counter console, or with lookup the support lookup,
// on the terminal of sys until the cashier quits or SIGTERM. It shuts down
// in the stack's order (stack.stop): the screen first, then what feeds it,
// the receiver and the engine, and the store last.
func runConsole(args []string, lookup bool, sys system) int {
	name := "pixdesk"
	if lookup {
		name = "pixdesk lookup"
	}
	var sign signInFlags
	cfg, err := loadConfig(name, args, sys.getenv, sys.stderr, sign.register)
	if err == nil {
		err = sign.check()
	}
	if err != nil {
		return reportConfigError(err, sys.stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	s, err := openStack(ctx, cfg)
	if err != nil {
		fmt.Fprintf(sys.stderr, "pixdesk: %v\n", err)
		return 1
	}
	defer s.stop(context.Background())
	// The screen is Bubble Tea's: whatever a library still writes through
	// the log package (or slog's default) goes to the log file instead.
	slog.SetDefault(s.log)
	s.start()

	b := &backend{Engine: s.engine, db: s.db, client: s.client, pay: s.pay, terminal: cfg.terminal}
	caps := detectTerminal(sys.getenv)
	// The renderer and the console's own bytes (bell, OSC 52) share one
	// writer, so that neither is written inside the other.
	term := ui.NewTerminal(sys.stdout)
	ucfg := uiConfig(cfg, s, sys, caps)
	if ucfg.Operators, err = s.db.HasOperators(ctx); err != nil {
		fmt.Fprintf(sys.stderr, "pixdesk: %v\n", err)
		return 1
	}
	ucfg.Authority, ucfg.Operator, ucfg.IdleLock = s.db, sign.operator, sign.idleLock
	ucfg.Output = term
	ucfg.Context = ctx // SIGTERM ends the screens' commands with the program
	model := ui.New(ucfg, b)
	if lookup {
		model = ui.NewLookup(ucfg, b)
	}
	p := tea.NewProgram(model, append(sys.program(), tea.WithAltScreen(), tea.WithContext(ctx), tea.WithOutput(term))...)
	changes := s.db.Subscribe(s.life) // before the first frame, so nothing is missed
	s.spawn(func(ctx context.Context) { ui.Forward(ctx, p, s.notices, changes) })
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && ctx.Err() == nil {
		fmt.Fprintf(sys.stderr, "pixdesk: %v\n", err)
		return 1
	}
	return 0
}

// signInFlags are the console's flags about operators.
type signInFlags struct {
	operator, idle string
	idleLock       time.Duration
}

func (s *signInFlags) register(_ *config, f *flagSet) {
	f.stringVar(&s.operator, "operator", "PIXDESK_OPERATOR", "", "the operator the sign-in starts with; the PIN is still asked (PIXDESK_OPERATOR)")
	f.stringVar(&s.idle, "idle-lock", "PIXDESK_IDLE_LOCK", "5m", "lock back to the sign-in after this long without a key, e.g. 2m; 0 never (PIXDESK_IDLE_LOCK)")
}

func (s *signInFlags) check() error {
	d, err := time.ParseDuration(s.idle)
	if err != nil || d < 0 {
		return badUsage("--idle-lock %q is not a duration such as 5m or 90s", s.idle)
	}
	s.idleLock = d
	if d == 0 {
		s.idleLock = -1 // ui: never
	}
	return nil
}

// webhookVia is the host of the webhookUrl a console without a listener
// of its own sends (serve's), for its status bar; "" otherwise. Only the
// host: the URL may carry a user and password.
func webhookVia(webhookURL, listening string) string {
	if listening != "" || webhookURL == "" {
		return ""
	}
	u, err := url.Parse(webhookURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// uiConfig is the console's view of the configuration.
func uiConfig(cfg *config, s *stack, sys system, caps termcap.Caps) ui.Config {
	return ui.Config{
		Lang:          cfg.lang,
		Terminal:      cfg.terminal,
		Env:           string(cfg.env),
		Sandbox:       s.pay != nil,
		MaxAmount:     cfg.maxAmount,
		DefaultExpiry: cfg.expiry,
		WebhookAddr:   s.hookAt,
		WebhookVia:    webhookVia(cfg.webhookURL, s.hookAt),
		Store:         s.db.Describe(),
		QRStyle:       cfg.qrStyle,
		NoColor:       sys.getenv("NO_COLOR") != "",
		Caps:          caps,
		CellSize:      cellSize,
		Logger:        s.log.With("component", "ui"),
		Clipboard:     ui.SystemClipboard(runtime.GOOS, sys.getenv, exec.LookPath),
	}
}

// commandConfig is loadConfig for a subcommand with a usage text of its
// own: -h prints usage and the command exits 0, another failure is told as
// reportConfigError tells it. ok false means the command ends with code.
func commandConfig(name, usage string, args []string, sys system, opts ...configOption) (cfg *config, code int, ok bool) {
	cfg, err := loadConfig(name, args, sys.getenv, sys.stderr, opts...)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(sys.stderr, usage)
		return nil, 0, false
	}
	if err != nil {
		return nil, reportConfigError(err, sys.stderr), false
	}
	return cfg, 0, true
}

// reportConfigError prints a configuration problem as one sentence.
func reportConfigError(err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "pixdesk: %v\n", err)
	return 2
}
