package store

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// brt is the shop's zone in these tests: São Paulo's offset, fixed, so the
// tests do not depend on the machine's zone database.
var brt = time.FixedZone("BRT", -3*60*60)

// setClock is a journal clock the test moves to each moment it needs.
type setClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *setClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Microsecond) // distinct, ordered stamps
	return c.t
}

func (c *setClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// closeDay is a journal holding one terminal's day of every kind of charge,
// around it charges that must not count (another terminal, the days before
// and after), on the backend o opens.
type closeDay struct {
	db    *DB
	clock *setClock
}

func newCloseDay(t *testing.T, o *opener) *closeDay {
	t.Helper()
	c := &setClock{t: time.Date(2026, 12, 1, 8, 0, 0, 0, brt)}
	db, err := Open(context.Background(), o.fresh(t), WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &closeDay{db: db, clock: c}
}

// charge creates a charge on terminal at local time at (on 2026-12-01
// unless at says otherwise), brings it to status (awaiting, paid at
// paidAt with paid, refunded, expired…) and returns it as stored.
func (d *closeDay) charge(t *testing.T, terminal string, at time.Time, amount psp.Amount, status psp.Status, paid psp.Amount, paidAt time.Time) *Charge {
	t.Helper()
	ctx := context.Background()
	d.clock.set(at)
	id := nextIDs()
	c, err := d.db.CreateIntent(ctx, NewCharge{Terminal: terminal, ExternalReference: id.ref, Amount: amount,
		Payer: psp.Payer{Name: "Test User", Document: "12345678909"}, ExpiresInMinutes: 30})
	if err != nil {
		t.Fatal(err)
	}
	switch status {
	case "":
		return c // pending: ConnectPSP never answered
	case "rejected":
		c, err = d.db.RecordRejected(ctx, c.ID, "invalid", "refused")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c, err = d.db.RecordCreated(ctx, c.ID, answer(c, id, psp.StatusAwaitingPayment)); err != nil {
		t.Fatal(err)
	}
	if status == psp.StatusAwaitingPayment {
		return c
	}
	ci := answer(c, id, status)
	if status == psp.StatusPaid || status == psp.StatusRefunded {
		ci.Amount, ci.PaidAt = paid, paidAt
	}
	d.clock.set(at.Add(time.Hour))
	if c, _, err = d.db.Apply(ctx, ci, EntryPoll, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

func testDayReport(t *testing.T, o *opener) {
	ctx := context.Background()
	d := newCloseDay(t, o)
	day := func(h, m int) time.Time { return time.Date(2026, 12, 1, h, m, 0, 0, brt) }
	const T = "C01"
	// The day: amounts chosen so that no two sums coincide.
	d.charge(t, T, day(0, 0), 1001, psp.StatusPaid, 1001, day(0, 5))                       // first instant of the day
	d.charge(t, T, day(9, 10), 2500, psp.StatusPaid, 2500, day(9, 12))                     //
	d.charge(t, T, day(9, 40), 1234, psp.StatusPaid, 1300, day(9, 45))                     // paid another amount
	d.charge(t, T, day(10, 0), 4000, psp.StatusPaid, 4000, day(10, 50))                    // paid after its 30 minutes
	d.charge(t, T, day(11, 0), 777, psp.StatusRefunded, 777, day(11, 2))                   // paid, then refunded
	asked := d.charge(t, T, day(12, 0), 999, psp.StatusPaid, 999, day(12, 1))              // refund asked, not confirmed
	d.charge(t, T, day(13, 0), 333, psp.StatusExpired, 0, time.Time{})                     //
	d.charge(t, T, day(14, 0), 4444, psp.StatusAwaitingPayment, 0, time.Time{})            // still open
	d.charge(t, T, day(15, 0), 5555, "", 0, time.Time{})                                   // never answered
	d.charge(t, T, day(16, 0), 6666, "rejected", 0, time.Time{})                           //
	d.charge(t, T, day(23, 59), 888, psp.StatusPaid, 888, day(23, 59).Add(30*time.Second)) // last minute
	d.charge(t, T, day(23, 58), 111, psp.StatusPaid, 111, day(24, 3))                      // paid after midnight
	if _, err := d.db.RequestRefund(ctx, asked.ID, psp.RefundCustomerRequest, ""); err != nil {
		t.Fatal(err)
	}
	// Not the day: another terminal, the day before, the day after.
	d.charge(t, "C02", day(10, 0), 90000, psp.StatusPaid, 90000, day(10, 1))
	d.charge(t, T, day(0, 0).Add(-time.Millisecond), 80000, psp.StatusPaid, 80000, day(0, 1))
	d.charge(t, T, day(24, 0), 70000, psp.StatusPaid, 70000, day(24, 1))

	r, err := d.db.DayReport(ctx, T, "2026-12-01", brt)
	if err != nil {
		t.Fatal(err)
	}
	if r.Terminal != T || r.Day != "2026-12-01" || r.Zone != "BRT" ||
		!r.From.Equal(day(0, 0)) || !r.To.Equal(day(24, 0)) {
		t.Fatalf("report heading = %s %s %s [%s, %s)", r.Terminal, r.Day, r.Zone, r.From, r.To)
	}

	// The totals are the sum of the charges, added up here from a listing.
	listed, err := d.db.Search(ctx, Query{Terminal: T, From: r.From, To: r.To, Limit: MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	want := sumCharges(listed)
	if got := r.Total; !sameTotals(got, want) {
		t.Errorf("report total\n got %+v\nwant %+v", got, want)
	}
	if len(r.Operators) != 1 || !sameTotals(r.Operators[0], r.Total) || r.Operators[0].Operator != "" {
		t.Errorf("operators = %+v, want the total under the empty operator", r.Operators)
	}
	// And what they are, worked out by hand.
	tot := r.Total
	checks := []struct {
		name      string
		got, want int64
	}{
		{"charges", int64(tot.Charges), 12},
		{"amount", int64(tot.Amount), 1001 + 2500 + 1234 + 4000 + 777 + 999 + 333 + 4444 + 5555 + 6666 + 888 + 111},
		{"received", int64(tot.Received), 1001 + 2500 + 1300 + 4000 + 777 + 999 + 888 + 111},
		{"refunds", int64(tot.Refunds.Amount), 777},
		{"net", int64(tot.Net), 1001 + 2500 + 1300 + 4000 + 999 + 888 + 111},
		{"refunds pending", int64(tot.RefundsPending.Amount), 999},
		{"mismatches", int64(tot.Mismatches.Count), 1},
		{"mismatch paid", int64(tot.Mismatches.Amount), 1300},
		{"late", int64(tot.Late.Count), 1},
		{"late paid", int64(tot.Late.Amount), 4000},
		{"open", int64(tot.Open.Count), 2},
		{"open amount", int64(tot.Open.Amount), 4444 + 5555},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	var order []string
	for _, s := range tot.ByStatus {
		order = append(order, string(s.Stage)+"/"+string(s.Status))
	}
	if got := strings.Join(order, " "); got != "created/AWAITING_PAYMENT created/PAID created/EXPIRED created/REFUNDED pending/ rejected/" {
		t.Errorf("statuses in order %s", got)
	}
	// Payments per hour: paid on the day, by local hour; the one paid
	// after midnight is not the day's.
	var hours []string
	for _, h := range r.Hours {
		hours = append(hours, time.Date(0, 1, 1, h.Hour, 0, 0, 0, time.UTC).Format("15")+":"+
			strings.Repeat("x", h.Count)+"="+strconv.FormatInt(int64(h.Amount), 10))
	}
	if got := strings.Join(hours, " "); got != "00:x=1001 09:xx=3800 10:x=4000 11:x=777 12:x=999 23:x=888" {
		t.Errorf("hours = %s", got)
	}
	// A day with nothing is an empty report, not an error.
	empty, err := d.db.DayReport(ctx, T, "2026-11-15", brt)
	if err != nil || empty.Total.Charges != 0 || len(empty.Operators) != 0 || len(empty.Hours) != 0 {
		t.Errorf("empty day = %+v, %v", empty, err)
	}
	if _, err := d.db.DayReport(ctx, T, "2026-13-01", brt); err == nil {
		t.Error("month 13 accepted")
	}
	// What the close asks ConnectPSP about: the day's charges still open
	// to change (awaiting, or paid and refundable), not the others.
	open, err := d.db.DayOpen(ctx, T, r.From, r.To)
	if err != nil {
		t.Fatal(err)
	}
	var amounts []string
	for _, c := range open {
		amounts = append(amounts, strconv.FormatInt(int64(c.Amount), 10))
	}
	if got := strings.Join(amounts, " "); got != "1001 2500 1234 4000 999 4444 111 888" {
		t.Errorf("open to change = %s", got)
	}
}

// sumCharges adds up charges one by one, the way a person checks a report.
func sumCharges(cs []*Charge) Totals {
	var t Totals
	for _, c := range cs {
		s := StatusTotal{Status: c.Status, Stage: c.Stage, Count: 1, Amount: c.Amount, Paid: c.PaidAmount}
		t.add(s)
		if c.Flags&FlagAmountMismatch != 0 {
			t.Mismatches.add(1, c.PaidAmount)
		}
		if c.Flags&FlagPaidAfterExpiry != 0 {
			t.Late.add(1, c.PaidAmount)
		}
		if c.RefundKey != "" && c.Status == psp.StatusPaid {
			t.RefundsPending.add(1, c.PaidAmount)
		}
	}
	t.sortStatuses()
	return t
}

func sameTotals(a, b Totals) bool {
	if len(a.ByStatus) != len(b.ByStatus) {
		return false
	}
	for i := range a.ByStatus {
		if a.ByStatus[i] != b.ByStatus[i] {
			return false
		}
	}
	return reflect.DeepEqual(a, b)
}

func testSeal(t *testing.T, o *opener) {
	ctx := context.Background()
	d := newCloseDay(t, o)
	d.charge(t, "C01", time.Date(2026, 12, 1, 9, 0, 0, 0, brt), 1500, psp.StatusPaid, 1500, time.Date(2026, 12, 1, 9, 1, 0, 0, brt))
	r, err := d.db.DayReport(ctx, "C01", "2026-12-01", brt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.db.SealedDay(ctx, "C01", "2026-12-01"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before closing: %v, want ErrNotFound", err)
	}
	s, err := d.db.Seal(ctx, Actor{Terminal: "C01"}, "2026-12-01", r)
	if err != nil {
		t.Fatal(err)
	}
	// Closing again is refused, even with another report.
	r2 := *r
	r2.Total.Charges = 99
	if _, err := d.db.Seal(ctx, Actor{Terminal: "C01"}, "2026-12-01", &r2); !errors.Is(err, ErrDayClosed) {
		t.Fatalf("second close: %v, want ErrDayClosed", err)
	}
	// Another terminal's day, or the next day, closes on its own.
	if _, err := d.db.Seal(ctx, Actor{Terminal: "C02"}, "2026-12-01", r); err != nil {
		t.Fatalf("other terminal: %v", err)
	}
	got, err := d.db.SealedDay(ctx, "C01", "2026-12-01")
	if err != nil {
		t.Fatal(err)
	}
	var back DayReport
	if err := got.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if string(got.Report) != string(s.Report) || got.Hash != s.Hash || !got.SealedAt.Equal(s.SealedAt) ||
		back.Total.Charges != 1 || back.Total.Received != 1500 {
		t.Fatalf("reprint = %s %s %s, want %s %s", got.Report, got.Hash, got.SealedAt, s.Report, s.Hash)
	}
	// The journal refuses to change or drop a sealed day, even asked directly.
	for _, q := range []string{"UPDATE closes SET report = '{}'", "DELETE FROM closes"} {
		if _, err := d.db.sql.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "sealed") {
			t.Errorf("%s: %v, want refused", q, err)
		}
	}
	after, err := d.db.SealedDay(ctx, "C01", "2026-12-01")
	if err != nil || string(after.Report) != string(s.Report) {
		t.Fatalf("after the attempts: %s, %v", after.Report, err)
	}
	// Someone who drops the guard and edits the row is found out on reprint.
	drop := "DROP TRIGGER closes_no_update"
	if d.db.postgres {
		drop = "DROP TRIGGER closes_sealed ON closes"
	}
	if _, err := d.db.sql.ExecContext(ctx, drop); err != nil {
		t.Fatal(err)
	}
	if _, err := d.db.sql.ExecContext(ctx, d.db.rebind("UPDATE closes SET report = REPLACE(report, 'C01', 'C09')")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.db.SealedDay(ctx, "C01", "2026-12-01"); !errors.Is(err, ErrSealBroken) {
		t.Fatalf("edited report: %v, want ErrSealBroken", err)
	}
}
