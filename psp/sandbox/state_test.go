package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// openState starts a sandbox persisting to path, on clock c.
func openState(t *testing.T, path string, c *clock, o Options) *env {
	t.Helper()
	o.StatePath, o.Now, o.RetryBase, o.PublicURL = path, c.Now, time.Millisecond, "http://127.0.0.1:8080/"
	sb := New(o)
	srv := httptest.NewServer(sb)
	e := &env{t: t, sb: sb, srv: srv, clock: c, hc: srv.Client()}
	t.Cleanup(e.stop)
	return e
}

// stop shuts the server and the sandbox down, as a console exiting would.
func (e *env) stop() {
	e.srv.Close()
	e.sb.Close()
}

// syncBuffer is a log sink safe for the handler goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStateSurvivesRestart(t *testing.T) {
	var hooks sync.Map // transactionId+eventType → true
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev psp.Event
		json.NewDecoder(r.Body).Decode(&ev)
		hooks.Store(ev.Data.TransactionID+" "+ev.Type, true)
	}))
	defer hook.Close()
	path := filepath.Join(t.TempDir(), "state", "sandbox.json") // the directory is created
	clk := newClock()
	e := openState(t, path, clk, Options{})
	tok := e.token()

	// A: created, paid, refunded. B: awaiting payment. C: expires in 30 min.
	createA := createBody("order-A", `, "webhookUrl": "`+hook.URL+`/a"`)
	first := e.do("POST", "/cash-in", e.headers(tok, "X-Idempotency-Key", "create-A"), createA)
	a := first.cashIn(t, 201)
	b := e.create(tok, "order-B", `, "webhookUrl": "`+hook.URL+`/b"`)
	c := e.create(tok, "order-C", `, "expirationInMinutes": 30`)
	clk.Add(time.Minute)
	paid, err := e.sb.Pay(a.TransactionID, 0)
	if err != nil {
		t.Fatal(err)
	}
	refundBody := `{"reason":"CUSTOMER_REQUEST"}`
	refund := e.do("POST", "/cash-in/"+a.TransactionID+"/refund", e.refundHeaders(tok, "refund-A"), refundBody)
	refunded := refund.cashIn(t, 202)
	waitFor(t, "the refund webhook", func() bool { _, ok := hooks.Load(a.TransactionID + " " + psp.EventCashInRefunded); return ok })

	ids := []string{a.TransactionID, a.InternalCode, paid.EndToEndID, refunded.EndToEndID, b.InternalCode, c.TransactionID}
	before := map[string][]byte{}
	for _, id := range ids {
		before[id] = e.do("GET", "/cash-in/"+id, e.headers(tok), "").body
	}
	if fi, err := os.Stat(path); err != nil {
		t.Fatal(err)
	} else if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", fi.Mode().Perm())
	}
	e.stop()

	e2 := openState(t, path, clk, Options{})
	tok2 := e2.token()
	for _, id := range ids {
		r := e2.do("GET", "/cash-in/"+id, e2.headers(tok2), "")
		if r.status != 200 || !bytes.Equal(r.body, before[id]) {
			t.Errorf("GET %s after restart: %d %s\nbefore: %s", id, r.status, r.body, before[id])
		}
	}

	// The original create and refund replay byte for byte and change nothing.
	again := e2.do("POST", "/cash-in", e2.headers(tok2, "X-Idempotency-Key", "create-A"), createA)
	if again.status != 201 || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("create replay after restart: %d %s", again.status, again.body)
	}
	again = e2.do("POST", "/cash-in/"+a.TransactionID+"/refund", e2.refundHeaders(tok2, "refund-A"), refundBody)
	if again.status != 202 || !bytes.Equal(again.body, refund.body) {
		t.Errorf("refund replay after restart: %d %s", again.status, again.body)
	}
	e2.do("POST", "/cash-in", e2.headers(tok2, "X-Idempotency-Key", "create-A"), createBody("order-Z", "")).problem(t, 422, psp.CodeIdempotencyMismatch)
	e2.do("POST", "/cash-in", e2.headers(tok2, "X-Idempotency-Key", "new"), createBody("order-B", "")).problem(t, 409, psp.CodeDuplicateReference)
	if st := e2.sb.Stats(); st.CashInsCreated != 0 || st.Refunds != 0 || st.IdempotentReplays != 2 {
		t.Errorf("stats after replays %+v", st)
	}
	e2.sb.mu.Lock()
	n := len(e2.sb.charges)
	e2.sb.mu.Unlock()
	if n != 3 {
		t.Errorf("%d charges after restart, want 3", n)
	}

	// B's webhookUrl survived; C's validity is still counted from its creation.
	if _, err := e2.sb.Pay(b.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B's paid webhook", func() bool { return len(e2.sb.Deliveries()) > 0 })
	if _, ok := hooks.Load(b.TransactionID + " " + psp.EventCashInPaid); !ok {
		t.Error("B's paid webhook not received")
	}
	if d := e2.sb.Deliveries(); len(d) != 1 || d[0].URL != hook.URL+"/b" {
		t.Errorf("deliveries after restart %+v", d)
	}
	clk.Add(time.Hour)
	got := e2.do("GET", "/cash-in/"+c.TransactionID, e2.headers(e2.token()), "")
	if ci := got.cashIn(t, 200); ci.Status != psp.StatusExpired || !strings.Contains(string(got.body), `"expiredAt":"2026-03-10T11:50:00-03:00"`) {
		t.Errorf("C after its validity: %s", got.body)
	}
	e2.stop()

	// A day later the idempotency keys are gone, the charges are not.
	clk.Add(24 * time.Hour)
	e3 := openState(t, path, clk, Options{})
	e3.sb.mu.Lock()
	nc, ni, pb := len(e3.sb.charges), len(e3.sb.idem), e3.sb.ids[b.InternalCode].ci.Status
	e3.sb.mu.Unlock()
	if nc != 3 || ni != 0 || pb != psp.StatusPaid {
		t.Errorf("a day later: %d charges, %d idempotency records, B %s", nc, ni, pb)
	}
	e3.do("POST", "/cash-in", e3.headers(e3.token(), "X-Idempotency-Key", "create-A"), createA).problem(t, 409, psp.CodeDuplicateReference)
}

