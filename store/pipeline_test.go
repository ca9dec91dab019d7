package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

// roundTrips counts what pgx sends to PostgreSQL: a statement sent on its
// own and a batch (one pipeline, one Sync) are one round trip each. A
// batch's first use of a statement on a connection costs one more, to
// prepare it, which pgx does not trace: the test warms its one
// connection first.
type roundTrips struct {
	queries, batches atomic.Int64
}

var (
	_ pgx.QueryTracer = (*roundTrips)(nil)
	_ pgx.BatchTracer = (*roundTrips)(nil)
)

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.queries.Add(1)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.batches.Add(1)
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// count runs fn and returns the round trips it cost.
func (r *roundTrips) count(fn func()) int64 {
	q, b := r.queries.Load(), r.batches.Load()
	fn()
	return r.queries.Load() - q + r.batches.Load() - b
}

// tracedPostgres opens a journal on a fresh PostgreSQL database whose
// round trips tr counts.
func tracedPostgres(t *testing.T) (*DB, *roundTrips) {
	t.Helper()
	tr := &roundTrips{}
	db, err := Open(context.Background(), pgtest.Start(t), withPGTracer(tr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, tr
}

// TestPostgresDeliveryRoundTrips proves the pipeline's cost: a lone
// delivery takes two round trips, and a batch of any size the same two, so
// that under load a delivery costs less than one. Statement by statement
// (the load test's one-commit-per-delivery mode, which is also the
// fallback after a failed batch) a delivery cost ten or more.
func TestPostgresDeliveryRoundTrips(t *testing.T) {
	ctx := context.Background()
	db, tr := tracedPostgres(t)
	h := holdCommitter(db)
	// One connection, so that its statement cache is the one warmed.
	db.sql.SetMaxOpenConns(1)

	receive := func(d *psp.Delivery, want Outcome) {
		t.Helper()
		if r, err := db.Receive(ctx, d); err != nil || r.Outcome != want {
			t.Fatalf("delivery %s: %+v, %v; want %s", d.EventID, r, err, want)
		}
	}
	// batch sends one delivery that holds the committer, queues ds behind
	// it, lets both batches go, and returns the round trips of them all.
	batch := func(ds []*psp.Delivery) int64 {
		t.Helper()
		h = holdCommitter(db)
		return tr.count(func() {
			gate := h.hold(ctx)
			var errs []error
			var wg sync.WaitGroup
			wg.Go(func() { errs = sendAll(ctx, db, ds) })
			h.waitQueued(len(ds))
			h.open()
			wg.Wait()
			if err := <-gate; err != nil {
				t.Fatal(err)
			}
			for i, err := range errs {
				if err != nil {
					t.Fatalf("delivery %d: %v", i, err)
				}
			}
			if b := h.batches(); len(b) != 2 || b[1] != len(ds) {
				t.Fatalf("batches %v, want [1 %d]", b, len(ds))
			}
		})
	}
	// mixed is n deliveries of every kind a batch meets: payments, a
	// second delivery of one of their events, a byte-identical replay of
	// another, twice, and an event for no known charge.
	mixed := func(n int) []*psp.Delivery {
		var ds []*psp.Delivery
		for range n {
			c, id := newCharge(t, db)
			ds = append(ds, paidDelivery(c, id))
		}
		c, id := newCharge(t, db)
		ev := psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)}
		first := genuine(ev)
		return append(ds, first, genuine(ev), replay(first), replay(first),
			genuine(psp.Event{Type: psp.EventCashInPaid, Data: psp.CashIn{TransactionID: fmt.Sprintf("nobody-%d", n), Status: psp.StatusPaid}}))
	}

	// Warm the connection's statements: lone and batched deliveries,
	// replays of a kept delivery with and without its timeline line.
	for range 2 {
		c, id := newCharge(t, db)
		d := paidDelivery(c, id)
		receive(d, OutcomeApplied)
		receive(replay(d), OutcomeDuplicate)
		receive(replay(d), OutcomeDuplicate)
		batch(mixed(8))
	}

	c, id := newCharge(t, db)
	d := paidDelivery(c, id)
	if n := tr.count(func() { receive(d, OutcomeApplied) }); n != 2 {
		t.Errorf("a lone delivery took %d round trips, want 2", n)
	}
	if n := tr.count(func() { receive(replay(d), OutcomeDuplicate) }); n != 2 {
		t.Errorf("a lone replay took %d round trips, want 2", n)
	}
	for _, size := range []int{8, 32} {
		ds := mixed(size)
		// Two batches: the gate's and ds's.
		if n := batch(ds); n != 4 {
			t.Errorf("a batch of %d deliveries took %d round trips, want 2 (and 2 for the gate's)", len(ds), n)
		}
		for _, d := range ds[:size] {
			if got := deliveryCount(t, db, d.EventID); got != 1 {
				t.Fatalf("delivery %s kept %d times", d.EventID, got)
			}
		}
	}

	// The same delivery statement by statement, for comparison.
	db.singleCommits = true
	c, id = newCharge(t, db)
	n := tr.count(func() { receive(paidDelivery(c, id), OutcomeApplied) })
	t.Logf("statement by statement a delivery takes %d round trips", n)
	if n <= 2 {
		t.Errorf("statement by statement took %d round trips: is the tracer counting?", n)
	}
}

// The receiver's answer costs one round trip on PostgreSQL: Accept's
// batch is one INSERT that commits on its own, a lone delivery's and a
// burst's alike (its application, which follows, is the applier's).
func TestPostgresAcceptRoundTrips(t *testing.T) {
	ctx := context.Background()
	db, tr := tracedPostgres(t)
	db.inbox.life.started = true // no applier: only the answers' statements are counted
	close(db.inbox.life.done)
	var batches atomic.Int64
	db.onBatch = func(int) { batches.Add(1) }
	db.sql.SetMaxOpenConns(1)
	c, id := newCharge(t, db)
	accept := func(d *psp.Delivery) {
		t.Helper()
		if err := db.Accept(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	accept(signed(t, psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)})) // warms the statement
	if n := tr.count(func() { accept(signed(t, psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)})) }); n != 1 {
		t.Errorf("a lone delivery's answer took %d round trips, want 1", n)
	}
	const burst = 64
	batches.Store(0)
	n := tr.count(func() {
		var wg sync.WaitGroup
		for range burst {
			wg.Go(func() { accept(signed(t, psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)})) })
		}
		wg.Wait()
	})
	if b := batches.Load(); n != b || b >= burst {
		t.Errorf("%d concurrent deliveries took %d round trips in %d batches, want one a batch, fewer batches than deliveries", burst, n, b)
	}
	if got := inboxRows(t, db); got != burst+2 {
		t.Errorf("the inbox holds %d rows, want %d", got, burst+2)
	}
}
