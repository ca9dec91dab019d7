package store

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

func TestPostgresFeedCatchesUpAfterReconnect(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := postgresOpener.open(t)
	// The listener's second connection waits until the test has written
	// while nobody listened.
	sessions, release := 0, make(chan struct{})
	db.beforeListen = func() {
		if sessions++; sessions == 2 {
			<-release
		}
	}
	caughtUp := make(chan struct{})
	var once sync.Once
	db.feedMoved = func(string) { once.Do(func() { close(caughtUp) }) }
	ch := db.Subscribe(ctx)
	<-caughtUp // c1 comes by notification only, after the first position
	c1, _ := newCharge(t, db)
	recv(t, ch, func(c Change) bool { return c.ChargeID == c1.ID && c.Version == c1.Version })

	var killed int
	err := db.sql.QueryRowContext(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, listenerApp).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listeners, %v", killed, err)
	}
	c2, _ := newCharge(t, db)
	c3, _ := newCharge(t, db)
	close(release)
	seen := map[int64]bool{}
	recv(t, ch, func(c Change) bool {
		if c.ChargeID == c1.ID {
			// The catch-up returns it (the position has not moved past
			// it), but it was relayed already.
			t.Fatalf("change %+v relayed before the reconnect announced again", c)
		}
		seen[c.ChargeID] = true
		return seen[c2.ID] && seen[c3.ID]
	})
	// And the new connection relays notifications again.
	c4, _ := newCharge(t, db)
	recv(t, ch, func(c Change) bool { return c.ChargeID == c4.ID })
}

// TestHelperProcess is the child of TestSQLiteSurvivesKill: it writes
// charges until killed, printing each id once CreateIntent has returned.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv("PIXDESK_CRASH_DB")
	if path == "" {
		return
	}
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		c, err := db.CreateIntent(ctx, NewCharge{Terminal: "C01", Amount: 100, Payer: psp.Payer{Name: "Crash Test"},
			ExternalReference: fmt.Sprintf("crash-%s-%d", os.Getenv("PIXDESK_CRASH_ROUND"), i)})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(c.ID)
	}
}

func TestSQLiteSurvivesKill(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crash.db")
	var acked []int64
	for round := range 5 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "PIXDESK_CRASH_DB="+path, "PIXDESK_CRASH_ROUND="+strconv.Itoa(round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines, killAt := bufio.NewScanner(out), 20+round*7
		for n := 0; lines.Scan(); n++ {
			if n == killAt {
				cmd.Process.Kill() // SIGKILL, mid-write
			}
			// Only whole lines are acknowledgements; a cut line has no newline.
			if id, err := strconv.ParseInt(lines.Text(), 10, 64); err == nil {
				acked = append(acked, id)
			}
		}
		err = cmd.Wait()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
			t.Fatalf("round %d: child ended with %v, not killed; stderr: %s", round, err, stderr.String())
		}
	}
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range acked {
		if _, err := db.Get(context.Background(), id); err != nil {
			t.Fatalf("acknowledged charge %d lost: %v", id, err)
		}
	}
	var check string
	if err := db.sql.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	t.Logf("%d acknowledged charges over 5 kills, all present", len(acked))
}

func TestSQLitePragmasOnEveryConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := sqliteOpener.open(t)
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 4 {
		c, err := db.sql.Conn(ctx) // four distinct pooled connections, held at once
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "2", "foreign_keys": "1", "busy_timeout": "10000"} {
			var got string
			if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
				t.Errorf("PRAGMA %s = %q, %v; want %q", pragma, got, err, want)
			}
		}
	}
}

func TestSQLiteFileModes(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_DATA_HOME", dir)
	p, err := DefaultPath()
	if err != nil || p != filepath.Join(dir, "pixdesk", "pixdesk.db") {
		t.Fatalf("DefaultPath = %q, %v", p, err)
	}
	db, err := Open(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Describe() != "sqlite "+p {
		t.Fatalf("Describe = %q", db.Describe())
	}
	for path, want := range map[string]os.FileMode{filepath.Dir(p): 0o700 | os.ModeDir, p: 0o600} {
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v, %v; want %v", path, fi.Mode(), err, want)
		}
	}
}

func TestSearchPlansUseIndexes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := sqliteOpener.open(t)
	cs, is := searchFixture(t, db)
	day := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		q     Query
		index string
	}{
		{Query{Text: is[0].code}, "charges_internal_code"},
		{Query{Text: is[0].tx}, "charges_transaction_id"},
		{Query{Text: "123.456.789-09"}, "charges_document"},
		{Query{Text: is[0].e2e}, "charges_end_to_end"},
		{Query{Text: cs[0].ExternalReference}, "charges_reference"},
		{Query{Text: "maria c"}, "SCAN charge_names VIRTUAL TABLE"},
		{Query{Statuses: []psp.Status{psp.StatusPaid}, From: day, To: day.Add(24 * time.Hour)}, "charges_status_created"},
		{Query{Terminal: "C01"}, "charges_terminal_created"},
		{Query{}, "charges_created"},
	} {
		q, args, err := db.searchSQL(ctx, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		plan := explain(t, db, q, args)
		if !strings.Contains(plan, tt.index) || strings.Contains(plan, "SCAN charges\n") {
			t.Errorf("%+v: plan does not use %s:\n%s", tt.q, tt.index, plan)
		}
	}
}

func explain(t testing.TB, db *DB, q string, args []any) string {
	rows, err := db.sql.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}

// The queries a console runs at start and the poller runs on every rescan
// walk the open-charge index, not a terminal's whole history.
func TestOpenChargePlansUseIndexes(t *testing.T) {
	t.Parallel()
	db := sqliteOpener.open(t)
	for _, tt := range []struct {
		q     string
		args  []any
		index string
	}{
		{"SELECT id FROM charges WHERE status = ? AND terminal = ? ORDER BY created_at DESC, id DESC LIMIT 1",
			[]any{string(psp.StatusAwaitingPayment), "C01"}, "charges_status_terminal"},
		{"SELECT id FROM charges WHERE status = ? AND terminal = ? ORDER BY created_at, id",
			[]any{string(psp.StatusAwaitingPayment), "C01"}, "charges_status_terminal"},
		{"SELECT id FROM charges WHERE stage = ? AND terminal = ? ORDER BY created_at DESC, id DESC LIMIT 1",
			[]any{string(StagePending), "C01"}, "charges_stage_terminal"},
	} {
		if plan := explain(t, db, tt.q, tt.args); !strings.Contains(plan, tt.index) {
			t.Errorf("%s: plan does not use %s:\n%s", tt.q, tt.index, plan)
		}
	}
}
