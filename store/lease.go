package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// ErrLeaseLost: the lease named is not held by that owner any more — it
// expired and another process took it, or the charge left the schedule.
var ErrLeaseLost = errors.New("store: lease lost")

// LeaseRequest says who asks LeaseDue for charges to poll, and how many.
type LeaseRequest struct {
	// Owner names the process that will hold the leases; it must be unique
	// among the processes sharing the journal (host, pid and a random part).
	Owner string
	// Terminal restricts the leases to one terminal's charges; "" takes
	// charges of every terminal (serve).
	Terminal string
	// TTL is how long a lease lasts unless renewed. A process that dies
	// holding a lease delays that charge's polling by at most TTL.
	TTL time.Duration
	// Limit is the most charges handed out at once (at least 1).
	Limit int
	// FirstPoll is how long after it is first seen awaiting payment a
	// charge is due (0: at once). Its creator has just heard from
	// ConnectPSP, and a webhook usually comes first.
	FirstPoll time.Duration
}

// Lease is the poll schedule of one charge, as LeaseOf reads it.
type Lease struct {
	ChargeID int64
	Owner    string    // "" when nobody holds it
	Until    time.Time // the lease is free once now reaches Until
	NextPoll time.Time // zero: due at once
}

// LeaseDue claims charges whose poll is due (next poll time reached) and
// whose lease is free or expired, for r.Owner until now+r.TTL, and returns
// them as stored. Charges awaiting payment enter the schedule by themselves,
// due r.FirstPoll after the call that first sees them. A charge is never handed to two owners while its lease runs:
// on PostgreSQL the claim is an UPDATE of rows chosen with FOR UPDATE SKIP
// LOCKED, so concurrent callers take disjoint sets without waiting for one
// another; on SQLite it runs in a BEGIN IMMEDIATE transaction.
//
// A returned charge may have stopped awaiting payment since (a webhook
// landed): release it with a zero next poll and it leaves the schedule.
// Times come from the caller's clock, so the processes sharing a journal
// need clocks closer together than r.TTL.
func (db *DB) LeaseDue(ctx context.Context, r LeaseRequest, now time.Time) ([]*Charge, error) {
	if r.Owner == "" || r.TTL <= 0 {
		return nil, errors.New("store: lease request needs an owner and a positive ttl")
	}
	limit := max(r.Limit, 1)
	for attempt := 0; ; attempt++ {
		cs, err := db.leaseDue(ctx, r, micro(now.Add(r.TTL)), micro(now), micro(now.Add(r.FirstPoll)), limit)
		if err != nil && attempt < 3 && retryable(err) {
			continue
		}
		return cs, mapErr(err)
	}
}

// enrolSQL puts the charges awaiting payment that have no schedule row yet
// into the schedule. Ascending ids keep concurrent callers on
// PostgreSQL from waiting on each other's inserts in a cycle.
const enrolSQL = `INSERT INTO leases (charge_id, next_poll_at)
	SELECT c.id, ? FROM charges c WHERE c.status = ? AND c.stage = ?
	AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.charge_id = c.id)
	ORDER BY c.id
	ON CONFLICT (charge_id) DO NOTHING`

// probeSQL finds out, with a read that takes no lock, whether LeaseDue has
// anything to do: a charge to enrol, or a lease due and free. Most calls
// find nothing, and on SQLite a write transaction would queue behind every
// writer for nothing.
const probeSQL = `SELECT 1 FROM charges c WHERE c.status = ? AND c.stage = ?
	AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.charge_id = c.id)
	UNION ALL SELECT 1 FROM leases l%s WHERE l.next_poll_at <= ? AND l.lease_until <= ?
	LIMIT 1`

