package store

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

// signed is a delivery of ev as ConnectPSP sends it: the body is the event
// itself, which the applier reads again from the inbox. Each call stamps a
// new eventAt, so that each body is its own.
func signed(t *testing.T, ev psp.Event) *psp.Delivery {
	t.Helper()
	ev.At = time.Unix(1_770_000_000+seq.Add(1), 0).UTC()
	body, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	d := genuine(ev)
	d.Body, d.Signature = body, psp.Sign(body, "key")
	return d
}

// heard collects what an applier's hook is told.
type heard struct {
	mu   sync.Mutex
	seen map[string]Receipt // by X-Event-Id
	errs map[string]error
}

func newHeard() *heard { return &heard{seen: map[string]Receipt{}, errs: map[string]error{}} }

func (h *heard) hook(d *psp.Delivery, r Receipt, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.errs[d.EventID] = err
		return
	}
	h.seen[d.EventID] = r
}

func (h *heard) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen)
}

func (h *heard) receipt(id string) (Receipt, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r, ok := h.seen[id]
	return r, ok
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Accept answers once the delivery is in the inbox; the applier then
// applies it exactly as Receive would, tells the hook, and empties the
// inbox. A replay byte for byte is a duplicate, a forged delivery never
// reaches the inbox, and a ctx already ended records nothing.
func testInbox(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	h := newHeard()
	db.StartInbox(h.hook)

	const n = 40
	ds := make([]*psp.Delivery, n)
	cs := make([]*Charge, n)
	for i := range n {
		c, id := newCharge(t, db)
		cs[i], ds[i] = c, signed(t, psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)})
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, d := range ds {
		wg.Go(func() { errs[i] = db.Accept(ctx, d) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Accept %d: %v", i, err)
		}
	}
	eventually(t, "every delivery applied", func() bool { return h.count() == n && inboxRows(t, db) == 0 })
	for i, d := range ds {
		if r, _ := h.receipt(d.EventID); r.Outcome != OutcomeApplied || r.ChargeID != cs[i].ID {
			t.Errorf("delivery %d: receipt %+v, want applied to charge %d", i, r, cs[i].ID)
		}
		if got := mustGet(t, db, cs[i].ID); got.Status != psp.StatusPaid || got.EndToEndID == "" {
			t.Errorf("charge %d after its delivery: %s %q", i, got.Status, got.EndToEndID)
		}
		if got := deliveryCount(t, db, d.EventID); got != 1 {
			t.Errorf("delivery %d kept %d times", i, got)
		}
	}

	again := replay(ds[0])
	if err := db.Accept(ctx, again); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the replay applied", func() bool { _, ok := h.receipt(again.EventID); return ok })
	if r, _ := h.receipt(again.EventID); r.Outcome != OutcomeDuplicate {
		t.Errorf("replay: %+v, want a duplicate", r)
	}

	forged := *ds[1]
	forged.EventID, forged.Verdict, forged.Event = "forged", psp.VerdictForged, nil
	if err := db.Accept(ctx, &forged); err != nil || inboxRows(t, db) != 0 {
		t.Errorf("a forged delivery: %v, inbox %d", err, inboxRows(t, db))
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	late := signed(t, psp.Event{Type: psp.EventCashInPaid, Data: psp.CashIn{TransactionID: "late", Status: psp.StatusPaid}})
	if err := db.Accept(ended, late); err == nil {
		t.Error("Accept with an ended ctx succeeded")
	}
	time.Sleep(50 * time.Millisecond)
	if _, ok := h.receipt(late.EventID); ok || deliveryCount(t, db, late.EventID) != 0 {
		t.Error("a delivery refused for its ended ctx was recorded")
	}
}

// A delivery in the inbox when its process died is applied by the next
// journal opened on the file or the server, before Open returns.
func testInboxAfterCrash(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, id := newCharge(t, db)
	d := signed(t, psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)})
	// What Accept commits, without an applier: a receiver that died.
	if err := db.write(ctx, func(t *txn) error {
		return t.insertInbox([]*pendingDelivery{{d: d}})
	}); err != nil {
		t.Fatal(err)
	}
	dsn := db.dsn
	db.Close()
	db = o.reopen(t, dsn)
	if got := mustGet(t, db, c.ID); got.Status != psp.StatusPaid {
		t.Fatalf("after reopening, the charge is %s, want PAID from the inbox", got.Status)
	}
	if n := inboxRows(t, db); n != 0 || deliveryCount(t, db, d.EventID) != 1 {
		t.Errorf("inbox %d rows, delivery kept %d times", n, deliveryCount(t, db, d.EventID))
	}
}

