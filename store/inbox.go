package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// The receiver's inbox.
//
// ConnectPSP waits 5 s for a 200 and retries anything else, and its own
// tutorial says to answer at once and credit the order after. What the
// receiver must do before answering is make the delivery durable; applying
// it — finding its charge, judging it, the delivery row, the timeline, a new
// version — need not hold the answer. So Accept commits the signed delivery
// as it arrived into the inbox table, deliveries arriving together in one
// statement and one commit (the intake committer, group.go), and answers;
// the applier then takes the inbox in arrival order and applies each
// delivery exactly as Receive does, in a transaction that also deletes it
// from the inbox. A crash between the two leaves the delivery in the inbox,
// and the next journal opened on the file or the server applies it.
//
// On PostgreSQL the intake is one INSERT a batch — one round trip, its
// commit shared — and the appliers of several serve processes share the
// inbox: each takes its rows with FOR UPDATE SKIP LOCKED, so no delivery
// is applied twice, and one that dies mid-batch leaves its rows to the
// others when its transaction ends.

// Inbox tuning.
const (
	// applyBatch bounds the deliveries one applier transaction takes.
	applyBatch = 64
	// The answers go first. When they queue (the intake took a batch of
	// pressBatch or more within intakeQuiet), the applier keeps
	// 1/applyShare of the time: after each round it pauses applyShare-1
	// times as long as the round took (at most applyPause), and on SQLite,
	// where its transaction holds the one writer the answers wait for, it
	// takes applyBusy deliveries, not applyBatch. At a chain's rates (a
	// batch of one or two) it applies at once; under a flood it goes on
	// applying, more slowly, and catches up when the flood ends.
	pressBatch  = 4
	intakeQuiet = 20 * time.Millisecond
	applyShare  = 10
	applyPause  = 250 * time.Millisecond
	applyBusy   = 8
	// insertChunk is the most rows one INSERT into the SQLite inbox takes.
	insertChunk = 32
	// inboxSweep is how often a running applier looks for rows it was not
	// woken for: another process's, left by a crash or by a serve killed
	// mid-load.
	inboxSweep = time.Second
)

// inboxCols are the columns of an inbox row, as Accept writes them.
const inboxCols = "received_at, event_id, signature, verdict, remote_addr, body"

// Applied is told, by a journal's applier, each inbox delivery it applied
// (with Receive's receipt) or failed to apply (with the error; the delivery
// stays in the inbox and is tried again).
type Applied func(d *psp.Delivery, r Receipt, err error)

// applier is the state of one DB's inbox applier.
type applier struct {
	mu   sync.Mutex
	life runner
	hook Applied
	wake chan struct{} // capacity 1: "the inbox has rows"
}

func newApplier() *applier { return &applier{life: newRunner(), wake: make(chan struct{}, 1)} }

// Accept makes a signed delivery durable in the inbox and returns; the
// applier applies it soon after, as Receive would (see StartInbox). Its
// error means the delivery is not recorded, and the receiver must not
// answer 200. A forged delivery goes to the refused sample, as with
// Receive, and never to the inbox.
//
// Deliveries arriving together share one statement and one commit. A ctx
// that ends while the delivery waits for its turn returns ctx.Err() with
// nothing recorded; once its statement is sent, Accept reports the commit.
func (db *DB) Accept(ctx context.Context, d *psp.Delivery) error {
	if d == nil {
		return errors.New("store: nil delivery")
	}
	if d.Verdict == psp.VerdictForged {
		db.Refuse(d)
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	db.StartInbox(nil)
	_, err := db.intake.submit(ctx, d)
	return err
}

// StartInbox starts this journal's applier, which applies what Accept
// records (and what other processes left in the inbox, looked for every
// inboxSweep) and tells hook of each delivery; a nil hook hears nothing.
// Only the first call's hook is kept. Accept starts the applier itself:
// a receiver calls StartInbox first to hear what its deliveries did.
func (db *DB) StartInbox(hook Applied) {
	a := db.inbox
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.life.started || a.life.closed {
		return
	}
	a.hook = hook
	a.life.start(db.applyLoop)
}

// wakeApplier tells the applier the inbox has rows.
func (db *DB) wakeApplier() {
	select {
	case db.inbox.wake <- struct{}{}:
	default:
	}
}

// stopApplier stops the applier after the batch it is applying; what is
// left stays in the inbox for the next journal opened.
func (db *DB) stopApplier() { db.inbox.life.halt(&db.inbox.mu) }

// applyLoop applies the inbox until it is empty each time it is woken, and
// every inboxSweep, until stopApplier.
func (db *DB) applyLoop() {
	a := db.inbox
	tick := time.NewTicker(inboxSweep)
	defer tick.Stop()
	for {
		select {
		case <-a.wake:
		case <-tick.C:
		case <-a.life.stopped:
			return
		}
		for {
			select {
			case <-a.life.stopped:
				return
			default:
			}
			began := time.Now()
			more := db.applyRound(context.Background(), a.hook)
			if db.intake.pressed(intakeQuiet) && !a.pause(min((applyShare-1)*time.Since(began), applyPause)) {
				return
			}
			if !more {
				break
			}
		}
	}
}

// pause waits d, and reports false if the applier is stopped meanwhile.
func (a *applier) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-a.life.stopped:
		return false
	}
}

