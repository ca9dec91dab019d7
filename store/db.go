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
	"github.com/jackc/pgx/v5/stdlib"

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
	now      func() time.Time
	logger   *slog.Logger
	maxConns int
	// pgTracer sees every statement sent to PostgreSQL (tests count the
	// round trips with it).
	pgTracer pgx.QueryTracer
	pin      PINParams
}

// DefaultMaxConns is how many connections a journal on PostgreSQL opens at
// most, besides the change feed's one LISTEN connection: enough for serve's
// receiver to commit concurrent deliveries together.
const DefaultMaxConns = 16

// WithMaxConns caps the connections a journal on PostgreSQL opens (the
// change feed's LISTEN connection aside) at n; n < 1 means
// DefaultMaxConns. A counter needs few, and a chain of hundreds of counters
// on one server must not each hold serve's share. SQLite ignores it.
func WithMaxConns(n int) Option {
	return func(o *options) {
		if n < 1 {
			n = DefaultMaxConns
		}
		o.maxConns = n
	}
}

// withPGTracer sets the tracer of every pooled PostgreSQL connection.
func withPGTracer(tr pgx.QueryTracer) Option { return func(o *options) { o.pgTracer = tr } }

// WithClock sets the clock the journal stamps records with.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithPINParams sets the argon2id costs new PINs are hashed with
// (DefaultPINParams unless set; tests use cheaper ones).
func WithPINParams(p PINParams) Option { return func(o *options) { o.pin = p } }

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
	pin      PINParams // costs of new PIN hashes

	// writeMu serialises this process's SQLite writers so they queue in Go
	// rather than in SQLite's busy handler; busy_timeout still covers other
	// processes.
	writeMu sync.Mutex
	feed    *feed

	stmts  sync.Map // query text → *sql.Stmt
	nstmts atomic.Int64

	closeOnce sync.Once
	closeErr  error

	// watch finds other processes' commits on SQLite (feed_sqlite.go).
	watch sqliteWatch

	listenOnce sync.Once
	listenStop context.CancelFunc
	listenDone chan struct{}
	// beforeListen, if set (by tests, before Subscribe), runs before each
	// listener connection attempt.
	beforeListen func()
	// feedAdvance, if set (by tests), replaces feedAdvanceEvery; feedMoved,
	// if set, is told each position the listener moves to (feed_pg.go).
	feedAdvance time.Duration
	feedMoved   func(snap string)

	// When LeaseDue last walked the open charges for ones to enrol, and
	// whether that walk filled its slice (lease.go).
	enrolMu   sync.Mutex
	lastEnrol time.Time
	enrolMore bool

	// group commits webhook deliveries together (group.go); intake
	// commits accepted ones into the inbox, and inbox applies them
	// (inbox.go).
	group  *committer
	intake *committer
	inbox  *applier
	// refused gathers refused deliveries for the journal (refused.go).
	refused *refuser
	probe   prober
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
func DefaultPath() (string, error) { return DataPath(os.Getenv) }

// DataPath is DefaultPath with the environment read through getenv (a
// command's, which need not be the process's).
func DataPath(getenv func(string) string) (string, error) {
	base := getenv("XDG_DATA_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home := getenv("HOME")
		if home == "" || !filepath.IsAbs(home) {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("store: no data directory: %w", err)
			}
			home = h
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
	o := options{now: time.Now, logger: slog.New(slog.DiscardHandler), maxConns: DefaultMaxConns, pin: DefaultPINParams}
	for _, opt := range opts {
		opt(&o)
	}
	db := &DB{now: o.now, log: o.logger, pin: o.pin, feed: newFeed(), refused: newRefuser()}
	db.feed.idle = func() { db.stopWatch(true, false) }
	db.group, db.intake, db.inbox = newCommitter(db.commitBatch), newCommitter(db.acceptBatch), newApplier()
	var err error
	if postgresDSN(dsn) {
		err = db.openPostgres(dsn, o.maxConns, o.pgTracer)
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
	db.drainInbox(ctx)
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

// postgresDSN reports whether dsn names a PostgreSQL server rather than a
// SQLite file.
func postgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// escapeURIPath escapes the characters a SQLite URI filename gives meaning to.
func escapeURIPath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(filepath.ToSlash(p))
}

func (db *DB) openPostgres(dsn string, conns int, tracer pgx.QueryTracer) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx errors can quote the DSN, password included.
		return errors.New("store: invalid postgres dsn")
	}
	cfg.Tracer = tracer
	sdb := stdlib.OpenDB(*cfg)
	sdb.SetMaxOpenConns(conns)
	sdb.SetMaxIdleConns(conns)
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

// Close records the webhook deliveries already queued and the refusals
// gathered, refuses new ones, stops the change feed and closes the
// database. Closing again does nothing.
func (db *DB) Close() error {
	db.closeOnce.Do(func() { db.closeErr = db.close() })
	return db.closeErr
}

func (db *DB) close() error {
	db.group.stop()
	db.intake.stop()
	db.stopApplier()
	db.stopRefuser()
	db.listenOnce.Do(func() {}) // waits for a listener being started; none starts after
	if db.listenStop != nil {
		db.listenStop()
		<-db.listenDone
	}
	db.stopWatch(false, true)
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
