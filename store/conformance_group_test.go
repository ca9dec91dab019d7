package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// errInjected is the failure heldCommitter injects.
var errInjected = errors.New("injected failure")

// heldCommitter holds a DB's committer inside a batch, so that the
// deliveries a test sends meanwhile form the next batch, and watches the
// batches it takes.
type heldCommitter struct {
	db      *DB
	entered chan struct{}
	once    sync.Once
	release chan struct{}
	mu      sync.Mutex
	sizes   []int
	fail    map[string]bool
}

// holdCommitter sets db's hooks; deliveries whose X-Event-Id is in fail
// fail after their row is inserted. Call it before db's first delivery.
func holdCommitter(db *DB, fail ...string) *heldCommitter {
	h := &heldCommitter{db: db, entered: make(chan struct{}), release: make(chan struct{}), fail: map[string]bool{}}
	for _, id := range fail {
		h.fail[id] = true
	}
	db.onBatch = func(n int) {
		h.mu.Lock()
		h.sizes = append(h.sizes, n)
		h.mu.Unlock()
	}
	db.deliveryFault = func(d *psp.Delivery) error {
		if d.EventID == "gate" {
			h.once.Do(func() { close(h.entered) })
			<-h.release
		}
		if h.fail[d.EventID] {
			return errInjected
		}
		return nil
	}
	return h
}

// hold sends a delivery that keeps the committer inside its transaction
// until open; its result arrives on the channel returned.
func (h *heldCommitter) hold(ctx context.Context) <-chan error {
	res := make(chan error, 1)
	go func() {
		// A body of its own: a second gate is not a replay of the first.
		res <- h.db.RecordDelivery(ctx, &psp.Delivery{EventID: "gate", Verdict: psp.VerdictMalformed, Body: fmt.Appendf(nil, "gate %d", seq.Add(1))})
	}()
	<-h.entered
	return res
}

// waitQueued waits until n deliveries are queued behind the held batch.
func (h *heldCommitter) waitQueued(n int) {
	for h.db.group.queued() < n {
		time.Sleep(time.Millisecond)
	}
}

func (h *heldCommitter) open() { close(h.release) }

func (h *heldCommitter) batches() []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.sizes)
}

// queued is how many deliveries wait, abandoned ones included.
func (g *committer) queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

func deliveryCount(t *testing.T, db *DB, eventID string) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRow(db.rebind("SELECT COUNT(*) FROM deliveries WHERE event_id = ?"), eventID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// sendAll sends ds concurrently and returns each one's result.
func sendAll(ctx context.Context, db *DB, ds []*psp.Delivery) []error {
	errs := make([]error, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() { errs[i] = db.RecordDelivery(ctx, d) })
	}
	wg.Wait()
	return errs
}

func paidDelivery(c *Charge, id ids) *psp.Delivery {
	return genuine(psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)})
}

func testGroupCommit(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	const n = 64
	cs := make([]*Charge, n)
	ds := make([]*psp.Delivery, n)
	for i := range n {
		c, id := newCharge(t, db)
		cs[i], ds[i] = c, paidDelivery(c, id)
	}
	h := holdCommitter(db)
	gate := h.hold(ctx)
	var errs []error
	sent := make(chan struct{})
	go func() {
		errs = sendAll(ctx, db, ds)
		close(sent)
	}()
	h.waitQueued(n)
	h.open()
	<-sent
	if err := <-gate; err != nil {
		t.Fatalf("held delivery: %v", err)
	}
	for i, err := range errs {
		if err != nil {
			t.Errorf("delivery %d: %v", i, err)
		}
	}
	if got := h.batches(); !slices.Equal(got, []int{1, n}) {
		t.Fatalf("batches = %v, want [1 %d]", got, n)
	}
	// Durable: another connection pool, after Close, sees every one.
	dsn := db.dsn
	db.Close()
	db = o.reopen(t, dsn)
	want := []string{"webhook:PAID:applied", "status:PAID:applied"}
	for i, c := range cs {
		got := mustGet(t, db, c.ID)
		if got.Status != psp.StatusPaid || got.PaidAmount != c.Amount || got.Flags != 0 {
			t.Fatalf("charge %d after reopening: %+v", i, got)
		}
		if ks := kinds(timeline(t, db, c.ID))[3:]; !slices.Equal(ks, want) {
			t.Fatalf("charge %d timeline = %q, want %q", i, ks, want)
		}
		if deliveryCount(t, db, ds[i].EventID) != 1 {
			t.Fatalf("delivery %d not kept", i)
		}
	}
}

