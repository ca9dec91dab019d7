package store

import (
	"context"
	"sync"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// sqlitePollEvery is how often a SQLite journal with subscribers looks for
// commits that did not go through its DB (another process on the same
// file: a console, serve, tx create, a customer display). A look is one
// read of the sequence row; the changed charges are read only when it
// moved. At 100 ms a display follows its counter well within a second.
const sqlitePollEvery = 100 * time.Millisecond

// seqSQL reads the last version handed out (nextSeq).
const seqSQL = "SELECT value FROM counters WHERE name = 'seq'"

// sqliteWatch finds, on SQLite, the commits made through other DBs. It runs
// while someone is subscribed: started by the first Subscribe, stopped when
// the last subscriber leaves or the DB closes.
type sqliteWatch struct {
	mu     sync.Mutex // held while starting or stopping
	stop   context.CancelFunc
	done   chan struct{}
	closed bool

	localMu sync.Mutex
	// local holds the versions this DB committed, and published at once,
	// since the watch last looked, so that it does not announce them a
	// second time; nil while the watch is stopped.
	local map[int64]struct{}
}

// subscribeSQLite subscribes and makes sure the watch runs. The watch
// starts from the sequence as it is now, so every change committed after
// Subscribe returns is delivered.
func (db *DB) subscribeSQLite(ctx context.Context) <-chan Change {
	w := &db.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := db.feed.subscribe(ctx)
	if w.stop != nil || w.closed {
		return ch
	}
	// Noting local versions before reading the sequence, so that none
	// committed in between is announced twice.
	w.localMu.Lock()
	w.local = map[int64]struct{}{}
	w.localMu.Unlock()
	last := int64(-1) // unknown: the first look only reads the sequence
	if err := db.readSeq(context.Background(), &last); err != nil {
		db.log.Warn("store: change feed: reading the sequence", "err", err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	w.stop, w.done = cancel, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		db.watchSQLite(wctx, last)
	}(w.done)
	return ch
}

// stopWatch stops the watch; with idleOnly, only if nobody is subscribed.
// closing also keeps it from starting again.
func (db *DB) stopWatch(idleOnly, closing bool) {
	w := &db.watch
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = w.closed || closing
	if w.stop == nil || idleOnly && db.feed.count() > 0 {
		return
	}
	w.stop()
	<-w.done
	w.stop, w.done = nil, nil
	w.localMu.Lock()
	w.local = nil
	w.localMu.Unlock()
}

// publishLocal announces what a write of this DB committed, at once, and
// notes it for the watch.
func (db *DB) publishLocal(cs []Change) {
	w := &db.watch
	w.localMu.Lock()
	if w.local != nil {
		for _, c := range cs {
			w.local[c.Version] = struct{}{}
		}
	}
	w.localMu.Unlock()
	db.feed.publish(cs)
}

func (db *DB) readSeq(ctx context.Context, seq *int64) error {
	return mapErr(db.queryRow(ctx, seqSQL).Scan(seq))
}

// watchSQLite looks for other DBs' commits every sqlitePollEvery until ctx
// ends. A failing look is logged once, when it starts failing, and again
// when it recovers; nothing is lost meanwhile, since the next look reads
// from the last version seen.
func (db *DB) watchSQLite(ctx context.Context, last int64) {
	t := time.NewTicker(sqlitePollEvery)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := db.lookSQLite(ctx, &last)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil && !failing:
			db.log.Warn("store: change feed: cannot read the journal; retrying", "err", err)
		case err == nil && failing:
			db.log.Info("store: change feed: reading the journal again")
		}
		failing = err != nil
	}
}

// lookSQLite announces the charges whose version passed *last, except
// those this DB announced itself, and moves *last on. A *last below zero
// only learns the sequence.
//
// It holds writeMu, so that no write of this DB commits while it looks:
// every local version it can see is then already in w.local, and each
// change is announced once.
func (db *DB) lookSQLite(ctx context.Context, last *int64) error {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	var seq int64
	if err := db.readSeq(ctx, &seq); err != nil {
		return err
	}
	var cs []Change
	if *last >= 0 && seq > *last {
		var err error
		if cs, err = db.changesSince(ctx, *last); err != nil {
			return err
		}
	}
	w := &db.watch
	w.localMu.Lock()
	remote := cs[:0]
	for _, c := range cs {
		if _, ok := w.local[c.Version]; !ok {
			remote = append(remote, c)
		}
	}
	clear(w.local) // all seen: a later local write takes a later version
	w.localMu.Unlock()
	*last = max(*last, seq)
	db.relay(remote, last)
	return nil
}

// changesSince runs changesSinceSQL through the pool.
func (db *DB) changesSince(ctx context.Context, last int64) ([]Change, error) {
	rows, err := db.query(ctx, changesSinceSQL, last)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	cs, err := scanChanges(rows)
	return cs, mapErr(err)
}

// changesSinceSQL lists the charges whose version passed the one given,
// oldest change first: how the SQLite feed finds other processes' commits,
// which take their versions in commit order. The charges_version index
// serves it.
const changesSinceSQL = "SELECT id, version, terminal, stage, status FROM charges WHERE version > ? ORDER BY version"

// changeRows is what scanChanges reads: *sql.Rows or pgx.Rows.
type changeRows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// scanChanges reads the rows of changesSinceSQL; the caller closes them.
func scanChanges(rows changeRows) ([]Change, error) {
	var cs []Change
	for rows.Next() {
		var (
			c             Change
			stage, status string
		)
		if err := rows.Scan(&c.ChargeID, &c.Version, &c.Terminal, &stage, &status); err != nil {
			return nil, err
		}
		c.Open = openAt(Stage(stage), psp.Status(status))
		cs = append(cs, c)
	}
	return cs, rows.Err()
}

func (db *DB) relay(cs []Change, last *int64) {
	for _, c := range cs {
		*last = max(*last, c.Version)
	}
	db.feed.publish(cs)
}
