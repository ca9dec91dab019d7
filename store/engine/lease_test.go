package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
)

// leased is an engine configuration that polls from the shared schedule.
func (f *fixture) leased(db *store.DB, owner string, ttl time.Duration) Config {
	cfg := f.config()
	cfg.DB, cfg.PollAll, cfg.LeaseOwner, cfg.LeaseTTL = db, true, owner, ttl
	return cfg
}

// appliedOnce fails unless charge id reached st exactly once.
func appliedOnce(t *testing.T, db *store.DB, id int64, st psp.Status) {
	t.Helper()
	es, err := db.Timeline(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if e.Kind == store.EntryStatus && e.Status == st && e.Outcome == string(store.OutcomeApplied) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("charge %d: %s applied %d times", id, st, n)
	}
}

// Two processes (two journal handles) poll one set of charges through
// leases; every charge is paid once and leaves the schedule.
func TestLeasedPolling(t *testing.T) {
	f := setup(t)
	f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	a := New(f.leased(f.db, "a", time.Second))
	b := New(f.leased(f.openDB(), "b", time.Second))
	f.run(a)
	f.run(b)
	counter := New(f.config()) // creates only
	var ids []int64
	for range 8 {
		ch := f.create(counter, Input{})
		ids = append(ids, ch.ID)
		if _, err := f.sb.Pay(ch.TransactionID, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		f.waitStatus(id, psp.StatusPaid)
		appliedOnce(t, f.db, id, psp.StatusPaid)
		waitFor(t, "charge to leave the schedule", func() bool {
			_, err := f.db.LeaseOf(f.ctx, id)
			return errors.Is(err, store.ErrNotFound)
		})
	}
	waitFor(t, "leases handed back", func() bool { return a.Health().Pending == 0 && b.Health().Pending == 0 })
	var out strings.Builder
	for _, e := range []*Engine{a, b} {
		if err := e.WriteMetrics(&out); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(out.String(), `pixdesk_poll_leases_total{event="claimed"}`) {
		t.Errorf("metrics lack leases:\n%s", out.String())
	}
}

// A process that dies holding a lease delays the charge by the lease's ttl;
// then another takes it over and finishes it.
func TestLeaseTakeover(t *testing.T) {
	f := setup(t)
	f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	ch := f.create(New(f.config()), Input{})
	const ttl = 400 * time.Millisecond
	taken := time.Now()
	dead, err := f.db.LeaseDue(f.ctx, store.LeaseRequest{Owner: "dead", TTL: ttl, Limit: 10}, taken)
	if err != nil || len(dead) != 1 {
		t.Fatalf("dead owner's claim: %v, %v", dead, err)
	}
	if _, err := f.sb.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	f.run(New(f.leased(f.db, "heir", time.Second)))
	time.Sleep(ttl / 4)
	if got := f.get(ch.ID); got.Status != psp.StatusAwaitingPayment {
		t.Fatalf("charge polled under another's lease: %s", got.Status)
	}
	f.waitStatus(ch.ID, psp.StatusPaid)
	if waited := time.Since(taken); waited < ttl {
		t.Errorf("taken over after %v, before the lease ran out", waited)
	}
	appliedOnce(t, f.db, ch.ID, psp.StatusPaid)
}

// An engine that stops mid-poll hands its lease back, due at once.
func TestLeaseReleasedOnStop(t *testing.T) {
	f := setup(t)
	f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	ch := f.create(New(f.config()), Input{})
	f.sb.SetFaults(sandbox.Faults{Latency: time.Minute})
	e := New(f.leased(f.db, "stopping", time.Hour))
	ctx, cancel := context.WithCancel(f.ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	waitFor(t, "lease taken", func() bool {
		l, err := f.db.LeaseOf(f.ctx, ch.ID)
		return err == nil && l.Owner == "stopping"
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l, err := f.db.LeaseOf(f.ctx, ch.ID)
	if err != nil || l.Owner != "" || l.NextPoll.After(time.Now()) {
		t.Fatalf("after stop: %v, %v", l, err)
	}
}
