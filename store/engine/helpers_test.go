package engine

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
)

// waitLimit is how long a test waits for a condition: generous, since
// nothing is asserted about timing, only about what eventually happens.
const waitLimit = 15 * time.Second

// payer is a valid CPF holder for tests.
var payer = psp.Payer{Name: "Maria Souza", Document: "123.456.789-09"}

// clock is a fake clock that moves only when told. Remote is ConnectPSP's
// view of it, lag behind.
type clock struct {
	mu  sync.Mutex
	t   time.Time
	lag time.Duration
}

func (c *clock) Remote() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t.Add(-c.lag)
}

func (c *clock) SetLag(d time.Duration) {
	c.mu.Lock()
	c.lag = d
	c.mu.Unlock()
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// notices records what an engine notified.
type notices struct {
	mu   sync.Mutex
	list []Notice
}

func (n *notices) add(x Notice) {
	n.mu.Lock()
	n.list = append(n.list, x)
	n.mu.Unlock()
}

func (n *notices) has(match func(Notice) bool) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, x := range n.list {
		if match(x) {
			return true
		}
	}
	return false
}

// fixture is a sandbox on loopback and a SQLite journal in a temp dir.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	sb      *sandbox.Sandbox
	base    string
	dbPath  string
	db      *store.DB
	now     func() time.Time // engine and journal clock
	notices *notices
}

type setupOpt func(*sandbox.Options, *fixture)

// withClocks gives the journal and engine one clock and the sandbox another.
func withClocks(local, remote func() time.Time) setupOpt {
	return func(o *sandbox.Options, f *fixture) {
		o.Now = remote
		f.now = local
	}
}

func setup(t *testing.T, opts ...setupOpt) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := &fixture{t: t, ctx: ctx, now: time.Now, notices: &notices{}}
	o := sandbox.Options{RetryBase: 5 * time.Millisecond}
	for _, opt := range opts {
		opt(&o, f)
	}
	base, sb, err := sandbox.Serve(ctx, "127.0.0.1:0", o)
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	f.base, f.sb = base, sb
	f.dbPath = filepath.Join(t.TempDir(), "journal.db")
	f.db = f.openDB()
	return f
}

func (f *fixture) openDB() *store.DB {
	f.t.Helper()
	db, err := store.Open(f.ctx, f.dbPath, store.WithClock(f.now))
	if err != nil {
		f.t.Fatalf("store: %v", err)
	}
	f.t.Cleanup(func() { db.Close() })
	return db
}

// client returns a ConnectPSP client for base with instant retry waits.
func (f *fixture) client(base string, attempts int) *psp.Client {
	f.t.Helper()
	c, err := psp.NewClient(base, f.sb.Credentials(),
		psp.WithRetry(attempts, time.Millisecond, 5*time.Millisecond, 10*time.Second),
		psp.WithAttemptTimeout(5*time.Second),
		psp.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
	if err != nil {
		f.t.Fatalf("client: %v", err)
	}
	return c
}

// config is an engine configuration with short, real-time intervals.
func (f *fixture) config() Config {
	return Config{
		DB:          f.db,
		Client:      f.client(f.base, 3),
		Terminal:    "T1",
		WebhookKey:  f.sb.Credentials().CryptoToken,
		Now:         f.now,
		Notify:      f.notices.add,
		PollFast:    20 * time.Millisecond,
		PollSlow:    50 * time.Millisecond,
		FastWindow:  time.Minute,
		PollTimeout: 5 * time.Second,
		ResumeBase:  10 * time.Millisecond,
		ResumeCap:   50 * time.Millisecond,
		Tick:        5 * time.Millisecond,
		Rescan:      time.Hour,
		HealthEvery: time.Hour,
	}
}

// run runs e until the test ends and waits for Run to return. It waits for
// the first health ping, so that faults set afterwards hit the calls the
// test means them for.
func (f *fixture) run(e *Engine) {
	f.t.Helper()
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	f.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.t.Errorf("Run: %v", err)
		}
	})
	waitFor(f.t, "first health check", func() bool { return !e.Health().LastContact.IsZero() })
}

// listen serves e's webhook receiver on loopback until the test ends and
// returns its address and the URL deliveries go to.
func (f *fixture) listen(e *Engine) (addr, url string) {
	f.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(WebhookPath, e.WebhookHandler())
	srv := NewWebhookServer(mux, nil)
	go func() { _ = srv.Serve(ln) }() // ErrServerClosed when the test ends
	f.t.Cleanup(func() { srv.Close() })
	addr = ln.Addr().String()
	return addr, "http://" + addr + WebhookPath
}

// get reads a charge from the journal.
func (f *fixture) get(id int64) *store.Charge {
	f.t.Helper()
	ch, err := f.db.Get(f.ctx, id)
	if err != nil {
		f.t.Fatalf("get %d: %v", id, err)
	}
	return ch
}

// waitCharge waits until the stored charge satisfies ok.
func (f *fixture) waitCharge(id int64, what string, ok func(*store.Charge) bool) *store.Charge {
	f.t.Helper()
	var ch *store.Charge
	waitFor(f.t, what, func() bool {
		c, err := f.db.Get(f.ctx, id)
		if err != nil {
			return false
		}
		ch = c
		return ok(c)
	})
	return ch
}

func (f *fixture) waitStatus(id int64, st psp.Status) *store.Charge {
	f.t.Helper()
	return f.waitCharge(id, "status "+string(st), func(c *store.Charge) bool { return c.Status == st })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// create makes a charge through e and fails the test on error.
func (f *fixture) create(e *Engine, in Input) *store.Charge {
	f.t.Helper()
	if in.Amount == 0 {
		in.Amount = 1050
	}
	if in.Payer.Name == "" {
		in.Payer = payer
	}
	ch, err := e.Create(f.ctx, in)
	if err != nil {
		f.t.Fatalf("Create: %v", err)
	}
	if ch.Stage != store.StageCreated || ch.TransactionID == "" {
		f.t.Fatalf("Create: stage %s, transaction %q", ch.Stage, ch.TransactionID)
	}
	return ch
}

// chargeAt is a created charge awaiting payment, for schedule tests.
func chargeAt(created, expires time.Time) *store.Charge {
	return &store.Charge{ID: 1, Stage: store.StageCreated, Status: psp.StatusAwaitingPayment,
		CreatedAt: created, ExpiresAt: expires, TransactionID: "tx"}
}
