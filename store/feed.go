package store

import (
	"context"
	"sync"
)

// Subscribe returns a channel telling which charges change from now on; it
// is closed when ctx ends or the DB is closed. A Change is a hint: reload
// the charge. Several changes of one charge not yet received are merged
// into the latest, so a slow reader never blocks writers nor loses a
// charge.
//
// Changes made through this DB are announced after commit. On PostgreSQL
// every writer's changes come through LISTEN/NOTIFY; after a reconnect,
// the charges written by transactions the listener's last snapshot did not
// see are caught up by query, so nothing is missed (feed_pg.go). On SQLite
// the changes other processes commit to the same file are found by the
// charges whose version passed the last one seen, read when the sequence
// has moved, which is read every sqlitePollEvery while anyone is
// subscribed.
func (db *DB) Subscribe(ctx context.Context) <-chan Change {
	if !db.postgres {
		return db.subscribeSQLite(ctx)
	}
	s := db.feed.subscribe(ctx)
	db.listenOnce.Do(func() { db.startListener() })
	return s
}

// feed fans changes out to subscribers.
type feed struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	done   chan struct{}
	closed bool
	// idle, if set, runs when the last subscriber has left.
	idle func()
}

func newFeed() *feed {
	return &feed{subs: map[*subscriber]struct{}{}, done: make(chan struct{})}
}

// subscriber holds the changes one reader has not taken yet, one per charge.
type subscriber struct {
	mu      sync.Mutex
	order   []int64
	pending map[int64]Change
	wake    chan struct{}
	out     chan Change
}

func (f *feed) subscribe(ctx context.Context) <-chan Change {
	s := &subscriber{pending: map[int64]Change{}, wake: make(chan struct{}, 1), out: make(chan Change)}
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
			empty := len(f.subs) == 0
			f.mu.Unlock()
			close(s.out)
			if empty && f.idle != nil {
				f.idle()
			}
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

// count returns how many subscribers there are.
func (f *feed) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

func (s *subscriber) push(c Change) {
	s.mu.Lock()
	if p, ok := s.pending[c.ChargeID]; !ok {
		s.order = append(s.order, c.ChargeID)
		s.pending[c.ChargeID] = c
	} else if c.Version > p.Version {
		s.pending[c.ChargeID] = c
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
	c := s.pending[id]
	delete(s.pending, id)
	return c, true
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
