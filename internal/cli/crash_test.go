//go:build unix

package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// crashWait bounds each wait of the crash tests: a process to start, print,
// exit, or the sandbox to show something. None of them asserts a duration.
const crashWait = 40 * time.Second

// Proof under faults: the real binary is killed with SIGKILL at each step
// of a charge (store/engine/crashpoint.go) and run again on the same
// journal, against a sandbox running in its own process so that it
// outlives the crash. Whatever the step, ConnectPSP ends up with exactly
// one charge for the order and the journal with that charge PAID once.
func TestCrashRestart(t *testing.T) {
	// Parallel with the other slow tests that build or drive the real binary:
	// much of their time is waiting on processes, so two overlap well.
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	h := crashSetup(t)
	for _, tc := range []struct {
		point    string
		terminal string // one per case: a rerun resumes its terminal's unanswered creates
		// sent: the crashed run's create reached ConnectPSP, so the rerun
		// gets the charge by replaying the stored key.
		sent bool
	}{
		{"after-intent", "C-intent", false},
		{"after-send", "C-send", true},
		{"after-response", "C-response", true},
	} {
		t.Run(tc.point, func(t *testing.T) {
			ref := "crash-" + tc.point
			env := h.env(t, tc.terminal)
			before := h.stats(t)

			crashed := h.start(t, env, tc.point, h.createArgs(ref)...)
			crashed.killedBySIGKILL()
			if got := h.show(t, env, ref); got.Stage != string(store.StagePending) {
				t.Fatalf("after the crash the charge is %q, want pending (the intent, unanswered)", got.Stage)
			}
			if tc.sent {
				h.poll(t, "the crashed create to reach the sandbox", func() bool {
					return h.stats(t).CashInsCreated == before.CashInsCreated+1
				})
			} else if st := h.stats(t); st.Requests["POST /cash-in"] != before.Requests["POST /cash-in"] {
				t.Fatalf("a create was sent before the crash after the intent: %+v", st.Requests)
			}

			rerun := h.start(t, env, "", h.createArgs(ref)...)
			created := rerun.record(0)
			if created.Status != psp.StatusAwaitingPayment || created.TransactionID == "" {
				t.Fatalf("rerun printed %+v, want the charge awaiting payment", created)
			}
			h.pay(t, created.TransactionID, ref)
			final := rerun.record(1)
			rerun.exitedZero()
			if final.Status != psp.StatusPaid {
				t.Fatalf("rerun ended with %q, want PAID", final.Status)
			}

			st := h.stats(t)
			if n := st.CashInsCreated - before.CashInsCreated; n != 1 {
				t.Errorf("ConnectPSP made %d charges for the order, want 1", n)
			}
			replays, want := st.IdempotentReplays-before.IdempotentReplays, 0
			if tc.sent {
				want = 1 // the stored key brought back the charge made before the crash
			}
			if replays != want {
				t.Errorf("idempotent replays = %d, want %d", replays, want)
			}
			h.paidOnce(t, env, ref, created.TransactionID)
		})
	}
	t.Run("after-webhook", func(t *testing.T) { crashAfterWebhook(t, h) })
}

// TestProductionBinaryHasNoCrashPoints: the crash points are compiled in
// only with the crashpoints tag. A binary built as users build it holds no
// trace of the hook, and one built for the crash tests does (so that the
// check can fail).
func TestProductionBinaryHasNoCrashPoints(t *testing.T) {
	// Parallel with the other slow tests that build or drive the real binary:
	// much of their time is waiting on processes, so two overlap well.
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary twice")
	}
	for _, tc := range []struct {
		tags []string
		want bool
	}{{nil, false}, {[]string{"crashpoints"}, true}} {
		b, err := os.ReadFile(crashBuild(t, t.TempDir(), tc.tags...))
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(b, []byte(crashVariable)); got != tc.want {
			t.Errorf("built with tags %q: the binary names %s: %v, want %v", tc.tags, crashVariable, got, tc.want)
		}
	}
}

// crashVariable is the environment variable that names a crash point.
const crashVariable = "PIXDESK_CRASH_AT"

