package cli

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/ui"
)

// runQRTest is pixdesk qr-test: the calibration screen. It draws a test
// code in each style the terminal offers; the style the cashier picks is
// saved in the settings file, which the console then uses. With --style it
// shows one code in one style and saves nothing (for a test, or to check).
func runQRTest(args []string, sys system) int {
	getenv, stdout, stderr := sys.getenv, sys.stdout, sys.stderr
	fs := newFlagSet("pixdesk qr-test", getenv, stderr)
	var code, style, lang, logPath string
	fs.StringVar(&code, "code", "", "the code to draw (default: a test code that pays nothing)")
	fs.StringVar(&style, "style", "", "show the code in this style only: auto, graphics, sextant, half or text")
	fs.langVar(&lang, "interface language: pt-BR or en (PIXDESK_LANG)")
	fs.stringVar(&logPath, "log", "PIXDESK_LOG", "", "log file: what is drawn at each size (PIXDESK_LOG; default none)")
	if err := fs.parseNone(args); err != nil {
		return reportConfigError(err, stderr)
	}
	path := settingsPath(getenv)
	settings, err := readSettings(path)
	if err != nil {
		return reportConfigError(err, stderr)
	}
	current, err := ui.ParseQRStyle(cmp.Or(fs.env("PIXDESK_QR_STYLE"), settings["qr-style"]))
	if err != nil {
		return reportConfigError(badUsage("%v", err), stderr)
	}
	cal := ui.CalibrationConfig{Lang: lang, Code: code, Current: current, NoColor: getenv("NO_COLOR") != ""}
	if style != "" {
		if cal.Style, err = ui.ParseQRStyle(style); err != nil {
			return reportConfigError(badUsage("--style %q: use auto, graphics, sextant, half or text", style), stderr)
		}
		cal.One = true
	}
	logger := slog.New(slog.DiscardHandler)
	if logPath != "" {
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Fprintf(stderr, "pixdesk: cannot open the log file: %v\n", err)
			return 1
		}
		defer f.Close()
		logger = newLogger(f, slog.LevelInfo)
	}
	cal.Caps = detectTerminal(getenv)
	cal.CellSize = cellSize
	cal.Logger = logger.With("component", "qr-test")
	logger.Info("terminal", "caps", fmt.Sprintf("%+v", cal.Caps))

	slog.SetDefault(logger) // as the console does: the screen is Bubble Tea's
	m := ui.NewCalibration(cal)
	if _, err := tea.NewProgram(m, append(sys.program(), tea.WithAltScreen())...).Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		fmt.Fprintf(stderr, "pixdesk: %v\n", err)
		return 1
	}
	chosen, ok := m.Chosen()
	if !ok {
		return 0
	}
	if path == "" {
		fmt.Fprintf(stderr, "pixdesk: neither XDG_CONFIG_HOME nor HOME is set: use --qr-style %s or PIXDESK_QR_STYLE=%s\n", chosen, chosen)
		return 1
	}
	if err := saveSetting(path, "qr-style", chosen.String()); err != nil {
		fmt.Fprintf(stderr, "pixdesk: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "pixdesk: qr-style = %s saved in %s\n", chosen, filepath.Clean(path))
	return 0
}
