package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/pixdesk/pixdesk/psp"
)

// Webhook deliveries on PostgreSQL in two round trips a batch.
//
// Statement by statement, a lone delivery cost ten loopback round trips
// (BEGIN, the charge, the replay check, the delivery, its entries, the
// version, the charge's UPDATE, the notification, COMMIT…), and the
// committer is one goroutine: PostgreSQL's receiver was bound by round
// trips, not by the WAL flush group commit shares. Nothing a delivery
// writes is needed by the database before it is written, and everything it
// reads can be read for the whole batch at once, so the committer sends
// two pipelines (pgx batches):
//
//  1. BEGIN, every charge the batch names (FOR UPDATE, in id order, so
//     that two batches, or a batch and a lone writer, never wait on each
//     other in a cycle), every kept delivery with one of
//     the batch's body hashes (FOR UPDATE), the delivery ids (nextval) and
//     one version number per delivery (nextval of charge_versions, once
//     the charges are locked);
//  2. after recordDelivery has judged each delivery in Go against what was
//     read, as it does statement by statement, every write it queued and
//     COMMIT.
//
// A lone delivery costs two round trips, a batch of n the same two. The
// reads inside recordDelivery go to what the first pipeline brought
// (txn.pre); its writes are queued in txn.queue instead of being sent.

// prefetched is what the first pipeline read, for recordDelivery.
type prefetched struct {
	kept        map[string][]*kept // by body hash, in id order; deliveries recorded in the batch join
	deliveryIDs []int64            // ids reserved for the batch's deliveries
}

// nextDeliveryID hands out a reserved delivery id.
func (p *prefetched) nextDeliveryID() (int64, error) {
	if len(p.deliveryIDs) == 0 {
		return 0, errors.New("store: pipeline ran out of delivery ids")
	}
	id := p.deliveryIDs[0]
	p.deliveryIDs = p.deliveryIDs[1:]
	return id, nil
}

// replayEntryOf stands for a replay line added in this batch, whose id the
// database assigns: statements find it through the kept delivery's row.
const replayEntryOf = -1

// keptByHashesSQL reads, for a batch, the kept deliveries with its body
// hashes ($1), locked.
const keptByHashesSQL = `SELECT id, COALESCE(charge_id, 0), body_sha256, event_id, event_type, verdict, replays,
	COALESCE(replay_entry_id, 0) FROM deliveries WHERE body_sha256 = ANY($1) AND ` + hashIndexed + ` ORDER BY id FOR UPDATE`

// pipeline records batch on PostgreSQL in one transaction of two round
// trips, retrying a deadlock or serialization failure like DB.write.
func (db *DB) pipeline(ctx context.Context, batch []*pendingDelivery) error {
	return db.pipelined(ctx, func(pc *pgx.Conn) error { return db.runPipeline(ctx, pc, batch, false) })
}

// applyPipelined is applyInbox's transaction on PostgreSQL: BEGIN and the
// claim of the inbox's head (n rows at most) in one round trip, then
// runPipeline's two.
func (db *DB) applyPipelined(ctx context.Context, n int) ([]inboxRow, error) {
	var rows []inboxRow
	err := db.pipelined(ctx, func(pc *pgx.Conn) (err error) {
		b := &pgx.Batch{}
		b.Queue("BEGIN")
		b.Queue(db.rebind(db.claimSQL(false)), n)
		br := pc.SendBatch(ctx, b)
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
		r, err := br.Query()
		if err == nil {
			rows, err = scanInbox(r)
			r.Close()
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			_, err := pc.Exec(ctx, "COMMIT")
			return err
		}
		return db.runPipeline(ctx, pc, pendings(rows), true)
	})
	return rows, err
}

// pipelined runs fn on a pgx connection of the pool, rolling back what fn
// left open when it fails, and retries a deadlock or serialization failure
// like DB.write.
func (db *DB) pipelined(ctx context.Context, fn func(pc *pgx.Conn) error) error {
	for attempt := 0; ; attempt++ {
		err := db.tryPipelined(ctx, fn)
		if err != nil && attempt < 3 && retryable(err) {
			continue
		}
		return mapErr(err)
	}
}

func (db *DB) tryPipelined(ctx context.Context, fn func(pc *pgx.Conn) error) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: pipeline needs a pgx connection, got %T", dc)
		}
		pc := sc.Conn()
		err := fn(pc)
		if err != nil && !pc.IsClosed() && !pc.PgConn().IsBusy() {
			if _, rerr := pc.Exec(ctx, "ROLLBACK"); rerr != nil {
				pc.Close(ctx) // the pool drops a closed connection
			}
		}
		return err
	})
}

