package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

func TestLeaseSQLite(t *testing.T) {
	t.Parallel()
	runLeases(t, sqliteOpener)
}

func TestLeasePostgres(t *testing.T) {
	t.Parallel()
	pgtest.Start(t)
	runLeases(t, postgresOpener)
}

func runLeases(t *testing.T, o *opener) {
	for name, fn := range map[string]func(*testing.T, *opener){
		"Lifecycle":  testLeaseLifecycle,
		"Terminal":   testLeaseTerminal,
		"Concurrent": testLeaseConcurrent,
		"FirstPoll":  testLeaseFirstPoll,
		"Outcome":    testDeliveryOutcome,
		"Backlog":    testLeaseBacklogSlices,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, o)
		})
	}
}

func leaseDue(t *testing.T, db *DB, owner string, ttl time.Duration, limit int, now time.Time) []int64 {
	t.Helper()
	cs, err := db.LeaseDue(context.Background(), LeaseRequest{Owner: owner, TTL: ttl, Limit: limit}, now)
	if err != nil {
		t.Fatalf("LeaseDue(%s): %v", owner, err)
	}
	var ids []int64
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func testLeaseLifecycle(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	now := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	a, _ := newCharge(t, db)
	b, bid := newCharge(t, db)
	paid, pid := newCharge(t, db)
	if _, _, err := db.Apply(ctx, answer(paid, pid, psp.StatusPaid), EntryPoll, nil); err != nil {
		t.Fatal(err)
	}
	pending, err := db.CreateIntent(ctx, NewCharge{Terminal: "C01", ExternalReference: "lease-pending", Amount: 100, Payer: psp.Payer{Name: "A"}})
	if err != nil {
		t.Fatal(err)
	}
	const ttl = 10 * time.Second

	// Only charges awaiting payment are scheduled, due at once; one owner
	// gets them, in id order.
	if got := leaseDue(t, db, "one", ttl, 10, now); fmt.Sprint(got) != fmt.Sprint([]int64{a.ID, b.ID}) {
		t.Fatalf("first claim = %v, want [%d %d]", got, a.ID, b.ID)
	}
	for _, id := range []int64{paid.ID, pending.ID} {
		if _, err := db.LeaseOf(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("charge %d (not awaiting) has a lease row: %v", id, err)
		}
	}
	if got := leaseDue(t, db, "two", ttl, 10, now.Add(ttl-time.Millisecond)); len(got) != 0 {
		t.Fatalf("held leases handed to another owner: %v", got)
	}
	// Renewal keeps them; only the holder can renew.
	if err := db.RenewLease(ctx, "one", a.ID, ttl, now.Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := db.RenewLease(ctx, "two", a.ID, ttl, now); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("renew by a stranger: %v", err)
	}
	// b's lease expires; a's renewed one does not.
	if got := leaseDue(t, db, "two", ttl, 10, now.Add(ttl)); fmt.Sprint(got) != fmt.Sprint([]int64{b.ID}) {
		t.Fatalf("after expiry two got %v, want [%d]", got, b.ID)
	}
	if err := db.ReleaseLease(ctx, "one", b.ID, now.Add(time.Minute)); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("release of a lease taken over: %v", err)
	}
	if err := db.ReleaseLease(ctx, "", b.ID, now); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("release by the empty owner: %v", err)
	}
	// Released with a next poll: free, due then.
	next := now.Add(time.Minute)
	if err := db.ReleaseLease(ctx, "two", b.ID, next); err != nil {
		t.Fatal(err)
	}
	if l, err := db.LeaseOf(ctx, b.ID); err != nil || l.Owner != "" || !l.NextPoll.Equal(next) || !l.Until.IsZero() {
		t.Fatalf("released lease = %v, %v", l, err)
	}
	// a's renewed lease has run out by now; b is not due yet.
	if got := leaseDue(t, db, "three", ttl, 10, next.Add(-time.Millisecond)); fmt.Sprint(got) != fmt.Sprint([]int64{a.ID}) {
		t.Fatalf("before b is due got %v, want [%d]", got, a.ID)
	}
	if got := leaseDue(t, db, "three", ttl, 10, next); fmt.Sprint(got) != fmt.Sprint([]int64{b.ID}) {
		t.Fatalf("at due time got %v", got)
	}
	// A charge paid meanwhile comes back once more, and a zero next poll
	// takes it out of the schedule for good.
	if _, _, err := db.Apply(ctx, answer(b, bid, psp.StatusPaid), EntryWebhook, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.ReleaseLease(ctx, "three", b.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LeaseOf(ctx, b.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("finished charge still scheduled: %v", err)
	}
	if got := leaseDue(t, db, "four", ttl, 10, next.Add(time.Hour)); fmt.Sprint(got) != fmt.Sprint([]int64{a.ID}) {
		t.Fatalf("late claim = %v, want only [%d]", got, a.ID)
	}
	// Leases never touch the charge itself: no version, no change feed.
	if got := mustGet(t, db, a.ID); got.Version != a.Version {
		t.Errorf("leasing changed the charge's version %d → %d", a.Version, got.Version)
	}
	if _, err := db.LeaseDue(ctx, LeaseRequest{Owner: "", TTL: ttl}, now); err == nil {
		t.Error("LeaseDue without an owner succeeded")
	}
}

func testLeaseTerminal(t *testing.T, o *opener) {
	db := o.open(t)
	now := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	mine, _ := newCharge(t, db, func(n *NewCharge) { n.Terminal = "C01" })
	theirs, _ := newCharge(t, db, func(n *NewCharge) { n.Terminal = "C02" })
	cs, err := db.LeaseDue(context.Background(), LeaseRequest{Owner: "c01", Terminal: "C01", TTL: time.Minute, Limit: 10}, now)
	if err != nil || len(cs) != 1 || cs[0].ID != mine.ID || cs[0].TransactionID != mine.TransactionID {
		t.Fatalf("terminal C01 claimed %v, %v", cs, err)
	}
	if got := leaseDue(t, db, "serve", time.Minute, 10, now); fmt.Sprint(got) != fmt.Sprint([]int64{theirs.ID}) {
		t.Fatalf("serve claimed %v, want [%d]", got, theirs.ID)
	}
}

// Claimers racing on two handles (two processes) never share a charge
// while its lease runs, and between them take every charge.
func testLeaseConcurrent(t *testing.T, o *opener) {
	db1 := o.open(t)
	db2 := o.reopen(t, db1.dsn)
	const charges, claimers = 60, 6
	for range charges {
		newCharge(t, db1)
	}
	now := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	var (
		mu    sync.Mutex
		owner = map[int64]string{}
		wg    sync.WaitGroup
	)
	for w := range claimers {
		db := db1
		if w%2 == 1 {
			db = db2
		}
		name := fmt.Sprintf("claimer-%d", w)
		wg.Go(func() {
			for {
				cs, err := db.LeaseDue(context.Background(), LeaseRequest{Owner: name, TTL: time.Hour, Limit: 3}, now)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				if len(cs) == 0 {
					return
				}
				mu.Lock()
				for _, c := range cs {
					if prev, ok := owner[c.ID]; ok {
						t.Errorf("charge %d claimed by %s and %s", c.ID, prev, name)
					}
					owner[c.ID] = name
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(owner) != charges {
		t.Fatalf("%d charges claimed, want %d", len(owner), charges)
	}
}

func testLeaseFirstPoll(t *testing.T, o *opener) {
	db := o.open(t)
	now := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	c, _ := newCharge(t, db)
	r := LeaseRequest{Owner: "one", TTL: time.Minute, Limit: 10, FirstPoll: 2 * time.Second}
	if cs, err := db.LeaseDue(context.Background(), r, now); err != nil || len(cs) != 0 {
		t.Fatalf("claimed on first sight: %v, %v", cs, err)
	}
	if l, err := db.LeaseOf(context.Background(), c.ID); err != nil || !l.NextPoll.Equal(now.Add(2*time.Second)) || l.Owner != "" {
		t.Fatalf("enrolled as %v, %v", l, err)
	}
	if cs, err := db.LeaseDue(context.Background(), r, now.Add(2*time.Second)); err != nil || len(cs) != 1 {
		t.Fatalf("due: %v, %v", cs, err)
	}
}

func testDeliveryOutcome(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, id := newCharge(t, db)
	ev := psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)}
	first := genuine(ev)
	for _, tc := range []struct {
		d    *psp.Delivery
		want Receipt
	}{
		{first, Receipt{c.ID, OutcomeApplied}},
		{genuine(ev), Receipt{c.ID, OutcomeDuplicate}},
		{replay(first), Receipt{c.ID, OutcomeDuplicate}},
		{&psp.Delivery{EventID: "forged", Verdict: psp.VerdictForged, Body: first.Body}, Receipt{0, OutcomeForged}},
		{genuine(psp.Event{Type: psp.EventCashInPaid, Data: psp.CashIn{TransactionID: "nobody", Status: psp.StatusPaid}}), Receipt{0, OutcomeUnknown}},
	} {
		if got, err := db.Receive(ctx, tc.d); err != nil || got != tc.want {
			t.Errorf("event %s: %+v, %v; want %+v", tc.d.EventID, got, err, tc.want)
		}
	}
	// A delivery reads its charge without the QR image and must not
	// write the empty one it read back.
	if got, err := db.Get(ctx, c.ID); err != nil || got.QRImageBase64 != c.QRImageBase64 || got.Status != psp.StatusPaid {
		t.Errorf("after the deliveries: QR %q status %s, %v; want QR %q", got.QRImageBase64, got.Status, err, c.QRImageBase64)
	}
}
