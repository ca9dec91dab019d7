package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pixdesk/pixdesk/psp"
)

// runConformance is the behaviour both backends must share.
func runConformance(t *testing.T, o *opener) {
	tests := map[string]func(t *testing.T, o *opener){
		"Intent":             testIntent,
		"Transitions":        testTransitions,
		"Duplicates":         testDuplicates,
		"OutOfOrder":         testOutOfOrder,
		"Flags":              testFlags,
		"Deliveries":         testDeliveries,
		"Concurrency":        testConcurrency,
		"ChangeFeed":         testChangeFeed,
		"FeedOtherWriter":    testFeedOtherWriter,
		"FeedStopsIdle":      testFeedStopsWhenIdle,
		"Find":               testFind,
		"FindByReference":    testFindByReference,
		"Search":             testSearch,
		"Paging":             testPaging,
		"Refund":             testRefund,
		"NextReference":      testNextReference,
		"ReplaceReference":   testReplaceReference,
		"Import":             testImport,
		"Open lists":         testOpenLists,
		"Migrations":         testMigrations,
		"TooNew":             testTooNew,
		"Describe":           testDescribe,
		"GroupCommit":        testGroupCommit,
		"GroupDuplicates":    testGroupDuplicates,
		"GroupFailure":       testGroupFailure,
		"GroupCancel":        testGroupCancel,
		"Inbox":              testInbox,
		"InboxAfterCrash":    testInboxAfterCrash,
		"InboxFailure":       testInboxFailure,
		"InboxUnderPressure": testInboxUnderPressure,
		"QuietPolls":         testQuietPolls,
		"CopyAndPaste":       testCopyAndPaste,
		"Refusals":           testRefusals,
		"RefusalBounds":      testRefusalBounds,
		"Replays":            testReplays,
		"TxidMismatch":       testTxidMismatch,
		"UnknownStatus":      testUnknownStatus,
		"Probe":              testProbe,
		"NameSearch":         testNameSearch,
		"NamePaging":         testNamePaging,
		"NameBackfill":       testNameBackfill,
		"Facts":              testFacts,
		"DayReport":          testDayReport,
		"Seal":               testSeal,
		"Operators":          testOperators,
		"ChargeOperator":     testChargeOperator,
		"AuditTamper":        testAuditTamper,
		"AuditConcurrent":    testAuditConcurrent,
		"CloseByOperator":    testCloseByOperator,
		"AuthoriseRefund":    testAuthoriseRefund,
		"PINBackoff":         testPINBackoff,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, o)
		})
	}
}