// drainInbox applies what an earlier process left in the inbox, before
// Open returns, so that a journal opened after a crash shows what the
// receiver had recorded.
func (db *DB) drainInbox(ctx context.Context) {
	for db.applyRound(ctx, nil) {
	}
}

// applyRound is one applyInbox, its failure logged; it reports whether
// the inbox may hold more that can be applied now: a full batch taken,
// some of it applied. A delivery that fails stays for the next sweep.
func (db *DB) applyRound(ctx context.Context, hook Applied) bool {
	n := applyBatch
	if !db.postgres && db.intake.pressed(intakeQuiet) {
		n = applyBusy
	}
	taken, applied, err := db.applyInbox(ctx, hook, n)
	if err != nil {
		db.log.Error("store: applying the webhook inbox", "err", err)
	}
	return taken == n && applied > 0
}

// acceptBatch is the intake committer's batch: one commit for every
// delivery in it. On PostgreSQL that is one statement, so one round trip.
func (db *DB) acceptBatch(batch []*pendingDelivery) {
	if db.onBatch != nil {
		db.onBatch(len(batch))
	}
	ctx := context.Background()
	var err error
	if db.postgres {
		err = db.insertInboxPG(ctx, batch)
	} else {
		err = db.write(ctx, func(t *txn) error { return t.insertInbox(batch) })
	}
	for _, p := range batch {
		p.done <- err
	}
	if err == nil {
		db.wakeApplier()
	}
}

// insertInboxPG inserts batch in one statement, which commits on its own.
func (db *DB) insertInboxPG(ctx context.Context, batch []*pendingDelivery) error {
	var (
		at                  []int64
		ids, sigs, vs, adds []string
		bodies              [][]byte
	)
	for _, p := range batch {
		d := p.d
		at, ids, sigs = append(at, micro(receivedAt(d, db.now()))), append(ids, d.EventID), append(sigs, d.Signature)
		vs, adds, bodies = append(vs, string(d.Verdict)), append(adds, d.RemoteAddr), append(bodies, d.Body)
	}
	_, err := db.sql.ExecContext(ctx, `INSERT INTO inbox (`+inboxCols+`)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[])`,
		at, ids, sigs, vs, adds, bodies)
	return mapErr(err)
}

// insertInbox inserts batch on SQLite in statements of 32, 16, … rows, so
// that a handful of prepared statements serve every batch size.
func (t *txn) insertInbox(batch []*pendingDelivery) error {
	for len(batch) > 0 {
		n := insertChunk
		for n > len(batch) {
			n /= 2
		}
		args := make([]any, 0, 6*n)
		for _, p := range batch[:n] {
			d := p.d
			args = append(args, micro(receivedAt(d, t.now)), d.EventID, d.Signature, string(d.Verdict), d.RemoteAddr, d.Body)
		}
		q := `INSERT INTO inbox (` + inboxCols + `) VALUES ` + strings.Repeat(`(?, ?, ?, ?, ?, ?), `, n-1) + `(?, ?, ?, ?, ?, ?)`
		if _, err := t.exec(q, args...); err != nil {
			return err
		}
		batch = batch[n:]
	}
	return nil
}

// receivedAt is when d arrived, or now when the receiver did not say.
func receivedAt(d *psp.Delivery, now time.Time) time.Time {
	if d.ReceivedAt.IsZero() {
		return now
	}
	return d.ReceivedAt
}

