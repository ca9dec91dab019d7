package engine

import (
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
)

func TestPollNow(t *testing.T) {
	f := setup(t)
	f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	cfg := f.config()
	cfg.PollFast, cfg.PollSlow = time.Hour, time.Hour // only PollNow polls
	e := New(cfg)
	f.run(e)
	ch := f.create(e, Input{})
	if _, err := f.sb.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	e.PollNow(ch.ID)
	f.waitStatus(ch.ID, psp.StatusPaid)
	waitFor(t, "charge to leave the schedule", func() bool { return e.Health().Pending == 0 })

	// The refresh key works on a charge that is no longer polled, too.
	before := polls(f)
	e.PollNow(ch.ID)
	waitFor(t, "forced poll", func() bool { return polls(f) == before+1 && e.Health().Pending == 0 })
}

func TestFailedPollsMarkUnreachable(t *testing.T) {
	f := setup(t)
	f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	e := New(f.config())
	f.run(e)
	ch := f.create(e, Input{})
	f.sb.SetFaults(sandbox.Faults{FailNext: 1 << 30})
	waitFor(t, "unreachable", func() bool { h := e.Health(); return !h.Reachable && h.LastErr != "" })
	// A health ping may fail before the poll does: wait for each notice.
	waitFor(t, "a failed-poll notice", func() bool {
		return f.notices.has(func(n Notice) bool { return n.Kind == NoticePoll && n.ChargeID == ch.ID && n.Err != nil })
	})
	waitFor(t, "a health notice", func() bool {
		return f.notices.has(func(n Notice) bool { return n.Kind == NoticeHealth && n.Err != nil })
	})
	if e.Health().Pending != 1 {
		t.Error("a failed poll dropped the charge from the schedule")
	}
	f.sb.SetFaults(sandbox.Faults{})
	if _, err := f.sb.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	f.waitStatus(ch.ID, psp.StatusPaid)
	waitFor(t, "reachable again", func() bool { return e.Health().Reachable })
}

// In serve mode the engine polls charges other counters create in the
// shared journal; a counter's engine polls only its own.
func TestPollAll(t *testing.T) {
	f := setup(t)
	f.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	cfg := f.config()
	cfg.Terminal, cfg.PollAll = "SERVE", true
	serve := New(cfg)
	f.run(serve)
	own := New(f.config()) // terminal T1
	f.run(own)

	cfg = f.config()
	cfg.Terminal = "T2"
	counter := New(cfg) // not running: it only creates
	ch := f.create(counter, Input{})
	waitFor(t, "serve engine to pick the charge up", func() bool { return serve.Health().Pending == 1 })
	if _, err := f.sb.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	f.waitStatus(ch.ID, psp.StatusPaid)
	if own.Health().Pending != 0 {
		t.Error("terminal T1's engine polls T2's charge")
	}
}

func TestBackoff(t *testing.T) {
	e := New(Config{ResumeBase: time.Second, ResumeCap: 8 * time.Second})
	for attempt, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second, 8 * time.Second} {
		for range 50 {
			got := e.backoff(attempt)
			if got < want*8/10 || got > want*12/10 {
				t.Fatalf("backoff(%d) = %v, want %v ± 20%%", attempt, got, want)
			}
		}
	}
	if got := e.backoff(1000); got > 8*time.Second*12/10 {
		t.Errorf("backoff(1000) = %v", got)
	}
}

func TestNextPoll(t *testing.T) {
	clk := newClock()
	e := New(Config{Now: clk.Now})
	created := clk.Now()
	ch := chargeAt(created, created.Add(5*time.Minute))
	for _, tc := range []struct {
		at   time.Duration // since creation
		want time.Duration // until the next poll
	}{
		{0, DefaultPollFast},
		{59 * time.Second, DefaultPollFast},
		{time.Minute, DefaultPollSlow},
		{5*time.Minute - 5*time.Second, 5 * time.Second}, // capped at the expiry
		{5 * time.Minute, DefaultPollFast},               // past it: fast until final
		{time.Hour, DefaultPollFast},
	} {
		clk.t = created.Add(tc.at)
		_, due, keep := e.nextPoll(ch)
		if !keep || due.Sub(clk.Now()) != tc.want {
			t.Errorf("at +%v: next in %v (keep %v), want %v", tc.at, due.Sub(clk.Now()), keep, tc.want)
		}
	}
	ch.Status = psp.StatusPaid
	if _, _, keep := e.nextPoll(ch); keep {
		t.Error("a paid charge stays in the schedule")
	}
}
