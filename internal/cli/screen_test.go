package cli

import (
	"os"
	"testing"

	"github.com/creack/pty"
	"github.com/muesli/termenv"
)

// A terminal keeps its colours on a machine whose environment says CI
// (termenv alone would call it no terminal and draw without colour), and
// NO_COLOR still turns them off; a file that is no terminal gets none.
func TestTerminalRendererColours(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	t.Setenv("TERM", "xterm-256color")
	t.Setenv("COLORTERM", "")
	t.Setenv("NO_COLOR", "")
	t.Setenv("CLICOLOR", "")
	t.Setenv("CI", "true")
	if got := terminalRenderer(tty).ColorProfile(); got != termenv.ANSI256 {
		t.Errorf("a terminal with CI=true: profile %v, want ANSI256", got)
	}
	t.Setenv("NO_COLOR", "1")
	if got := terminalRenderer(tty).ColorProfile(); got != termenv.Ascii {
		t.Errorf("NO_COLOR=1: profile %v, want Ascii", got)
	}
	t.Setenv("NO_COLOR", "")
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := terminalRenderer(f).ColorProfile(); got != termenv.Ascii {
		t.Errorf("a plain file: profile %v, want Ascii", got)
	}
}
