package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// forgedNaming is a refused delivery of a PAID event for charge c, naming
// it by one identifier (by: "tx", "code" or "ref"), padded to size bytes.
func forgedNaming(c *Charge, id ids, by string, size int) *psp.Delivery {
	data := map[string]string{"tx": `"transactionId":"` + id.tx + `"`, "code": `"internalCode":"` + id.code + `"`,
		"ref": `"externalReference":"` + c.ExternalReference + `"`}[by]
	body := []byte(`{"eventType":"CASHIN_PAID` + "\x1b[2J" + `","data":{` + data + `,"status":"PAID","amount":99.99}}`)
	body = append(body, bytes.Repeat([]byte(" "), max(0, size-len(body)))...)
	return &psp.Delivery{EventID: "forged-" + by + strings.Repeat("x", 4096), Signature: psp.Sign(body, "guess"),
		Verdict: psp.VerdictForged, Body: body, RemoteAddr: "203.0.113.7:4040"}
}

// testRefusals: a delivery that fails verification, naming a charge by any
// of its identifiers, changes nothing about it — flags, timeline, version,
// change feed — and is kept in the sample as received, clipped.
func testRefusals(t *testing.T, o *opener) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := o.open(t)
	feed := db.Subscribe(ctx)
	c, id := newCharge(t, db)
	recv(t, feed, func(ch Change) bool { return ch.ChargeID == c.ID && ch.Version == c.Version })
	before := timeline(t, db, c.ID)
	for _, by := range []string{"tx", "code", "ref"} {
		for range 3 {
			r, err := db.Receive(ctx, forgedNaming(c, id, by, psp.MaxWebhookBody))
			if err != nil || r != (Receipt{Outcome: OutcomeForged}) {
				t.Fatalf("forged by %s: %+v, %v", by, r, err)
			}
		}
	}
	db.flushRefused()
	// A change to another charge: anything the refusals announced about c
	// would come before it.
	other, _ := newCharge(t, db)
	recv(t, feed, func(ch Change) bool {
		if ch.ChargeID == c.ID {
			t.Errorf("change announced for the charge forged deliveries named: %+v", ch)
		}
		return ch.ChargeID == other.ID
	})
	got := mustGet(t, db, c.ID)
	if got.Version != c.Version || got.Flags != 0 || got.Status != psp.StatusAwaitingPayment || got.PaidAmount != 0 {
		t.Fatalf("charge after forged deliveries: %+v", got)
	}
	if after := timeline(t, db, c.ID); len(after) != len(before) {
		t.Fatalf("timeline grew from %d to %d entries: %q", len(before), len(after), kinds(after))
	}
	var n int
	if err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM deliveries").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d deliveries kept, %v; want none", n, err)
	}
	rs, err := db.RefusedDeliveries(ctx, 0)
	if err != nil || len(rs) != 9 {
		t.Fatalf("RefusedDeliveries: %d, %v", len(rs), err)
	}
	d := forgedNaming(c, id, "ref", psp.MaxWebhookBody)
	if r := rs[0]; r.Size != psp.MaxWebhookBody || len(r.Head) != RefusedHead || !bytes.Equal(r.Head, d.Body[:RefusedHead]) ||
		len(r.EventID) > 200 || !strings.HasPrefix(r.EventID, "forged-ref") || r.SHA256 != bodyHash(d.Body) ||
		r.RemoteAddr != d.RemoteAddr || r.Signature != d.Signature {
		t.Fatalf("newest refusal = %+v", r)
	}
	if !bytes.Contains(rs[0].Head, []byte("\x1b[2J")) {
		t.Fatal("the head was altered: evidence is kept as received")
	}
}