func (db *DB) leaseDue(ctx context.Context, r LeaseRequest, until, now, first int64, limit int) ([]*Charge, error) {
	open := []any{string(psp.StatusAwaitingPayment), string(StageCreated)}
	enrolArgs := append([]any{first}, open...)
	join, termArgs := "", []any(nil)
	if r.Terminal != "" {
		join, termArgs = " JOIN charges c ON c.id = l.charge_id AND c.terminal = ?", []any{r.Terminal}
	}
	var one int
	probeArgs := append(append(append([]any{}, open...), termArgs...), now, now)
	err := db.sql.QueryRowContext(ctx, db.rebind(fmt.Sprintf(probeSQL, join)), probeArgs...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if db.postgres {
		// Committed on its own, so the new rows are visible (and lockable)
		// to every claimer at once.
		if _, err := db.sql.ExecContext(ctx, db.rebind(enrolSQL), enrolArgs...); err != nil {
			return nil, err
		}
	}
	tx, err := db.sql.BeginTx(ctx, nil) // BEGIN IMMEDIATE on SQLite (see the DSN)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if !db.postgres {
		if _, err := tx.ExecContext(ctx, enrolSQL, enrolArgs...); err != nil {
			return nil, err
		}
	}
	args := append(append([]any{r.Owner, until}, termArgs...), now, now, limit, now)
	lock := ""
	if db.postgres {
		lock = " FOR UPDATE OF l SKIP LOCKED"
	}
	// The outer lease_until test is the one PostgreSQL re-checks on the
	// newest row version after waiting for nothing (SKIP LOCKED): a row
	// another claimer committed meanwhile is left alone.
	rows, err := tx.QueryContext(ctx, db.rebind(`UPDATE leases SET owner = ?, lease_until = ?
		WHERE charge_id IN (SELECT l.charge_id FROM leases l`+join+`
			WHERE l.lease_until <= ? AND l.next_poll_at <= ?
			ORDER BY l.next_poll_at, l.charge_id LIMIT ?`+lock+`)
		AND lease_until <= ?
		RETURNING charge_id`), args...)
	if err != nil {
		return nil, err
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*Charge
	if len(ids) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
		crows, err := tx.QueryContext(ctx, db.rebind("SELECT "+chargeCols+" FROM charges WHERE id IN ("+marks+") ORDER BY id"), ids...)
		if err != nil {
			return nil, err
		}
		for crows.Next() {
			c, err := scanCharge(crows)
			if err != nil {
				crows.Close()
				return nil, err
			}
			out = append(out, c)
		}
		crows.Close()
		if err := crows.Err(); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return out, nil
}

// RenewLease extends owner's lease on charge id to now+ttl. ErrLeaseLost if
// owner no longer holds it: stop working on the charge.
func (db *DB) RenewLease(ctx context.Context, owner string, id int64, ttl time.Duration, now time.Time) error {
	return db.leaseExec(ctx, "UPDATE leases SET lease_until = ? WHERE charge_id = ? AND owner = ?",
		micro(now.Add(ttl)), id, owner)
}

// ReleaseLease lets go of owner's lease on charge id and sets when the
// charge is next due; a zero nextPoll takes the charge out of the schedule
// (it no longer awaits payment — should it still be, the next LeaseDue puts
// it back, due at once). ErrLeaseLost if owner no longer held the lease:
// the schedule is then the new holder's and is left alone.
func (db *DB) ReleaseLease(ctx context.Context, owner string, id int64, nextPoll time.Time) error {
	if nextPoll.IsZero() {
		return db.leaseExec(ctx, "DELETE FROM leases WHERE charge_id = ? AND owner = ?", id, owner)
	}
	return db.leaseExec(ctx, "UPDATE leases SET owner = '', lease_until = 0, next_poll_at = ? WHERE charge_id = ? AND owner = ?",
		micro(nextPoll), id, owner)
}

// leaseExec runs one statement on a lease row held by its owner.
func (db *DB) leaseExec(ctx context.Context, q string, args ...any) error {
	if args[len(args)-1] == "" {
		return ErrLeaseLost // nobody holds a lease as ""
	}
	var (
		res sql.Result
		err error
	)
	for attempt := 0; ; attempt++ {
		res, err = db.execWrite(ctx, q, args...)
		if err != nil && attempt < 3 && retryable(err) {
			continue
		}
		break
	}
	if err != nil {
		return mapErr(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return mapErr(err)
	} else if n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// execWrite runs one writing statement; on SQLite inside BEGIN IMMEDIATE, so
// that it waits for the write lock through busy_timeout rather than failing
// on a stale snapshot.
func (db *DB) execWrite(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if db.postgres {
		return db.sql.ExecContext(ctx, db.rebind(q), args...)
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return res, tx.Commit()
}

// LeaseOf returns charge id's place in the poll schedule, or ErrNotFound if
// it has none (it is not awaiting payment, or no LeaseDue has run since).
func (db *DB) LeaseOf(ctx context.Context, id int64) (Lease, error) {
	l := Lease{ChargeID: id}
	var until, next int64
	err := db.sql.QueryRowContext(ctx, db.rebind("SELECT owner, lease_until, next_poll_at FROM leases WHERE charge_id = ?"), id).
		Scan(&l.Owner, &until, &next)
	if err != nil {
		return Lease{}, mapErr(err)
	}
	l.Until, l.NextPoll = fromMicro(until), fromMicro(next)
	return l, nil
}

// String describes a lease for logs and test failures.
func (l Lease) String() string {
	return fmt.Sprintf("charge %d: owner %q until %s, next poll %s", l.ChargeID, l.Owner,
		l.Until.Format(time.RFC3339Nano), l.NextPoll.Format(time.RFC3339Nano))
}
