package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/signal"
	"syscall"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/ui"
)

// displayFPS caps how often the display redraws: its screen changes at
// most once a second but for news from the journal, which then waits at
// most 1/displayFPS s. Bubble Tea's default, 60, costs an idle display
// most of its CPU.
const displayFPS = 10

// displayFlags adds display's own flags to loadConfig's and marks the
// configuration as needing no ConnectPSP credentials.
func displayFlags(shop, hold *string) configOption {
	return func(c *config, f *flagSet) {
		c.storeOnly = true
		f.stringVar(shop, "shop-name", "PIXDESK_SHOP_NAME", "", "the shop's name on the customer display (PIXDESK_SHOP_NAME)")
		f.stringVar(hold, "hold", "PIXDESK_DISPLAY_HOLD", "",
			fmt.Sprintf("how long PAGO (or how a charge ended) stays on the display before the idle screen, default %v (PIXDESK_DISPLAY_HOLD)", ui.DefaultHold))
	}
}

// displayConfig is the display's view of the configuration.
func displayConfig(cfg *config, shop string, getenv func(string) string) ui.DisplayConfig {
	return ui.DisplayConfig{
		Lang:     cfg.lang,
		Terminal: cfg.terminal,
		ShopName: shop,
		QRStyle:  cfg.qrStyle,
		NoColor:  getenv("NO_COLOR") != "",
	}
}

// openDisplay opens the display's stack — the journal the counter's
// console uses and the log, nothing that talks to ConnectPSP — and builds
// the display of cfg.terminal on it.
func openDisplay(ctx context.Context, cfg *config, dc ui.DisplayConfig) (*stack, *ui.Display, error) {
	cfg.storeOnly = true
	s, err := openStack(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	s.log = s.log.With("component", "display")
	s.log.Info("display: following the counter", "store", s.db.Describe())
	dc.Logger = s.log // the QR drawn at each size, as the console logs it
	// Only backend's store reads are reachable through ui.DisplaySource:
	// the display has no engine and no ConnectPSP client.
	return s, ui.NewDisplay(dc, &backend{db: s.db, terminal: cfg.terminal}), nil
}

// runDisplay is `pixdesk display`: the screen facing the customer of one
// counter, following it through the journal's change feed. Its stack is
// the journal and the log only (cfg.storeOnly): nothing talks to
// ConnectPSP.
func runDisplay(args []string, sys system) int {
	var shop, hold string
	cfg, err := loadConfig("pixdesk display", args, sys.getenv, sys.stderr, displayFlags(&shop, &hold))
	if err != nil {
		return reportConfigError(err, sys.stderr)
	}
	holdFor, err := durationAtLeast("hold", hold, time.Second, "10s")
	if err != nil {
		return reportConfigError(err, sys.stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	dc := displayConfig(cfg, shop, sys.getenv)
	dc.Hold = holdFor // 0: ui.DefaultHold
	// As the console: asked once, before Bubble Tea takes the terminal,
	// and the cell measured again after each resize.
	dc.Caps = detectTerminal(sys.getenv)
	dc.CellSize = cellSize
	s, model, err := openDisplay(ctx, cfg, dc)
	if err != nil {
		fmt.Fprintf(sys.stderr, "pixdesk display: %v\n", err)
		return 1
	}
	defer s.stop(context.Background())
	slog.SetDefault(s.log) // as the console does: the screen is Bubble Tea's
	p := tea.NewProgram(model, append(sys.program(), tea.WithAltScreen(), tea.WithContext(ctx), tea.WithFPS(displayFPS))...)
	// Subscribed before the program starts, so nothing committed after the
	// display's first read is missed.
	changes := s.db.Subscribe(s.life)
	s.spawn(func(ctx context.Context) { ui.Forward(ctx, p, nil, changes) })
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && ctx.Err() == nil {
		fmt.Fprintf(sys.stderr, "pixdesk display: %v\n", err)
		return 1
	}
	return 0
}
