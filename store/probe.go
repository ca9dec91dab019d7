package store

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// probeTimeout bounds one write probe, whoever waits for it.
const probeTimeout = 10 * time.Second

// prober shares one write probe among the callers that arrive while it runs.
type prober struct {
	mu     sync.Mutex
	flight *probeFlight
}

type probeFlight struct {
	done chan struct{}
	err  error
}

// Probe checks that the journal can be written, not only read: it upserts
// one row of the heartbeat table in a write transaction and commits it. A
// database that is locked by another writer, full, read-only or gone
// fails it. It returns when the probe does or when ctx ends, whichever is
// first; a probe still running (a lock held elsewhere) is shared by the
// callers that come meanwhile, so a health checker polling a stuck journal
// starts one probe at a time.
func (db *DB) Probe(ctx context.Context) error {
	p := &db.probe
	p.mu.Lock()
	f := p.flight
	if f == nil {
		f = &probeFlight{done: make(chan struct{})}
		p.flight = f
		go func() {
			pctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
			defer cancel()
			f.err = db.write(pctx, func(t *txn) error {
				_, err := t.exec(`INSERT INTO heartbeat (name, at) VALUES ('probe', ?)
					ON CONFLICT (name) DO UPDATE SET at = excluded.at`, micro(t.now))
				return err
			})
			p.mu.Lock()
			p.flight = nil
			p.mu.Unlock()
			close(f.done)
		}()
	}
	p.mu.Unlock()
	select {
	case <-f.done:
		if f.err != nil {
			return fmt.Errorf("store: not writable: %w", f.err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("store: not writable: no write within the deadline: %w", ctx.Err())
	}
}