func testIntent(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	n := NewCharge{Terminal: "C01", ExternalReference: "order-1", IdempotencyKey: uuid.NewString(),
		Amount: 1000, Payer: psp.Payer{Name: "João Silva", Document: "123.456.789-09"}, ExpiresInMinutes: 15}
	c, err := db.CreateIntent(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if c.Stage != StagePending || c.Status != "" || c.Payer.Document != "12345678909" || c.Version == 0 || c.CreatedAt.IsZero() {
		t.Fatalf("intent = %+v", c)
	}
	if _, err := db.CreateIntent(ctx, n); !errors.Is(err, ErrConflict) {
		t.Fatalf("same intent again: %v, want ErrConflict", err)
	}
	n2 := n
	n2.ExternalReference = "order-2"
	if _, err := db.CreateIntent(ctx, n2); !errors.Is(err, ErrConflict) {
		t.Fatalf("same key, other order: %v, want ErrConflict", err)
	}
	if err := db.NoteCreateRetry(ctx, c.ID, 1); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.PendingCreates(ctx, "C01"); len(p) != 1 || p[0].ID != c.ID {
		t.Fatalf("PendingCreates = %v", p)
	}
	id := nextIDs()
	ci := answer(c, id, psp.StatusAwaitingPayment)
	ci.PixData = &psp.PixData{CopyAndPaste: "000201", QRCodeImageBase64: "iVBOR"}
	c, err = db.RecordCreated(ctx, c.ID, ci)
	if err != nil {
		t.Fatal(err)
	}
	if c.Stage != StageCreated || c.Status != psp.StatusAwaitingPayment || c.TransactionID != id.tx ||
		c.CopyAndPaste != "000201" || !c.ExpiresAt.Equal(ci.RequestedAt.Add(15*time.Minute)) {
		t.Fatalf("created = %+v", c)
	}
	again, err := db.RecordCreated(ctx, c.ID, ci)
	if err != nil || again.Version != c.Version {
		t.Fatalf("RecordCreated again: version %d → %d, %v", c.Version, again.Version, err)
	}
	other := *ci
	other.TransactionID = nextIDs().tx
	if _, err := db.RecordCreated(ctx, c.ID, &other); !errors.Is(err, ErrConflict) {
		t.Fatalf("another transaction: %v, want ErrConflict", err)
	}
	if _, err := db.RecordRejected(ctx, c.ID, psp.CodeValidation, "400"); !errors.Is(err, ErrConflict) {
		t.Fatalf("reject a created charge: %v", err)
	}
	want := []string{"created::applied", "create_retried::", "create_answer:AWAITING_PAYMENT:applied", "status:AWAITING_PAYMENT:applied"}
	if got := kinds(timeline(t, db, c.ID)); !slices.Equal(got, want) {
		t.Fatalf("timeline = %q, want %q", got, want)
	}
	n3 := n
	n3.ExternalReference, n3.IdempotencyKey = "order-3", ""
	r, err := db.CreateIntent(ctx, n3)
	if err != nil || r.IdempotencyKey == "" {
		t.Fatalf("generated key: %q, %v", r.IdempotencyKey, err)
	}
	if r, err = db.RecordRejected(ctx, r.ID, psp.CodeValidation, "payer.document"); err != nil || r.Stage != StageRejected {
		t.Fatalf("RecordRejected = %+v, %v", r, err)
	}
	if p, _ := db.PendingCreates(ctx, ""); len(p) != 0 {
		t.Fatalf("PendingCreates after create and reject = %v", p)
	}
	if _, err := db.Get(ctx, 999999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get unknown: %v", err)
	}
	if err := db.NoteCreateRetry(ctx, 999999, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("NoteCreateRetry unknown: %v", err)
	}
}

// reach brings an AWAITING charge to status s along allowed moves.
func reach(t *testing.T, db *DB, c *Charge, id ids, s psp.Status) {
	t.Helper()
	for _, step := range pathTo(psp.StatusAwaitingPayment, s) {
		if _, out, err := db.Apply(context.Background(), answer(c, id, step), EntryPoll, nil); err != nil || out != OutcomeApplied {
			t.Fatalf("reach %s: %s, %v", step, out, err)
		}
	}
}

func testTransitions(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	for _, from := range psp.Statuses {
		for _, to := range psp.Statuses {
			c, id := newCharge(t, db)
			reach(t, db, c, id, from)
			before := mustGet(t, db, c.ID)
			got, out, err := db.Apply(ctx, answer(c, id, to), EntryPoll, []byte(`{"status":"`+to+`"}`))
			if err != nil {
				t.Fatalf("%s → %s: %v", from, to, err)
			}
			switch {
			case from == to:
				if out != OutcomeDuplicate || got.Status != from || got.Flags != 0 {
					t.Errorf("%s → %s: %s, status %s, flags %s; want duplicate", from, to, out, got.Status, got.Flags)
				}
			case from.Reachable(to):
				if out != OutcomeApplied || got.Status != to || got.Flags != 0 {
					t.Errorf("%s → %s: %s, status %s, flags %s; want applied", from, to, out, got.Status, got.Flags)
				}
			default:
				if out != OutcomeBackwards || got.Status != from || got.Flags != FlagBackwards {
					t.Errorf("%s → %s: %s, status %s, flags %s; want backwards", from, to, out, got.Status, got.Flags)
				}
				if got.PaidAt != before.PaidAt || got.EndToEndID != before.EndToEndID {
					t.Errorf("%s → %s: a backwards observation changed details", from, to)
				}
			}
			es := timeline(t, db, c.ID)
			var last Entry
			for _, e := range es {
				if e.Kind == EntryPoll {
					last = e
				}
			}
			if last.Outcome != string(out) || string(last.Body) != `{"status":"`+string(to)+`"}` {
				t.Errorf("%s → %s: last poll entry %+v", from, to, last)
			}
		}
	}
	if _, out, err := db.Apply(ctx, &psp.CashIn{TransactionID: "nope", Status: psp.StatusPaid}, EntryPoll, nil); !errors.Is(err, ErrNotFound) || out != OutcomeUnknown {
		t.Fatalf("unknown transaction: %s, %v", out, err)
	}
}

func testDuplicates(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, id := newCharge(t, db)
	paid := answer(c, id, psp.StatusPaid)
	bare := *paid
	bare.Payer.BankData, bare.EndToEndID = nil, ""
	steps := []struct {
		ci   *psp.CashIn
		want Outcome
	}{{&bare, OutcomeApplied}, {paid, OutcomeUpdated}, {paid, OutcomeDuplicate}}
	var v int64
	for i, s := range steps {
		got, out, err := db.Apply(ctx, s.ci, EntryPoll, nil)
		if err != nil || out != s.want {
			t.Fatalf("step %d: %s, %v; want %s", i, out, err, s.want)
		}
		if i == 1 && (got.Payer.BankData == nil || *got.Payer.BankData != *bank || got.EndToEndID != id.e2e) {
			t.Fatalf("details not filled: %+v", got)
		}
		if got.PaidAmount != c.Amount || got.PaidAt.IsZero() {
			t.Fatalf("paid details: %+v", got)
		}
		v = got.Version
	}
	if got := mustGet(t, db, c.ID); got.Version != v || got.Status != psp.StatusPaid {
		t.Fatalf("after duplicates: %+v", got)
	}
	// The same event delivered twice (new X-Event-Id each time).
	ev := psp.Event{Type: psp.EventCashInPaid, Data: *paid}
	for range 2 {
		if err := db.RecordDelivery(ctx, genuine(ev)); err != nil {
			t.Fatal(err)
		}
	}
	var outs []string
	for _, e := range timeline(t, db, c.ID) {
		if e.Kind == EntryWebhook {
			outs = append(outs, e.Outcome)
		}
	}
	if !slices.Equal(outs, []string{"duplicate", "duplicate"}) {
		t.Fatalf("webhook outcomes = %v", outs)
	}
}

func testOutOfOrder(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, id := newCharge(t, db)
	refunded := psp.Event{Type: psp.EventCashInRefunded, Data: *answer(c, id, psp.StatusRefunded)}
	d := genuine(refunded)
	if err := db.RecordDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, db, c.ID)
	if got.Status != psp.StatusRefunded || got.PaidAt.IsZero() || got.RefundedAt.IsZero() ||
		got.EndToEndID != id.dev || got.OriginalEndToEndID != id.e2e || got.Payer.BankData == nil ||
		got.PaidAmount != c.Amount || got.Flags != 0 {
		t.Fatalf("after REFUNDED first: %+v", got)
	}
	paid := psp.Event{Type: psp.EventCashInPaid, Data: *answer(c, id, psp.StatusPaid)}
	late := genuine(paid)
	if err := db.RecordDelivery(ctx, late); err != nil {
		t.Fatal(err)
	}
	got = mustGet(t, db, c.ID)
	if got.Status != psp.StatusRefunded || got.EndToEndID != id.dev || got.Flags != FlagBackwards {
		t.Fatalf("after the late PAID: %+v", got)
	}
	es := timeline(t, db, c.ID)
	want := []string{
		"webhook:REFUNDED:applied", "status:PAID:applied", "status:REFUNDED:applied",
		"webhook:PAID:backwards", "flag:REFUNDED:backwards",
	}
	if got := kinds(es)[3:]; !slices.Equal(got, want) {
		t.Fatalf("timeline = %q, want %q", got, want)
	}
	if string(es[3].Body) != string(d.Body) {
		t.Fatalf("webhook entry = %+v", es[3])
	}
	facts := []Facts{
		{EventID: d.EventID, EventType: psp.EventCashInRefunded, Verdict: psp.VerdictGenuine},
		{From: psp.StatusAwaitingPayment, To: psp.StatusPaid},
		{From: psp.StatusPaid, To: psp.StatusRefunded},
		{EventID: late.EventID, EventType: psp.EventCashInPaid, Verdict: psp.VerdictGenuine, From: psp.StatusRefunded, To: psp.StatusPaid},
		{From: psp.StatusRefunded, To: psp.StatusPaid},
	}
	for i, want := range facts {
		if got := es[3+i].Facts; got != want {
			t.Errorf("%s facts = %+v, want %+v", kinds(es)[3+i], got, want)
		}
	}
}

