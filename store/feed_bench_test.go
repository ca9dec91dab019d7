package store

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/store/pgtest"
)

// The change feed as a customer display sees it: one DB subscribes, another
// on the same journal (on SQLite, another process in effect) writes.
//
//	go test -run '^$' -bench Feed -benchtime 200x ./store/
//
// FeedLatency: from the writer's commit (CreateIntent returned) to the
// subscriber receiving the change; ns/op is one write and its delivery.
// Each write waits a random fraction of sqlitePollEvery first (untimed).
// FeedIdle: an idle subscriber's CPU per sqlitePollEvery (one look at the
// sequence), from getrusage; ns/op is the interval itself.

func BenchmarkFeedLatencySQLite(b *testing.B) {
	benchFeedLatency(b, filepath.Join(b.TempDir(), "feed.db"))
}

func BenchmarkFeedLatencyPostgres(b *testing.B) {
	benchFeedLatency(b, pgtest.Start(b))
}

func benchFeedLatency(b *testing.B, dsn string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	display, counter := openBench(b, dsn), openBench(b, dsn)
	ch := display.Subscribe(ctx)
	var ts timings
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Writes land anywhere in the watch's period, as a cashier's do.
		b.StopTimer()
		time.Sleep(rand.N(sqlitePollEvery))
		b.StartTimer()
		c, err := counter.CreateIntent(ctx, NewCharge{Terminal: "C01", ExternalReference: "feed-" + time.Now().Format(time.RFC3339Nano),
			Amount: 100, ExpiresInMinutes: 15})
		if err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		for got := range ch {
			if got.ChargeID == c.ID {
				break
			}
		}
		ts = append(ts, time.Since(committed))
	}
	b.StopTimer()
	ts.report(b)
}

func BenchmarkFeedIdleSQLite(b *testing.B) {
	// Without a subscriber for comparison: what an idle process with an
	// open journal costs anyway (the Go runtime, the benchmark itself).
	for _, subscribed := range []bool{false, true} {
		name := "unsubscribed"
		if subscribed {
			name = "subscribed"
		}
		b.Run(name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			db := openBench(b, filepath.Join(b.TempDir(), "feed.db"))
			if subscribed {
				db.Subscribe(ctx)
			}
			before := cpuTime(b)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				time.Sleep(sqlitePollEvery)
			}
			b.StopTimer()
			spent := cpuTime(b) - before
			b.ReportMetric(float64(spent.Microseconds())/float64(b.N), "cpu-us/look")
			b.ReportMetric(100*spent.Seconds()/(float64(b.N)*sqlitePollEvery.Seconds()), "cpu-%")
		})
	}
}

func openBench(b *testing.B, dsn string) *DB {
	db, err := Open(context.Background(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// cpuTime is the user and system CPU this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
