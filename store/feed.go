package store

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// notifyChannel is the PostgreSQL channel changes are announced on.
const notifyChannel = "pixdesk_changes"

// listenerApp is the application_name of the LISTEN connection, so that
// operators (and tests) can find it in pg_stat_activity.
const listenerApp = "pixdesk-listener"

// Subscribe returns a channel telling which charges change from now on; it
// is closed when ctx ends or the DB is closed. A Change is a hint: reload
// the charge. Several changes of one charge not yet received are merged
// into the latest, so a slow reader never blocks writers nor loses a
// charge.
//
// On SQLite the changes are those made through this DB, announced after
// commit. On PostgreSQL they come from every writer through LISTEN/NOTIFY;
// after a reconnect, charges whose version passed the last one seen are
// caught up by query, so nothing is missed.
func (db *DB) Subscribe(ctx context.Context) <-chan Change {
	s := db.feed.subscribe(ctx)
	if db.postgres {
		db.listenOnce.Do(func() { db.startListener() })
	}
	return s
}

// feed fans changes out to subscribers.
type feed struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	done   chan struct{}
	closed bool
}

func newFeed() *feed {
	return &feed{subs: map[*subscriber]struct{}{}, done: make(chan struct{})}
}

// subscriber holds the changes one reader has not taken yet, one per charge.
type subscriber struct {
	mu      sync.Mutex
	order   []int64
	pending map[int64]int64
	wake    chan struct{}
	out     chan Change
}

func (f *feed) subscribe(ctx context.Context) <-chan Change {
	s := &subscriber{pending: map[int64]int64{}, wake: make(chan struct{}, 1), out: make(chan Change)}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		close(s.out)
		return s.out
	}
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	go func() {
		defer func() {
			f.mu.Lock()
			delete(f.subs, s)
			f.mu.Unlock()
			close(s.out)
		}()
		for {
			c, ok := s.next()
			if !ok {
				select {
				case <-s.wake:
					continue
				case <-ctx.Done():
					return
				case <-f.done:
					return
				}
			}
			select {
			case s.out <- c:
			case <-ctx.Done():
				return
			case <-f.done:
				return
			}
		}
	}()
	return s.out
}

func (s *subscriber) push(c Change) {
	s.mu.Lock()
	if v, ok := s.pending[c.ChargeID]; !ok {
		s.order = append(s.order, c.ChargeID)
		s.pending[c.ChargeID] = c.Version
	} else if c.Version > v {
		s.pending[c.ChargeID] = c.Version
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) next() (Change, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.order) == 0 {
		return Change{}, false
	}
	id := s.order[0]
	s.order = s.order[1:]
	v := s.pending[id]
	delete(s.pending, id)
	return Change{ChargeID: id, Version: v}, true
}

func (f *feed) publish(cs []Change) {
	if len(cs) == 0 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		for _, c := range cs {
			s.push(c)
		}
	}
}

func (f *feed) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.closed {
		f.closed = true
		close(f.done)
	}
}

// startListener runs the PostgreSQL LISTEN loop until Close. It starts from
// the current sequence value, read before Subscribe returns, so every
// change committed after Subscribe is delivered.
func (db *DB) startListener() {
	var last int64
	err := db.sql.QueryRow("SELECT value FROM counters WHERE name = 'seq'").Scan(&last)
	if err != nil {
		db.log.Warn("store: change feed: reading the sequence", "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	db.listenStop, db.listenDone = cancel, make(chan struct{})
	go func() {
		defer close(db.listenDone)
		db.listen(ctx, last)
	}()
}

func (db *DB) listen(ctx context.Context, last int64) {
	backoff := 20 * time.Millisecond
	for ctx.Err() == nil {
		err := db.listenSession(ctx, &last, &backoff)
		if ctx.Err() != nil {
			return
		}
		db.log.Warn("store: change feed disconnected; reconnecting", "err", err, "retryIn", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// listenSession connects, LISTENs, catches up on changes past *last and then
// relays notifications until the connection fails.
func (db *DB) listenSession(ctx context.Context, last *int64, backoff *time.Duration) error {
	cfg, err := pgx.ParseConfig(db.dsn)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = listenerApp
	if db.beforeListen != nil {
		db.beforeListen()
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	// Anything committed from here on is notified; catch up on what was
	// committed while nobody listened.
	rows, err := conn.Query(ctx, "SELECT id, version FROM charges WHERE version > $1 ORDER BY version", *last)
	if err != nil {
		return err
	}
	var caught []Change
	for rows.Next() {
		var c Change
		if err := rows.Scan(&c.ChargeID, &c.Version); err != nil {
			rows.Close()
			return err
		}
		caught = append(caught, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	db.relay(caught, last)
	*backoff = 20 * time.Millisecond
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		id, ver, ok := strings.Cut(n.Payload, ":")
		c := Change{}
		c.ChargeID, _ = strconv.ParseInt(id, 10, 64)
		c.Version, _ = strconv.ParseInt(ver, 10, 64)
		if !ok || c.ChargeID == 0 {
			continue
		}
		db.relay([]Change{c}, last)
	}
}

func (db *DB) relay(cs []Change, last *int64) {
	for _, c := range cs {
		*last = max(*last, c.Version)
	}
	db.feed.publish(cs)
}
