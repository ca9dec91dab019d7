package store

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// Group commit for webhook deliveries.
//
// A durable commit costs an fsync (SQLite with synchronous=FULL, or
// PostgreSQL's WAL flush), and the receiver may not answer 200 before it.
// One commit per delivery caps the receiver at one delivery per fsync. So
// Receive hands its delivery to one committer goroutine per DB, which
// takes everything queued meanwhile (up to maxBatch), applies it in one
// write transaction and commits once: while one batch syncs, the next one
// gathers. A lone delivery waits for nothing: it is a batch of one.
//
// Deliveries are applied in arrival order, each exactly as alone, so two
// deliveries of one event in a batch are "applied" then "duplicate". If the
// batch's transaction fails, each of its deliveries is applied again in a
// transaction of its own: one bad delivery fails alone. That costs a
// rollback on a path that, with these queries, only a broken database
// takes; savepoints would cost two statements per delivery on every path.

// maxBatch bounds a batch: enough to spread a commit over a burst, few
// enough that the transaction stays short for the writers behind it.
const maxBatch = 128

// errClosed is returned to deliveries arriving after Close.
var errClosed = errors.New("store: journal closed")

// States of a pending delivery. A caller whose ctx ends may abandon it only
// while it is waiting; once taken into a batch, its result is the batch's.
const (
	waiting int32 = iota
	taken
	abandoned
)

// pendingDelivery is one Receive call waiting for its commit.
type pendingDelivery struct {
	d       *psp.Delivery
	state   atomic.Int32
	receipt Receipt    // set before done is sent
	done    chan error // buffered, so the committer never waits for a caller
}

// record is p's work inside transaction t.
func (p *pendingDelivery) record(t *txn) (err error) {
	p.receipt, err = t.recordDelivery(p.d)
	return err
}

// recordAll records batch in t, each delivery stamped as if alone.
func (t *txn) recordAll(batch []*pendingDelivery) error {
	t.seqWant = len(batch) // one version each, taken at once
	for i, p := range batch {
		if i > 0 {
			t.now = t.db.now().UTC()
		}
		if err := p.record(t); err != nil {
			return err
		}
	}
	return nil
}

// committer is the queue of one DB's pending deliveries and the state of
// the goroutine that commits them.
type committer struct {
	run   func([]*pendingDelivery) // commits one batch and answers its callers
	mu    sync.Mutex
	queue []*pendingDelivery
	life  runner
	wake  chan struct{} // capacity 1: "the queue is not empty"
	// last is when the committer last took a batch (UnixNano), and size
	// how many deliveries that batch held.
	last, size atomic.Int64
}

func newCommitter(run func([]*pendingDelivery)) *committer {
	return &committer{run: run, life: newRunner(), wake: make(chan struct{}, 1)}
}

// enqueue queues p, starting the committer on first use.
func (g *committer) enqueue(p *pendingDelivery) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.life.closed {
		return errClosed
	}
	g.life.start(g.loop)
	g.queue = append(g.queue, p)
	select {
	case g.wake <- struct{}{}:
	default:
	}
	return nil
}

// submit queues d and waits for its batch's commit, returning its receipt.
// A ctx that ends while d waits for its turn returns ctx.Err() with nothing
// recorded; once d is taken into a batch, submit reports that batch's
// commit whatever ctx says.
func (g *committer) submit(ctx context.Context, d *psp.Delivery) (Receipt, error) {
	p := &pendingDelivery{d: d, done: make(chan error, 1)}
	if err := g.enqueue(p); err != nil {
		return Receipt{}, err
	}
	select {
	case err := <-p.done:
		return p.receipt, err
	case <-ctx.Done():
		if p.state.CompareAndSwap(waiting, abandoned) {
			return Receipt{}, ctx.Err()
		}
		err := <-p.done
		return p.receipt, err
	}
}

// take removes up to maxBatch deliveries from the queue, skipping those
// their callers abandoned, and reports whether the DB is closing.
func (g *committer) take() ([]*pendingDelivery, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var batch []*pendingDelivery
	n := 0
	for n < len(g.queue) && len(batch) < maxBatch {
		p := g.queue[n]
		g.queue[n] = nil
		n++
		if p.state.CompareAndSwap(waiting, taken) {
			batch = append(batch, p)
		}
	}
	if len(batch) > 0 {
		g.last.Store(time.Now().UnixNano())
		g.size.Store(int64(len(batch)))
	}
	g.queue = g.queue[n:]
	if len(g.queue) == 0 {
		g.queue = nil // let the backing array go after a burst
	}
	return batch, g.life.closed
}

// loop commits batches until Close, and then what was queued before.
func (g *committer) loop() {
	for {
		select {
		case <-g.wake:
		case <-g.life.stopped:
		}
		for {
			batch, closing := g.take()
			if len(batch) > 0 {
				g.run(batch)
				continue
			}
			if closing {
				return
			}
			break
		}
	}
}

// commitBatch records batch in one transaction and answers each caller. No
// caller's ctx governs the transaction: callers left behind are waiting for
// it, and one caller leaving must not undo the others. On PostgreSQL the
// transaction is two pipelines (pipeline.go).
func (db *DB) commitBatch(batch []*pendingDelivery) {
	if db.onBatch != nil {
		db.onBatch(len(batch))
	}
	ctx := context.Background()
	var err error
	switch {
	case db.postgres:
		err = db.pipeline(ctx, batch)
	case len(batch) == 1:
		batch[0].done <- db.write(ctx, batch[0].record)
		return
	default:
		err = db.write(ctx, func(t *txn) error { return t.recordAll(batch) })
	}
	if err == nil {
		for _, p := range batch {
			p.done <- nil
		}
		return
	}
	if len(batch) > 1 {
		db.log.Warn("store: a batch of webhook deliveries failed; recording them one by one", "n", len(batch), "err", err)
	}
	for _, p := range batch {
		p.done <- db.write(ctx, p.record)
	}
}

// stop refuses new deliveries and returns once the committer has
// recorded those already queued.
func (g *committer) stop() { g.life.halt(&g.mu) }

// pressed reports whether the answers are queueing: g took, within quiet,
// a batch of at least pressBatch deliveries, each of which waited behind
// the commit before it.
func (g *committer) pressed(quiet time.Duration) bool {
	return time.Since(time.Unix(0, g.last.Load())) <= quiet && g.size.Load() >= pressBatch
}
