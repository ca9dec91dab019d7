package store

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

// TestWebhookLoad finds the highest constant rate of webhook deliveries the
// real receiver (psp.WebhookHandler over this store) holds with p99 under
// 1 s and no errors, on SQLite (synchronous=FULL) and on PostgreSQL (fsync
// on), and compares it with a bare net/http handler measured in the same
// run. It takes about two minutes, so it runs only when asked (docs/load.md):
//
//	PIXDESK_LOAD=1 go test -run '^TestWebhookLoad$' -v -timeout 10m ./store/
//
// PIXDESK_LOAD_PG=off leaves PostgreSQL out; a postgres:// DSN names an
// empty database to use instead of a throwaway durable server.
// PIXDESK_LOAD_SINGLE=1 also measures one commit per delivery (no group
// commit). PIXDESK_LOAD_STEP sets how long each rate is held (default 3s).
func TestWebhookLoad(t *testing.T) {
	if os.Getenv("PIXDESK_LOAD") != "1" {
		t.Skip("set PIXDESK_LOAD=1 to run the webhook load measurement (about two minutes)")
	}
	step := 3 * time.Second
	if s := os.Getenv("PIXDESK_LOAD_STEP"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 500*time.Millisecond {
			t.Fatalf("PIXDESK_LOAD_STEP=%q: want a duration ≥ 500ms", s)
		}
		step = d
	}
	l := &loadRun{t: t, step: step, budget: 12 * step}
	bare := l.search("bare net/http handler", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}), nil, 1000)
	start := max(50, bare.rate/64)

	single := os.Getenv("PIXDESK_LOAD_SINGLE") == "1"
	results := []loadResult{bare.loadResult}
	sqlitePath := func() string { return filepath.Join(t.TempDir(), "load.db") }
	results = append(results, l.receiver("receiver, SQLite synchronous=FULL, inbox", sqlitePath(), modeInbox, start))
	results = append(results, l.receiver("receiver, SQLite, applied before the answer", sqlitePath(), modeDirect, start))
	if single {
		results = append(results, l.receiver("receiver, SQLite, one commit per delivery", sqlitePath(), modeSingle, start))
	}
	switch pg := os.Getenv("PIXDESK_LOAD_PG"); {
	case pg == "off":
	case strings.HasPrefix(pg, "postgres"):
		results = append(results, l.receiver("receiver, PostgreSQL (given), inbox", pg, modeInbox, start))
	default:
		srv, err := pgtest.LaunchDurable()
		if err != nil {
			t.Logf("PostgreSQL left out: %v", err)
			break
		}
		defer srv.Stop()
		dsn := func() string {
			d, err := srv.CreateDatabase(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		results = append(results, l.receiver("receiver, PostgreSQL fsync=on, inbox", dsn(), modeInbox, start))
		results = append(results, l.receiver("receiver, PostgreSQL, applied before the answer", dsn(), modeDirect, start))
		if single {
			results = append(results, l.receiver("receiver, PostgreSQL, one commit per delivery", dsn(), modeSingle, start))
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "\n%-50s %9s %7s %9s %9s %7s\n", "target", "rate/s", "ratio", "p50", "p99", "batch")
	for _, r := range results {
		batch := "-"
		if r.batch > 0 {
			batch = strconv.FormatFloat(r.batch, 'f', 1, 64)
		}
		fmt.Fprintf(&b, "%-50s %9.0f %6.1f%% %9s %9s %7s\n", r.name, r.rate, 100*r.rate/bare.rate,
			r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), batch)
	}
	t.Log(b.String())
}

// loadRun holds what the targets of one run share.
type loadRun struct {
	t      *testing.T
	step   time.Duration // how long each rate is held
	budget time.Duration // the most one target's search may take
}

// loadResult is the highest rate a target held, with its latencies there.
type loadResult struct {
	name     string
	rate     float64
	p50, p99 time.Duration
	batch    float64 // mean deliveries per committed batch at that rate
}

// stepResult is one rate held for one step.
type stepResult struct {
	rate       float64
	sent, fail int
	firstErr   string
	p50, p99   time.Duration
	// growth is how much later the last third of the step was answered than
	// the first third (medians): a server falling behind builds a backlog
	// that grows through the step, however short the step.
	growth time.Duration
}

// maxGrowth is the backlog growth a held rate may show over one step.
const maxGrowth = 100 * time.Millisecond

// ok reports whether the rate was held: no errors, p99 under 1 s, and no
// growing backlog.
func (s stepResult) ok() bool { return s.fail == 0 && s.p99 < time.Second && s.growth < maxGrowth }

const loadKey = psp.Secret("load-test-key")

// Receiver modes of the load test: what serve does (the inbox: answered
// once durable, applied after), the delivery applied before its answer
// (Receive, group commit), and one commit per delivery.
const (
	modeInbox = iota
	modeDirect
	modeSingle
)

// acceptSink records deliveries as serve's engine does, with Accept.
type acceptSink struct{ db *DB }

func (s acceptSink) RecordDelivery(ctx context.Context, d *psp.Delivery) error {
	return s.db.Accept(ctx, d)
}

// receiver measures psp.WebhookHandler over a store at dsn seeded with
// AWAITING charges, its sink as mode says.
func (l *loadRun) receiver(name, dsn string, mode int, start float64) loadResult {
	t := l.t
	ctx := context.Background()
	db, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.singleCommits = mode == modeSingle
	var batches, batched atomic.Int64
	db.onBatch = func(n int) {
		batches.Add(1)
		batched.Add(int64(n))
	}
	const rows = 100_000
	t0 := time.Now()
	awaiting := psp.StatusAwaitingPayment
	bulkLoad(t, db, 0, rows, &awaiting)
	if db.postgres {
		if _, err := db.sql.Exec("ANALYZE"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%s: %d AWAITING charges loaded in %s", name, rows, time.Since(t0).Round(time.Millisecond))

	// Nine requests in ten are a charge's CASHIN_PAID, the tenth a
	// duplicate of an earlier one (ConnectPSP retrying); charges seeded are
	// reused, as duplicates, only if a run outlasts them.
	var fresh, n atomic.Int64
	body := func() []byte {
		row := int(fresh.Load())
		if i := n.Add(1); i%10 != 0 || row == 0 {
			row = int(fresh.Add(1) - 1)
		} else {
			row = int(i*7919) % row
		}
		return benchDelivery(row % rows).Body
	}
	var sink psp.WebhookSink = db
	if mode == modeInbox {
		sink = acceptSink{db}
	}
	h := &psp.WebhookHandler{Key: loadKey, Sink: sink}
	r := l.search(name, h, body, start)
	if mode == modeInbox {
		t0 := time.Now()
		for inboxRows(t, db) > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("%s: the inbox was applied %s after the search", name, time.Since(t0).Round(100*time.Millisecond))
	}

	var kept int64
	if err := db.sql.QueryRow("SELECT COUNT(*) FROM deliveries").Scan(&kept); err != nil {
		t.Fatal(err)
	}
	if kept < r.answered200 {
		t.Errorf("%s: %d deliveries answered 200 but %d kept", name, r.answered200, kept)
	}
	res := r.loadResult
	if b := batches.Load(); b > 0 {
		res.batch = float64(batched.Load()) / float64(b)
	}
	return res
}

// inboxRows counts what db's inbox holds.
func inboxRows(t *testing.T, db *DB) int {
	t.Helper()
	n, err := db.InboxDepth(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// searched is a search's result and how many requests were answered 200.
type searched struct {
	loadResult
	answered200 int64
}

// search serves h on loopback and finds the highest rate it holds: the rate
// doubles from start until a step fails, then grows by 1.25 from the last
// rate held until one fails again, within the run's budget. body makes each
// request's body (nil: a genuine CASHIN_PAID of a changing charge).
func (l *loadRun) search(name string, h http.Handler, body func() []byte, start float64) searched {
	t := l.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	go srv.Serve(ln)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 512,
		IdleConnTimeout: time.Minute, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	if body == nil {
		var i atomic.Int64
		body = func() []byte { return benchDelivery(int(i.Add(1) % 100_000)).Body }
	}
	url := "http://" + ln.Addr().String() + "/webhook"

	var (
		best     searched
		answered atomic.Int64
	)
	began := time.Now()
	try := func(rate float64) bool {
		if time.Since(began)+l.step > l.budget {
			return false
		}
		s := l.hold(client, url, body, rate, &answered)
		verdict := "held"
		if !s.ok() {
			verdict = "NOT held"
		}
		t.Logf("%s: %7.0f/s sent %6d failed %5d p50 %9s p99 %9s growth %9s %s %s", name, rate, s.sent, s.fail,
			s.p50.Round(10*time.Microsecond), s.p99.Round(10*time.Microsecond), s.growth.Round(10*time.Microsecond),
			verdict, s.firstErr)
		if s.ok() {
			best.loadResult = loadResult{name: name, rate: rate, p50: s.p50, p99: s.p99}
		}
		return s.ok()
	}
	rate := start
	for try(rate) {
		rate *= 2
	}
	if best.rate > 0 {
		for rate = best.rate * 1.25; rate < 2*best.rate*0.99 && try(rate); rate *= 1.25 {
		}
	}
	best.name, best.answered200 = name, answered.Load()
	return best
}

// hold sends requests at rate for one step, open loop: each at its
// scheduled time whether or not earlier ones were answered, each timed
// from that scheduled time, so a server falling behind shows in the
// latencies rather than slowing the sender.
func (l *loadRun) hold(client *http.Client, url string, body func() []byte, rate float64, answered *atomic.Int64) stepResult {
	total := int(rate * l.step.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	lat := make([]time.Duration, total)
	var (
		wg       sync.WaitGroup
		fail     atomic.Int64
		errOnce  sync.Once
		firstErr string
	)
	failed := func(msg string) {
		fail.Add(1)
		errOnce.Do(func() { firstErr = msg })
	}
	start := time.Now()
	for i := 0; i < total; {
		due := min(total, int(time.Since(start)/interval)+1)
		for ; i < due; i++ {
			i, at := i, start.Add(time.Duration(i)*interval)
			wg.Go(func() {
				b := body()
				req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(b)))
				if err != nil {
					failed(err.Error())
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(psp.HeaderSignature, psp.Sign(b, loadKey))
				req.Header.Set(psp.HeaderEventID, "load-"+strconv.Itoa(i)+"-"+strconv.FormatInt(at.UnixNano(), 36))
				resp, err := client.Do(req)
				lat[i] = time.Since(at)
				if err != nil {
					failed(err.Error())
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(at)
				if resp.StatusCode != http.StatusOK {
					failed(resp.Status)
					return
				}
				answered.Add(1)
			})
		}
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
	}
	wg.Wait()
	median := func(ds []time.Duration) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	third := max(1, total/3)
	growth := median(lat[total-third:]) - median(lat[:third])
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	return stepResult{rate: rate, sent: total, fail: int(fail.Load()), firstErr: firstErr,
		p50: pct(0.50), p99: pct(0.99), growth: growth}
}