// runPipeline is one attempt: read, judge in Go, write and commit. begun
// says the caller has sent BEGIN already.
func (db *DB) runPipeline(ctx context.Context, pc *pgx.Conn, batch []*pendingDelivery, begun bool) error {
	var txs, codes, refs, hashes []string
	for _, p := range batch {
		n := namedIn(p.d)
		for _, k := range []struct {
			list *[]string
			v    string
		}{{&txs, n.TransactionID}, {&codes, n.InternalCode}, {&refs, n.ExternalReference}} {
			if k.v != "" {
				*k.list = append(*k.list, k.v)
			}
		}
		hashes = append(hashes, bodyHash(p.d.Body))
	}
	t := &txn{db: db, ctx: ctx, now: db.now().UTC(), noQR: true, queue: &pgx.Batch{},
		pre: &prefetched{kept: map[string][]*kept{}}, loaded: map[int64]Charge{}, matched: map[string]int64{}}

	reads := &pgx.Batch{}
	if !begun {
		reads.Queue("BEGIN")
	}
	reads.Queue(`SELECT `+chargeColsNoQR+` FROM charges WHERE transaction_id = ANY($1)
		OR internal_code = ANY($2) OR external_reference = ANY($3) ORDER BY id FOR UPDATE`, txs, codes, refs)
	reads.Queue(keptByHashesSQL, hashes)
	reads.Queue(`SELECT nextval(pg_get_serial_sequence('deliveries', 'id')) FROM generate_series(1, $1)`, len(batch))
	reads.Queue(`SELECT nextval('charge_versions') FROM generate_series(1, $1)`, len(batch))
	if err := t.prefetch(pc.SendBatch(ctx, reads), !begun); err != nil {
		return err
	}

	for i, p := range batch {
		if i > 0 {
			t.now = db.now().UTC() // each delivery is stamped as if alone
		}
		if err := p.record(t); err != nil {
			return err
		}
	}
	if err := t.flushEntries(); err != nil {
		return err
	}
	t.queue.Queue("COMMIT")
	br := pc.SendBatch(ctx, t.queue)
	for range t.queue.Len() {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	return br.Close()
}

// prefetch reads the first pipeline's answers into t; begin says it
// starts with BEGIN's.
func (t *txn) prefetch(br pgx.BatchResults, begin bool) (err error) {
	defer func() {
		if cerr := br.Close(); err == nil {
			err = cerr
		}
	}()
	if begin {
		if _, err := br.Exec(); err != nil { // BEGIN
			return err
		}
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	for rows.Next() {
		c, err := scanCharge(rows)
		if err != nil {
			rows.Close()
			return err
		}
		t.loaded[c.ID] = *c
		for col, v := range map[string]string{"transaction_id": c.TransactionID, "internal_code": c.InternalCode,
			"external_reference": c.ExternalReference} {
			if v != "" {
				t.matched[col+"="+v] = c.ID
			}
		}
	}
	if rows.Err() != nil {
		return rows.Err()
	}
	if rows, err = br.Query(); err != nil {
		return err
	}
	for rows.Next() {
		var (
			k       kept
			hash    string
			verdict string
		)
		if err := rows.Scan(&k.id, &k.chargeID, &hash, &k.eventID, &k.eventType, &verdict, &k.replays, &k.entryID); err != nil {
			rows.Close()
			return err
		}
		k.verdict = psp.Verdict(verdict)
		t.pre.kept[hash] = append(t.pre.kept[hash], &k)
	}
	if rows.Err() != nil {
		return rows.Err()
	}
	if t.pre.deliveryIDs, err = scanInt64s(br); err != nil {
		return err
	}
	t.versions, err = scanInt64s(br)
	return err
}

// scanInt64s reads the next result of br, one int64 a row.
func scanInt64s(br pgx.BatchResults) ([]int64, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	var vs []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, rows.Err()
}

// queued is the result of a statement queued for the second pipeline: its
// effect is not known before the commit, and no caller asks.
type queued struct{}

func (queued) LastInsertId() (int64, error) { return 0, errors.New("store: queued statement") }
func (queued) RowsAffected() (int64, error) { return 0, errors.New("store: queued statement") }

var _ sql.Result = queued{}