func testFlags(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, id := newCharge(t, db, func(n *NewCharge) { n.ExpiresInMinutes = 1 })
	ci := answer(c, id, psp.StatusPaid)
	ci.Amount = c.Amount + 1
	ci.PaidAt = c.ExpiresAt.Add(time.Second)
	got, out, err := db.Apply(ctx, ci, EntryPoll, nil)
	if err != nil || out != OutcomeApplied {
		t.Fatalf("%s, %v", out, err)
	}
	if got.Flags != FlagAmountMismatch|FlagPaidAfterExpiry || got.PaidAmount != c.Amount+1 {
		t.Fatalf("flags %s, paid %s", got.Flags, got.PaidAmount)
	}
	var flags []string
	for _, e := range timeline(t, db, c.ID) {
		if e.Kind == EntryFlag {
			flags = append(flags, e.Outcome)
		}
	}
	if !slices.Equal(flags, []string{"amount_mismatch", "paid_after_expiry"}) {
		t.Fatalf("flag entries = %v", flags)
	}
	// A payment inside the validity is not flagged.
	c2, id2 := newCharge(t, db)
	if got, _, _ := db.Apply(ctx, answer(c2, id2, psp.StatusPaid), EntryPoll, nil); got.Flags != 0 {
		t.Fatalf("flags = %s", got.Flags)
	}
}

