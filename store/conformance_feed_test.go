package store

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// testFeedOtherWriter: a subscriber hears what another DB on the same
// journal commits (on SQLite, another process in effect: the two share
// only the file), and what its own DB commits exactly once; each change
// names the charge's counter and says whether it is still open.
func testFeedOtherWriter(t *testing.T, o *opener) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dsn := o.fresh(t)
	display, counter := o.reopen(t, dsn), o.reopen(t, dsn)
	ch := display.Subscribe(ctx)
	other := display.Subscribe(ctx) // a second display on the same DB

	c, id := newCharge(t, counter)
	paid, _, err := counter.Apply(ctx, answer(c, id, psp.StatusPaid), EntryWebhook, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []<-chan Change{ch, other} {
		got := recv(t, sub, func(ch Change) bool { return ch.ChargeID == c.ID && ch.Version == paid.Version })
		if want := (Change{ChargeID: c.ID, Version: paid.Version, Terminal: c.Terminal, Open: false}); got != want {
			t.Errorf("the paid charge's change: %+v, want %+v", got, want)
		}
	}

	// Its own write, then another DB's: the next change after the first
	// is the second, not the first again (changes come in version order).
	mine, _ := newCharge(t, display)
	recv(t, ch, func(ch Change) bool { return ch.ChargeID == mine.ID && ch.Version == mine.Version })
	theirs, _ := newCharge(t, counter)
	recv(t, ch, func(got Change) bool {
		if got.ChargeID == mine.ID {
			t.Fatalf("own change %+v announced twice", got)
		}
		if got.ChargeID == theirs.ID && (got.Terminal != theirs.Terminal || !got.Open || !theirs.Open()) {
			t.Errorf("an open charge's change: %+v (the charge: %s %s at %s)", got, theirs.Stage, theirs.Status, theirs.Terminal)
		}
		return got.ChargeID == theirs.ID && got.Version == theirs.Version
	})
}

// testFeedStopsWhenIdle: on SQLite the watch runs only while someone is
// subscribed, and a later subscriber starts it again from that moment.
func testFeedStopsWhenIdle(t *testing.T, o *opener) {
	if o != sqliteOpener {
		t.Skip("PostgreSQL's listener is one connection for the DB's life")
	}
	dsn := o.fresh(t)
	display, counter := o.reopen(t, dsn), o.reopen(t, dsn)
	running := func() bool {
		display.watch.mu.Lock()
		defer display.watch.mu.Unlock()
		return display.watch.stop != nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := display.Subscribe(ctx)
	if !running() {
		t.Fatal("no watch after Subscribe")
	}
	cancel()
	for range ch {
	}
	deadline := time.Now().Add(30 * time.Second) // a hang guard
	for running() {
		if time.Now().After(deadline) {
			t.Fatal("watch still running with nobody subscribed")
		}
		time.Sleep(time.Millisecond)
	}
	before, _ := newCharge(t, counter)

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	ch = display.Subscribe(ctx)
	after, _ := newCharge(t, counter)
	recv(t, ch, func(c Change) bool {
		if c.ChargeID == before.ID {
			t.Fatalf("change %+v from before Subscribe announced", c)
		}
		return c.ChargeID == after.ID
	})
}

// TestSQLiteFeedSeesOtherProcess: another process (TestHelperProcess)
// writes charges to the file; a subscriber here hears each of them.
func TestSQLiteFeedSeesOtherProcess(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "shared.db")
	db := sqliteOpener.reopen(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := db.Subscribe(ctx)

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PIXDESK_CRASH_DB="+path, "PIXDESK_CRASH_ROUND=feed")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	written := map[int64]bool{}
	for len(written) < 20 && lines.Scan() {
		if id, err := strconv.ParseInt(lines.Text(), 10, 64); err == nil {
			written[id] = true
		}
	}
	seen := map[int64]bool{}
	recv(t, ch, func(c Change) bool {
		seen[c.ChargeID] = true
		for id := range written {
			if !seen[id] {
				return false
			}
		}
		return true
	})
}
