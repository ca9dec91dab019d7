package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// heldWrite is a write transaction stopped after saving its charge: its
// version taken, not committed.
type heldWrite struct {
	version int64
	xid     string // the writer's pg_current_xact_id
	commit  chan struct{}
	done    chan error
	once    sync.Once
}

// release lets the write commit.
func (h *heldWrite) release() { h.once.Do(func() { close(h.commit) }) }

// holdWrite starts a write that saves charge id and waits, uncommitted,
// until commit is closed; it returns once the version is taken, or fails
// the test if that does not happen (a hang guard, not a timing assertion).
func holdWrite(t *testing.T, ctx context.Context, db *DB, id int64) *heldWrite {
	t.Helper()
	h := &heldWrite{commit: make(chan struct{}), done: make(chan error, 1)}
	took := make(chan struct{})
	t.Cleanup(h.release) // a failed test does not leave it open
	go func() {
		h.done <- db.write(ctx, func(tx *txn) error {
			c, err := tx.loadCharge("id = ?", id)
			if err != nil {
				return err
			}
			if err := tx.save(c); err != nil {
				return err
			}
			h.version = c.Version
			if err := tx.queryRow("SELECT pg_current_xact_id()::text").Scan(&h.xid); err != nil {
				return err
			}
			close(took)
			<-h.commit
			return nil
		})
	}()
	select {
	case <-took:
	case err := <-h.done:
		t.Fatalf("write of charge %d: %v", id, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("write of charge %d waited 30 s to take its version: writers wait on one another", id)
	}
	return h
}

// visibleIn reports whether PostgreSQL's snapshot snap saw transaction xid.
func visibleIn(t *testing.T, db *DB, xid, snap string) bool {
	t.Helper()
	var v bool
	if err := db.sql.QueryRow("SELECT pg_visible_in_snapshot($1::xid8, $2::pg_snapshot)", xid, snap).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPostgresFeedCatchesUpLateCommit: versions do not commit in their
// order. A takes a version, B a later one and commits, the listener relays
// B and moves its position on past B, loses its connection; A commits while
// nobody listens; the listener reconnects. A's change must come. A catch-up
// by "version > the last relayed" (B's) misses it.
func TestPostgresFeedCatchesUpLateCommit(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := postgresOpener.open(t)
	a, _ := newCharge(t, db)
	b, _ := newCharge(t, db)

	var (
		mu    sync.Mutex
		snaps []string
	)
	db.feedAdvance = time.Millisecond // a fence after every change
	db.feedMoved = func(snap string) {
		mu.Lock()
		snaps = append(snaps, snap)
		mu.Unlock()
	}
	sessions, reconnecting, release := 0, make(chan struct{}), make(chan struct{})
	db.beforeListen = func() {
		if sessions++; sessions == 2 {
			close(reconnecting)
			<-release
		}
	}
	ch := db.Subscribe(ctx)

	hA := holdWrite(t, ctx, db, a.ID)
	hB := holdWrite(t, ctx, db, b.ID) // takes a version while A holds its own
	hB.release()
	if err := <-hB.done; err != nil {
		t.Fatal(err)
	}
	if hA.version >= hB.version {
		t.Fatalf("A took version %d, B %d: want A's lower", hA.version, hB.version)
	}
	recv(t, ch, func(c Change) bool { return c.ChargeID == b.ID && c.Version == hB.version })

	// The listener's position moves past B, with A still running.
	deadline := time.Now().Add(30 * time.Second) // a hang guard
	for moved := false; !moved; {
		mu.Lock()
		for _, s := range snaps {
			moved = moved || visibleIn(t, db, hB.xid, s) && !visibleIn(t, db, hA.xid, s)
		}
		mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("the listener's position never saw B without A: %q", snaps)
		}
		time.Sleep(time.Millisecond)
	}

	var killed int
	err := db.sql.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, listenerApp).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners, %v", killed, err)
	}
	<-reconnecting // the old connection is gone: A's notification reaches nobody
	hA.release()
	if err := <-hA.done; err != nil {
		t.Fatal(err)
	}
	close(release)
	got := recv(t, ch, func(c Change) bool {
		if c.ChargeID == b.ID {
			t.Fatalf("B announced again after the reconnect: %+v", c)
		}
		return c.ChargeID == a.ID && c.Version == hA.version
	})
	// What the catch-up found says whose the charge is, as a notification
	// would.
	if got.Terminal != a.Terminal || got.Open != a.Open() {
		t.Errorf("caught up %+v; the charge is %s's, open %v", got, a.Terminal, a.Open())
	}
}

// TestPostgresWritersDoNotWait: write transactions on different charges,
// from different connections, each hold their version uncommitted at the
// same time, and none waits for a lock meanwhile. With versions from the
// counters row, the second would wait for the first to commit.
func TestPostgresWritersDoNotWait(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := postgresOpener.open(t)
	const writers = 8
	var ids []int64
	for range writers {
		c, _ := newCharge(t, db)
		ids = append(ids, c.ID)
	}
	var held []*heldWrite
	for _, id := range ids {
		held = append(held, holdWrite(t, ctx, db, id))
	}
	var waiting int
	err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
	if err != nil || waiting != 0 {
		t.Fatalf("%d backends wait for a lock with %d writers open, %v", waiting, writers, err)
	}
	seen := map[int64]bool{}
	for _, h := range held {
		if seen[h.version] {
			t.Fatalf("version %d taken twice", h.version)
		}
		seen[h.version] = true
		h.release()
	}
	for _, h := range held {
		if err := <-h.done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestPostgresCatchUpPlan: the catch-up reads the charge_writes_xid index
// and each charge it finds by its key, not either table whole.
func TestPostgresCatchUpPlan(t *testing.T) {
	t.Parallel()
	db := analysedPostgres(t, 20000)
	// The bulk load wrote no charge_writes rows; a journal has one per
	// charge.
	if _, err := db.sql.Exec(`INSERT INTO charge_writes (charge_id, written_xid) SELECT id, pg_current_xact_id() FROM charges
		ON CONFLICT (charge_id) DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.sql.Exec("ANALYZE charge_writes"); err != nil {
		t.Fatal(err)
	}
	var snap string
	if err := db.sql.QueryRow("SELECT pg_current_snapshot()::text").Scan(&snap); err != nil {
		t.Fatal(err)
	}
	plan := planOf(t, db, catchUpSQL, snap, snapshotRunning(snap))
	if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "charge_writes_xid") {
		t.Errorf("the catch-up does not use charge_writes_xid:\n%s", plan)
	}
}
