package store

import (
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/pixdesk/pixdesk/psp"
)

// seqValue is the last version handed out: the counters row 'seq' on
// SQLite, the sequence charge_versions on PostgreSQL (nextSeq).
func seqValue(t *testing.T, db *DB) int64 {
	t.Helper()
	q := "SELECT value FROM counters WHERE name = 'seq'"
	if db.postgres {
		q = "SELECT last_value FROM charge_versions"
	}
	var v int64
	if err := db.sql.QueryRow(q).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// testQuietPolls: a poll that finds nothing new takes no version, tells
// the change feed nothing and is counted into the previous identical
// poll's entry; anything else is recorded and announced as before.
func testQuietPolls(t *testing.T, o *opener) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := o.open(t)
	c, id := newCharge(t, db)
	feed := db.Subscribe(ctx)
	seq := seqValue(t, db)

	awaiting := answer(c, id, psp.StatusAwaitingPayment)
	for i := range 10 {
		got, out, err := db.Apply(ctx, awaiting, EntryPoll, []byte(`{"poll":`+strconv.Itoa(i)+`}`))
		if err != nil || out != OutcomeDuplicate || got.Version != c.Version {
			t.Fatalf("poll %d: %s, version %d, %v; want duplicate, version %d", i, out, got.Version, err, c.Version)
		}
	}
	es := timeline(t, db, c.ID)
	want := []string{"created::applied", "create_answer:AWAITING_PAYMENT:applied", "status:AWAITING_PAYMENT:applied",
		"poll:AWAITING_PAYMENT:duplicate"}
	if got := kinds(es); !slices.Equal(got, want) {
		t.Fatalf("timeline after 10 identical polls = %q, want %q", got, want)
	}
	poll := es[3]
	if poll.TimesSeen != 10 || !poll.LastSeenAt.After(poll.At) || !poll.Facts.IsZero() || poll.Detail != "" ||
		string(poll.Body) != `{"poll":0}` {
		t.Fatalf("poll entry = %+v; want ×10 with the first body", poll)
	}
	if es[2].TimesSeen != 1 || !es[2].LastSeenAt.IsZero() {
		t.Fatalf("status entry = %+v", es[2])
	}
	if got := mustGet(t, db, c.ID); got.Version != c.Version || !got.UpdatedAt.Equal(c.UpdatedAt) {
		t.Fatalf("after quiet polls: version %d, updated %s; want %d, %s", got.Version, got.UpdatedAt, c.Version, c.UpdatedAt)
	}
	if s := seqValue(t, db); s != seq {
		t.Fatalf("quiet polls moved the sequence from %d to %d", seq, s)
	}
	// The feed carries changes in commit order: nothing about c may come
	// before the change a later write makes.
	marker, _ := newCharge(t, db)
	recv(t, feed, func(ch Change) bool {
		if ch.ChargeID == c.ID {
			t.Fatalf("the change feed announced quiet polls: %+v", ch)
		}
		return ch.ChargeID == marker.ID
	})

	// A poll that moves the status is recorded and announced as before.
	paid := answer(c, id, psp.StatusPaid)
	got, out, err := db.Apply(ctx, paid, EntryPoll, nil)
	if err != nil || out != OutcomeApplied || got.Version <= c.Version {
		t.Fatalf("paying poll: %s, version %d, %v", out, got.Version, err)
	}
	recv(t, feed, func(ch Change) bool { return ch.ChargeID == c.ID && ch.Version == got.Version })
	for range 2 {
		if again, out, err := db.Apply(ctx, paid, EntryPoll, nil); err != nil || out != OutcomeDuplicate || again.Version != got.Version {
			t.Fatalf("PAID again: %s, version %d, %v", out, again.Version, err)
		}
	}
	// A webhook delivery is recorded as before, even one that changes
	// nothing, and ends the run of polls.
	if err := db.RecordDelivery(ctx, paidDelivery(c, id)); err != nil {
		t.Fatal(err)
	}
	hooked := mustGet(t, db, c.ID)
	if hooked.Version <= got.Version {
		t.Fatalf("duplicate webhook: version %d, want more than %d", hooked.Version, got.Version)
	}
	if again, _, err := db.Apply(ctx, paid, EntryPoll, nil); err != nil || again.Version != hooked.Version {
		t.Fatalf("PAID after the webhook: version %d, %v", again.Version, err)
	}
	es = timeline(t, db, c.ID)
	want = []string{"poll:PAID:applied", "status:PAID:applied", "poll:PAID:duplicate", "webhook:PAID:duplicate", "poll:PAID:duplicate"}
	if got := kinds(es)[4:]; !slices.Equal(got, want) {
		t.Fatalf("timeline = %q, want %q", got, want)
	}
	if es[6].TimesSeen != 2 || es[8].TimesSeen != 1 || !es[8].Facts.IsZero() {
		t.Fatalf("poll counts: %d and %d (%+v), want 2 and 1", es[6].TimesSeen, es[8].TimesSeen, es[8].Facts)
	}

	// A poll with the same status that raises a flag is no quiet poll.
	c2, id2 := newCharge(t, db)
	if _, _, err := db.Apply(ctx, answer(c2, id2, psp.StatusAwaitingPayment), EntryPoll, nil); err != nil {
		t.Fatal(err)
	}
	odd := answer(c2, id2, psp.StatusAwaitingPayment)
	odd.Amount++
	flagged, out, err := db.Apply(ctx, odd, EntryPoll, nil)
	if err != nil || out != OutcomeDuplicate || flagged.Flags != FlagAmountMismatch || flagged.Version <= c2.Version {
		t.Fatalf("poll with another amount: %s, flags %s, version %d, %v", out, flagged.Flags, flagged.Version, err)
	}
	want = []string{"poll:AWAITING_PAYMENT:duplicate", "poll:AWAITING_PAYMENT:duplicate", "flag:AWAITING_PAYMENT:amount_mismatch"}
	if got := kinds(timeline(t, db, c2.ID))[3:]; !slices.Equal(got, want) {
		t.Fatalf("timeline = %q, want %q", got, want)
	}
}
