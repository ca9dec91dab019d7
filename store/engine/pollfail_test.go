package engine

import (
	"context"
	"log/slog"
	"math/bits"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
)

// lines counts a logger's records by message.
type lines struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *lines) WithGroup(string) slog.Handler            { return l }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.n[r.Message]++
	l.mu.Unlock()
	return nil
}

func (l *lines) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[msg]
}

// TestFailedPollsBackOff: while ConnectPSP fails, each next poll of a
// charge waits at least twice as long as the one before (ResumeBase
// doubling, less its jitter of a fifth), and not every failure is a log
// line; the first answer puts the charge back on its schedule. Both the
// engine's own schedule and the shared one (leases) back off. The gaps
// are lower bounds, which a slow machine only widens.
func TestFailedPollsBackOff(t *testing.T) {
	for _, leased := range []bool{false, true} {
		name := map[bool]string{false: "own-schedule", true: "leased"}[leased]
		t.Run(name, func(t *testing.T) {
			f := setup(t)
			f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
			cfg := f.config()
			if leased {
				cfg = f.leased(f.db, "backoff-test", time.Second)
			}
			const base = 10 * time.Millisecond
			cfg.PollFast, cfg.PollSlow, cfg.ResumeBase, cfg.ResumeCap = base, base, base, 2*time.Second
			logged := &lines{n: map[string]int{}}
			cfg.Logger = slog.New(logged)
			var (
				mu    sync.Mutex
				fails []time.Time
				id    int64
			)
			cfg.Notify = func(n Notice) {
				f.notices.add(n)
				mu.Lock()
				if n.Kind == NoticePoll && n.Err != nil && n.ChargeID == id {
					fails = append(fails, time.Now())
				}
				mu.Unlock()
			}
			counter := New(f.config()) // creates the charge; does not run
			ch := f.create(counter, Input{})
			mu.Lock()
			id = ch.ID
			mu.Unlock()
			e := New(cfg)
			f.run(e) // waits for a health check that succeeds
			f.sb.SetFaults(sandbox.Faults{FailNext: 1 << 30})
			if !leased {
				e.Track(ch.ID)
			}
			const want = 7
			waitFor(t, "failed polls", func() bool { mu.Lock(); defer mu.Unlock(); return len(fails) >= want })
			mu.Lock()
			got := append([]time.Time(nil), fails[:want]...)
			mu.Unlock()
			for k := 1; k < want; k++ {
				gap, least := got[k].Sub(got[k-1]), base<<(k-1)*4/5
				if gap < least {
					t.Errorf("poll %d came %v after failure %d: want at least %v", k+1, gap, k, least)
				}
			}

			f.sb.SetFaults(sandbox.Faults{})
			if _, err := f.sb.Pay(ch.TransactionID, 0); err != nil {
				t.Fatal(err)
			}
			f.waitStatus(ch.ID, psp.StatusPaid)
			mu.Lock()
			n := len(fails)
			mu.Unlock()
			if l := logged.count("poll: failed"); l != bits.Len(uint(n)) {
				t.Errorf("%d failed polls made %d log lines: want %d (the first, then at each power of two)", n, l, bits.Len(uint(n)))
			}
			if l := logged.count("poll: ConnectPSP answered again"); l != 1 {
				t.Errorf("%d lines say ConnectPSP answered again: want 1", l)
			}
			e.mu.Lock()
			left := len(e.pollFails)
			e.mu.Unlock()
			if left != 0 {
				t.Errorf("%d failure counts kept after the charge was paid", left)
			}
			for m, c := range logged.n {
				if strings.Contains(m, "poll") && c > 2*bits.Len(uint(n))+2 {
					t.Errorf("%q logged %d times for %d failed polls", m, c, n)
				}
			}
		})
	}
}
