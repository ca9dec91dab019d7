package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// testPINBackoff: wrong PINs hold a terminal back by PINBackoff, read
// from the audit trail — so a console restarted (the journal opened
// again) is held back as before, while another terminal is not; a try
// during the wait checks nothing and leaves no entry; a sign-in after the
// wait starts the count again.
func testPINBackoff(t *testing.T, o *opener) {
	ctx := context.Background()
	dsn := o.fresh(t)
	db := o.reopen(t, dsn)
	db.pin = cheapPIN
	clk, _ := o.clocks.Load(dsn)
	c := clk.(*clock)
	at := Actor{Terminal: "C01"}
	if _, err := db.AddOperator(ctx, Actor{Terminal: "C01"}, "ana", RoleCaixa, "1234"); err != nil {
		t.Fatal(err)
	}
	failed := func(db *DB) int {
		trail, err := db.AuditTrail(ctx, AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range trail {
			if e.Action == AuditPINFailed {
				n++
			}
		}
		return n
	}
	var held *PINWaitError
	for i := 1; i <= PINFreeTries; i++ {
		_, err := db.CheckPIN(ctx, at, "ana", "0000", "sign in")
		if !errors.Is(err, ErrBadPIN) {
			t.Fatalf("wrong PIN %d: %v, want ErrBadPIN", i, err)
		}
		if got := errors.As(err, &held); got != (i == PINFreeTries) {
			t.Fatalf("wrong PIN %d: a wait %v (%v)", i, got, err)
		}
	}
	if held.Wait <= PINFirstWait-time.Second || held.Wait > PINFirstWait {
		t.Fatalf("the wait after %d wrong PINs is %v, want about %v", PINFreeTries, held.Wait, PINFirstWait)
	}

	// The console restarts: the journal, opened again, still holds C01
	// back, even from the right PIN, and records nothing for the try.
	db.Close()
	db = o.reopen(t, dsn)
	db.pin = cheapPIN
	if _, err := db.CheckPIN(ctx, at, "ana", "1234", "sign in"); !errors.As(err, &held) || errors.Is(err, ErrBadPIN) {
		t.Fatalf("right PIN during the wait, after a restart: %v, want a PINWaitError alone", err)
	}
	if n := failed(db); n != PINFreeTries {
		t.Errorf("%d pin_failed entries, want %d: a held-back try was recorded", n, PINFreeTries)
	}
	if op, err := db.CheckPIN(ctx, Actor{Terminal: "C02"}, "ana", "1234", "sign in"); err != nil || op.Name != "ana" {
		t.Fatalf("another terminal is held back too: %v", err)
	}

	// After the wait one more wrong PIN doubles it.
	c.advance(PINFirstWait)
	if _, err := db.CheckPIN(ctx, at, "ana", "0000", "sign in"); !errors.Is(err, ErrBadPIN) || !errors.As(err, &held) ||
		held.Wait <= 2*PINFirstWait-time.Second || held.Wait > 2*PINFirstWait {
		t.Fatalf("a wrong PIN after the wait: %v, want ErrBadPIN and a wait of %v", err, 2*PINFirstWait)
	}
	c.advance(2 * PINFirstWait)
	if _, err := db.CheckPIN(ctx, at, "ana", "1234", "sign in"); err != nil {
		t.Fatalf("the right PIN after the wait: %v", err)
	}
	// The console records the sign-in; the count starts again.
	if _, err := db.Audit(ctx, NewAudit{Actor: Actor{Terminal: "C01", Operator: "ana"}, Action: AuditSignedIn}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < PINFreeTries; i++ {
		if _, err := db.CheckPIN(ctx, at, "ana", "0000", "sign in"); !errors.Is(err, ErrBadPIN) || errors.As(err, &held) {
			t.Fatalf("wrong PIN %d after a sign-in: %v, want ErrBadPIN without a wait", i, err)
		}
	}
}

func TestPINBackoff(t *testing.T) {
	for fails, want := range map[int]time.Duration{0: 0, PINFreeTries - 1: 0, PINFreeTries: PINFirstWait,
		PINFreeTries + 1: 2 * PINFirstWait, PINFreeTries + 5: PINFirstWait << 5, PINFreeTries + 6: PINMaxWait, 1000: PINMaxWait} {
		if got := PINBackoff(fails); got != want {
			t.Errorf("PINBackoff(%d) = %v, want %v", fails, got, want)
		}
	}
}
