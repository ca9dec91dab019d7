package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// closeOperator is the SQL expression a day's report groups charges by,
// one OperatorTotals each: the charge's operator (schema 10), "" for
// charges recorded without one.
const closeOperator = "COALESCE(operator, '')"

// DayReport is the day's close of one terminal (fechamento de caixa):
// what its charges created on one local day came to, as the journal holds
// them when it is read. Money is integer centavos throughout.
type DayReport struct {
	Terminal string `json:"terminal"`
	// Day is the local calendar day, "2026-12-01", in Zone.
	Day  string `json:"day"`
	Zone string `json:"zone"`
	// From and To bound the day: charges created in [From, To).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Total is every operator's charges together.
	Total Totals `json:"total"`
	// Operators breaks Total down by the operator at the counter, in
	// operator order; "" stands for charges recorded without one.
	Operators []Totals `json:"operators"`
	// Hours counts the payments received on the day (PaidAt in [From,
	// To)), one bucket per hour of the day that had any, in order.
	Hours []HourTotal `json:"hours"`
}

// Totals is what a set of a day's charges came to.
type Totals struct {
	Operator string `json:"operator"`
	// Charges and Amount count every charge, whatever became of it.
	Charges int        `json:"charges"`
	Amount  psp.Amount `json:"amount"`
	// ByStatus has one line per status (or, for charges ConnectPSP never
	// took, per stage), in psp.Statuses order, then pending, then rejected.
	ByStatus []StatusTotal `json:"byStatus"`
	// Received is what payers paid: the paid amount of PAID charges and of
	// REFUNDED ones (which were paid first).
	Received psp.Amount `json:"received"`
	// Refunded is the paid amount that went back (REFUNDED charges).
	Refunds Tally `json:"refunds"`
	// RefundsPending are PAID charges whose refund was asked for and not
	// yet confirmed.
	RefundsPending Tally `json:"refundsPending"`
	// Net is Received less Refunds.Amount: what stays in the shop.
	Net psp.Amount `json:"net"`
	// Mismatches are charges paid with another amount than charged; Amount
	// sums what was paid.
	Mismatches Tally `json:"mismatches"`
	// Late are charges paid after their local expiry; Amount sums what was paid.
	Late Tally `json:"late"`
	// Open are charges still awaiting payment or an answer from ConnectPSP;
	// Amount sums what they charge.
	Open Tally `json:"open"`
}

// StatusTotal is the charges of one status (or stage).
type StatusTotal struct {
	// Status is the charge's status; "" with Stage pending or rejected.
	Status psp.Status `json:"status,omitempty"`
	Stage  Stage      `json:"stage"`
	Count  int        `json:"count"`
	// Amount is what the charges asked for; Paid what was paid on them.
	Amount psp.Amount `json:"amount"`
	Paid   psp.Amount `json:"paid"`
}

// Tally is a count of charges and a sum of money.
type Tally struct {
	Count  int        `json:"count"`
	Amount psp.Amount `json:"amount"`
}

// HourTotal is the payments of one hour of the day.
type HourTotal struct {
	// Start is the hour's first instant; Hour its local clock hour (0–23;
	// on a day the clocks go back, two buckets may share one).
	Start  time.Time  `json:"start"`
	Hour   int        `json:"hour"`
	Count  int        `json:"count"`
	Amount psp.Amount `json:"amount"`
}

// DayBounds returns the first instant of day ("2026-12-01") in loc and the
// first of the next: a day may be 23 or 25 hours long where clocks change.
func DayBounds(day string, loc *time.Location) (from, to time.Time, err error) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("store: day %q: use AAAA-MM-DD", day)
	}
	next := d.AddDate(0, 0, 1)
	return startOfDay(d, loc), startOfDay(next, loc), nil
}