func testDeliveries(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, id := newCharge(t, db)
	// An event for a transaction nobody here created.
	stranger := nextIDs()
	ev := psp.Event{Type: psp.EventCashInPaid, Data: psp.CashIn{TransactionID: stranger.tx, ExternalReference: stranger.ref, Status: psp.StatusPaid, Amount: 500}}
	if err := db.RecordDelivery(ctx, genuine(ev)); err != nil {
		t.Fatal(err)
	}
	// A forged delivery naming our charge, then one naming nobody: refused,
	// they touch no charge.
	before := mustGet(t, db, c.ID)
	forgedBody := fmt.Sprintf(`{"eventType":"CASHIN_PAID","data":{"transactionId":%q,"status":"PAID","amount":10.50}}`, id.tx)
	forged := &psp.Delivery{EventID: "evt-forged", Signature: "00", Verdict: psp.VerdictForged, Body: []byte(forgedBody), RemoteAddr: "10.0.0.9:5555"}
	if err := db.RecordDelivery(ctx, forged); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordDelivery(ctx, &psp.Delivery{EventID: "evt-junk", Verdict: psp.VerdictForged, Body: []byte("junk")}); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, db, c.ID); got.Version != before.Version || got.Flags != 0 {
		t.Fatalf("after forged deliveries: %+v", got)
	}
	malformed := &psp.Delivery{EventID: "evt-bad", Verdict: psp.VerdictMalformed, Body: []byte(fmt.Sprintf(`{"data":{"transactionId":%q,"amount":1.234}}`, id.tx))}
	if err := db.RecordDelivery(ctx, malformed); err != nil {
		t.Fatal(err)
	}
	unknownType := psp.Event{Type: "CASHIN_SOMETHING", Data: *answer(c, id, psp.StatusPaid)}
	if err := db.RecordDelivery(ctx, genuine(unknownType)); err != nil {
		t.Fatal(err)
	}
	got := mustGet(t, db, c.ID)
	if got.Status != psp.StatusAwaitingPayment || got.Flags != 0 || got.PaidAt != (time.Time{}) {
		t.Fatalf("after forged/malformed/unknown type: %+v", got)
	}
	es := timeline(t, db, c.ID)
	want := []string{"webhook::malformed", "webhook:PAID:ignored"}
	if got := kinds(es)[3:]; !slices.Equal(got, want) {
		t.Fatalf("timeline = %q, want %q", got, want)
	}
	un, err := db.Unmatched(ctx, 10)
	if err != nil || len(un) != 1 {
		t.Fatalf("Unmatched = %+v, %v", un, err)
	}
	if un[0].Outcome != OutcomeUnknown || un[0].TransactionID != stranger.tx || un[0].Verdict != psp.VerdictGenuine ||
		un[0].ReceivedAt.IsZero() {
		t.Fatalf("Unmatched = %+v", un)
	}
	// The forged ones are in the sample of refusals, as received.
	db.flushRefused()
	rs, err := db.RefusedDeliveries(ctx, 10)
	if err != nil || len(rs) != 2 {
		t.Fatalf("RefusedDeliveries = %+v, %v", rs, err)
	}
	if r := rs[1]; r.EventID != "evt-forged" || string(r.Head) != forgedBody || r.Size != len(forgedBody) ||
		r.RemoteAddr != "10.0.0.9:5555" || r.Signature != "00" || r.SHA256 != bodyHash([]byte(forgedBody)) || r.ReceivedAt.IsZero() {
		t.Fatalf("refused = %+v", r)
	}
	if n, err := db.RefusedSince(ctx, c.CreatedAt.Add(-time.Hour)); err != nil || n != 2 {
		t.Fatalf("RefusedSince = %d, %v", n, err)
	}
}

