package engine

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// Sizes of TestForgedFlood.
const (
	floodDeliveries      = 10_000
	floodShortDeliveries = 1_000
	floodWorkers         = 32
	// floodDeadline is ConnectPSP's: a genuine delivery not answered 200
	// within it is retried.
	floodDeadline = 5 * time.Second
	// floodGrowthBound is far above what the sample may hold and far below
	// what one refused body per row would take (10,000 × 64 KiB = 640 MiB).
	floodGrowthBound = 4 << 20
	// floodLogBound bounds the log the flood may cause.
	floodLogBound = 256 << 10
)

// countingWriter counts the bytes written to it.
type countingWriter struct{ n atomic.Int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n.Add(int64(len(p))); return len(p), nil }

// TestForgedFlood sends 10,000 unsigned deliveries of 64 KiB (1,000 with
// -short or the race detector), each naming a real charge by its order
// reference, transactionId or internal code, with a wrong, missing or malformed signature and an
// X-Event-Id of up to 8 KiB, from 32 keep-alive clients, while one client
// sends a genuine CASHIN_PAID for each of 50 charges spread over the flood.
// It checks that every forged delivery is answered 401 and counted, that
// the journal grew by no more than the refused-delivery sample's bounds
// allow (file size, checkpointed, before and after), that no charge a
// forged delivery named changed — flags, timeline, version — and the change
// feed announced only the genuine payments, that each genuine delivery
// was answered 200 within ConnectPSP's 5 s, and that the log stayed small.
func TestForgedFlood(t *testing.T) {
	total := floodDeliveries
	if testing.Short() || raceDetector {
		total = floodShortDeliveries
	}
	t.Logf("%d deliveries", total)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0xf100d))
	f := setup(t)
	cfg := f.config()
	logged := &countingWriter{}
	cfg.Logger = slog.New(slog.NewTextHandler(logged, nil))
	e := New(cfg) // no Run: only webhooks move the charges
	_, url := f.listen(e)
	key := cfg.WebhookKey

	charges := seedStormCharges(t, f, rng)
	var payees []*stormCharge // the genuine payments during the flood
	type snapshot struct {
		version int64
		flags   store.Flag
		entries int
	}
	before := map[int64]snapshot{}
	for _, c := range charges {
		if c.group == groupPaid {
			payees = append(payees, c)
		}
		ch := f.get(c.id)
		tl, err := f.db.Timeline(f.ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		before[c.id] = snapshot{ch.Version, ch.Flags, len(tl)}
	}
	changes := map[int64]int{}
	var changesMu sync.Mutex
	feedCtx, stopFeed := context.WithCancel(f.ctx)
	feed := f.db.Subscribe(feedCtx)
	feedDone := make(chan struct{})
	go func() {
		defer close(feedDone)
		for c := range feed {
			changesMu.Lock()
			changes[c.ChargeID]++
			changesMu.Unlock()
		}
	}()
	raw, err := sql.Open("sqlite", "file:"+f.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	size0 := journalSize(t, raw, f.dbPath)

	tr := &http.Transport{MaxIdleConns: 2 * floodWorkers, MaxIdleConnsPerHost: 2 * floodWorkers, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: stormClientTimeout}
	now := time.Now().UTC().Truncate(time.Second)

	var sent atomic.Int64
	next := make(chan int)
	go func() {
		for i := range total {
			next <- i
		}
		close(next)
	}()
	var (
		wg        sync.WaitGroup
		wrong     atomic.Int64
		firstErr  atomic.Value
		forgedLat = make([]time.Duration, total)
	)
	start := time.Now()
	for w := range floodWorkers {
		wg.Add(1)
		wrng := rand.New(rand.NewPCG(rng.Uint64(), uint64(w)))
		go func() {
			defer wg.Done()
			for i := range next {
				j := forgedFloodJob(wrng, charges[wrng.IntN(len(charges))], key, now)
				j.send(client, url)
				forgedLat[i] = j.latency
				sent.Add(1)
				if j.err != nil || j.got != http.StatusUnauthorized {
					wrong.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("forged delivery %d: status %d, %v", i, j.got, j.err))
				}
			}
		}()
	}
	// The genuine payments, spread over the flood, each with ConnectPSP's
	// deadline.
	genuineClient := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: floodDeadline}
	genuine := make([]*stormJob, len(payees))
	for k, c := range payees {
		for sent.Load() < int64((k+1)*total/(len(payees)+1)) {
			time.Sleep(time.Millisecond)
		}
		j := &stormJob{kind: kindGenuine, method: http.MethodPost, body: c.paidBody, eventID: newEventID(rng)}
		j.sig = psp.Sign(j.body, key)
		j.send(genuineClient, url)
		genuine[k] = j
	}
	wg.Wait()
	elapsed := time.Since(start)
	tr.CloseIdleConnections()

	// Answers.
	if n := wrong.Load(); n > 0 {
		t.Errorf("%d of %d forged deliveries not answered 401; first: %v", n, total, firstErr.Load())
	}
	var glat []time.Duration
	for k, j := range genuine {
		glat = append(glat, j.latency)
		if j.err != nil || j.got != http.StatusOK {
			t.Errorf("genuine delivery %d (charge %d): status %d after %v, %v; want 200 within %v", k, payees[k].id, j.got, j.latency, j.err, floodDeadline)
		}
	}
	slices.Sort(glat)
	slices.Sort(forgedLat)
	t.Logf("%d forged deliveries of %d KiB in %v (%.0f/s), %d workers: latency p50 %v, p99 %v", total, psp.MaxWebhookBody>>10,
		elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), floodWorkers,
		forgedLat[total/2].Round(10*time.Microsecond), forgedLat[total*99/100].Round(10*time.Microsecond))
	t.Logf("%d genuine deliveries during the flood: latency p50 %v, max %v (deadline %v)", len(glat),
		glat[len(glat)/2].Round(10*time.Microsecond), glat[len(glat)-1].Round(10*time.Microsecond), floodDeadline)

	// Counted exactly, though sampled.
	var m strings.Builder
	if err := e.WriteMetrics(&m); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("pixdesk_webhook_refused_total %d\n", total); !strings.Contains(m.String(), want) {
		t.Errorf("metrics lack %q", strings.TrimSpace(want))
	}
	if f.notices.has(func(n Notice) bool { return n.Kind == NoticeWebhook && (n.Err != nil || !paidIDs(payees)[n.ChargeID]) }) {
		t.Error("a notice for something other than a genuine payment")
	}

	// The genuine deliveries were answered once in the inbox: the feed
	// announces each payment as the applier applies it.
	waitFor(t, "every payment applied and announced", func() bool {
		changesMu.Lock()
		defer changesMu.Unlock()
		for id := range paidIDs(payees) {
			if changes[id] == 0 {
				return false
			}
		}
		return true
	})

	// The journal: its growth, then every charge.
	stopFeed()
	<-feedDone
	if err := f.db.Close(); err != nil { // writes the refusals gathered
		t.Fatal(err)
	}
	size1 := journalSize(t, raw, f.dbPath)
	t.Logf("journal %d KiB before the flood, %d KiB after: grew %d KiB (bound %d KiB); log %d KiB for %d refusals",
		size0>>10, size1>>10, (size1-size0)>>10, floodGrowthBound>>10, logged.n.Load()>>10, total)
	if size1-size0 > floodGrowthBound {
		t.Errorf("the journal grew by %d bytes, over %d", size1-size0, floodGrowthBound)
	}
	if n := logged.n.Load(); n > floodLogBound {
		t.Errorf("the flood logged %d bytes, over %d", n, floodLogBound)
	}
	f.db = f.openDB()
	var rows, stored int64
	if err := raw.QueryRow("SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM refused_deliveries").Scan(&rows, &stored); err != nil {
		t.Fatal(err)
	}
	if rows > store.RefusedMaxRows || stored > store.RefusedMaxBytes || rows == 0 {
		t.Errorf("refused sample: %d rows, %d bytes", rows, stored)
	}
	if n, err := f.db.RefusedSince(f.ctx, start.Add(-time.Minute)); err != nil || n != int64(total) {
		t.Errorf("journal counts %d refusals (%v), want %d", n, err, total)
	}
	paid := paidIDs(payees)
	for _, c := range charges {
		got, b := f.get(c.id), before[c.id]
		tl, err := f.db.Timeline(f.ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case paid[c.id]:
			if got.Status != psp.StatusPaid || got.Flags != b.flags || changes[c.id] != 1 {
				t.Errorf("paid charge %d: status %s, flags %s, %d changes announced; want PAID, %s, 1", c.id, got.Status, got.Flags, changes[c.id], b.flags)
			}
		case got.Version != b.version || got.Flags != b.flags || len(tl) != b.entries || changes[c.id] != 0:
			t.Errorf("charge %d changed under the flood: version %d→%d, flags %s→%s, %d→%d timeline entries, %d changes announced",
				c.id, b.version, got.Version, b.flags, got.Flags, b.entries, len(tl), changes[c.id])
		}
	}
	t.Logf("refused sample: %d rows, %d KiB stored", rows, stored>>10)
}