// startOfDay is the first instant of civil day d (its date, in UTC) in
// loc: midnight, or, where the clocks jump over midnight (São Paulo's
// summer time began so), the instant they jump.
func startOfDay(d time.Time, loc *time.Location) time.Time {
	t := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
	if t.Day() != d.Day() {
		_, t = t.ZoneBounds()
	}
	return t
}

// dayTotalsSQL groups a day's charges by operator, stage and status, with
// the sums each Totals needs; bit 1 of flags is FlagAmountMismatch, bit 2
// FlagPaidAfterExpiry. Grouping is by position, the same text for both
// dialects.
const dayTotalsSQL = `SELECT ` + closeOperator + `, stage, status, COUNT(*),
	CAST(COALESCE(SUM(amount), 0) AS BIGINT), CAST(COALESCE(SUM(paid_amount), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN flags & 1 <> 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN flags & 1 <> 0 THEN paid_amount ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN flags & 2 <> 0 THEN 1 ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN flags & 2 <> 0 THEN paid_amount ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN refund_key IS NOT NULL AND status = 'PAID' THEN 1 ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN refund_key IS NOT NULL AND status = 'PAID' THEN paid_amount ELSE 0 END), 0) AS BIGINT)
	FROM charges WHERE terminal = ? AND created_at >= ? AND created_at < ?
	GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`

// dayHoursSQL counts a day's payments by the hour since the day began.
const dayHoursSQL = `SELECT CAST((paid_at - ?) / 3600000000 AS BIGINT), COUNT(*), CAST(SUM(paid_amount) AS BIGINT)
	FROM charges WHERE terminal = ? AND created_at >= ? AND created_at < ? AND paid_at >= ? AND paid_at < ?
	GROUP BY 1 ORDER BY 1`

// DayReport adds up terminal's charges created on day ("2026-12-01") in
// loc, the shop's time zone, in two queries that the database answers
// (grouped sums, not rows brought back and added here).
func (db *DB) DayReport(ctx context.Context, terminal, day string, loc *time.Location) (*DayReport, error) {
	if terminal == "" {
		return nil, errors.New("store: a day's report needs a terminal")
	}
	from, to, err := DayBounds(day, loc)
	if err != nil {
		return nil, err
	}
	zone := loc.String()
	if zone == "Local" { // the process's zone, unnamed: its abbreviation then
		zone = from.Format("MST")
	}
	r := &DayReport{Terminal: terminal, Day: day, Zone: zone, From: from.UTC(), To: to.UTC(),
		Operators: []Totals{}, Hours: []HourTotal{}}
	if err := db.dayTotals(ctx, r); err != nil {
		return nil, err
	}
	if err := db.dayHours(ctx, r, loc); err != nil {
		return nil, err
	}
	return r, nil
}

func (db *DB) dayTotals(ctx context.Context, r *DayReport) error {
	rows, err := db.query(ctx, dayTotalsSQL, r.Terminal, micro(r.From), micro(r.To))
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	byOp := map[string]*Totals{}
	var order []string
	for rows.Next() {
		var (
			op, stage, status              string
			n, amount, paid                int64
			mism, mismPaid, late, latePaid int64
			refundAsked, refundAskedPaid   int64
		)
		if err := rows.Scan(&op, &stage, &status, &n, &amount, &paid, &mism, &mismPaid, &late, &latePaid,
			&refundAsked, &refundAskedPaid); err != nil {
			return mapErr(err)
		}
		t := byOp[op]
		if t == nil {
			t = &Totals{Operator: op}
			byOp[op] = t
			order = append(order, op)
		}
		t.add(StatusTotal{Status: psp.Status(status), Stage: Stage(stage), Count: int(n),
			Amount: psp.Amount(amount), Paid: psp.Amount(paid)})
		t.Mismatches.addN(mism, mismPaid)
		t.Late.addN(late, latePaid)
		t.RefundsPending.addN(refundAsked, refundAskedPaid)
	}
	if err := rows.Err(); err != nil {
		return mapErr(err)
	}
	r.Total = Totals{ByStatus: []StatusTotal{}}
	for _, op := range order {
		t := byOp[op]
		t.sortStatuses()
		r.Operators = append(r.Operators, *t)
		r.Total.merge(t)
	}
	r.Total.sortStatuses()
	return nil
}

