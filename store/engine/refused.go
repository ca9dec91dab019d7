package engine

import (
	"context"
	"sync"
	"time"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
)

// Refused deliveries: whatever fails verification was not sent by
// ConnectPSP. It is counted exactly (/metrics), logged at a bounded rate
// with every header clipped, and handed to the store's bounded sample,
// none of which waits for the journal's writer. No charge hears of it and
// no notice goes to the console, whose status bar shows the hourly count
// instead (Health.RefusedLastHour).

// Bounds of the refusal log.
const (
	refusalLogBurst  = 3           // lines per refusalLogWindow
	refusalLogWindow = time.Second // after which a summary says how many were not logged
)

// refusedCountEvery is how often Run reads the journal's count of the
// last hour's refusals (other processes sharing it refuse too).
const refusedCountEvery = 10 * time.Second

// refuse handles a delivery that failed verification.
func (e *Engine) refuse(d *psp.Delivery) {
	e.metrics.refused()
	kept := e.db.Refuse(d)
	if e.refusalLog.allow() {
		e.log.Warn("webhook: refused delivery: signature missing or wrong",
			"remote", safetext.Clip(d.RemoteAddr, logHeaderMax),
			"eventId", safetext.Clip(d.EventID, logHeaderMax),
			"signature", safetext.Clip(d.Signature, logHeaderMax),
			"bytes", len(d.Body), "sampled", kept)
	}
}

// logLimiter lets refusalLogBurst lines through per refusalLogWindow and
// logs, once the window is over, how many it held back.
type logLimiter struct {
	log func(held int)

	mu      sync.Mutex
	start   time.Time
	n       int
	held    int
	pending bool
}

// allow reports whether one more line may be logged now.
func (l *logLimiter) allow() bool {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.start) >= refusalLogWindow {
		l.start, l.n = now, 0
	}
	if l.n < refusalLogBurst {
		l.n++
		return true
	}
	l.held++
	if !l.pending {
		l.pending = true
		time.AfterFunc(refusalLogWindow, l.summary)
	}
	return false
}

// summary logs how many lines were held back since the last summary.
func (l *logLimiter) summary() {
	l.mu.Lock()
	held := l.held
	l.held, l.pending = 0, false
	l.mu.Unlock()
	if held > 0 && l.log != nil {
		l.log(held)
	}
}

// watchRefusals keeps Health.RefusedLastHour current from the journal.
func (e *Engine) watchRefusals(ctx context.Context) {
	t := time.NewTicker(refusedCountEvery)
	defer t.Stop()
	for {
		n, err := e.db.RefusedSince(ctx, e.now().Add(-time.Hour))
		if err == nil {
			e.mu.Lock()
			e.health.RefusedLastHour = int(n)
			e.mu.Unlock()
		} else if ctx.Err() == nil {
			e.log.Warn("engine: counting refused deliveries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
