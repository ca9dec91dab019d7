package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The console under real hands: the pixdesk binary runs in tmux on the
// built-in sandbox, and keys reach it as a terminal sends them. Three
// Enters sent literally (`send-keys -l $'\r\r\r'`) are one write to the
// pty, which Bubble Tea reads at once and hands over as three keys before
// any command's answer: the console before this test made two or three
// charges of them, every time. (`send-keys Enter Enter Enter` may write
// each key apart, and a fast program then sees them one by one.) The
// model-level twins, which do not depend on the terminal, are in
// ui/burst_test.go.

// tmuxRequireEnv, when set (.ci/run sets it), makes a missing tmux a
// failure rather than a skip.
const tmuxRequireEnv = "PIXDESK_TEST_REQUIRE_TMUX"

// tmuxConsole is a pixdesk process in a private tmux server.
type tmuxConsole struct {
	t      *testing.T
	socket string
	bin    string
	dir    string
	db     string
}

// newTmux builds pixdesk (once) and prepares a store in a fresh directory
// and a tmux server of its own. It skips, saying so, when tmux or the go
// tool is missing.
func newTmux(t *testing.T) *tmuxConsole {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIP tmux test under -short: it builds and runs the real binary")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv(tmuxRequireEnv) != "" {
			t.Fatalf("tmux is not installed and %s is set", tmuxRequireEnv)
		}
		t.Skip("SKIP: tmux is not installed, so the burst against the real binary is NOT tested here (install tmux; ui/burst_test.go covers the model)")
	}
	bin := plainBinary(t)
	dir := t.TempDir()
	c := &tmuxConsole{
		t:      t,
		socket: fmt.Sprintf("pixdesk-test-%d-%d", os.Getpid(), time.Now().UnixNano()),
		bin:    bin,
		dir:    dir,
		db:     filepath.Join(dir, "pixdesk.db"),
	}
	t.Cleanup(func() { _ = c.tmux("kill-server") })
	return c
}

// run starts pixdesk with args in a 120×40 window.
func (c *tmuxConsole) run(args ...string) {
	c.t.Helper()
	cmd := append([]string{c.bin}, args...)
	cmd = append(cmd, "--db", c.db, "--log", filepath.Join(c.dir, "pixdesk.log"), "--terminal", "caixa-01")
	if err := c.tmux("-f", "/dev/null", "new-session", "-d", "-s", "pd", "-x", "120", "-y", "40", strings.Join(cmd, " ")); err != nil {
		c.t.Fatalf("tmux new-session: %v", err)
	}
}

// tmuxEnv is the environment the console starts in: no credentials (the
// built-in sandbox), no settings of the machine running the tests.
func tmuxEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CONNECTPSP_") || strings.HasPrefix(kv, "PIXDESK_") || strings.HasPrefix(kv, "TMUX") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LANG=C.UTF-8", "TERM=xterm-256color")
}

