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
	if !db.postgres {
		// In turn with this process's other writers (DB.write), rather
		// than in SQLite's busy handler.
		db.writeMu.Lock()
		defer db.writeMu.Unlock()
	}
	for attempt := 0; ; attempt++ {
		cs, err := db.leaseDue(ctx, r, micro(now.Add(r.TTL)), micro(now), micro(now.Add(r.FirstPoll)), limit)
		if err != nil && attempt < 3 && retryable(err) {
			continue
		}
		return cs, mapErr(err)
	}
}

// Enrolment: how a charge awaiting payment enters the schedule.
//
// On PostgreSQL, where processes share the schedule, the write that opens a
// charge enrols it (txn.enrol) with next poll unseen; LeaseDue sets it to
// FirstPoll after the call that first sees it. So LeaseDue's probe is an
// index range of leases_due (what is due, or unseen) and not a walk of every
// open charge looking for one without a row, which cost 19 % of a core at
// 20,000 open charges, four times a second. That walk still runs, now and
// then (enrolEvery), for charges opened before this or written by hand.
// On SQLite, which no product path leases on, LeaseDue enrols by the walk
// every call, as before.
//
// Either walk enrols at most enrolSlice charges a call: a backlog of tens
// of thousands enters the schedule over a few seconds, in short
// transactions, instead of in one that holds up the receiver.

// unseen is the next poll of a charge enrolled by the write that opened
// it, before any LeaseDue saw it: never a real time.
const unseen = -1

// enrolEvery is how often LeaseDue walks the open charges for those
// without a schedule row on PostgreSQL.
const enrolEvery = time.Minute

// enrolSlice bounds the charges one LeaseDue enrols.
const enrolSlice = 500

// enrolSQL puts up to enrolSlice charges awaiting payment that have no
// schedule row yet into the schedule. Ascending ids keep concurrent
// callers on PostgreSQL from waiting on each other's inserts in a cycle.
const enrolSQL = `INSERT INTO leases (charge_id, next_poll_at)
	SELECT c.id, ? FROM charges c WHERE c.status = ? AND c.stage = ?
	AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.charge_id = c.id)
	ORDER BY c.id LIMIT ?
	ON CONFLICT (charge_id) DO NOTHING`

// seenSQL gives up to enrolSlice unseen charges their first poll time.
const seenSQL = `UPDATE leases SET next_poll_at = ? WHERE charge_id IN
	(SELECT charge_id FROM leases WHERE next_poll_at = ? ORDER BY next_poll_at, charge_id LIMIT ?)`

// probeSQL finds out, with a read that takes no lock, whether LeaseDue has
// anything to do: a lease due (or unseen) and free, and, when walking for
// them, a charge to enrol. Most calls find nothing, and on SQLite a write
// transaction would queue behind every writer for nothing.
const probeSQL = `SELECT 1 FROM leases l%s WHERE l.next_poll_at <= ? AND l.lease_until <= ?
	LIMIT 1`

const probeWalkSQL = `SELECT 1 FROM charges c WHERE c.status = ? AND c.stage = ?
	AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.charge_id = c.id)
	UNION ALL ` + probeSQL

// enrol keeps charge c's place in the poll schedule, on PostgreSQL: a
// write that opens it (created and awaiting payment, and it was not)
// enrols it, unseen; a write that closes it takes it out unless a poller
// holds its lease, whose release then does (ReleaseLease with a zero next
// poll), so that the holder does not take it for a lease lost.
func (t *txn) enrol(c *Charge) error {
	if !t.db.postgres {
		return nil
	}
	orig, known := t.loaded[c.ID]
	was := known && orig.pollable()
	switch {
	case c.pollable() && !was:
		_, err := t.exec("INSERT INTO leases (charge_id, next_poll_at) VALUES (?, ?) ON CONFLICT (charge_id) DO NOTHING", c.ID, unseen)
		return err
	case was && !c.pollable():
		_, err := t.exec("DELETE FROM leases WHERE charge_id = ? AND owner = ''", c.ID)
		return err
	}
	return nil
}

// pollable reports whether c is in the poll schedule's business.
func (c *Charge) pollable() bool {
	return c.Stage == StageCreated && c.Status == psp.StatusAwaitingPayment
}

// walkDue reports whether this LeaseDue walks the open charges for ones
// to enrol, and notes that it does.
func (db *DB) walkDue(now time.Time) bool {
	if !db.postgres {
		return true
	}
	db.enrolMu.Lock()
	defer db.enrolMu.Unlock()
	if db.enrolMore || db.lastEnrol.IsZero() || now.Sub(db.lastEnrol) >= enrolEvery || now.Before(db.lastEnrol) {
		db.lastEnrol = now
		return true
	}
	return false
}

func (db *DB) leaseDue(ctx context.Context, r LeaseRequest, until, now, first int64, limit int) ([]*Charge, error) {
	open := []any{string(psp.StatusAwaitingPayment), string(StageCreated)}
	enrolArgs := append([]any{first}, open...)
	join, termArgs := "", []any(nil)
	if r.Terminal != "" {
		join, termArgs = " JOIN charges c ON c.id = l.charge_id AND c.terminal = ?", []any{r.Terminal}
	}
	walk := db.walkDue(fromMicro(now))
	var one int
	probe, probeArgs := fmt.Sprintf(probeSQL, join), append(append([]any{}, termArgs...), now, now)
	if walk {
		probe, probeArgs = fmt.Sprintf(probeWalkSQL, join), append(append([]any{}, open...), probeArgs...)
	}
	err := db.sql.QueryRowContext(ctx, db.rebind(probe), probeArgs...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	enrolArgs = append(enrolArgs, enrolSlice)
	if db.postgres {
		// Committed on their own, so the new rows are visible (and
		// lockable) to every claimer at once.
		if walk {
			res, err := db.sql.ExecContext(ctx, db.rebind(enrolSQL), enrolArgs...)
			if err != nil {
				return nil, err
			}
			n, _ := res.RowsAffected()
			db.enrolMu.Lock()
			db.enrolMore = n == enrolSlice
			db.enrolMu.Unlock()
		}
		if _, err := db.sql.ExecContext(ctx, db.rebind(seenSQL), first, unseen, enrolSlice); err != nil {
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
			WHERE l.lease_until <= ? AND l.next_poll_at <= ? AND l.next_poll_at >= 0
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

// execWrite runs one writing statement; on SQLite inside BEGIN IMMEDIATE and
// this process's writer mutex, so that it waits for the write lock in turn
// rather than failing on a stale snapshot.
func (db *DB) execWrite(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if db.postgres {
		return db.sql.ExecContext(ctx, db.rebind(q), args...)
	}
	db.writeMu.Lock() // in turn with DB.write's writers
	defer db.writeMu.Unlock()
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
