package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// testFacts: what the store writes on the timeline comes back as the same
// typed facts, with no English note; entries of an older journal (a note,
// no facts) come back as they were, and the counted lines among them are
// brought up to date when counted again; damaged facts are an error.
func testFacts(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)

	// Created, sent again by the cashier and in the background, then paid
	// late with another amount.
	c, id := newCharge(t, db, func(n *NewCharge) { n.ExpiresInMinutes = 1 })
	for _, retry := range []int{0, 3} {
		if err := db.NoteCreateRetry(ctx, c.ID, retry); err != nil {
			t.Fatal(err)
		}
	}
	ci := answer(c, id, psp.StatusPaid)
	ci.Amount, ci.PaidAt = c.Amount+5, c.ExpiresAt.Add(1500*time.Millisecond)
	if _, _, err := db.Apply(ctx, ci, EntryPoll, nil); err != nil {
		t.Fatal(err)
	}
	es := timeline(t, db, c.ID)
	want := []Facts{
		{Reference: c.ExternalReference, Amount: c.Amount, IdempotencyKey: c.IdempotencyKey},
		{},
		{To: psp.StatusAwaitingPayment},
		{IdempotencyKey: c.IdempotencyKey},
		{IdempotencyKey: c.IdempotencyKey, Retry: 3},
		{},
		{From: psp.StatusAwaitingPayment, To: psp.StatusPaid},
		{Amount: c.Amount, PaidAmount: c.Amount + 5},
	}
	if len(es) != len(want)+1 {
		t.Fatalf("timeline %q, want %d entries", kinds(es), len(want)+1)
	}
	for i, w := range want {
		if es[i].Facts != w || es[i].Detail != "" {
			t.Errorf("%s: facts %+v, detail %q; want %+v and no note", kinds(es)[i], es[i].Facts, es[i].Detail, w)
		}
	}
	late := es[len(want)]
	paid := mustGet(t, db, c.ID).PaidAt
	if late.Outcome != FlagPaidAfterExpiry.String() || !late.Facts.PaidAt.Equal(paid) || !late.Facts.ExpiresAt.Equal(c.ExpiresAt) ||
		late.Facts.PaidAt.Location() != time.UTC {
		t.Errorf("late payment: %+v; want paid %v after %v, in UTC", late, paid, c.ExpiresAt)
	}

	// Refused as a duplicate order reference: ConnectPSP's code and words,
	// and the reference.
	n := NewCharge{ExternalReference: nextIDs().ref, Amount: 700, Payer: psp.Payer{Name: "A B", Document: "12345678909"}}
	r, err := db.CreateIntent(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.RecordRejected(ctx, r.ID, psp.CodeDuplicateReference, "externalReference taken"); err != nil {
		t.Fatal(err)
	}
	es = timeline(t, db, r.ID)
	if got, want := es[len(es)-1].Facts, (Facts{Code: psp.CodeDuplicateReference, Reason: "externalReference taken", Reference: n.ExternalReference}); got != want {
		t.Errorf("rejection facts %+v, want %+v", got, want)
	}

	// Another transaction's internal code, met through the order reference.
	c2, id2 := newCharge(t, db)
	other := answer(c2, id2, psp.StatusPaid)
	other.TransactionID, other.InternalCode = "", "OTHER77"
	if _, out, err := db.Apply(ctx, other, EntryPoll, nil); err != nil || out != OutcomeMismatch {
		t.Fatalf("foreign internal code: %s, %v", out, err)
	}
	es = timeline(t, db, c2.ID)
	if got, want := es[len(es)-1].Facts, (Facts{InternalCode: "OTHER77", ChargeInternalCode: id2.code}); got != want {
		t.Errorf("txid mismatch facts %+v, want %+v", got, want)
	}

	// An older journal's lines: a note, no facts.
	c3, id3 := newCharge(t, db)
	old := func(kind EntryKind, status psp.Status, outcome, detail string, seen int) {
		t.Helper()
		_, err := db.sql.ExecContext(ctx, db.rebind(`INSERT INTO entries (charge_id, at, kind, status, outcome, detail, times_seen, last_seen_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), c3.ID, micro(c3.CreatedAt), string(kind), string(status), outcome, detail, seen, micro(c3.CreatedAt))
		if err != nil {
			t.Fatal(err)
		}
	}
	old(EntryWebhook, "", string(OutcomeForged), "event 7d3e, forged, CASHIN_PAID", 1)
	old(EntryPoll, psp.StatusAwaitingPayment, string(OutcomeDuplicate), "×3, last 14:00:00 UTC", 3)
	es = timeline(t, db, c3.ID)
	fg, poll := es[len(es)-2], es[len(es)-1]
	if !fg.Facts.IsZero() || fg.Detail != "event 7d3e, forged, CASHIN_PAID" || !poll.Facts.IsZero() || poll.TimesSeen != 3 {
		t.Fatalf("older lines: %+v, %+v", fg, poll)
	}
	// Polled again, the old count goes on and its note, which would tell
	// the old count, goes.
	if _, out, err := db.Apply(ctx, answer(c3, id3, psp.StatusAwaitingPayment), EntryPoll, nil); err != nil || out != OutcomeDuplicate {
		t.Fatalf("poll: %s, %v", out, err)
	}
	es = timeline(t, db, c3.ID)
	if poll := es[len(es)-1]; poll.Kind != EntryPoll || poll.TimesSeen != 4 || poll.Detail != "" || !poll.Facts.IsZero() {
		t.Fatalf("old poll counted again: %+v", poll)
	}

	// An older replay line, counted again, gets its delivery's facts.
	first := genuine(psp.Event{Type: psp.EventCashInPaid, Data: *answer(c3, id3, psp.StatusPaid)})
	for _, d := range []*psp.Delivery{first, replay(first)} {
		if _, err := db.Receive(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	es = timeline(t, db, c3.ID)
	line := es[len(es)-1]
	if _, err := db.sql.ExecContext(ctx, db.rebind("UPDATE entries SET facts = '', detail = ? WHERE id = ?"),
		"event "+first.EventID+", genuine, CASHIN_PAID, replayed ×1, last 14:00:00 UTC", line.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Receive(ctx, replay(first)); err != nil {
		t.Fatal(err)
	}
	es = timeline(t, db, c3.ID)
	if got := es[len(es)-1]; got.ID != line.ID || got.TimesSeen != 2 || got.Detail != "" ||
		got.Facts != (Facts{EventID: first.EventID, EventType: psp.EventCashInPaid, Verdict: psp.VerdictGenuine, Replayed: true}) {
		t.Fatalf("old replay line counted again: %+v", got)
	}

	// Facts the journal cannot read fail the history, naming the entry.
	if _, err := db.sql.ExecContext(ctx, db.rebind("UPDATE entries SET facts = '{' WHERE id = ?"), line.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Timeline(ctx, c3.ID); err == nil || !strings.Contains(err.Error(), "entry facts") {
		t.Fatalf("damaged facts: %v", err)
	}
}