func testGroupDuplicates(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, id := newCharge(t, db)
	ev := psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)}
	ds := make([]*psp.Delivery, 5)
	ds[0] = genuine(ev)
	for i := 1; i < len(ds); i++ {
		ds[i] = replay(ds[0]) // the same bytes, a new X-Event-Id each attempt
	}
	h := holdCommitter(db)
	gate := h.hold(ctx)
	var errs []error
	sent := make(chan struct{})
	go func() {
		errs = sendAll(ctx, db, ds)
		close(sent)
	}()
	h.waitQueued(len(ds))
	h.open()
	<-sent
	<-gate
	for i, err := range errs {
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	if got := h.batches(); !slices.Equal(got, []int{1, len(ds)}) {
		t.Fatalf("batches = %v", got)
	}
	// One line for the four replays, wherever in the batch they came.
	want := []string{"webhook:PAID:applied", "status:PAID:applied", "webhook:PAID:duplicate"}
	es := timeline(t, db, c.ID)
	if got := kinds(es)[3:]; !slices.Equal(got, want) {
		t.Fatalf("timeline = %q, want %q", got, want)
	}
	if last := es[len(es)-1]; last.TimesSeen != len(ds)-1 || !last.Facts.Replayed || last.Facts.EventID == "" || last.Facts.EventType != psp.EventCashInPaid {
		t.Fatalf("replay line = %+v", last)
	}
	if got := mustGet(t, db, c.ID); got.Status != psp.StatusPaid || got.Flags != 0 {
		t.Fatalf("charge = %+v", got)
	}
}

func testGroupFailure(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	var (
		cs []*Charge
		ds []*psp.Delivery
	)
	for range 8 {
		c, id := newCharge(t, db)
		cs, ds = append(cs, c), append(ds, paidDelivery(c, id))
	}
	bad := paidDelivery(cs[3], ids{}) // names charge 3 by its order reference
	bad.EventID = "evt-bad"
	ds = append(ds, bad)
	h := holdCommitter(db, "evt-bad")
	gate := h.hold(ctx)
	var errs []error
	sent := make(chan struct{})
	go func() {
		errs = sendAll(ctx, db, ds)
		close(sent)
	}()
	h.waitQueued(len(ds))
	h.open()
	<-sent
	<-gate
	if got := h.batches(); !slices.Equal(got, []int{1, len(ds)}) {
		t.Fatalf("batches = %v", got)
	}
	for i, err := range errs[:8] {
		if err != nil {
			t.Errorf("delivery %d failed with the bad one: %v", i, err)
		}
	}
	if !errors.Is(errs[8], errInjected) {
		t.Fatalf("bad delivery: %v, want the injected error", errs[8])
	}
	for i, c := range cs {
		if got := mustGet(t, db, c.ID); got.Status != psp.StatusPaid {
			t.Errorf("charge %d: %s", i, got.Status)
		}
	}
	if deliveryCount(t, db, "evt-bad") != 0 {
		t.Fatal("the failed delivery was kept")
	}
	if got := kinds(timeline(t, db, cs[3].ID))[3:]; !slices.Equal(got, []string{"webhook:PAID:applied", "status:PAID:applied"}) {
		t.Fatalf("charge 3 timeline = %q", got)
	}
}

func testGroupCancel(t *testing.T, o *opener) {
	db := o.open(t)
	c, id := newCharge(t, db)
	h := holdCommitter(db)
	// The held delivery is inside a transaction when its caller gives up:
	// it is recorded all the same, and its caller told so.
	gateCtx, cancelGate := context.WithCancel(context.Background())
	gate := h.hold(gateCtx)
	cancelGate()
	// A delivery still queued when its caller gives up is dropped.
	ctx, cancel := context.WithCancel(context.Background())
	queued := paidDelivery(c, id)
	res := make(chan error, 1)
	go func() { res <- db.RecordDelivery(ctx, queued) }()
	h.waitQueued(1)
	cancel()
	if err := <-res; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while queued: %v, want context.Canceled", err)
	}
	h.open()
	if err := <-gate; err != nil {
		t.Fatalf("cancelled inside its batch: %v, want nil (it was recorded)", err)
	}
	if deliveryCount(t, db, "gate") != 1 || deliveryCount(t, db, queued.EventID) != 0 {
		t.Fatalf("deliveries kept: gate %d, cancelled %d", deliveryCount(t, db, "gate"), deliveryCount(t, db, queued.EventID))
	}
	if got := mustGet(t, db, c.ID); got.Status != psp.StatusAwaitingPayment {
		t.Fatalf("cancelled delivery applied: %+v", got)
	}
	// The committer carries on, and an ended ctx is refused before queueing.
	if err := db.RecordDelivery(context.Background(), paidDelivery(c, id)); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordDelivery(ctx, paidDelivery(c, id)); !errors.Is(err, context.Canceled) {
		t.Fatalf("ended ctx: %v", err)
	}
	if got := h.batches(); !slices.Equal(got, []int{1, 1}) {
		t.Fatalf("batches = %v, want [1 1]: the abandoned delivery is skipped", got)
	}
	db.Close()
	if err := db.RecordDelivery(context.Background(), paidDelivery(c, id)); !errors.Is(err, errClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
