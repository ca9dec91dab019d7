// Package store is the durable journal of pixdesk: every charge from the
// moment the cashier confirms it, everything ConnectPSP answered, every
// webhook delivery and poll, and the status each one led to.
//
// It runs on SQLite (modernc.org/sqlite, the default: one file per counter)
// or on PostgreSQL (pgx) when several counters share one journal. Both use
// the same queries; placeholders are rebound per dialect.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/pixdesk/pixdesk/psp"
)

// Backend names returned by DB.Backend.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// Option configures Open.
type Option func(*options)

type options struct {
	now    func() time.Time
	logger *slog.Logger
}

// WithClock sets the clock the journal stamps records with.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets where the journal logs (change-feed reconnects and the
// like). It never logs payer documents.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// DB is an open journal. It is safe for concurrent use.
type DB struct {
	sql      *sql.DB
	postgres bool
	dsn      string // the SQLite path, or the PostgreSQL DSN for the change-feed listener
	describe string
	now      func() time.Time
	log      *slog.Logger

	// writeMu serialises this process's SQLite writers so they queue in Go
	// rather than in SQLite's busy handler; busy_timeout still covers other
	// processes.
	writeMu sync.Mutex
	feed    *feed

	stmts  sync.Map // query text → *sql.Stmt
	nstmts atomic.Int64

	listenOnce sync.Once
	listenStop context.CancelFunc
	listenDone chan struct{}
	// beforeListen, if set (by tests, before Subscribe), runs before each
	// listener connection attempt.
	beforeListen func()

	// group commits webhook deliveries together (group.go).
	group *committer
	// Test hooks, set before the first RecordDelivery: onBatch sees the size
	// of each batch taken; deliveryFault runs after a delivery's row is
	// inserted, and an error from it fails that delivery.
	onBatch       func(n int)
	deliveryFault func(d *psp.Delivery) error
	// singleCommits, set by the load test, commits each delivery on its
	// own, in its caller's goroutine, as before group commit.
	singleCommits bool
}

// DefaultPath returns where the journal lives when no DSN is given:
// $XDG_DATA_HOME/pixdesk/pixdesk.db, or ~/.local/share/pixdesk/pixdesk.db.
// It creates the directory with mode 0700.
func DefaultPath() (string, error) {
	base := os.Getenv("XDG_DATA_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("store: no data directory: %w", err)
		}
		base = filepath.Join(home, ".local", "share")
	}
	dir := filepath.Join(base, "pixdesk")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("store: %w", err)
	}
	return filepath.Join(dir, "pixdesk.db"), nil
}

// Open opens the journal named by dsn and brings its schema up to date.
// An empty dsn means DefaultPath(); "postgres://…" or "postgresql://…" is a
// PostgreSQL server; anything else is the path of a SQLite file, created
// with mode 0600 if absent. A database written by a newer pixdesk is
// refused with ErrTooNew.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	o := options{now: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(&o)
	}
	db := &DB{now: o.now, log: o.logger, feed: newFeed(), group: newCommitter()}
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		err = db.openPostgres(dsn)
	} else {
		err = db.openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx, len(migrationFiles(db.postgres))); err != nil {
		db.sql.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) openSQLite(path string) error {
	if path == "" {
		p, err := DefaultPath()
		if err != nil {
			return err
		}
		path = p
	}
	path = strings.TrimPrefix(path, "sqlite://")
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	// Create the file ourselves so its mode is 0600; SQLite gives the -wal
	// and -shm files the same mode.
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	f.Close()
	dsn := "file:" + escapeURIPath(abs) + "?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
		"&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	// Keep the connections a burst of webhooks opens: a new SQLite
	// connection re-runs the pragmas and re-prepares every statement.
	sdb.SetMaxOpenConns(32)
	sdb.SetMaxIdleConns(32)
	db.sql, db.dsn, db.describe = sdb, abs, "sqlite "+abs
	return nil
}

// escapeURIPath escapes the characters a SQLite URI filename gives meaning to.
func escapeURIPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(filepath.ToSlash(p))
}

func (db *DB) openPostgres(dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx errors can quote the DSN, password included.
		return errors.New("store: invalid postgres dsn")
	}
	sdb, err := sql.Open("pgx", dsn)
	if err != nil {
		return errors.New("store: invalid postgres dsn")
	}
	sdb.SetMaxOpenConns(16)
	sdb.SetMaxIdleConns(16)
	db.sql, db.postgres, db.dsn = sdb, true, dsn
	host := cfg.Host
	if !strings.HasPrefix(host, "/") {
		host = net.JoinHostPort(host, strconv.Itoa(int(cfg.Port)))
	} else {
		host += ":" + strconv.Itoa(int(cfg.Port))
	}
	db.describe = "postgres " + host + "/" + cfg.Database
	return nil
}

// Close records the webhook deliveries already queued, refuses new ones,
// stops the change feed and closes the database.
func (db *DB) Close() error {
	db.stopCommitter()
	db.listenOnce.Do(func() {}) // waits for a listener being started; none starts after
	if db.listenStop != nil {
		db.listenStop()
		<-db.listenDone
	}
	db.feed.close()
	db.stmts.Range(func(_, s any) bool {
		s.(*sql.Stmt).Close()
		return true
	})
	return db.sql.Close()
}

// Backend returns "sqlite" or "postgres".
func (db *DB) Backend() string {
	if db.postgres {
		return BackendPostgres
	}
	return BackendSQLite
}

// Describe says where the journal is, for a status bar: "sqlite
// /path/pixdesk.db" or "postgres host:port/db". It never shows a password.
func (db *DB) Describe() string { return db.describe }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// rebind turns ? placeholders into $1, $2… for PostgreSQL. The queries of
// this package hold no literal question marks.
func (db *DB) rebind(q string) string {
	if !db.postgres || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// forUpdate is the row-lock suffix: SQLite's write transactions already hold
// the database's write lock.
func (db *DB) forUpdate() string {
	if db.postgres {
		return " FOR UPDATE"
	}
	return ""
}

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

	// Version numbers taken from the sequence row and not yet used
	// (nextSeq); seqWant is how many the next take should reserve.
	seqNext, seqLast int64
	seqWant          int
}

func (t *txn) exec(q string, args ...any) (sql.Result, error) {
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
// once committed, tells in-process subscribers what changed. PostgreSQL
// deadlocks and serialization failures are retried.
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
			db.feed.publish(t.changes)
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
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrTooNew) {
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