// A delivery that cannot be applied fails alone: the deliveries around it
// are applied, it stays in the inbox (told to the hook), and a later sweep
// applies it once it can be.
func testInboxFailure(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	var mu sync.Mutex
	broken := true
	db.deliveryFault = func(d *psp.Delivery) error {
		mu.Lock()
		defer mu.Unlock()
		if broken && d.EventID == "poison" {
			return errInjected
		}
		return nil
	}
	h := newHeard()
	db.StartInbox(h.hook)
	var ds []*psp.Delivery
	for i := range 5 {
		c, id := newCharge(t, db)
		d := signed(t, psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)})
		if i == 2 {
			d.EventID = "poison"
		}
		ds = append(ds, d)
	}
	// All five in one batch of the inbox.
	if err := db.write(ctx, func(t *txn) error {
		var ps []*pendingDelivery
		for _, d := range ds {
			ps = append(ps, &pendingDelivery{d: d})
		}
		return t.insertInbox(ps)
	}); err != nil {
		t.Fatal(err)
	}
	db.wakeApplier()
	eventually(t, "the others applied", func() bool { return h.count() == 4 })
	h.mu.Lock()
	failed := h.errs["poison"]
	h.mu.Unlock()
	if failed == nil || inboxRows(t, db) != 1 {
		t.Fatalf("the failing delivery: hook told %v, inbox %d rows; want it told and kept", failed, inboxRows(t, db))
	}
	mu.Lock()
	broken = false
	mu.Unlock()
	eventually(t, "the failed delivery applied by a sweep", func() bool { _, ok := h.receipt("poison"); return ok })
	if inboxRows(t, db) != 0 || deliveryCount(t, db, "poison") != 1 {
		t.Errorf("after the sweep: inbox %d, kept %d", inboxRows(t, db), deliveryCount(t, db, "poison"))
	}
}

// While the answers queue, the applier gives them most of the time and
// still applies everything: a flood slows the application, never stops it.
func testInboxUnderPressure(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	press := func() { // the intake taking full batches, as under a flood
		db.intake.last.Store(time.Now().UnixNano())
		db.intake.size.Store(pressBatch)
	}
	press()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			press()
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()
	if !db.intake.pressed(intakeQuiet) {
		t.Fatal("the intake taking full batches is not pressed")
	}
	h := newHeard()
	db.StartInbox(h.hook)
	const n = 48
	var ps []*pendingDelivery
	for range n {
		c, id := newCharge(t, db)
		ps = append(ps, &pendingDelivery{d: signed(t, psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)})})
	}
	if err := db.write(ctx, func(t *txn) error { return t.insertInbox(ps) }); err != nil {
		t.Fatal(err)
	}
	db.wakeApplier()
	eventually(t, "every delivery applied under pressure", func() bool { return h.count() == n && inboxRows(t, db) == 0 })
}

// The intake is pressed only while its batches are full and recent: a
// lone delivery now and then, or a full batch long ago, is not pressure.
func TestIntakePressed(t *testing.T) {
	g := newCommitter(nil)
	if g.pressed(intakeQuiet) {
		t.Error("an intake that never took a batch is pressed")
	}
	g.last.Store(time.Now().UnixNano())
	g.size.Store(1)
	if g.pressed(intakeQuiet) {
		t.Error("a batch of one is pressure")
	}
	g.size.Store(pressBatch)
	if !g.pressed(intakeQuiet) {
		t.Error("a full batch just taken is not pressure")
	}
	g.last.Store(time.Now().Add(-2 * intakeQuiet).UnixNano())
	if g.pressed(intakeQuiet) {
		t.Error("a full batch long ago is pressure")
	}
}

