package cli

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/pgtest"
	"github.com/pixdesk/pixdesk/ui"
)

// End-to-end tests of the customer display: the console's stack as the
// other e2e tests build it, and beside it displays opened as runDisplay
// opens them (openDisplay: their own journal handle, on SQLite sharing
// only the file with the console, as another process would), run headless
// and fed by their own change feed.

// Texts of the display (Config.Lang "en").
const (
	e2eDisplayIdle    = "Waiting for the next charge"
	e2eDisplayCharge  = "Expires in"
	e2eDisplayPaid    = "Payment confirmed"
	e2eDisplayOffline = "cannot read the counter's journal"
)

// e2eDisplay is a customer display running headless.
type e2eDisplay struct {
	*e2eConsole
	ds *stack

	mu      sync.Mutex
	events  []e2eFrameAt   // when each distinct frame was first drawn
	changes []store.Change // what its change feed brought
}

type e2eFrameAt struct {
	at    time.Time
	frame string
}

// display starts a customer display of terminal on st's journal, in a
// w×h window.
func (st *e2eStack) display(terminal string, w, h int) *e2eDisplay {
	st.t.Helper()
	cfg := *st.cfg
	cfg.terminal = terminal
	dc := displayConfig(&cfg, "Padaria Pão Quente", func(string) string { return "" })
	dc.Renderer = e2eRenderer()
	ds, model, err := openDisplay(st.ctx, &cfg, dc)
	if err != nil {
		st.t.Fatalf("openDisplay: %v", err)
	}
	ctx, cancel := context.WithCancel(ds.life)
	d := &e2eDisplay{ds: ds}
	scr := &e2eScreen{inner: model, keep: true}
	scr.onFrame = func(f string) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if n := len(d.events); n == 0 || d.events[n-1].frame != f {
			d.events = append(d.events, e2eFrameAt{time.Now(), f})
		}
	}
	scr.onMsg = func(m tea.Msg) {
		if c, ok := m.(ui.ChangeMsg); ok {
			d.mu.Lock()
			d.changes = append(d.changes, c.Change)
			d.mu.Unlock()
		}
	}
	tm := teatest.NewTestModel(st.t, scr, teatest.WithInitialTermSize(w, h))
	c := &e2eConsole{t: st.t, st: st, scr: scr, tm: tm, cancel: cancel, fwd: make(chan struct{})}
	changes := ds.db.Subscribe(ctx) // before the display's first read, as runDisplay
	go func() {
		defer close(c.fwd)
		ui.Forward(ctx, tm.GetProgram(), nil, changes)
	}()
	d.e2eConsole = c
	st.t.Cleanup(func() {
		c.stop()
		ds.stop(context.Background())
	})
	return d
}

// firstAt returns when a frame containing text was first drawn after
// since.
func (d *e2eDisplay) firstAt(text string, since time.Time) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, e := range d.events {
		if e.at.After(since) && strings.Contains(e.frame, text) {
			return e.at, true
		}
	}
	return time.Time{}, false
}

// heard reports whether the display's change feed brought version v of
// charge id (rather than its periodic reread finding it).
func (d *e2eDisplay) heard(id, v int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.changes {
		if c.ChargeID == id && c.Version == v {
			return true
		}
	}
	return false
}

