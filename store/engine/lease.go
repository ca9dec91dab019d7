package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// DefaultLeaseTTL is the poll lease a process sharing a journal should
// take: three times the default PollTimeout, so that a poll in flight never
// outlives its lease, and short enough that a dead process's charges are
// picked up within half a minute.
const DefaultLeaseTTL = 30 * time.Second

// releaseTimeout bounds handing a lease back, which happens even while the
// engine stops.
const releaseTimeout = 5 * time.Second

// leaseState is the engine's side of the shared poll schedule. ttl and
// owner are fixed at New; held is guarded by Engine.mu; last and more
// belong to Run's goroutine.
type leaseState struct {
	ttl   time.Duration
	owner string
	held  int
	last  time.Time // when LeaseDue last ran, by the real clock
	more  bool      // the last claim filled every free worker: more may be due
}

// leasing reports whether polls come from the shared schedule.
func (e *Engine) leasing() bool { return e.lease.ttl > 0 }

// LeaseOwner returns the name this engine holds poll leases under ("" when
// it keeps its own schedule).
func (e *Engine) LeaseOwner() string { return e.lease.owner }

// defaultLeaseOwner names this process: host, pid and a random part, so a
// restarted process with a recycled pid is still someone else.
func defaultLeaseOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "pixdesk"
	}
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// claimLeases takes due charges from the shared schedule, as many as there
// are free workers, and polls each under its lease. Run calls it every
// turn of its loop; it asks the store at most once per Tick unless the last
// claim suggested more were waiting.
func (e *Engine) claimLeases(ctx context.Context, wg *sync.WaitGroup) {
	if !e.leasing() || ctx.Err() != nil {
		return
	}
	if !e.lease.more && time.Since(e.lease.last) < e.tick {
		return
	}
	n := e.takeSlots()
	if n == 0 {
		return // all busy: a finishing worker nudges the loop
	}
	e.lease.last = time.Now()
	term := e.terminal
	if e.pollAll {
		term = ""
	}
	cs, err := e.db.LeaseDue(ctx, store.LeaseRequest{Owner: e.lease.owner, Terminal: term, TTL: e.lease.ttl, Limit: n,
		FirstPoll: e.pollFast}, e.now())
	if err != nil {
		cs = nil
		if ctx.Err() == nil {
			e.log.Warn("poll: taking leases failed", "err", err)
		}
	}
	e.lease.more = len(cs) == n
	for range n - len(cs) {
		<-e.sem
	}
	if len(cs) == 0 {
		return
	}
	e.metrics.lease("claimed", len(cs))
	e.mu.Lock()
	e.lease.held += len(cs)
	e.mu.Unlock()
	for _, ch := range cs {
		wg.Go(func() {
			defer func() { <-e.sem }()
			e.pollLeased(ctx, ch)
		})
	}
}

// takeSlots takes every free worker slot and returns how many it took.
func (e *Engine) takeSlots() int {
	for n := 0; ; n++ {
		select {
		case e.sem <- struct{}{}:
		default:
			return n
		}
	}
}

// pollLeased polls one charge it holds the lease on, then hands the lease
// back with the charge's next poll time; a charge no longer awaiting
// payment leaves the schedule. If the engine is stopping before the poll
// got an answer, the charge is handed back due at once, for another
// process to take.
func (e *Engine) pollLeased(ctx context.Context, ch *store.Charge) {
	lctx, lose := context.WithCancel(ctx)
	defer lose()
	stop := e.keepLease(lctx, lose, ch.ID)
	var next time.Time
	if ch.Stage == store.StageCreated && ch.Status == psp.StatusAwaitingPayment {
		pctx, cancel := context.WithTimeout(lctx, e.pollTimeout)
		res, _, err := e.refresh(pctx, ch)
		cancel()
		if _, due, keep := e.nextPoll(res); keep {
			next = due
		}
		switch {
		case err != nil && ctx.Err() != nil:
			next = e.now()
		case err != nil && !next.IsZero():
			next = e.afterFailures(ch.ID, next)
		}
	}
	lost := stop()
	if !lost {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		err := e.db.ReleaseLease(rctx, e.lease.owner, ch.ID, next)
		cancel()
		switch {
		case errors.Is(err, store.ErrLeaseLost):
			lost = true
		case err != nil:
			// The lease runs out by itself and another process polls then.
			e.log.Warn("poll: releasing lease failed", "charge", ch.ID, "err", err)
		default:
			e.metrics.lease("released", 1)
		}
	}
	if lost {
		e.metrics.lease("lost", 1)
		e.log.Warn("poll: lease lost to another process", "charge", ch.ID)
	}
	e.mu.Lock()
	e.lease.held--
	e.mu.Unlock()
	e.nudge()
}

// keepLease renews the lease on charge id every third of its ttl until
// stop is called. If the lease is lost, it calls lose, which abandons the
// poll. stop reports whether the lease was lost.
func (e *Engine) keepLease(ctx context.Context, lose context.CancelFunc, id int64) (stop func() bool) {
	var (
		lost atomic.Bool
		wg   sync.WaitGroup
		done = make(chan struct{})
	)
	wg.Go(func() {
		t := time.NewTicker(e.lease.ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := e.db.RenewLease(ctx, e.lease.owner, id, e.lease.ttl, e.now())
			switch {
			case errors.Is(err, store.ErrLeaseLost):
				lost.Store(true)
				lose()
				return
			case err != nil:
				if ctx.Err() == nil {
					e.log.Warn("poll: renewing lease failed", "charge", id, "err", err)
				}
			default:
				e.metrics.lease("renewed", 1)
			}
		}
	})
	return func() bool {
		close(done)
		wg.Wait()
		return lost.Load()
	}
}