// Several serve processes on one PostgreSQL share the inbox: what each
// accepts, any applier may take, and none is applied twice.
func TestPostgresInboxShared(t *testing.T) {
	dsn := pgtest.Start(t)
	ctx := context.Background()
	dbs := []*DB{postgresOpener.reopen(t, dsn), postgresOpener.reopen(t, dsn), postgresOpener.reopen(t, dsn)}
	hs := []*heard{newHeard(), newHeard(), newHeard()}
	for i, db := range dbs {
		db.StartInbox(hs[i].hook)
	}
	const n = 300
	var ds []*psp.Delivery
	for range n {
		c, id := newCharge(t, dbs[0])
		ds = append(ds, signed(t, psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)}))
	}
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() {
			if err := dbs[i%len(dbs)].Accept(ctx, d); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	total := func() int {
		sum := 0
		for _, h := range hs {
			sum += h.count()
		}
		return sum
	}
	eventually(t, "every delivery applied", func() bool { return total() >= n && inboxRows(t, dbs[0]) == 0 })
	if got := total(); got != n {
		t.Errorf("appliers told of %d deliveries, want %d", got, n)
	}
	for _, d := range ds {
		r, ok := Receipt{}, false
		for _, h := range hs {
			if r, ok = h.receipt(d.EventID); ok {
				break
			}
		}
		if r.Outcome != OutcomeApplied {
			t.Errorf("%s: %+v, want applied once", d.EventID, r)
		}
		if got := deliveryCount(t, dbs[0], d.EventID); got != 1 {
			t.Errorf("%s kept %d times", d.EventID, got)
		}
	}
	var replays int
	if err := dbs[0].sql.QueryRow("SELECT COALESCE(SUM(replays), 0) FROM deliveries").Scan(&replays); err != nil || replays != 0 {
		t.Errorf("replays counted %d (%v), want 0: a delivery applied twice", replays, err)
	}
}

// A serve that dies leaves two kinds of rows in a shared inbox: those it
// answered and had not begun to apply, and those its applier had claimed
// in a transaction that dies with it. The serve still running applies
// both, each once: the first at its next sweep, the second once
// PostgreSQL has ended the dead one's transaction and released its locks.
func TestPostgresInboxDeadProcess(t *testing.T) {
	dsn := pgtest.Start(t)
	ctx := context.Background()
	live, dead := postgresOpener.reopen(t, dsn), postgresOpener.reopen(t, dsn)
	const n = 20
	var ps []*pendingDelivery
	for range n {
		c, id := newCharge(t, live)
		ps = append(ps, &pendingDelivery{d: signed(t, psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)})})
	}
	// The dead serve answered all n; its applier took the first half into
	// a transaction, which is open when it dies.
	if err := dead.write(ctx, func(t *txn) error { return t.insertInbox(ps) }); err != nil {
		t.Fatal(err)
	}
	conn, err := dead.sql.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() // before conn.Close; its backend is gone by then
	var pid int
	if err := tx.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.QueryContext(ctx, dead.rebind(dead.claimSQL(false)), n/2)
	if err != nil {
		t.Fatal(err)
	}
	held, err := scanInbox(rows)
	rows.Close()
	if err != nil || len(held) != n/2 {
		t.Fatalf("the dead applier's claim: %d rows, %v", len(held), err)
	}

	h := newHeard()
	live.StartInbox(h.hook)
	eventually(t, "the rows nobody held applied by the sweep", func() bool { return h.count() == n/2 })
	if got := inboxRows(t, live); got != n/2 {
		t.Fatalf("inbox %d rows while the dead applier holds %d", got, n/2)
	}
	for _, r := range held {
		if _, ok := h.receipt(r.p.d.EventID); ok {
			t.Fatalf("%s applied while another transaction held it", r.p.d.EventID)
		}
	}
	// What the server does when the process holding the transaction dies.
	var ended bool
	if err := live.sql.QueryRowContext(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ended); err != nil || !ended {
		t.Fatalf("terminating the dead applier's backend: %v %v", ended, err)
	}
	eventually(t, "every delivery applied", func() bool { return h.count() == n && inboxRows(t, live) == 0 })
	for _, p := range ps {
		if r, _ := h.receipt(p.d.EventID); r.Outcome != OutcomeApplied || deliveryCount(t, live, p.d.EventID) != 1 {
			t.Errorf("%s: %+v, kept %d times; want applied once", p.d.EventID, r, deliveryCount(t, live, p.d.EventID))
		}
	}
}