// hearsLatest waits until the display's feed has announced the charge's
// latest version in db.
func (d *e2eDisplay) hearsLatest(ctx context.Context, db *store.DB, id int64) bool {
	deadline := time.Now().Add(e2eWait)
	for time.Now().Before(deadline) {
		if got, err := db.Get(ctx, id); err == nil && d.heard(id, got.Version) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// output is every byte the display wrote to its terminal, once it quit.
func (d *e2eDisplay) output() string {
	d.t.Helper()
	d.stop()
	b, err := io.ReadAll(d.tm.FinalOutput(d.t, teatest.WithFinalTimeout(e2eWait)))
	if err != nil {
		d.t.Fatal(err)
	}
	return string(b)
}

// paidWithin pays ch at the sandbox and returns how long after the
// journal recorded the payment (the timeline entry's time, taken before
// the commit) each display drew the paid screen. It fails if a display
// learnt of it other than through its change feed.
func (st *e2eStack) paidWithin(ch *store.Charge, displays ...*e2eDisplay) []time.Duration {
	st.t.Helper()
	since := time.Now()
	if _, err := st.sandbox.Pay(ch.TransactionID, 0); err != nil {
		st.t.Fatal(err)
	}
	var lags []time.Duration
	for _, d := range displays {
		e2eUntil(st.t, "the paid screen", func() bool { _, ok := d.firstAt(e2eDisplayPaid, since); return ok })
	}
	got, err := st.db.Get(st.ctx, ch.ID)
	if err != nil || got.Status != psp.StatusPaid {
		st.t.Fatalf("journal: %+v, %v", got, err)
	}
	var recorded time.Time
	for _, e := range st.timeline(ch.ID) {
		if e.Kind == store.EntryStatus && e.Status == psp.StatusPaid {
			recorded = e.At
		}
	}
	if recorded.IsZero() {
		st.t.Fatalf("no status entry for PAID: %+v", st.timeline(ch.ID))
	}
	for i, d := range displays {
		drawn, _ := d.firstAt(e2eDisplayPaid, since)
		lags = append(lags, drawn.Sub(recorded))
		if !d.heard(ch.ID, got.Version) {
			st.t.Errorf("display %d showed PAID without its change feed announcing version %d", i, got.Version)
		}
	}
	return lags
}

// The display requirement: within a second of the webhook.
const e2eDisplayLag = time.Second

// e2eNeverShown is what no display frame or byte may contain: the payer's
// document in every form, and their name.
var e2eNeverShown = []string{"12345678909", "123.456.789-09", "456.789", "Maria", "Souza"}

// testDisplayFollowsTheConsole: a charge sold at the console appears on the
// two displays of its counter and flips to PAID within a second of the
// webhook; the display of another counter stays idle; no display ever
// shows who pays; after the hold, idle again.
func testDisplayFollowsTheConsole(t *testing.T, st *e2eStack) {
	a := st.display(st.cfg.terminal, 120, 40)
	b := st.display(st.cfg.terminal, 80, 24)
	other := st.display("caixa-02", 120, 40)
	for _, d := range []*e2eDisplay{a, b, other} {
		d.waitFor("the idle screen", e2eDisplayIdle, "Padaria Pão Quente")
	}

	c := st.console(false, nil)
	c.sell(e2eMaria)
	c.waitFor("the charge screen", e2eOnCharge, "PED-1")
	ch := st.only()
	a.waitFor("the charge on the display", e2eDisplayCharge, "Scan the QR code")
	b.waitFor("the charge on the small display", e2eDisplayCharge, "The QR code needs a")

	lags := st.paidWithin(ch, a, b)
	t.Logf("PAID on the displays %v after the journal recorded it", lags)
	for i, lag := range lags {
		if lag > e2eDisplayLag {
			t.Errorf("display %d showed PAID %v after the webhook was recorded, want within %v", i, lag, e2eDisplayLag)
		}
	}
	c.waitPaid("PED-1")
	a.waitFor("idle after the hold", e2eDisplayIdle)

	for _, f := range other.scr.allFrames() {
		if strings.Contains(f, e2eDisplayCharge) || strings.Contains(f, e2eDisplayPaid) {
			t.Fatalf("caixa-02's display showed caixa-01's charge:\n%s", f)
		}
	}
	for i, d := range []*e2eDisplay{a, b, other} {
		shown := strings.Join(d.scr.allFrames(), "\n") + d.output()
		for _, s := range e2eNeverShown {
			if strings.Contains(shown, s) {
				t.Errorf("display %d showed %q", i, s)
			}
		}
	}
}

func TestE2EDisplaySQLite(t *testing.T) {
	testDisplayFollowsTheConsole(t, e2eOpenMain(t, t.TempDir()))
}

func TestE2EDisplayPostgres(t *testing.T) {
	dsn := pgtest.Start(t)
	testDisplayFollowsTheConsole(t, e2eAssemble(t, t.TempDir(), e2eOptions{db: dsn, tune: e2eFastEngine}))
}

// PostgreSQL goes down under a running display and the console, a charge
// is paid meanwhile (its webhook cannot be recorded until the server is
// back), and the server comes back: the display says it cannot read the
// journal, then, with the listener reconnected and caught up, shows PAID;
// a charge sold afterwards appears on it as before.
func TestE2EDisplaySurvivesPostgresRestart(t *testing.T) {
	srv := pgtest.Private(t)
	dsn, err := srv.CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	st := e2eAssemble(t, t.TempDir(), e2eOptions{db: dsn, tune: e2eFastEngine})
	d := st.display(st.cfg.terminal, 120, 40)
	d.waitFor("the idle screen", e2eDisplayIdle)
	c := st.console(false, nil)
	c.sell(e2eMaria)
	c.waitFor("the charge screen", e2eOnCharge, "PED-1")
	ch := st.only()
	d.waitFor("the charge on the display", e2eDisplayCharge)

	if err := srv.Down(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.sandbox.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	d.waitFor("the display noticing", e2eDisplayOffline)
	if err := srv.Up(); err != nil {
		t.Fatal(err)
	}
	d.waitFor("PAID after the restart", e2eDisplayPaid)
	// The feed merges a charge's changes into the latest, and a webhook
	// retried across the outage may add a duplicate after PAID: what the
	// feed must do is announce the charge's latest version, soon.
	if !d.hearsLatest(st.ctx, st.db, ch.ID) {
		t.Errorf("PAID was not announced by the display's feed after the restart")
	}
	c.waitPaid("PED-1")
	d.waitFor("idle after the hold", e2eDisplayIdle)

	c.press(tea.KeyEnter) // the console's next charge
	c.sell(e2eSale{amount: "990", name: "Maria Souza", doc: "12345678909", ref: "PED-2"})
	c.waitFor("the second charge", e2eOnCharge, "PED-2")
	frame := d.waitFor("the second charge on the display", e2eDisplayCharge)
	if strings.Contains(frame, e2eDisplayOffline) {
		t.Errorf("still offline:\n%s", frame)
	}
	lags := st.paidWithin(st.charges()[0], d)
	t.Logf("after the restart, PAID on the display %v after it was recorded", lags[0])
	if lags[0] > e2eDisplayLag {
		t.Errorf("after the restart the display showed PAID %v after the webhook was recorded, want within %v", lags[0], e2eDisplayLag)
	}
}