// testRefusalBounds: the sample keeps at most RefusedMaxRows rows and
// RefusedMaxBytes bytes, newest first, takes refusedBatch rows per
// gathering, and counts every refusal.
func testRefusalBounds(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	db.refused.manual = true // gatherings end when the test says
	c, id := newCharge(t, db)
	const perRound = refusedBatch + 5
	total := 0
	round := func(size int) {
		kept := 0
		for range perRound {
			d := forgedNaming(c, id, "tx", size)
			d.EventID = fmt.Sprintf("r%d", total)
			total++
			if db.Refuse(d) {
				kept++
			}
		}
		if kept != refusedBatch {
			t.Fatalf("a gathering kept %d refusals, want %d", kept, refusedBatch)
		}
		db.flushRefused()
	}
	stored := func() (rows, size int64) {
		t.Helper()
		err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM refused_deliveries`).Scan(&rows, &size)
		if err != nil {
			t.Fatal(err)
		}
		return rows, size
	}
	// Small bodies: the row cap binds.
	for range RefusedMaxRows/refusedBatch + 3 {
		round(100)
	}
	if rows, size := stored(); rows != RefusedMaxRows || size > RefusedMaxBytes {
		t.Fatalf("after small refusals: %d rows, %d bytes; want %d rows", rows, size, RefusedMaxRows)
	}
	// Large ones: the byte cap binds; the newest stay.
	for range 30 {
		round(psp.MaxWebhookBody)
	}
	rows, size := stored()
	rowBytes := int64(RefusedHead + 200 + 64 + len("203.0.113.7:4040"))
	if size > RefusedMaxBytes || size < RefusedMaxBytes-rowBytes || rows >= RefusedMaxRows {
		t.Fatalf("after large refusals: %d rows, %d bytes; want at most %d bytes, within one row of it", rows, size, RefusedMaxBytes)
	}
	rs, err := db.RefusedDeliveries(ctx, 1)
	if err != nil || len(rs) != 1 || rs[0].EventID != fmt.Sprintf("r%d", total-perRound+refusedBatch-1) {
		t.Fatalf("newest refusal = %+v, %v", rs, err)
	}
	if n, err := db.RefusedSince(ctx, c.CreatedAt.Add(-time.Hour)); err != nil || n != int64(total) {
		t.Fatalf("RefusedSince = %d, %v; want every one of %d", n, err, total)
	}
	// Unwritten refusals count too.
	db.Refuse(forgedNaming(c, id, "tx", 10))
	if n, _ := db.RefusedSince(ctx, c.CreatedAt.Add(-time.Hour)); n != int64(total)+1 {
		t.Fatalf("RefusedSince before the write = %d, want %d", n, total+1)
	}
	if n, _ := db.RefusedSince(ctx, c.CreatedAt.Add(time.Hour)); n != 0 {
		t.Fatalf("RefusedSince an hour on = %d, want 0", n)
	}
}

// testReplays: a signed delivery sent again byte for byte is one duplicate
// — one timeline line however often it comes, no new version, no new row.
func testReplays(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, id := newCharge(t, db)
	paid := answer(c, id, psp.StatusPaid)
	paid.Amount = c.Amount + 1 // flagged once, however often replayed
	first := genuine(psp.Event{Type: psp.EventCashInPaid, Data: *paid})
	if r, err := db.Receive(ctx, first); err != nil || r.Outcome != OutcomeApplied {
		t.Fatalf("first: %+v, %v", r, err)
	}
	v := mustGet(t, db, c.ID).Version
	for range 5 {
		if r, err := db.Receive(ctx, replay(first)); err != nil || r != (Receipt{c.ID, OutcomeDuplicate}) {
			t.Fatalf("replay: %+v, %v", r, err)
		}
	}
	got := mustGet(t, db, c.ID)
	if got.Version != v || got.Flags != FlagAmountMismatch {
		t.Fatalf("after replays: version %d (was %d), flags %s", got.Version, v, got.Flags)
	}
	es := timeline(t, db, c.ID)
	want := []string{"webhook:PAID:applied", "status:PAID:applied", "flag:PAID:amount_mismatch", "webhook:PAID:duplicate"}
	if got := kinds(es)[3:]; !slices.Equal(got, want) {
		t.Fatalf("timeline = %q, want %q", got, want)
	}
	last := es[len(es)-1]
	if last.TimesSeen != 5 || last.Detail != "" ||
		last.Facts != (Facts{EventID: first.EventID, EventType: psp.EventCashInPaid, Verdict: psp.VerdictGenuine, Replayed: true}) ||
		!bytes.Equal(last.Body, first.Body) || last.LastSeenAt.IsZero() {
		t.Fatalf("replay line = %+v", last)
	}
	if n := deliveryRows(t, db); n != 1 {
		t.Fatalf("%d delivery rows, want 1", n)
	}
	// The same event in other bytes (a new attempt of ConnectPSP's) is a
	// duplicate of its own.
	if r, err := db.Receive(ctx, genuine(psp.Event{Type: psp.EventCashInPaid, Data: *paid})); err != nil || r.Outcome != OutcomeDuplicate {
		t.Fatalf("other bytes: %+v, %v", r, err)
	}
	if n := len(timeline(t, db, c.ID)); n != len(es)+1 {
		t.Fatalf("other bytes: %d timeline entries, want %d", n, len(es)+1)
	}

	// A signed body the journal cannot read: kept clipped, replays folded.
	big := bytes.Repeat([]byte("x"), maxMalformedBody*3)
	bad := &psp.Delivery{EventID: "bad-1", Verdict: psp.VerdictMalformed,
		Body: []byte(`{"data":{"transactionId":"` + id.tx + `","amount":"1","pad":"` + string(big) + `"}}`)}
	for _, d := range []*psp.Delivery{bad, replay(bad), replay(bad)} {
		if r, err := db.Receive(ctx, d); err != nil || r.ChargeID != c.ID {
			t.Fatalf("malformed: %+v, %v", r, err)
		}
	}
	es = timeline(t, db, c.ID)
	kept, again := es[len(es)-2], es[len(es)-1]
	if kept.Outcome != string(OutcomeMalformed) || len(kept.Body) != maxMalformedBody ||
		kept.Facts != (Facts{EventID: bad.EventID, Verdict: psp.VerdictMalformed, BodyKept: maxMalformedBody, BodySize: len(bad.Body)}) {
		t.Fatalf("malformed line = %+v (body %d bytes)", kept, len(kept.Body))
	}
	if again.Outcome != string(OutcomeDuplicate) || again.TimesSeen != 2 {
		t.Fatalf("malformed replay line = %+v", again)
	}

	// A replay of an event for no known charge: one row, counted.
	ghost := genuine(psp.Event{Type: psp.EventCashInPaid, Data: psp.CashIn{TransactionID: "ghost", Status: psp.StatusPaid}})
	for _, d := range []*psp.Delivery{ghost, replay(ghost), replay(ghost)} {
		if _, err := db.Receive(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	un, err := db.Unmatched(ctx, 10)
	if err != nil || len(un) != 1 || un[0].EventID != ghost.EventID {
		t.Fatalf("Unmatched = %+v, %v", un, err)
	}
	var replays int
	if err := db.sql.QueryRowContext(ctx, db.rebind("SELECT replays FROM deliveries WHERE event_id = ?"), ghost.EventID).Scan(&replays); err != nil || replays != 2 {
		t.Fatalf("replays of the unmatched delivery: %d, %v", replays, err)
	}
}

func deliveryRows(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.sql.QueryRow("SELECT COUNT(*) FROM deliveries").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// testTxidMismatch: a signed event naming a charge by order reference or
// internal code with another transactionId is not applied: the charge is
// flagged and keeps its status and details.
func testTxidMismatch(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	for _, by := range []string{"reference", "internal code", "poll by reference"} {
		t.Run(by, func(t *testing.T) {
			c, id := newCharge(t, db)
			foreign := nextIDs()
			ci := answer(c, foreign, psp.StatusPaid) // another transaction, paid
			switch by {
			case "reference":
				ci.InternalCode = ""
			case "internal code":
				ci.InternalCode, ci.ExternalReference = id.code, "elsewhere"
				ci.TransactionID = foreign.tx
			}
			var (
				out Outcome
				err error
			)
			if by == "poll by reference" {
				_, out, err = db.Apply(ctx, ci, EntryPoll, nil)
			} else {
				var r Receipt
				r, err = db.Receive(ctx, genuine(psp.Event{Type: psp.EventCashInPaid, Data: *ci}))
				if r.ChargeID != c.ID {
					t.Errorf("receipt names charge %d, want %d", r.ChargeID, c.ID)
				}
				out = r.Outcome
			}
			if err != nil || out != OutcomeMismatch {
				t.Fatalf("outcome %s, %v; want mismatch", out, err)
			}
			got := mustGet(t, db, c.ID)
			if got.Status != psp.StatusAwaitingPayment || got.Flags != FlagTxidMismatch || got.TransactionID != id.tx ||
				got.InternalCode != id.code || !got.PaidAt.IsZero() || got.EndToEndID != "" || got.Payer.BankData != nil {
				t.Fatalf("charge after a foreign event: %+v", got)
			}
			es := timeline(t, db, c.ID)
			if got := kinds(es)[len(es)-2:]; got[0] != "webhook:PAID:mismatch" && got[0] != "poll:PAID:mismatch" ||
				got[1] != "flag:AWAITING_PAYMENT:txid_mismatch" {
				t.Fatalf("timeline ends %q", got)
			}
			want := Facts{TransactionID: foreign.tx, Reference: c.ExternalReference, ChargeTransactionID: id.tx}
			if by == "internal code" {
				want.Reference = "elsewhere"
			}
			if f := es[len(es)-1].Facts; f != want {
				t.Fatalf("flag line facts %+v, want %+v", f, want)
			}
			// Its own transaction still applies.
			if _, out, err := db.Apply(ctx, answer(c, id, psp.StatusPaid), EntryPoll, nil); err != nil || out != OutcomeApplied {
				t.Fatalf("own transaction: %s, %v", out, err)
			}
		})
	}
	// A charge not yet created at ConnectPSP has no transaction to
	// contradict: an event by its reference is its create answer's news.
	n := nextIDs()
	pending, err := db.CreateIntent(ctx, NewCharge{Terminal: "C01", ExternalReference: n.ref, Amount: 700, Payer: psp.Payer{Name: "A"}})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := db.Receive(ctx, genuine(psp.Event{Type: psp.EventCashInPaid, Data: *answer(pending, n, psp.StatusPaid)})); err != nil || r.Outcome != OutcomeApplied {
		t.Fatalf("pending charge: %+v, %v", r, err)
	}
}

// testUnknownStatus: a status pixdesk does not know moves nothing, is kept
// on the charge until a known one comes, and repeated polls of it fold.
func testUnknownStatus(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, id := newCharge(t, db)
	odd := answer(c, id, "UNDER_REVIEW")
	got, out, err := db.Apply(ctx, odd, EntryPoll, nil)
	if err != nil || out != OutcomeIgnored || got.Status != psp.StatusAwaitingPayment || got.UnknownStatus != "UNDER_REVIEW" {
		t.Fatalf("unknown status: %s, %v, %+v", out, err, got)
	}
	if aw, err := db.Awaiting(ctx, "C01"); err != nil || !slices.ContainsFunc(aw, func(a *Charge) bool { return a.ID == c.ID }) {
		t.Fatalf("not among the charges to poll: %v", err)
	}
	v := got.Version
	if again, _, _ := db.Apply(ctx, odd, EntryPoll, nil); again.Version != v {
		t.Fatalf("the same unknown status again bumped the version")
	}
	es := timeline(t, db, c.ID)
	if last := es[len(es)-1]; last.Kind != EntryPoll || last.Status != "UNDER_REVIEW" || last.TimesSeen != 2 {
		t.Fatalf("folded poll = %+v", last)
	}
	long := answer(c, id, psp.Status(strings.Repeat("Z", 5000)))
	if r, err := db.Receive(ctx, genuine(psp.Event{Type: psp.EventCashInPaid, Data: *long})); err != nil || r.Outcome != OutcomeIgnored {
		t.Fatalf("webhook with an unknown status: %+v, %v", r, err)
	}
	if got := mustGet(t, db, c.ID); len(got.UnknownStatus) != 200 || got.Status != psp.StatusAwaitingPayment {
		t.Fatalf("long unknown status kept as %d bytes, status %s", len(got.UnknownStatus), got.Status)
	}
	if got, out, _ := db.Apply(ctx, answer(c, id, psp.StatusPaid), EntryPoll, nil); out != OutcomeApplied || got.UnknownStatus != "" {
		t.Fatalf("known status: %s, unknown %q", out, got.UnknownStatus)
	}
	// A create answer with an unknown status: created, awaiting payment.
	n := nextIDs()
	p, err := db.CreateIntent(ctx, NewCharge{Terminal: "C01", ExternalReference: n.ref, Amount: 700, Payer: psp.Payer{Name: "A"}})
	if err != nil {
		t.Fatal(err)
	}
	created, err := db.RecordCreated(ctx, p.ID, answer(p, n, "PROCESSING"))
	if err != nil || created.Stage != StageCreated || created.Status != psp.StatusAwaitingPayment || created.UnknownStatus != "PROCESSING" {
		t.Fatalf("created with an unknown status: %+v, %v", created, err)
	}
}

// testProbe: the write probe passes on a writable journal and fails,
// within its caller's deadline, while another connection holds the lock
// it needs, and on a closed journal.
func testProbe(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	if err := db.Probe(ctx); err != nil {
		t.Fatalf("Probe: %v", err)
	}
	release := lockAgainstWriters(t, db)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := db.Probe(short)
	cancel()
	if err == nil {
		t.Fatal("Probe passed while the journal was locked")
	}
	release()
	deadline := time.Now().Add(30 * time.Second) // a hang guard
	for db.Probe(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("Probe never passed again after the lock was released")
		}
		time.Sleep(10 * time.Millisecond)
	}
	db.Close()
	if err := db.Probe(ctx); err == nil {
		t.Fatal("Probe passed on a closed journal")
	}
}

// lockAgainstWriters holds, from a connection of its own, the lock a
// writer of db's heartbeat needs, until the function it returns is called.
func lockAgainstWriters(t *testing.T, db *DB) (release func()) {
	t.Helper()
	ctx := context.Background()
	driver, dsn, lock := "sqlite", "file:"+db.dsn+"?_pragma=busy_timeout(10000)", "BEGIN IMMEDIATE"
	if db.postgres {
		driver, dsn, lock = "pgx", db.dsn, "BEGIN; LOCK TABLE heartbeat IN ACCESS EXCLUSIVE MODE"
	}
	other, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range strings.Split(lock, "; ") {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return func() {
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil && !errors.Is(err, sql.ErrConnDone) {
			t.Errorf("rollback: %v", err)
		}
		conn.Close()
		other.Close()
	}
}
