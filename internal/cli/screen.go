package cli

import (
	"os"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/term"
	"github.com/muesli/termenv"

	"github.com/pixdesk/pixdesk/internal/termcap"
)

// detectTerminal prepares the process's terminal for a screen: it asks the
// terminal what it can draw (termcap.Detect, once, before Bubble Tea
// takes it), has lipgloss draw in the colours the terminal has, and tells
// lipgloss the background found, so that termenv never sends its own
// query while Bubble Tea reads the keyboard; where the terminal did not
// say, termenv's guess (dark) is set.
func detectTerminal(getenv func(string) string) termcap.Caps {
	caps := termcap.Detect(termcap.Env(getenv))
	lipgloss.SetDefaultRenderer(terminalRenderer(os.Stdout))
	lipgloss.SetHasDarkBackground(caps.Dark || !caps.BackgroundKnown)
	return caps
}

// terminalRenderer is a lipgloss renderer for out that takes a terminal
// for a terminal. termenv, left to itself, reports no terminal — and so no
// colour — whenever CI is set in the environment, as it is on build
// machines and some kiosk images: the customer display's green PAGO came
// out grey there. The colours still follow TERM and COLORTERM, and
// NO_COLOR and CLICOLOR still turn them off.
func terminalRenderer(out *os.File) *lipgloss.Renderer {
	return lipgloss.NewRenderer(out, termenv.WithTTY(term.IsTerminal(out.Fd())))
}

// cellSize measures the terminal's cell in pixels with the window-size
// ioctl, which asks the terminal nothing: a screen calls it after each
// resize (a font change alters the cell).
func cellSize() (w, h int) { return termcap.CellSize(os.Stdout) }