// add counts one status line into t.
func (t *Totals) add(s StatusTotal) {
	t.Charges += s.Count
	t.Amount += s.Amount
	switch {
	case s.Stage == StagePending || s.Status == psp.StatusAwaitingPayment:
		t.Open.add(s.Count, s.Amount)
	case s.Status == psp.StatusPaid:
		t.Received += s.Paid
	case s.Status == psp.StatusRefunded:
		t.Received += s.Paid
		t.Refunds.add(s.Count, s.Paid)
	}
	t.Net = t.Received - t.Refunds.Amount
	for i := range t.ByStatus {
		if b := &t.ByStatus[i]; b.Status == s.Status && b.Stage == s.Stage {
			b.Count, b.Amount, b.Paid = b.Count+s.Count, b.Amount+s.Amount, b.Paid+s.Paid
			return
		}
	}
	t.ByStatus = append(t.ByStatus, s)
}

// merge adds o into t (the day's total over every operator).
func (t *Totals) merge(o *Totals) {
	for _, s := range o.ByStatus {
		t.add(s)
	}
	t.Mismatches.add(o.Mismatches.Count, o.Mismatches.Amount)
	t.Late.add(o.Late.Count, o.Late.Amount)
	t.RefundsPending.add(o.RefundsPending.Count, o.RefundsPending.Amount)
}

// sortStatuses puts ByStatus in lifecycle order.
func (t *Totals) sortStatuses() {
	rank := func(s StatusTotal) int {
		for i, st := range psp.Statuses {
			if s.Status == st {
				return i
			}
		}
		if s.Stage == StagePending {
			return len(psp.Statuses)
		}
		return len(psp.Statuses) + 1
	}
	for i := 1; i < len(t.ByStatus); i++ {
		for j := i; j > 0 && rank(t.ByStatus[j]) < rank(t.ByStatus[j-1]); j-- {
			t.ByStatus[j], t.ByStatus[j-1] = t.ByStatus[j-1], t.ByStatus[j]
		}
	}
}

func (y *Tally) add(n int, a psp.Amount) { y.Count, y.Amount = y.Count+n, y.Amount+a }

func (y *Tally) addN(n, a int64) { y.add(int(n), psp.Amount(a)) }

func (db *DB) dayHours(ctx context.Context, r *DayReport, loc *time.Location) error {
	from, to := micro(r.From), micro(r.To)
	rows, err := db.query(ctx, dayHoursSQL, from, r.Terminal, from, to, from, to)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var h, n, amount int64
		if err := rows.Scan(&h, &n, &amount); err != nil {
			return mapErr(err)
		}
		start := r.From.Add(time.Duration(h) * time.Hour)
		r.Hours = append(r.Hours, HourTotal{Start: start, Hour: start.In(loc).Hour(), Count: int(n), Amount: psp.Amount(amount)})
	}
	return mapErr(rows.Err())
}

// DayOpen returns terminal's charges created in [from, to) that ConnectPSP
// may still change: created, in a status that is not final (awaiting
// payment, or paid and so still refundable), oldest first. The day's
// close asks ConnectPSP about each.
func (db *DB) DayOpen(ctx context.Context, terminal string, from, to time.Time) ([]*Charge, error) {
	var open []psp.Status
	for _, s := range psp.Statuses {
		if !s.Final() {
			open = append(open, s)
		}
	}
	in, args := statusIn("status", open)
	args = append(args, terminal, micro(from), micro(to))
	return db.queryCharges(ctx, "SELECT "+chargeCols+" FROM charges WHERE "+in+
		" AND terminal = ? AND created_at >= ? AND created_at < ? ORDER BY created_at, id", args...)
}