func testConcurrency(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	shared, id := newCharge(t, db)
	const writers, each = 8, 6
	var (
		wg       sync.WaitGroup
		errs     = make(chan error, writers*each*4)
		outcomes = make(chan Outcome, writers)
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := NewCharge{Terminal: "C0" + fmt.Sprint(w), ExternalReference: fmt.Sprintf("conc-%d-%d", w, i), Amount: 100, Payer: psp.Payer{Name: "A"}}
				c, err := db.CreateIntent(ctx, n)
				if err != nil {
					errs <- err
					continue
				}
				if _, err := db.RecordCreated(ctx, c.ID, &psp.CashIn{TransactionID: fmt.Sprintf("conc%d-%d-%s", w, i, id.tx[:20]), Status: psp.StatusAwaitingPayment, Amount: 100}); err != nil {
					errs <- err
				}
				if err := db.NoteCreateRetry(ctx, shared.ID, w+1); err != nil {
					errs <- err
				}
			}
			_, out, err := db.Apply(ctx, answer(shared, id, psp.StatusPaid), EntryPoll, nil)
			if err != nil {
				errs <- err
			}
			outcomes <- out
		}()
	}
	wg.Wait()
	close(errs)
	close(outcomes)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	applied := 0
	for out := range outcomes {
		if out == OutcomeApplied {
			applied++
		} else if out != OutcomeDuplicate {
			t.Errorf("outcome %s", out)
		}
	}
	if applied != 1 {
		t.Errorf("PAID applied %d times, want once", applied)
	}
	retries := 0
	for _, e := range timeline(t, db, shared.ID) {
		if e.Kind == EntryCreateRetried {
			retries++
		}
	}
	if retries != writers*each {
		t.Errorf("%d retry entries, want %d", retries, writers*each)
	}
	if n, err := db.Count(ctx, Query{}); err != nil || n != writers*each+1 {
		t.Errorf("Count = %d, %v", n, err)
	}
}