// crashAfterWebhook: a webhook recorded by a process that dies before
// answering it is sent again by ConnectPSP; the restarted counter records
// the new attempt as a duplicate, and PAID is applied once.
func crashAfterWebhook(t *testing.T, h *crashHarness) {
	env := h.env(t, "C-webhook")
	ref, next := "crash-after-webhook", "crash-after-webhook-next"
	before := h.stats(t)

	crashed := h.start(t, env, "after-webhook", h.createArgs(ref)...)
	created := crashed.record(0)
	h.pay(t, created.TransactionID, ref)
	crashed.killedBySIGKILL()
	if got := h.show(t, env, ref); got.Status != psp.StatusPaid {
		t.Fatalf("after the crash the charge is %q, want PAID (recorded before dying)", got.Status)
	}

	// The order's rerun finds it paid: nothing is sent, nothing is created.
	rerun := h.start(t, env, "", h.createArgs(ref)...)
	if r := rerun.record(0); r.Status != psp.StatusPaid || r.TransactionID != created.TransactionID {
		t.Fatalf("rerun printed %+v, want the same charge PAID", r)
	}
	rerun.exitedZero()

	// The counter's next order keeps a process listening until ConnectPSP's
	// retry of the unanswered delivery has been answered.
	counter := h.start(t, env, "", h.createArgs(next)...)
	nextCharge := counter.record(0)
	var answered sandbox.Delivery
	h.poll(t, "the unanswered webhook to be delivered again and answered 200", func() bool {
		for _, d := range h.deliveries(t, created.TransactionID) {
			if d.StatusCode == http.StatusOK {
				answered = d
				return true
			}
		}
		return false
	})
	h.pay(t, nextCharge.TransactionID, next)
	if r := counter.record(1); r.Status != psp.StatusPaid {
		t.Fatalf("the next order ended with %q, want PAID", r.Status)
	}
	counter.exitedZero()

	first := h.deliveries(t, created.TransactionID)
	if len(first) < 2 || first[0].StatusCode == http.StatusOK {
		t.Fatalf("deliveries of the paid charge %+v: want a first attempt left unanswered by the crash, then a retry", first)
	}
	// The retry is byte for byte the first attempt, which the crash left
	// recorded but unanswered: it is counted on the first as a replay.
	got := h.show(t, env, ref)
	dup := false
	for _, e := range got.Timeline {
		if e.Kind == store.EntryWebhook && e.Facts.Replayed {
			dup = e.Outcome == string(store.OutcomeDuplicate) && e.Facts.EventID == first[0].EventID
			if !dup {
				t.Errorf("the retried delivery was recorded as %q %+v, want a duplicate of %s", e.Outcome, e.Facts, first[0].EventID)
			}
		}
	}
	if !dup {
		t.Errorf("the retried delivery %s is not in the timeline as a replay of %s:\n%s", answered.EventID, first[0].EventID, crashTimeline(got))
	}
	h.paidOnce(t, env, ref, created.TransactionID)
	if n := h.stats(t).CashInsCreated - before.CashInsCreated; n != 2 {
		t.Errorf("ConnectPSP made %d charges for two orders, want 2", n)
	}
}

// crashHarness is the built binary, a sandbox running from it, and where
// the journal lives.
type crashHarness struct {
	ctx   context.Context
	bin   string
	dir   string
	base  string // the sandbox's URL
	creds []string
}

// crashSetup builds the binary and starts `pixdesk sandbox` in its own
// process; both end with the test.
func crashSetup(t *testing.T) *crashHarness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*crashWait)
	t.Cleanup(cancel)
	h := &crashHarness{ctx: ctx, dir: t.TempDir()}
	h.bin = crashBuild(t, h.dir, "crashpoints")
	for try := 1; ; try++ {
		sb := h.start(t, os.Environ(), "", "sandbox", "--listen", crashFreePort(t),
			"--state", filepath.Join(h.dir, "sandbox.json"), "--webhook-retry", "250ms")
		for i := 0; ; i++ {
			line, ok := sb.line(i)
			if !ok {
				break
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "export "); ok {
				h.creds = append(h.creds, v)
				if u, ok := strings.CutPrefix(v, "CONNECTPSP_BASE_URL="); ok {
					h.base = u
				}
			}
			if strings.Contains(line, "Ctrl-C stops it") {
				return h
			}
		}
		if try == 3 { // the port was taken between picking and binding
			t.Fatalf("the sandbox did not start:\n%s", sb.stderr.String())
		}
		h.creds, h.base = nil, ""
	}
}

// crashBuild builds pixdesk into dir with the build tags given (the crash
// tests need "crashpoints"), with the race detector when the test has it
// (the build then reuses the packages compiled for the test).
func crashBuild(t *testing.T, dir string, tags ...string) string {
	t.Helper()
	goTool := os.Getenv("GO")
	if goTool == "" {
		var err error
		if goTool, err = exec.LookPath("go"); err != nil {
			t.Skip("no go tool to build the binary with")
		}
	}
	args := []string{"build", "-o", filepath.Join(dir, "pixdesk")}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	if underRace() {
		args = append(args, "-race")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*crashWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, append(args, mainPackage)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return filepath.Join(dir, "pixdesk")
}

// underRace reports whether the test binary was built with the race
// detector.
func underRace() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				return true
			}
		}
	}
	return false
}

