package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// cheapPIN keeps the conformance tests fast: the cost is BenchmarkCheckPIN's.
var cheapPIN = PINParams{Memory: 64, Time: 1, Threads: 1}

func openCheap(t *testing.T, o *opener) *DB {
	db := o.open(t)
	db.pin = cheapPIN
	return db
}

func testOperators(t *testing.T, o *opener) {
	ctx := context.Background()
	db := openCheap(t, o)
	admin := Actor{Terminal: "C01"}
	if has, err := db.HasOperators(ctx); err != nil || has {
		t.Fatalf("HasOperators on a new journal = %v, %v", has, err)
	}
	if _, err := db.AddOperator(ctx, admin, "ana", RoleCaixa, "1234"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddOperator(ctx, admin, "bruno", RoleSupervisor, "987654"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddOperator(ctx, admin, "ana", RoleSuporte, "5555"); !errors.Is(err, ErrConflict) {
		t.Fatalf("the same name again: %v, want ErrConflict", err)
	}
	for _, bad := range []struct {
		name string
		role Role
		pin  string
	}{{"", RoleCaixa, "1234"}, {"x y", RoleCaixa, "1234"}, {"c\x1b[2J", RoleCaixa, "1234"}, {"carla", "gerente", "1234"}, {"carla", RoleCaixa, "12"}} {
		if _, err := db.AddOperator(ctx, admin, bad.name, bad.role, bad.pin); err == nil {
			t.Errorf("AddOperator(%q, %q, %q) accepted", bad.name, bad.role, bad.pin)
		}
	}
	if has, _ := db.HasOperators(ctx); !has {
		t.Fatal("HasOperators = false with two")
	}
	ops, err := db.Operators(ctx)
	if err != nil || len(ops) != 2 || ops[0].Name != "ana" || ops[0].Role != RoleCaixa || ops[1].Role != RoleSupervisor || ops[0].Disabled {
		t.Fatalf("Operators = %+v, %v", ops, err)
	}
	var stored string
	if err := db.sql.QueryRowContext(ctx, "SELECT pin_hash FROM operators WHERE name = 'ana'").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored == "1234" || !VerifyPIN(stored, "1234") {
		t.Fatalf("stored PIN = %q", stored)
	}

	at := Actor{Terminal: "C01"}
	if op, err := db.CheckPIN(ctx, at, "ana", "1234", "sign in"); err != nil || op.Name != "ana" || op.Role != RoleCaixa {
		t.Fatalf("CheckPIN(right) = %+v, %v", op, err)
	}
	for _, try := range [][2]string{{"ana", "4321"}, {"nobody", "1234"}, {"bruno", "1234"}} {
		if _, err := db.CheckPIN(ctx, at, try[0], try[1], "sign in"); !errors.Is(err, ErrBadPIN) {
			t.Errorf("CheckPIN(%q, %q) = %v, want ErrBadPIN", try[0], try[1], err)
		}
	}
	// Three wrong in a row hold C01 back (testPINBackoff); go on at C02.
	at = Actor{Terminal: "C02"}
	if err := db.DisableOperator(ctx, admin, "ana"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CheckPIN(ctx, at, "ana", "1234", "sign in"); !errors.Is(err, ErrBadPIN) {
		t.Fatalf("a disabled operator's PIN: %v", err)
	}
	if err := db.DisableOperator(ctx, admin, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("disable nobody: %v", err)
	}
	if err := db.ResetOperator(ctx, admin, "ana", RoleSuporte, "0000"); err != nil {
		t.Fatal(err)
	}
	if op, err := db.CheckPIN(ctx, at, "ana", "0000", "sign in"); err != nil || op.Role != RoleSuporte {
		t.Fatalf("after reset: %+v, %v", op, err)
	}
	if _, err := db.CheckPIN(ctx, at, "ana", "1234", "sign in"); !errors.Is(err, ErrBadPIN) {
		t.Fatal("the old PIN still works after reset")
	}
	if err := db.ResetOperator(ctx, admin, "nobody", "", "0000"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("reset nobody: %v", err)
	}

	trail, err := db.AuditTrail(ctx, AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range trail {
		got = append(got, string(e.Action)+":"+e.DetailMap()["name"])
	}
	want := "[operator_added:ana operator_added:bruno pin_failed:ana pin_failed: pin_failed:bruno operator_disabled:ana pin_failed:ana operator_reset:ana pin_failed:ana]"
	if fmt.Sprint(got) != want {
		t.Fatalf("audit = %v\nwant    %v", got, want)
	}
	if d := trail[3].DetailMap(); d["unknown_name"] != "true" || d["purpose"] != "sign in" {
		t.Errorf("an unknown name's failure keeps %v", d)
	}
	if n, err := db.VerifyAudit(ctx); err != nil || n != int64(len(trail)) {
		t.Fatalf("VerifyAudit = %d, %v", n, err)
	}
}

func testChargeOperator(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, _ := newCharge(t, db, func(n *NewCharge) { n.Operator = "ana" })
	if got := mustGet(t, db, c.ID); got.Operator != "ana" {
		t.Fatalf("charge operator = %q", got.Operator)
	}
	c2, _ := newCharge(t, db)
	if got := mustGet(t, db, c2.ID); got.Operator != "" {
		t.Fatalf("charge without an operator: %q", got.Operator)
	}
	if _, err := db.Audit(ctx, NewAudit{Actor: Actor{"C01", "ana"}, Action: AuditReveal, ChargeID: c.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Audit(ctx, NewAudit{Actor: Actor{"C01", "ana"}, Action: AuditExport, Detail: map[string]string{"rows": "2"}}); err != nil {
		t.Fatal(err)
	}
	es, err := db.AuditTrail(ctx, AuditQuery{ChargeID: c.ID})
	if err != nil || len(es) != 1 || es[0].Action != AuditReveal || es[0].Operator != "ana" || es[0].Terminal != "C01" {
		t.Fatalf("the charge's audit = %+v, %v", es, err)
	}
}

// testAuditTamper edits, deletes and cuts rows behind the store's back
// (dropping the append-only triggers first, as someone with the database's
// password could) and checks that VerifyAudit names the first broken entry.
func testAuditTamper(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	if _, err := db.sql.ExecContext(ctx, "UPDATE audit SET action = 'x'"); err != nil {
		t.Fatal(err) // an empty table: nothing to refuse
	}
	for i := range 6 {
		if _, err := db.Audit(ctx, NewAudit{Actor: Actor{"C01", "ana"}, Action: AuditExport, Detail: map[string]string{"n": fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.sql.ExecContext(ctx, "UPDATE audit SET operator = 'bruno' WHERE seq = 2"); err == nil {
		t.Fatal("an UPDATE of the audit trail was allowed")
	}
	if _, err := db.sql.ExecContext(ctx, "DELETE FROM audit WHERE seq = 2"); err == nil {
		t.Fatal("a DELETE from the audit trail was allowed")
	}
	if n, err := db.VerifyAudit(ctx); err != nil || n != 6 {
		t.Fatalf("VerifyAudit = %d, %v", n, err)
	}
	drop := []string{"DROP TRIGGER audit_no_update", "DROP TRIGGER audit_no_delete"}
	if db.postgres {
		drop = []string{"DROP TRIGGER audit_no_change ON audit"}
	}
	for _, q := range drop {
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		sql  string
		want AuditBreak
	}{
		{"UPDATE audit SET detail = '{\"n\":\"9\"}' WHERE seq = 5", AuditBreak{5, "edited"}},
		{"UPDATE audit SET detail = '{\"n\":\"4\"}' WHERE seq = 5", AuditBreak{}},
		{"UPDATE audit SET at = at + 1 WHERE seq = 3", AuditBreak{3, "edited"}},
		{"UPDATE audit SET at = at - 1 WHERE seq = 3", AuditBreak{}},
		{"UPDATE audit SET prev_hash = 'ab' WHERE seq = 4", AuditBreak{4, "unlinked"}},
		{"DELETE FROM audit WHERE seq = 4", AuditBreak{4, "missing"}},
		{"DELETE FROM audit WHERE seq >= 2", AuditBreak{2, "missing"}},
	}
	for _, s := range steps {
		if _, err := db.sql.ExecContext(ctx, s.sql); err != nil {
			t.Fatalf("%s: %v", s.sql, err)
		}
		_, err := db.VerifyAudit(ctx)
		var b *AuditBreak
		if s.want == (AuditBreak{}) {
			if err != nil {
				t.Fatalf("after %s: %v, want an intact chain", s.sql, err)
			}
			continue
		}
		if !errors.As(err, &b) || *b != s.want {
			t.Fatalf("after %s: VerifyAudit = %v, want %+v", s.sql, err, s.want)
		}
	}
	// Still appendable: a cut trail takes entries; verify keeps naming the cut.
	if _, err := db.Audit(ctx, NewAudit{Action: AuditLocked}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.VerifyAudit(ctx); err == nil || err.Error() != "audit: entry 2 is missing" {
		t.Fatalf("VerifyAudit after the cut = %v", err)
	}
}

// testAuditConcurrent appends from several handles on one database (as
// several processes would) and checks the chain holds: every seq once, each
// linked to the one before.
func testAuditConcurrent(t *testing.T, o *opener) {
	ctx := context.Background()
	first := o.open(t)
	dbs := []*DB{first, o.reopen(t, first.dsn), o.reopen(t, first.dsn)}
	const each = 20
	var wg sync.WaitGroup
	errs := make(chan error, len(dbs)*4)
	for i, db := range dbs {
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range each / 4 {
					a := NewAudit{Actor: Actor{Terminal: fmt.Sprintf("C%02d", i)}, Action: AuditExport,
						Detail: map[string]string{"w": fmt.Sprint(w), "k": fmt.Sprint(k)}}
					if _, err := db.Audit(ctx, a); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	n, err := first.VerifyAudit(ctx)
	if want := int64(len(dbs) * 4 * (each / 4)); err != nil || n != want {
		t.Fatalf("VerifyAudit = %d, %v; want %d intact", n, err, want)
	}
}

func testAuthoriseRefund(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, id := newCharge(t, db)
	at := Actor{Terminal: "C01", Operator: "ana"}
	if err := db.AuthoriseRefund(ctx, at, c.ID, "ana", "bruno"); !errors.Is(err, ErrConflict) {
		t.Fatalf("authorise the refund of an unpaid charge: %v, want ErrConflict", err)
	}
	reach(t, db, c, id, psp.StatusPaid)
	if err := db.AuthoriseRefund(ctx, at, c.ID, "ana", "bruno"); err != nil {
		t.Fatal(err)
	}
	tl := timeline(t, db, c.ID)
	last := tl[len(tl)-1]
	if last.Kind != EntryRefundAuthorised || last.Facts.AskedBy != "ana" || last.Facts.ApprovedBy != "bruno" {
		t.Fatalf("last history entry = %+v", last)
	}
	es, err := db.AuditTrail(ctx, AuditQuery{ChargeID: c.ID})
	if err != nil || len(es) != 2 || es[0].Action != AuditRefundAsked || es[0].Operator != "ana" ||
		es[1].Action != AuditRefundApproved || es[1].Operator != "bruno" || es[1].DetailMap()["asked_by"] != "ana" {
		t.Fatalf("audit = %+v, %v", es, err)
	}
}

// testCloseByOperator: the day's report splits by the charges' operators,
// and closing the day is in the audit trail, chained.
func testCloseByOperator(t *testing.T, o *opener) {
	ctx := context.Background()
	d := newCloseDay(t, o)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, brt)
	d.charge(t, "C01", at, 1500, psp.StatusPaid, 1500, at.Add(time.Minute))
	for i, op := range []string{"ana", "bruno", "ana"} {
		d.clock.set(at.Add(time.Duration(i+1) * time.Minute))
		if _, err := d.db.CreateIntent(ctx, NewCharge{Terminal: "C01", ExternalReference: nextIDs().ref, Amount: 1000,
			Payer: psp.Payer{Name: "Test User", Document: "12345678909"}, Operator: op}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := d.db.DayReport(ctx, "C01", "2026-12-01", brt)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ot := range r.Operators {
		got = append(got, fmt.Sprintf("%q:%d", ot.Operator, ot.Charges))
	}
	if want := `["":1 "ana":2 "bruno":1]`; fmt.Sprint(got) != want {
		t.Fatalf("report by operator = %v, want %s", got, want)
	}
	s, err := d.db.Seal(ctx, Actor{Terminal: "C01", Operator: "bruno"}, "2026-12-01", r)
	if err != nil {
		t.Fatal(err)
	}
	es, err := d.db.AuditTrail(ctx, AuditQuery{})
	if err != nil || len(es) != 1 || es[0].Action != AuditClosed || es[0].Terminal != "C01" || es[0].Operator != "bruno" ||
		es[0].DetailMap()["day"] != "2026-12-01" || es[0].DetailMap()["hash"] != s.Hash {
		t.Fatalf("audit after the close = %+v, %v", es, err)
	}
	if _, err := d.db.Seal(ctx, Actor{Terminal: "C01"}, "2026-12-01", r); !errors.Is(err, ErrDayClosed) {
		t.Fatalf("closing again: %v", err)
	}
	if n, err := d.db.VerifyAudit(ctx); err != nil || n != 1 {
		t.Fatalf("a refused second close left an entry, or the chain broke: %d, %v", n, err)
	}
}
