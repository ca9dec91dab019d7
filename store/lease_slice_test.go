package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

// leaseRows counts the poll schedule's rows.
func leaseRows(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRow("SELECT COUNT(*) FROM leases").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A backlog of open charges without schedule rows (written before
// enrolment on open, or by hand) enters the schedule enrolSlice at a time,
// one slice per LeaseDue, and none is handed out before its first poll.
func testLeaseBacklogSlices(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	awaiting := psp.StatusAwaitingPayment
	const backlog = 2*enrolSlice + 100
	bulkLoad(t, db, 0, backlog, &awaiting)
	now := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	r := LeaseRequest{Owner: "one", TTL: time.Minute, Limit: 10, FirstPoll: time.Hour}
	for i, want := range []int{enrolSlice, 2 * enrolSlice, backlog, backlog} {
		if cs, err := db.LeaseDue(ctx, r, now.Add(time.Duration(i)*time.Second)); err != nil || len(cs) != 0 {
			t.Fatalf("call %d claimed %d before their first poll: %v", i, len(cs), err)
		}
		if n := leaseRows(t, db); n != want {
			t.Fatalf("after call %d the schedule holds %d, want %d", i, n, want)
		}
	}
	if cs, err := db.LeaseDue(ctx, r, now.Add(time.Hour+time.Minute)); err != nil || len(cs) != r.Limit {
		t.Fatalf("an hour on: %d claimed, %v", len(cs), err)
	}
}

// On PostgreSQL a charge enters the schedule with the write that opens
// it and leaves it with the one that closes it, so that the poller's
// check between walks is an index range of leases_due, not a walk of
// every open charge.
func TestPostgresLeaseEnrolOnOpen(t *testing.T) {
	t.Parallel()
	pgtest.Start(t)
	ctx := context.Background()
	db := postgresOpener.open(t)
	c, id := newCharge(t, db)
	if l, err := db.LeaseOf(ctx, c.ID); err != nil || l.NextPoll.UnixMicro() != unseen {
		t.Fatalf("a created charge is not enrolled unseen: %v, %v", l, err)
	}
	if _, _, err := db.Apply(ctx, answer(c, id, psp.StatusPaid), EntryPoll, nil); err != nil {
		t.Fatal(err)
	}
	if n := leaseRows(t, db); n != 0 {
		t.Fatalf("a paid charge keeps its schedule row (%d rows)", n)
	}

	const rows = 20000
	awaiting := psp.StatusAwaitingPayment
	bulkLoad(t, db, 1000, 1000+rows, &awaiting)
	if _, err := db.sql.ExecContext(ctx, db.rebind(`INSERT INTO leases (charge_id, next_poll_at) SELECT id, ? FROM charges`),
		micro(time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.ExecContext(ctx, "ANALYZE charges, leases"); err != nil {
		t.Fatal(err)
	}
	now := micro(time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC))
	plan := planOf(t, db, fmt.Sprintf(probeSQL, ""), now, now)
	if !strings.Contains(plan, "leases_due") || strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "charges") {
		t.Errorf("the due check is not a range of leases_due:\n%s", plan)
	}
}
