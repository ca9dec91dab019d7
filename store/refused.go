package store

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// Refused deliveries.
//
// A delivery whose signature does not verify was not sent by ConnectPSP, so
// it is not a delivery: it changes no charge — no flag, no timeline line, no
// version, no change announced. What the journal keeps of refusals is a
// sample, for support to read, bounded in rows and in bytes (the oldest
// go first), and a count of every refusal by the minute.
//
// Refuse never waits for the writer: it counts, copies the body's first
// bytes while the sample has room, and returns. One goroutine per DB writes
// what gathered every refusedGather, in one short transaction, so that a
// flood costs genuine deliveries at most one such transaction now and then,
// and fills the sample with at most refusedBatch rows per refusedGather.

// Bounds of the sample of refused deliveries.
const (
	// RefusedHead is how many bytes of a refused body the sample keeps.
	RefusedHead = 384
	// RefusedMaxRows and RefusedMaxBytes bound the sample; bytes are those
	// of the head, X-Event-Id, X-Connect-Signature and source address.
	RefusedMaxRows  = 1000
	RefusedMaxBytes = 256 << 10
)

const (
	// refusedBatch is how many refusals one gathering keeps at most; the
	// rest of a flood is counted, not kept.
	refusedBatch = 32
	// refusedGather is how long refusals gather before they are written.
	refusedGather = 500 * time.Millisecond
	// refusalCountsKept is how long the per-minute counts are kept.
	refusalCountsKept = 48 * time.Hour
	// refusedWriteTimeout bounds one write of the sample.
	refusedWriteTimeout = 10 * time.Second
)

// RefusedDelivery is one refused delivery as the sample keeps it: as
// received, sanitised in nothing. It is evidence; show it only through
// internal/safetext.
type RefusedDelivery struct {
	ID         int64
	ReceivedAt time.Time
	RemoteAddr string
	EventID    string // X-Event-Id, clipped
	Signature  string // X-Connect-Signature, clipped; "" when there was none
	Size       int    // bytes of the body as received
	SHA256     string // lowercase hex, of the whole body
	Head       []byte // the body's first RefusedHead bytes
}

// refuser is one DB's sample of refusals waiting to be written.
type refuser struct {
	room atomic.Int64 // rows the current gathering may still keep
	// flushMu is held while a flush writes what it took, and by
	// RefusedSince, which therefore never sees a count both in memory and
	// in the journal, or in neither.
	flushMu sync.Mutex

	mu     sync.Mutex
	rows   []RefusedDelivery
	counts map[int64]int64 // Unix minute → refusals not yet written
	life   runner          // the writer
	// manual, set by tests before the first Refuse, starts no writer:
	// gatherings end when the test calls flushRefused.
	manual bool
	wake   chan struct{} // capacity 1
}

func newRefuser() *refuser {
	r := &refuser{counts: map[int64]int64{}, wake: make(chan struct{}, 1), life: newRunner()}
	r.room.Store(refusedBatch)
	return r
}

// Refuse notes a delivery that failed verification, without waiting: it is
// counted (RefusedSince) and, while the sample has room, its head is kept
// for RefusedDeliveries. It reads nothing from the body but its bytes and
// touches no charge. It reports whether the sample kept it.
func (db *DB) Refuse(d *psp.Delivery) bool {
	at := d.ReceivedAt
	if at.IsZero() {
		at = db.now()
	}
	r := db.refused
	var row *RefusedDelivery
	if r.room.Add(-1) >= 0 {
		// Copied, so the 64 KiB body is not held until the write.
		row = &RefusedDelivery{ReceivedAt: at.UTC(), RemoteAddr: clip(d.RemoteAddr), EventID: clip(d.EventID),
			Signature: clip(d.Signature), Size: len(d.Body), SHA256: bodyHash(d.Body),
			Head: bytes.Clone(d.Body[:min(len(d.Body), RefusedHead)])}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.life.closed {
		return false
	}
	if !r.manual {
		r.life.start(db.refuseLoop)
	}
	r.counts[at.Unix()/60]++
	if row != nil {
		r.rows = append(r.rows, *row)
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return row != nil
}

// refuseLoop writes what Refuse gathered until Close, and then the rest.
func (db *DB) refuseLoop() {
	r := db.refused
	for {
		select {
		case <-r.wake:
		case <-r.life.stopped:
			db.flushRefused()
			return
		}
		t := time.NewTimer(refusedGather)
		select {
		case <-t.C:
		case <-r.life.stopped:
			t.Stop()
			db.flushRefused()
			return
		}
		db.flushRefused()
	}
}

// flushRefused writes the gathered sample and counts in one transaction.
// Counts that could not be written are kept for the next try; rows are a
// sample and are dropped.
func (db *DB) flushRefused() {
	r := db.refused
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	r.mu.Lock()
	rows, counts := r.rows, r.counts
	r.rows, r.counts = nil, map[int64]int64{}
	r.room.Store(refusedBatch)
	r.mu.Unlock()
	if len(rows) == 0 && len(counts) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), refusedWriteTimeout)
	defer cancel()
	err := db.write(ctx, func(t *txn) error { return t.recordRefused(rows, counts) })
	if err == nil {
		return
	}
	db.log.Warn("store: refused deliveries not recorded", "rows", len(rows), "err", err)
	r.mu.Lock()
	for m, n := range counts {
		r.counts[m] += n
	}
	r.mu.Unlock()
}