// mainPackage is the pixdesk command the tests build.
const mainPackage = "github.com/pixdesk/pixdesk"

// crashFreePort returns a loopback address nobody listens on right now.
func crashFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// env is the environment of a counter talking to the sandbox: its terminal
// id, its own webhook port (fixed, since a charge names its webhookUrl for good) and
// the shared journal. Nothing from the caller's PIXDESK_* or CONNECTPSP_*
// leaks in.
func (h *crashHarness) env(t *testing.T, terminal string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIXDESK_") && !strings.HasPrefix(kv, "CONNECTPSP_") {
			out = append(out, kv)
		}
	}
	hook := crashFreePort(t)
	return append(append(out, h.creds...),
		"XDG_DATA_HOME="+h.dir,
		"PIXDESK_DB="+filepath.Join(h.dir, "journal.db"),
		"PIXDESK_LOG="+filepath.Join(h.dir, "pixdesk.log"),
		"PIXDESK_TERMINAL="+terminal,
		"PIXDESK_WEBHOOK_LISTEN="+hook,
		"PIXDESK_WEBHOOK_URL=http://"+hook+engine.WebhookPath,
	)
}

func (h *crashHarness) createArgs(ref string) []string {
	return []string{"tx", "create", "--amount", "12,50", "--name", "Maria Souza", "--document", "529.982.247-25",
		"--reference", ref, "--wait", "--json"}
}

// start runs the binary with env, and with PIXDESK_CRASH_AT=crashAt when
// crashAt is set. The process is killed when the test ends.
func (h *crashHarness) start(t *testing.T, env []string, crashAt string, args ...string) *crashProc {
	t.Helper()
	cmd := exec.CommandContext(h.ctx, h.bin, args...) // no process outlives the test's patience
	// GORACE: a race-enabled binary otherwise sleeps 1 s at every exit.
	cmd.Env = append(env, crashVariable+"="+crashAt, "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	p := &crashProc{t: t, ctx: h.ctx, name: strings.Join(args[:min(2, len(args))], " "), cmd: cmd,
		more: make(chan struct{}, 1), done: make(chan struct{})}
	cmd.Stderr = &p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.read(out)
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// crashProc is a running pixdesk and what it printed.
type crashProc struct {
	t      *testing.T
	ctx    context.Context
	name   string
	cmd    *exec.Cmd
	stderr crashBuffer

	mu    sync.Mutex
	lines []string
	more  chan struct{} // a line arrived or stdout ended
	done  chan struct{} // closed once exited
	state *os.ProcessState
}

func (p *crashProc) read(out io.Reader) {
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		p.mu.Unlock()
		p.nudge()
	}
	p.cmd.Wait() // the state is read from cmd.ProcessState
	p.mu.Lock()
	p.state = p.cmd.ProcessState
	p.mu.Unlock()
	close(p.done)
	p.nudge()
}

func (p *crashProc) nudge() {
	select {
	case p.more <- struct{}{}:
	default:
	}
}

// line waits for stdout line i; ok is false if the process ended first.
func (p *crashProc) line(i int) (string, bool) {
	p.t.Helper()
	for {
		p.mu.Lock()
		n, exited := len(p.lines), p.state != nil
		var l string
		if i < n {
			l = p.lines[i]
		}
		p.mu.Unlock()
		switch {
		case i < n:
			return l, true
		case exited:
			return "", false
		}
		select {
		case <-p.more:
		case <-p.ctx.Done():
			p.t.Fatalf("%s: timed out waiting for output line %d\nstderr:\n%s", p.name, i+1, p.stderr.String())
		}
	}
}

// record decodes stdout line i, a charge as `tx create --json` prints it.
func (p *crashProc) record(i int) createRecord {
	p.t.Helper()
	l, ok := p.line(i)
	if !ok {
		p.t.Fatalf("%s ended (%v) before printing line %d\nstderr:\n%s", p.name, p.exit(), i+1, p.stderr.String())
	}
	var r createRecord
	if err := json.Unmarshal([]byte(l), &r); err != nil {
		p.t.Fatalf("%s printed %q: %v", p.name, l, err)
	}
	return r
}