// claimSQL takes up to $1 rows from the head of the inbox, deleting them in
// the transaction that applies them. PostgreSQL's appliers pass over rows
// another one holds; SQLite has one writer.
func (db *DB) claimSQL(one bool) string {
	pick := `SELECT id FROM inbox ORDER BY id LIMIT ?`
	if one {
		pick = `SELECT id FROM inbox WHERE id = ?`
	}
	if db.postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	return `DELETE FROM inbox WHERE id IN (` + pick + `) RETURNING id, ` + inboxCols
}

// inboxRow is a delivery taken from the inbox.
type inboxRow struct {
	id int64
	p  *pendingDelivery
}

// scanInbox reads claimed rows into deliveries, in arrival order. A body
// recorded as genuine is parsed again; one that no longer parses is applied
// as malformed, which keeps it.
func scanInbox(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
}) ([]inboxRow, error) {
	var out []inboxRow
	for rows.Next() {
		var (
			r       inboxRow
			d       psp.Delivery
			at      int64
			verdict string
		)
		if err := rows.Scan(&r.id, &at, &d.EventID, &d.Signature, &verdict, &d.RemoteAddr, &d.Body); err != nil {
			return nil, err
		}
		d.ReceivedAt, d.Verdict = fromMicro(at), psp.Verdict(verdict)
		switch d.Verdict {
		case psp.VerdictGenuine:
			if ev, err := psp.ParseEvent(d.Body); err == nil {
				d.Event = ev
			} else {
				d.Verdict = psp.VerdictMalformed
			}
		case psp.VerdictMalformed:
		default:
			return nil, fmt.Errorf("store: inbox row %d has verdict %q", r.id, verdict)
		}
		r.p = &pendingDelivery{d: &d, done: make(chan error, 1)}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b inboxRow) int { return cmp.Compare(a.id, b.id) })
	return out, nil
}

// pendings are rows' deliveries, in order.
func pendings(rows []inboxRow) []*pendingDelivery {
	ps := make([]*pendingDelivery, len(rows))
	for i, r := range rows {
		ps[i] = r.p
	}
	return ps
}

// applyInbox applies up to n deliveries from the head of the inbox in one
// transaction and tells hook of each; it returns how many it took and how
// many it applied. If that transaction fails, each is applied in a
// transaction of its own, so that one that fails fails alone and stays in
// the inbox.
func (db *DB) applyInbox(ctx context.Context, hook Applied, n int) (taken, applied int, err error) {
	var rows []inboxRow
	if db.postgres {
		rows, err = db.applyPipelined(ctx, n)
	} else {
		err = db.write(ctx, func(t *txn) error {
			if rows, err = t.claim(false, int64(n)); err != nil {
				return err
			}
			return t.recordAll(pendings(rows))
		})
	}
	if err == nil {
		for _, r := range rows {
			if hook != nil {
				hook(r.p.d, r.p.receipt, nil)
			}
		}
		return len(rows), len(rows), nil
	}
	if len(rows) == 0 {
		return 0, 0, err
	}
	db.log.Warn("store: a batch from the webhook inbox failed; applying it one by one", "n", len(rows), "err", err)
	var first error
	for _, r := range rows {
		mine := false
		err := db.write(ctx, func(t *txn) error {
			again, err := t.claim(true, r.id)
			if mine = err == nil && len(again) > 0; !mine {
				return err // gone: another applier has it
			}
			r.p = again[0].p
			return r.p.record(t)
		})
		if err != nil && first == nil {
			first = err
		} else if err == nil && mine {
			applied++
		}
		if hook != nil && (mine || err != nil) {
			hook(r.p.d, r.p.receipt, err)
		}
	}
	return len(rows), applied, first
}

// claim takes inbox rows in t: the head, up to n, or the one with id n.
func (t *txn) claim(one bool, n int64) ([]inboxRow, error) {
	rows, err := t.tx.QueryContext(t.ctx, t.db.rebind(t.db.claimSQL(one)), n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return scanInbox(rows)
}

// InboxDepth counts the deliveries in the inbox: accepted, answered, not
// yet applied, by any process of the journal.
func (db *DB) InboxDepth(ctx context.Context) (int64, error) {
	var n int64
	err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM inbox").Scan(&n)
	return n, mapErr(err)
}
