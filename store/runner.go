package store

import "sync"

// runner is the life of one of a DB's background goroutines (the
// committers, the inbox's applier, the refusals' writer): started at most
// once, on first use, and stopped once, at Close, which waits for it to
// return. Its fields are guarded by its owner's mutex.
type runner struct {
	started bool
	closed  bool
	stopped chan struct{} // closed by halt: the goroutine is to return
	done    chan struct{} // closed as the goroutine returns
}

func newRunner() runner { return runner{stopped: make(chan struct{}), done: make(chan struct{})} }

// start runs fn in a goroutine unless r has started or is closed. The
// owner's mutex is held.
func (r *runner) start(fn func()) {
	if r.started || r.closed {
		return
	}
	r.started = true
	go func() {
		defer close(r.done)
		fn()
	}()
}

// halt closes r and, if its goroutine runs, tells it to stop and waits for
// it. It reports whether this call closed r, and whether a goroutine had
// started. mu is the owner's mutex, not held.
func (r *runner) halt(mu *sync.Mutex) (first, ran bool) {
	mu.Lock()
	wasClosed, started := r.closed, r.started
	r.closed = true
	mu.Unlock()
	if wasClosed {
		return false, started
	}
	if started {
		close(r.stopped)
		<-r.done
	}
	return true, started
}