// TestStateConcurrent checks that the last save holds every change when
// changes race: saves happen under the lock, in order.
func TestStateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	clk := newClock()
	e := openState(t, path, clk, Options{})
	tok := e.token()
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			ci := e.create(tok, fmt.Sprintf("order-%d", i), "")
			if i%2 == 0 {
				if _, err := e.sb.Pay(ci.TransactionID, 0); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	e.stop()
	e2 := openState(t, path, clk, Options{})
	e2.sb.mu.Lock()
	defer e2.sb.mu.Unlock()
	paid := 0
	for _, c := range e2.sb.charges {
		if c.ci.Status == psp.StatusPaid {
			paid++
		}
	}
	if len(e2.sb.charges) != n || paid != n/2 {
		t.Errorf("%d charges (%d paid), want %d (%d)", len(e2.sb.charges), paid, n, n/2)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp-*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

func TestStateCorrupt(t *testing.T) {
	for name, content := range map[string]string{
		"not json":      `{"version":1,"charges":[`,
		"empty":         ``,
		"other version": `{"version":99,"charges":[]}`,
		"bad charge":    `{"version":1,"charges":[{"cashIn":{"transactionId":"x","internalCode":"X","externalReference":"r","status":"LOST"},"expiresAt":"2026-03-10T12:00:00Z"}]}`,
		"repeated id":   `{"version":1,"charges":[{"cashIn":{"transactionId":"x","internalCode":"X","externalReference":"r","status":"AWAITING_PAYMENT"},"expiresAt":"2026-03-10T12:00:00Z"},{"cashIn":{"transactionId":"x","internalCode":"Y","externalReference":"s","status":"AWAITING_PAYMENT"},"expiresAt":"2026-03-10T12:00:00Z"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "sandbox.json")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			var logs syncBuffer
			e := openState(t, path, newClock(), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "corrupt") {
				t.Errorf("no warning logged: %s", logs.String())
			}
			aside, _ := filepath.Glob(path + ".corrupt-*")
			if len(aside) != 1 {
				t.Fatalf("moved aside: %v", aside)
			}
			if b, err := os.ReadFile(aside[0]); err != nil || string(b) != content {
				t.Errorf("moved-aside file %q, %v", b, err)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("corrupt file still in place: %v", err)
			}
			// The sandbox works, empty, and saves a good file again.
			tok := e.token()
			e.do("GET", "/cash-in/x", e.headers(tok), "").problem(t, 404, psp.CodeNotFound)
			ci := e.create(tok, "r", "")
			e.stop()
			e2 := openState(t, path, e.clock, Options{})
			e2.do("GET", "/cash-in/"+ci.TransactionID, e2.headers(e2.token()), "").cashIn(t, 200)
		})
	}
}

// TestStateUnreadable: a path that cannot be read is never overwritten.
func TestStateUnreadable(t *testing.T) {
	path := t.TempDir() // a directory, not a file
	var logs syncBuffer
	e := openState(t, path, newClock(), Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	e.create(e.token(), "order-1", "")
	if fi, err := os.Stat(path); err != nil || !fi.IsDir() {
		t.Errorf("state path replaced: %v", err)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("no error logged: %s", logs.String())
	}
}

// TestStateOff: without StatePath nothing is written anywhere.
func TestStateOff(t *testing.T) {
	e := setup(t, Options{})
	e.create(e.token(), "order-1", "")
	if e.sb.statePath != "" {
		t.Error("persisting without StatePath")
	}
}
