package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// txn is one write transaction.
type txn struct {
	db      *DB
	tx      *sql.Tx
	ctx     context.Context
	now     time.Time
	changes []Change
	loaded  map[int64]Charge // as read by loadCharge (or last saved), for save
	matched map[string]int64 // "column=value" → id of the charge match found
	entries []any            // timeline lines queued by entry, entryCols values each
	// noQR: loadCharge leaves the QR image out (webhook deliveries, whose
	// charges are never handed back).
	noQR bool
	// pre and queue are set by the PostgreSQL pipeline (pipeline.go): reads
	// recordDelivery makes come from pre, and exec queues its statements
	// in queue for the commit's round trip.
	pre   *prefetched
	queue *pgx.Batch
	// entryErr is the first entry whose facts could not be encoded; the
	// transaction fails with it at the next flushEntries.
	entryErr error

	// versions holds version numbers taken ahead and not yet used
	// (nextSeq); seqWant is how many SQLite's next take should reserve.
	versions []int64
	seqWant  int
}

func (t *txn) exec(q string, args ...any) (sql.Result, error) {
	if t.queue != nil {
		// A copy: flushEntries reuses the slice it passes.
		t.queue.Queue(t.db.rebind(q), slices.Clone(args)...)
		return queued{}, nil
	}
	if s := t.db.prepared(t.ctx, q); s != nil {
		return t.tx.StmtContext(t.ctx, s).ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, t.db.rebind(q), args...)
}

func (t *txn) queryRow(q string, args ...any) *sql.Row {
	if s := t.db.prepared(t.ctx, q); s != nil {
		return t.tx.StmtContext(t.ctx, s).QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, t.db.rebind(q), args...)
}

// maxPrepared bounds the statement cache; the package's queries, search
// combinations included, number far fewer.
const maxPrepared = 256

// prepared returns the cached prepared statement for q, preparing it on
// first use, or nil if the cache is full or preparing fails (the caller
// then runs q unprepared, which reports any error). Re-parsing every
// statement was a third of the cost of a write on SQLite.
//
// On PostgreSQL it returns nil: pgx already keeps a statement cache on each
// connection, and preparing here takes a second pooled connection while a
// transaction holds one, so that as many transactions as the pool has
// connections, each meeting a new statement, waited for each other until
// their contexts ended (found by TestWebhookLoad).
func (db *DB) prepared(ctx context.Context, q string) *sql.Stmt {
	if db.postgres {
		return nil
	}
	if s, ok := db.stmts.Load(q); ok {
		return s.(*sql.Stmt)
	}
	if db.nstmts.Load() >= maxPrepared {
		return nil
	}
	s, err := db.sql.PrepareContext(ctx, db.rebind(q))
	if err != nil {
		return nil
	}
	if prev, loaded := db.stmts.LoadOrStore(q, s); loaded {
		s.Close()
		return prev.(*sql.Stmt)
	}
	db.nstmts.Add(1)
	return s
}

// write runs fn in one write transaction (BEGIN IMMEDIATE on SQLite) and,
// once committed, tells this DB's subscribers what changed (on PostgreSQL
// the notification does). PostgreSQL deadlocks and serialization failures
// are retried.
func (db *DB) write(ctx context.Context, fn func(t *txn) error) error {
	if !db.postgres {
		db.writeMu.Lock()
		defer db.writeMu.Unlock()
	}
	for attempt := 0; ; attempt++ {
		t, err := db.tryWrite(ctx, fn)
		if err != nil && attempt < 3 && retryable(err) {
			continue
		}
		if err != nil {
			return err
		}
		if !db.postgres {
			db.publishLocal(t.changes)
		}
		return nil
	}
}

func (db *DB) tryWrite(ctx context.Context, fn func(t *txn) error) (*txn, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, mapErr(err)
	}
	t := &txn{db: db, tx: tx, ctx: ctx, now: db.now().UTC()}
	err = fn(t)
	if err == nil {
		err = t.flushEntries() // what fn queued last
	}
	if err != nil {
		tx.Rollback()
		return nil, mapErr(err)
	}
	if err := tx.Commit(); err != nil {
		return nil, mapErr(err)
	}
	return t, nil
}

// retryable reports a PostgreSQL deadlock or serialization failure.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// mapErr turns driver errors into the package's sentinels; it is the only
// place that knows driver error codes.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrTooNew) ||
		errors.Is(err, ErrSchemaDiffers) || errors.Is(err, ErrTargetNotEmpty) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %s", ErrConflict, uniqueWhat(se.Error()))
		}
		return fmt.Errorf("store: sqlite: %w", err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if pe.Code == "23505" {
			return fmt.Errorf("%w: %s", ErrConflict, uniqueWhat(pe.ConstraintName))
		}
		return fmt.Errorf("store: postgres: %w", err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("store: %w", err)
}

// uniqueWhat names the value that is already taken, from a driver message
// or constraint name (never the value itself).
func uniqueWhat(msg string) string {
	switch {
	case strings.Contains(msg, "external_reference"), strings.Contains(msg, "charges_reference"):
		return "order reference already used"
	case strings.Contains(msg, "idempotency_key"):
		return "idempotency key already used"
	case strings.Contains(msg, "transaction_id"):
		return "transaction already recorded"
	case strings.Contains(msg, "internal_code"):
		return "internal code already recorded"
	case strings.Contains(msg, "refund_key"):
		return "refund key already used"
	}
	return "value already used"
}

// micro stores a time as UTC microseconds; the zero time is 0.
func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicro reads a stored time; 0 is the zero time.
func fromMicro(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

// nullable stores "" as NULL, so unique indexes ignore unset identifiers.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
