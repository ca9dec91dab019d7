//go:build unix

package cli

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// chainSize reads a size of the chain simulation from the environment.
func chainSize(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// chainBalancer is the chain's load balancer in front of its serve
// processes: round robin, with the time each delivery took there, and
// deliveries for the charges in lost answered 200 without being
// forwarded, as webhooks that never arrive.
type chainBalancer struct {
	rr   *roundRobin
	lost sync.Map // transactionId → struct{}

	mu      sync.Mutex
	arrived map[string]time.Time // transactionId → first delivery's arrival
	took    []time.Duration
}

func (b *chainBalancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	var body bytes.Buffer
	body.ReadFrom(r.Body)
	var ev struct {
		Data struct {
			TransactionID string `json:"transactionId"`
		} `json:"data"`
	}
	json.Unmarshal(body.Bytes(), &ev)
	if _, ok := b.lost.Load(ev.Data.TransactionID); ok {
		w.WriteHeader(http.StatusOK)
		return
	}
	b.mu.Lock()
	if _, ok := b.arrived[ev.Data.TransactionID]; !ok {
		b.arrived[ev.Data.TransactionID] = at
	}
	b.mu.Unlock()
	r.Body = http.NoBody
	req := r.Clone(r.Context())
	req.Body = readCloser{bytes.NewReader(body.Bytes())}
	b.rr.ServeHTTP(w, req)
	b.mu.Lock()
	b.took = append(b.took, time.Since(at))
	b.mu.Unlock()
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// percentile returns the q quantile of ds (sorted in place).
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[int(q*float64(len(ds)-1))]
}

// A chain simulated: shops × counters consoles (each a store client as
// openStack builds it, with its own pool and change feed) and 3 serve
// processes behind a balancer, on one PostgreSQL; charges created at the
// counters at a steady rate and paid, their webhooks through the
// balancer, a few of them lost so that only the shared polling finds
// them. Every charge must reach its own console as PAID, applied once. It
// reports the delivery's p99 at the balancer, the change feed's p99 from
// the webhook's arrival to the right console reloading the charge PAID,
// the poll lag of lost webhooks, and the PostgreSQL connections in use.
// In CI: 4 shops of 5 counters, 600 charges at 60 a second. The full
// chain (README):
//
//	PIXDESK_CHAIN_SHOPS=20 PIXDESK_CHAIN_COUNTERS=10 PIXDESK_CHAIN_CHARGES=100000 PIXDESK_CHAIN_RATE=500 \
//	  go test -run TestChain -v -timeout 30m ./internal/cli/
func TestChain(t *testing.T) {
	// Parallel with the other slow tests that build or drive the real binary:
	// much of their time is waiting on processes, so two overlap well.
	t.Parallel()
	if testing.Short() {
		t.Skip("a chain of consoles and serve processes")
	}
	var (
		shops    = chainSize(t, "PIXDESK_CHAIN_SHOPS", 4)
		counters = chainSize(t, "PIXDESK_CHAIN_COUNTERS", 5)
		charges  = chainSize(t, "PIXDESK_CHAIN_CHARGES", 600)
		rate     = chainSize(t, "PIXDESK_CHAIN_RATE", 60)
	)
	const lostEvery = 20 // one webhook in 20 never arrives
	s := newShop(t)
	// Production's polling; only the lease is short, as in the other tests.
	s.tune = func(c *engine.Config) {
		c.PollFast, c.PollSlow, c.FastWindow = engine.DefaultPollFast, engine.DefaultPollSlow, engine.DefaultFastWindow
		c.Tick, c.HealthEvery, c.PollTimeout = engine.DefaultTick, engine.DefaultHealthEvery, testLeaseTTL/3
	}
	lb := &chainBalancer{rr: &roundRobin{answered: make([]atomic.Int64, 3), client: &http.Client{Timeout: 10 * time.Second}},
		arrived: map[string]time.Time{}}
	for i := range 3 {
		lb.rr.backends = append(lb.rr.backends, s.serve(fmt.Sprintf("SERVE-%d", i)).addr)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: lb, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	hook := "http://" + ln.Addr().String() + engine.WebhookPath

	// The consoles, each told of its own charges only.
	type counter struct {
		*console
		mu   sync.Mutex
		mine map[int64]bool
		paid map[int64]time.Time // charge → when this console reloaded it PAID
	}
	var consoles []*counter
	for sh := range shops {
		for c := range counters {
			k := &counter{console: s.console(fmt.Sprintf("S%02d-C%02d", sh+1, c+1), hook, false),
				mine: map[int64]bool{}, paid: map[int64]time.Time{}}
			changes := k.db.Subscribe(s.ctx)
			go func() {
				for ch := range changes {
					k.mu.Lock()
					ok := k.mine[ch.ChargeID] && k.paid[ch.ChargeID].IsZero()
					k.mu.Unlock()
					if !ok {
						continue
					}
					if got, err := k.db.Get(s.ctx, ch.ChargeID); err == nil && got.Status == psp.StatusPaid {
						k.mu.Lock()
						k.paid[ch.ChargeID] = time.Now()
						k.mu.Unlock()
					}
				}
			}()
			consoles = append(consoles, k)
		}
	}

	// PostgreSQL's connections, sampled through the run.
	pg, err := sql.Open("pgx", s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	var maxConns, maxActive, listeners, maxLocked atomic.Int64
	var lockedOn atomic.Value // the statement most of them waited in, then
	sampling, stopSampling := context.WithCancel(s.ctx)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for sampling.Err() == nil {
			var all, active, listen, locked int64
			if err := pg.QueryRowContext(sampling, `SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'active'),
				COUNT(*) FILTER (WHERE application_name = 'pixdesk-listener'), COUNT(*) FILTER (WHERE wait_event_type = 'Lock')
				FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&all, &active, &listen, &locked); err == nil {
				maxConns.Store(max(maxConns.Load(), all))
				maxActive.Store(max(maxActive.Load(), active))
				listeners.Store(max(listeners.Load(), listen))
				if locked > maxLocked.Load() {
					maxLocked.Store(locked)
					var q string
					var n int
					if pg.QueryRowContext(sampling, `SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 100), COUNT(*)
						FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
						GROUP BY 1 ORDER BY 2 DESC LIMIT 1`).Scan(&q, &n) == nil {
						lockedOn.Store(fmt.Sprintf("%d × %s", n, q))
					}
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	// The load: charges created and paid at rate a second, open loop.
	type sale struct {
		id     int64
		tx     string
		k      *counter
		paidAt time.Time
		lost   bool
	}
	sales := make([]sale, charges)
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Bool
	for i := range charges {
		if failed.Load() {
			break
		}
		if d := time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			k := consoles[i%len(consoles)]
			ch, err := k.engine.Create(s.ctx, engine.Input{Amount: psp.Amount(1000 + i%500), Payer: testPayer})
			if err != nil || ch.Stage != store.StageCreated {
				if !failed.Swap(true) {
					t.Errorf("create: %+v, %v", ch, err)
				}
				return
			}
			k.mu.Lock()
			k.mine[ch.ID] = true
			k.mu.Unlock()
			sl := sale{id: ch.ID, tx: ch.TransactionID, k: k, lost: i%lostEvery == lostEvery-1}
			if sl.lost {
				lb.lost.Store(sl.tx, struct{}{})
			}
			sl.paidAt = time.Now()
			if _, err := s.sb.Pay(sl.tx, 0); err != nil {
				t.Error(err)
			}
			sales[i] = sl
		})
	}
	wg.Wait()
	if failed.Load() {
		stopSampling()
		return
	}
	sent := time.Since(start)
	waitUntilFor(t, "every console to see its charges paid", 2*time.Minute+time.Duration(charges)*time.Millisecond, func() bool {
		for _, sl := range sales {
			sl.k.mu.Lock()
			seen := !sl.k.paid[sl.id].IsZero()
			sl.k.mu.Unlock()
			if !seen {
				return false
			}
		}
		return true
	})
	stopSampling()
	<-sampled

	var feed, lag []time.Duration
	ids := make([]int64, 0, len(sales))
	lb.mu.Lock()
	for _, sl := range sales {
		ids = append(ids, sl.id)
		sl.k.mu.Lock()
		seen := sl.k.paid[sl.id]
		sl.k.mu.Unlock()
		if sl.lost {
			lag = append(lag, seen.Sub(sl.paidAt))
		} else if at, ok := lb.arrived[sl.tx]; ok {
			feed = append(feed, seen.Sub(at))
		}
	}
	took := slices.Clone(lb.took)
	lb.mu.Unlock()
	if bad := s.notAppliedOnce(ids); len(bad) > 0 {
		t.Errorf("%d charges not applied exactly once, e.g. %v", len(bad), bad)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	t.Logf("chain: %d shops × %d counters, 3 serve; %d charges created and paid in %v (%.0f/s asked, %.0f/s held)",
		shops, counters, charges, sent.Round(time.Millisecond), float64(rate), float64(charges)/sent.Seconds())
	t.Logf("delivery at the balancer: p50 %s, p99 %s (%d)", ms(percentile(took, 0.5)), ms(percentile(took, 0.99)), len(took))
	t.Logf("webhook → its console sees PAID: p50 %s, p99 %s (%d)", ms(percentile(feed, 0.5)), ms(percentile(feed, 0.99)), len(feed))
	t.Logf("lost webhook, payment → its console sees PAID by polling: p50 %s, p99 %s, max %s (%d)",
		ms(percentile(lag, 0.5)), ms(percentile(lag, 0.99)), ms(percentile(lag, 1)), len(lag))
	t.Logf("PostgreSQL connections: at most %d open, %d active at once, %d of them LISTEN (%d consoles, 3 serve); at most %d waiting for a lock (%v)",
		maxConns.Load(), maxActive.Load(), listeners.Load(), len(consoles), maxLocked.Load(), lockedOn.Load())
}