// recordRefused inserts rows, trims the sample to its bounds and adds
// counts to the per-minute counts, dropping those too old to ask about.
func (t *txn) recordRefused(rows []RefusedDelivery, counts map[int64]int64) error {
	for _, rd := range rows {
		n := len(rd.Head) + len(rd.EventID) + len(rd.Signature) + len(rd.RemoteAddr)
		if _, err := t.exec(`INSERT INTO refused_deliveries (received_at, remote_addr, event_id, signature, size,
			body_sha256, head, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			micro(rd.ReceivedAt), rd.RemoteAddr, rd.EventID, rd.Signature, rd.Size, rd.SHA256, rd.Head, n); err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		if _, err := t.exec(`DELETE FROM refused_deliveries WHERE id <= (SELECT id FROM refused_deliveries
			ORDER BY id DESC LIMIT 1 OFFSET ?)`, RefusedMaxRows); err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM refused_deliveries WHERE id <= (SELECT id FROM
			(SELECT id, SUM(bytes) OVER (ORDER BY id DESC) AS kept FROM refused_deliveries) w
			WHERE kept > ? ORDER BY id DESC LIMIT 1)`, RefusedMaxBytes); err != nil {
			return err
		}
	}
	for m, n := range counts {
		if _, err := t.exec(`INSERT INTO refusal_counts (minute, n) VALUES (?, ?)
			ON CONFLICT (minute) DO UPDATE SET n = refusal_counts.n + excluded.n`, m, n); err != nil {
			return err
		}
	}
	_, err := t.exec("DELETE FROM refusal_counts WHERE minute < ?", t.now.Add(-refusalCountsKept).Unix()/60)
	return err
}

// stopRefuser writes what is gathered and stops the writer; later
// refusals are not kept.
func (db *DB) stopRefuser() {
	if first, ran := db.refused.life.halt(&db.refused.mu); first && !ran {
		db.flushRefused()
	}
}

// RefusedDeliveries returns the sample of refused deliveries, newest
// first: at most limit (DefaultLimit when limit is 0 or less, never more
// than MaxLimit). Under a flood the sample holds some refusals only; the
// count of all of them is RefusedSince.
func (db *DB) RefusedDeliveries(ctx context.Context, limit int) ([]RefusedDelivery, error) {
	if limit <= 0 || limit > MaxLimit {
		limit = DefaultLimit
	}
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT id, received_at, remote_addr, event_id, signature,
		size, body_sha256, head FROM refused_deliveries ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []RefusedDelivery
	for rows.Next() {
		var (
			rd   RefusedDelivery
			at   int64
			size int64
		)
		if err := rows.Scan(&rd.ID, &at, &rd.RemoteAddr, &rd.EventID, &rd.Signature, &size, &rd.SHA256, &rd.Head); err != nil {
			return nil, mapErr(err)
		}
		rd.ReceivedAt, rd.Size = fromMicro(at), int(size)
		out = append(out, rd)
	}
	return out, mapErr(rows.Err())
}

// RefusedSince returns how many deliveries were refused from since on,
// sampled or not, counted by the minute (the whole minute holding since
// counts). It includes this process's refusals not yet written.
func (db *DB) RefusedSince(ctx context.Context, since time.Time) (int64, error) {
	from := since.Unix() / 60
	r := db.refused
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	var n int64
	err := db.sql.QueryRowContext(ctx, db.rebind("SELECT COALESCE(SUM(n), 0) FROM refusal_counts WHERE minute >= ?"), from).Scan(&n)
	if err != nil {
		return 0, mapErr(err)
	}
	r.mu.Lock()
	for m, k := range r.counts {
		if m >= from {
			n += k
		}
	}
	r.mu.Unlock()
	return n, nil
}
