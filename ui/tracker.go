package ui

import (
	"cmp"
	"context"
	"slices"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// tracker owns what the counter keeps an eye on besides the screen: this
// counter's open charges (being created, awaiting payment, and paid ones
// the cashier has not looked at yet), the bell of each payment, and the
// cancel of every create call in flight. The root model routes fresh
// copies of charges to it and draws its strip; the tracker itself does no
// I/O, so its rules are tested apart (tracker_test.go).
type tracker struct {
	charges map[int64]*store.Charge // the last copy of each tracked charge
	unseen  map[int64]bool          // paid off screen, not shown since
	rang    map[int64]bool          // charges whose payment rang the bell
	// newest is the highest version seen of every charge observed, kept
	// after it is forgotten: reloads run concurrently and answer out of
	// order, and an older copy must never undo a newer one.
	newest map[int64]int64

	seq     int // of the latest create attempt
	cancels map[int]context.CancelFunc
}

func newTracker() *tracker {
	return &tracker{
		charges: map[int64]*store.Charge{},
		unseen:  map[int64]bool{},
		rang:    map[int64]bool{},
		newest:  map[int64]int64{},
		cancels: map[int]context.CancelFunc{},
	}
}

// event is what a fresh copy of a tracked charge means for the cashier.
type event int

const (
	evNone     event = iota
	evCreated        // ConnectPSP confirmed it: its QR can be shown
	evPaid           // paid: the entry turns green until seen
	evEnded          // expired, cancelled or refunded: no longer tracked
	evRejected       // ConnectPSP refused it: no longer tracked
	evStale          // older than a copy already seen: to be ignored
)

// open reports whether c is still to be paid: being created, or created
// and awaiting payment.
func open(c *store.Charge) bool {
	return c.Stage == store.StagePending ||
		c.Stage == store.StageCreated && (c.Status == psp.StatusAwaitingPayment || c.Status == "")
}

// observe records a fresh copy of c. A charge not tracked yet is taken in
// when add is set and it is open; a final one never is. It reports what
// changed since the last copy and whether c is tracked now; a copy older
// than one already seen is evStale and changes nothing.
func (t *tracker) observe(c *store.Charge, add bool) (event, bool) {
	old, ok := t.charges[c.ID]
	if v, seen := t.newest[c.ID]; seen && c.Version < v {
		return evStale, ok
	}
	t.newest[c.ID] = c.Version
	if !ok && !(add && open(c)) {
		return evNone, false
	}
	t.charges[c.ID] = c
	if ok && old.Stage == c.Stage && old.Status == c.Status {
		return evNone, true
	}
	switch {
	case c.Stage == store.StageRejected:
		t.forget(c.ID)
		return evRejected, false
	case c.Stage == store.StagePending:
		return evNone, true
	case c.Status == psp.StatusPaid:
		t.unseen[c.ID] = true
		return evPaid, true
	case c.Status.Final():
		t.forget(c.ID)
		return evEnded, false
	case !ok || old.Stage != store.StageCreated:
		return evCreated, true
	}
	return evNone, true
}

// seen records that charge id is on screen: a paid one leaves the strip.
func (t *tracker) seen(id int64) {
	delete(t.unseen, id)
	if c := t.charges[id]; c != nil && !open(c) {
		t.forget(id)
	}
}

func (t *tracker) forget(id int64) {
	delete(t.charges, id)
	delete(t.unseen, id)
}

// has reports whether charge id is tracked.
func (t *tracker) has(id int64) bool { _, ok := t.charges[id]; return ok }

// paidUnseen reports whether charge id was paid while off screen and has
// not been shown since.
func (t *tracker) paidUnseen(id int64) bool { return t.unseen[id] }

// list returns the tracked charges in the order they were created, so
// that an entry keeps its place in the strip.
func (t *tracker) list() []*store.Charge {
	out := make([]*store.Charge, 0, len(t.charges))
	for _, c := range t.charges {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *store.Charge) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// others reports whether a charge other than id is tracked.
func (t *tracker) others(id int64) bool {
	return len(t.charges) > 1 || len(t.charges) == 1 && !t.has(id)
}

// next is the charge after id in the strip's order: the first one when id
// is not tracked (the form, the lookup), nil after the last one — the
// cycle goes back to the form there.
func (t *tracker) next(id int64) *store.Charge {
	l := t.list()
	i := slices.IndexFunc(l, func(c *store.Charge) bool { return c.ID == id })
	if i+1 < len(l) {
		return l[i+1]
	}
	return nil
}

// ring reports whether charge id's payment is still to ring the bell, and
// records that it has.
func (t *tracker) ring(id int64) bool {
	if t.rang[id] {
		return false
	}
	t.rang[id] = true
	return true
}

// create numbers a new create attempt and returns the context its call
// runs in, under parent (the console's), cancelled when the cashier stops
// waiting or quits.
func (t *tracker) create(parent context.Context) (int, context.Context) {
	t.seq++
	ctx, cancel := context.WithCancel(parent)
	t.cancels[t.seq] = cancel
	return t.seq, ctx
}

// done releases attempt seq's context: its answer arrived.
func (t *tracker) done(seq int) {
	if cancel := t.cancels[seq]; cancel != nil {
		cancel()
		delete(t.cancels, seq)
	}
}

// cancelAll cancels every create call in flight (the console quits; the
// engine keeps the charges pending and sends them again on the next start).
func (t *tracker) cancelAll() {
	for seq := range t.cancels {
		t.done(seq)
	}
}