func (c *tmuxConsole) tmux(args ...string) error {
	cmd := exec.Command("tmux", append([]string{"-u", "-L", c.socket}, args...)...)
	cmd.Env = tmuxEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// keys sends keys with one send-keys: one write to the terminal.
func (c *tmuxConsole) keys(keys ...string) {
	c.t.Helper()
	if err := c.tmux(append([]string{"send-keys", "-t", "pd"}, keys...)...); err != nil {
		c.t.Fatalf("send-keys %q: %v", keys, err)
	}
}

// screen is what the window shows now.
func (c *tmuxConsole) screen() string {
	cmd := exec.Command("tmux", "-u", "-L", c.socket, "capture-pane", "-p", "-t", "pd")
	cmd.Env = tmuxEnv()
	out, _ := cmd.Output()
	return string(out)
}

// waitFor waits until the window shows every one of texts (a condition,
// not a delay: the deadline only bounds a broken run).
func (c *tmuxConsole) waitFor(what string, texts ...string) string {
	c.t.Helper()
	deadline := time.Now().Add(e2eWait)
	for {
		s := c.screen()
		ok := true
		for _, text := range texts {
			ok = ok && strings.Contains(s, text)
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s; the window shows:\n%s", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitEither waits until one of the conditions holds on the window and
// returns its index.
func (c *tmuxConsole) waitEither(what string, conds ...func(string) bool) int {
	c.t.Helper()
	deadline := time.Now().Add(e2eWait)
	for {
		s := c.screen()
		for i, cond := range conds {
			if cond(s) {
				return i
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out waiting for %s; the window shows:\n%s", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// charges counts the charges in the journal (pixdesk tx list) and at the
// sandbox, which stands for ConnectPSP (its state file beside the store).
func (c *tmuxConsole) charges() (journal, connectPSP int) {
	c.t.Helper()
	cmd := exec.Command(c.bin, "tx", "list", "--db", c.db, "--json")
	cmd.Env = tmuxEnv()
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("tx list: %v", err)
	}
	var rows []json.RawMessage
	if err := json.Unmarshal(out, &rows); err != nil {
		c.t.Fatalf("tx list --json: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(c.dir, "pixdesk-sandbox.json"))
	if err != nil {
		c.t.Fatalf("sandbox state: %v", err)
	}
	var state struct {
		Charges []json.RawMessage `json:"charges"`
	}
	if err := json.Unmarshal(b, &state); err != nil {
		c.t.Fatalf("sandbox state: %v", err)
	}
	return len(rows), len(state.Charges)
}

// settled presses "?" on the charge screen and waits for the full help
// (ctrl+f is only there): every key sent before it has been handled, and
// every create those keys started has been sent.
func (c *tmuxConsole) settled() {
	c.t.Helper()
	c.keys("?")
	c.waitFor("the full help (every key before it handled)", "ctrl+f")
}

// TestTmuxEnterBurstChargesOnce: three Enters in one write create one
// charge; the same sale typed again and hit with three Enters asks first
// and creates nothing.
func TestTmuxEnterBurstChargesOnce(t *testing.T) {
	c := newTmux(t)
	c.run()
	c.waitFor("the form", "Nova cobrança PIX", "ConnectPSP ok")
	sale := func() {
		c.keys("1250", "Tab", "Joao da Silva", "Tab", "12345678909", "Tab", "Tab")
		c.waitFor("the validity field", "▸ Validade", "Joao da Silva", "123.456.789-09")
	}
	sale()
	c.keys("-l", "\r\r\r") // one write: one read
	c.waitFor("the charge", "Aguardando pagamento", "caixa-01-000001")
	c.settled()
	if j, p := c.charges(); j != 1 || p != 1 {
		t.Fatalf("three Enters in one write: %d charges in the journal, %d at ConnectPSP; want 1 and 1\n%s", j, p, c.screen())
	}

	c.keys("?", "n") // help off, then the next sale
	c.waitFor("the form again", "Nova cobrança PIX", "Em aberto")
	sale()
	c.keys("-l", "\r\r\r")
	s := c.waitFor("the question or the charge that exists", "caixa-01-000001")
	switch {
	case strings.Contains(s, "Já existe uma cobrança igual"):
		// The question can show before the burst's last Enter is read:
		// that Enter may still open the charge that exists. Esc, then
		// either the form without the question (every Enter handled
		// before the Esc) or that charge (an Enter answered first).
		c.keys("Escape")
		if c.waitEither("the form or the existing charge", func(s string) bool {
			return strings.Contains(s, "▸ Validade") && !strings.Contains(s, "Já existe")
		}, func(s string) bool {
			return strings.Contains(s, "Aguardando pagamento")
		}) == 1 {
			c.settled()
		}
	case strings.Contains(s, "Aguardando pagamento"):
		c.settled() // an Enter answered the question: the charge that exists
	default:
		t.Fatalf("neither the question nor the existing charge:\n%s", s)
	}
	if j, p := c.charges(); j != 1 || p != 1 {
		t.Fatalf("the same sale hit with three Enters: %d charges in the journal, %d at ConnectPSP; want still 1\n%s", j, p, c.screen())
	}
}

// TestTmuxLookupTextAndEnter: a search typed and Enter in one write open
// the row that matches the text, never the row highlighted before it.
func TestTmuxLookupTextAndEnter(t *testing.T) {
	c := newTmux(t)
	for _, sale := range [][]string{
		{"--amount", "12,50", "--name", "Ana Lima", "--document", "12345678909"},
		{"--amount", "33,00", "--name", "Bruno Costa", "--document", "23858488135"},
	} {
		cmd := exec.Command(c.bin, append(append([]string{"tx", "create"}, sale...), "--db", c.db, "--terminal", "caixa-01",
			"--log", filepath.Join(c.dir, "create.log"))...)
		cmd.Env = tmuxEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("tx create: %v\n%s", err, out)
		}
	}
	c.run("lookup")
	c.waitFor("both rows, the newest highlighted", "▸", "Ana Lima", "Bruno Costa", "ConnectPSP ok")

	// Had Enter acted on the rows on screen, Bruno's (highlighted) detail
	// would open at once; the answer for zzzz, empty, shows instead.
	c.keys("zzzz", "Enter")
	c.waitFor("the empty answer", "Nenhuma transação")
	if s := c.screen(); strings.Contains(s, "Histórico") {
		t.Fatalf("zzzz and Enter opened a detail:\n%s", s)
	}
	c.keys("Escape") // the search cleared
	c.waitFor("both rows again", "Ana Lima", "Bruno Costa")
	c.keys("ana", "Enter")
	s := c.waitFor("Ana's detail", "Ana Lima", "Histórico")
	if strings.Contains(s, "Bruno Costa") {
		t.Fatalf("ana and Enter opened another row:\n%s", s)
	}
}
