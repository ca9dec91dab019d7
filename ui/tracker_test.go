package ui

import (
	"context"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// ids lists the tracked charges in the strip's order.
func ids(t *tracker) []int64 {
	var out []int64
	for _, c := range t.list() {
		out = append(out, c.ID)
	}
	return out
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// at returns an open charge id created d after the fixture's.
func at(id int64, d time.Duration) *store.Charge {
	c := openCharge(id)
	c.CreatedAt = c.CreatedAt.Add(d)
	return c
}

func TestTrackerTakesOnlyOpenCharges(t *testing.T) {
	tr := newTracker()
	if ev, ok := tr.observe(paid(openCharge(1)), true); ok || ev != evNone {
		t.Error("a charge already paid is tracked")
	}
	if ev, ok := tr.observe(openCharge(2), false); ok || ev != evNone {
		t.Error("a charge is tracked without being asked to")
	}
	if ev, ok := tr.observe(openCharge(2), true); !ok || ev != evCreated {
		t.Errorf("an open charge: %v %v", ev, ok)
	}
	if ev, _ := tr.observe(openCharge(2), false); ev != evNone {
		t.Errorf("the same copy again is news: %v", ev)
	}
}

func TestTrackerLifeOfACharge(t *testing.T) {
	tr := newTracker()
	pending := &store.Charge{ID: 3, Stage: store.StagePending, Amount: 1250}
	if ev, ok := tr.observe(pending, true); !ok || ev != evNone {
		t.Fatalf("pending: %v %v", ev, ok)
	}
	if ev, _ := tr.observe(openCharge(3), false); ev != evCreated {
		t.Errorf("created: %v", ev)
	}
	if ev, ok := tr.observe(paid(openCharge(3)), false); !ok || ev != evPaid || !tr.paidUnseen(3) {
		t.Fatalf("paid: %v %v unseen %v", ev, ok, tr.paidUnseen(3))
	}
	// It stays, green, until the cashier sees it.
	if !tr.has(3) || !sameIDs(ids(tr), []int64{3}) {
		t.Error("a payment off screen left the strip before it was seen")
	}
	tr.seen(3)
	if tr.has(3) || tr.paidUnseen(3) {
		t.Error("a paid charge stays once seen")
	}
	if _, ok := tr.observe(paid(openCharge(3)), false); ok {
		t.Error("a charge seen and done came back")
	}
}

func TestTrackerDropsWhatEnds(t *testing.T) {
	tr := newTracker()
	tr.observe(openCharge(1), true)
	tr.observe(openCharge(2), true)
	exp := openCharge(1)
	exp.Status = psp.StatusExpired
	if ev, ok := tr.observe(exp, false); ok || ev != evEnded || tr.has(1) {
		t.Errorf("expired: %v %v", ev, ok)
	}
	rej := openCharge(2)
	rej.Stage, rej.Status = store.StageRejected, ""
	if ev, ok := tr.observe(rej, false); ok || ev != evRejected || tr.has(2) {
		t.Errorf("rejected: %v %v", ev, ok)
	}
	// Seeing an open charge keeps it: it is still to be paid.
	tr.observe(openCharge(4), true)
	tr.seen(4)
	if !tr.has(4) {
		t.Error("an open charge left when it was shown")
	}
}

func TestTrackerCyclesInCreationOrder(t *testing.T) {
	tr := newTracker()
	tr.observe(at(9, 2*time.Minute), true)
	tr.observe(at(5, 0), true)
	tr.observe(at(7, time.Minute), true)
	if got := ids(tr); !sameIDs(got, []int64{5, 7, 9}) {
		t.Fatalf("order %v, want by creation", got)
	}
	var path []int64
	for id := int64(0); ; {
		c := tr.next(id)
		if c == nil {
			break
		}
		path = append(path, c.ID)
		id = c.ID
	}
	if !sameIDs(path, []int64{5, 7, 9}) {
		t.Errorf("from the form: %v, then back to the form", path)
	}
	if !tr.others(5) {
		t.Error("with three charges tracked, one on screen has others")
	}
	one := newTracker()
	one.observe(openCharge(1), true)
	if one.others(1) || !one.others(0) {
		t.Error("with one charge tracked, only other screens have somewhere to go")
	}
}

func TestTrackerRingsOnce(t *testing.T) {
	tr := newTracker()
	if !tr.ring(1) || tr.ring(1) {
		t.Error("a payment rings once")
	}
	if !tr.ring(2) {
		t.Error("another payment does not ring")
	}
}

func TestTrackerCancelsCreates(t *testing.T) {
	tr := newTracker()
	s1, ctx1 := tr.create(context.Background())
	s2, ctx2 := tr.create(context.Background())
	if s1 == s2 {
		t.Fatal("two attempts with one number")
	}
	tr.done(s1)
	if ctx1.Err() == nil || ctx2.Err() != nil {
		t.Error("done cancels the attempt's context, and only it")
	}
	_, ctx3 := tr.create(context.Background())
	tr.cancelAll()
	if ctx2.Err() == nil || ctx3.Err() == nil || len(tr.cancels) != 0 {
		t.Error("cancelAll leaves a create running")
	}
}

// Reloads run concurrently and answer out of order: a copy older than one
// already seen changes nothing, even after the charge left the tracker.
func TestTrackerIgnoresOlderCopies(t *testing.T) {
	tr := newTracker()
	pending := &store.Charge{ID: 5, Stage: store.StagePending, Amount: 1250, Version: 1}
	created := openCharge(5)
	created.Version = 2
	tr.observe(pending, true)
	if ev, _ := tr.observe(created, false); ev != evCreated {
		t.Fatalf("created: %v", ev)
	}
	if ev, ok := tr.observe(pending, false); ev != evStale || !ok {
		t.Fatalf("the older pending copy: %v %v, want stale and still tracked", ev, ok)
	}
	if ev, _ := tr.observe(created, false); ev != evNone {
		t.Errorf("the created copy again after a stale one is news: %v", ev)
	}
	p := paid(created)
	if ev, _ := tr.observe(p, false); ev != evPaid {
		t.Fatalf("paid: %v", ev)
	}
	if ev, _ := tr.observe(created, false); ev != evStale {
		t.Errorf("an awaiting copy older than the payment: %v, want stale", ev)
	}
	if got := tr.charges[5]; got.Status != psp.StatusPaid {
		t.Errorf("the older copy undid the payment: %v", got.Status)
	}
}