func paidIDs(cs []*stormCharge) map[int64]bool {
	m := map[int64]bool{}
	for _, c := range cs {
		m[c.id] = true
	}
	return m
}

// forgedFloodJob is one unsigned delivery of exactly psp.MaxWebhookBody
// bytes: a PAID event for c with another amount, naming it by its order
// reference, transactionId or internal code alone.
func forgedFloodJob(rng *rand.Rand, c *stormCharge, key psp.Secret, now time.Time) *stormJob {
	ev := eventFor(c, psp.EventCashInPaid, psp.StatusPaid, c.amount+1, now)
	switch rng.IntN(3) {
	case 0:
		ev.Data.TransactionID, ev.Data.InternalCode = "", ""
	case 1:
		ev.Data.InternalCode, ev.Data.ExternalReference = "", ""
	default:
		ev.Data.TransactionID, ev.Data.ExternalReference = "", ""
	}
	body := bytes.Repeat([]byte(" "), psp.MaxWebhookBody)
	copy(body, mustJSON(ev))
	j := &stormJob{kind: kindForged, method: http.MethodPost, body: body, eventID: newEventID(rng)}
	if rng.IntN(4) == 0 {
		j.eventID += strings.Repeat("-A", 4000) // 8 KiB of X-Event-Id
	}
	switch rng.IntN(3) {
	case 0:
		j.sig = psp.Sign(body, "guessed")
	case 1:
		j.noSig = true
	default:
		j.sig = "zz" + psp.Sign(body, key)[2:]
	}
	return j
}

// journalSize checkpoints the SQLite journal at path and returns the bytes
// it takes on disk, its write-ahead log included.
func journalSize(t *testing.T, raw *sql.DB, path string) int64 {
	t.Helper()
	if _, err := raw.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, p := range []string{path, path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}