// exit waits for the process to end and returns how it did.
func (p *crashProc) exit() *os.ProcessState {
	p.t.Helper()
	select {
	case <-p.done:
	case <-p.ctx.Done():
	}
	if p.ctx.Err() != nil { // then any SIGKILL may be exec's, not the crash point's
		p.t.Fatalf("%s: timed out waiting for it to exit\nstderr:\n%s", p.name, p.stderr.String())
	}
	return p.state
}

func (p *crashProc) killedBySIGKILL() {
	p.t.Helper()
	st := p.exit()
	ws, ok := st.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		p.t.Fatalf("%s: %v, want killed by its crash point\nstderr:\n%s", p.name, st, p.stderr.String())
	}
}

func (p *crashProc) exitedZero() {
	p.t.Helper()
	if st := p.exit(); st.ExitCode() != 0 {
		p.t.Fatalf("%s: %v, want exit status 0\nstderr:\n%s", p.name, st, p.stderr.String())
	}
}

// crashBuffer is a bytes.Buffer written by exec's copying goroutine and
// read by the test.
type crashBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *crashBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *crashBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// call makes a request to the sandbox's control endpoints.
func (h *crashHarness) call(t *testing.T, method, path string, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, crashWait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s\n%s", method, path, resp.Status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
}

func (h *crashHarness) stats(t *testing.T) sandbox.Stats {
	t.Helper()
	var st sandbox.Stats
	h.call(t, http.MethodGet, "/_sandbox/stats", &st)
	return st
}

// deliveries returns the sandbox's webhook attempts for a transaction.
func (h *crashHarness) deliveries(t *testing.T, txid string) []sandbox.Delivery {
	t.Helper()
	var all, out []sandbox.Delivery
	h.call(t, http.MethodGet, "/_sandbox/deliveries", &all)
	for _, d := range all {
		if d.TransactionID == txid {
			out = append(out, d)
		}
	}
	return out
}

// pay pays a charge at the sandbox, as the payer's bank would.
func (h *crashHarness) pay(t *testing.T, txid, ref string) {
	t.Helper()
	var ci psp.CashIn
	h.call(t, http.MethodPost, "/_sandbox/cash-in/"+txid+"/pay", &ci)
	if ci.ExternalReference != ref || ci.Status != psp.StatusPaid {
		t.Fatalf("paid %s: the sandbox has it as %s %s", txid, ci.ExternalReference, ci.Status)
	}
}

// poll checks cond until it holds.
func (h *crashHarness) poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, crashWait)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// pixdesk runs a short command of the binary to its end and returns stdout.
func (h *crashHarness) pixdesk(t *testing.T, env []string, args ...string) []byte {
	t.Helper()
	p := h.start(t, env, "", args...)
	p.exitedZero()
	p.mu.Lock()
	defer p.mu.Unlock()
	return []byte(strings.Join(p.lines, "\n"))
}

// show is `pixdesk tx show --json REF`.
func (h *crashHarness) show(t *testing.T, env []string, ref string) txRecord {
	t.Helper()
	var r txRecord
	// Flags first: tx show's flag set stops parsing at the ID.
	if err := json.Unmarshal(h.pixdesk(t, env, "tx", "show", "--json", ref), &r); err != nil {
		t.Fatal(err)
	}
	if r.ExternalReference != ref {
		t.Fatalf("tx show %s found order %s", ref, r.ExternalReference)
	}
	return r
}

// paidOnce checks the journal: one charge for the order, the one
// ConnectPSP made, PAID, having become PAID once.
func (h *crashHarness) paidOnce(t *testing.T, env []string, ref, txid string) {
	t.Helper()
	var rows []txRecord
	if err := json.Unmarshal(h.pixdesk(t, env, "tx", "list", "-q", ref, "--json"), &rows); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.ExternalReference == ref {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the journal has %d charges for order %s, want 1", n, ref)
	}
	got := h.show(t, env, ref)
	if got.Status != psp.StatusPaid || got.TransactionID != txid || got.Flags != "" {
		t.Errorf("journal: %s %s flags %q, want PAID %s without flags", got.Status, got.TransactionID, got.Flags, txid)
	}
	paid := 0
	for _, e := range got.Timeline {
		if e.Kind == store.EntryStatus && e.Status == psp.StatusPaid {
			paid++
		}
	}
	if paid != 1 {
		t.Errorf("PAID applied %d times, want once:\n%s", paid, crashTimeline(got))
	}
}

func crashTimeline(r txRecord) string {
	var b strings.Builder
	for _, e := range r.Timeline {
		fmt.Fprintf(&b, "  %-15s %-16s %-10s %s\n", e.Kind, e.Status, e.Outcome, e.Detail)
	}
	return b.String()
}
