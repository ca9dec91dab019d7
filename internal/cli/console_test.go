//go:build unix

package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
	"go.uber.org/goleak"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// The console's real entry point, start to finish, on a pseudo-terminal
// of 120×40: runConsole opens the production stack on the built-in
// sandbox, the cashier types a sale and sees its QR, then quits with
// ctrl+c. The charge is in the journal; the shutdown ran in the stack's
// order — the receiver, the engine, the sandbox, and the store closed last,
// with nothing logged after it — and no goroutine the console started is
// left (goleak).
func TestConsoleStartToFinish(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		// Bubble Tea leaves a tea.Tick (the countdown's) waiting on its
		// timer, at most a second, and the batch that holds it; any
		// command of ours still running would show on its own.
		goleak.IgnoreTopFunction("github.com/charmbracelet/bubbletea.Tick.func1"),
		goleak.IgnoreAnyFunction("github.com/charmbracelet/bubbletea.(*Program).execBatchMsg"))
	dir := t.TempDir()
	env := map[string]string{
		"PIXDESK_DB": filepath.Join(dir, "pixdesk.db"), "PIXDESK_LOG": filepath.Join(dir, "pixdesk.log"),
		"PIXDESK_TERMINAL": "caixa-01", "PIXDESK_LANG": "en", "PIXDESK_QR_STYLE": "text",
		"XDG_DATA_HOME": dir, "XDG_CONFIG_HOME": dir, "HOME": dir, "TERM": "xterm-256color",
	}
	ptm, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	if err := pty.Setsize(ptm, &pty.Winsize{Cols: 120, Rows: 40}); err != nil {
		t.Fatal(err)
	}
	screen := &e2eBuffer{}
	read := make(chan struct{})
	go func() {
		defer close(read)
		io.Copy(screen, ptm) // until the master is closed
	}()
	defer func() {
		ptm.Close()
		<-read
	}()
	var stderr e2eBuffer
	code := make(chan int, 1)
	go func() {
		defer tty.Close()
		code <- runConsole(nil, false, system{getenv: envOf(env), stdin: tty, stdout: tty, stderr: &stderr})
	}()
	shows := func(what string, texts ...string) {
		t.Helper()
		e2eUntil(t, what, func() bool {
			s := ansi.Strip(screen.String())
			for _, text := range texts {
				if !strings.Contains(s, text) {
					return false
				}
			}
			return true
		})
	}
	keys := func(s string) {
		t.Helper()
		if _, err := ptm.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}

	shows("the form", "New PIX charge", e2eLinkUp)
	for _, k := range []string{"1250", "\r", "Maria Souza", "\r", "52998224725", "\r", "\r", "\r"} {
		keys(k)
	}
	shows("the charge", e2eOnCharge, "caixa-01-000001")
	keys("\x03") // ctrl+c
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d: %s", c, stderr.String())
		}
	case <-time.After(e2eWait):
		t.Fatalf("the console did not quit; screen:\n%s", ansi.Strip(screen.String()))
	}

	db, err := store.Open(context.Background(), env["PIXDESK_DB"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cs, err := db.Search(context.Background(), store.Query{Limit: 10})
	if err != nil || len(cs) != 1 || cs[0].Status != psp.StatusAwaitingPayment || cs[0].Amount != 1250 {
		t.Fatalf("journal: %d charges (%v), want the one sold, awaiting payment", len(cs), err)
	}

	b, err := os.ReadFile(env["PIXDESK_LOG"])
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	last := -1
	for _, step := range []string{"shutdown: webhook receiver stopped", "shutdown: engine stopped", "shutdown: sandbox stopped", "shutdown: store closed"} {
		i := strings.Index(log, step)
		if i < 0 || i < last {
			t.Fatalf("shutdown step %q missing or out of order in the log:\n%s", step, log)
		}
		last = i
	}
	if rest := log[last:]; strings.Count(rest, "\n") != 1 {
		t.Errorf("logged after the store closed:\n%s", rest)
	}
}
