package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	removePlainBinary()
	pgtest.Stop()
	os.Exit(code)
}

// testLeaseTTL is the poll lease in these tests: short, so that a takeover
// is quick, and well above a poll on loopback.
const testLeaseTTL = time.Second

var testPayer = psp.Payer{Name: "Maria Souza", Document: "123.456.789-09"}

// shop is one PostgreSQL journal and one ConnectPSP sandbox, shared by the
// serve processes and counters a test starts.
type shop struct {
	t   testing.TB
	ctx context.Context
	dsn string
	sb  *sandbox.Sandbox
	url string
	// tune adjusts every engine the shop starts, after fastEngine.
	tune func(*engine.Config)
}

func (s *shop) tuneEngine(c *engine.Config) {
	fastEngine(c)
	if s.tune != nil {
		s.tune(c)
	}
}

func newShop(t testing.TB) *shop {
	t.Helper()
	dsn := pgtest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	base, sb, err := sandbox.Serve(ctx, "127.0.0.1:0", sandbox.Options{RetryBase: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &shop{t: t, ctx: ctx, dsn: dsn, sb: sb, url: base}
}

// serve starts a `pixdesk serve` in process, stopped when the test ends.
func (s *shop) serve(terminal string) *server {
	s.t.Helper()
	cfg := &config{baseURL: s.url, creds: s.sb.Credentials(), env: envSandbox, db: s.dsn,
		webhookListen: "127.0.0.1:0", terminal: terminal}
	srv, err := startServe(s.ctx, cfg, serveOptions{leaseTTL: testLeaseTTL, tune: s.tuneEngine})
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { srv.shutdown(context.Background()) })
	return srv
}

// kill stops srv as a crash would: connections cut, its journal handle
// closed under it, so nothing is handed back and its leases stay taken.
func (srv *server) kill() {
	srv.http.Close()
	srv.db.Close()
	srv.stop(context.Background())
}

// console is a counter on the shared journal, as openStack builds it,
// with no webhook listener: ConnectPSP calls serve, which it names.
type console struct {
	db     *store.DB
	engine *engine.Engine
	mu     sync.Mutex
	seen   map[int64]int64 // charge → highest version the change feed told
}

func (s *shop) console(terminal string, hookURL string, run bool) *console {
	s.t.Helper()
	cfg := &config{baseURL: s.url, creds: s.sb.Credentials(), env: envSandbox, db: s.dsn,
		webhookURL: hookURL, terminal: terminal}
	st, err := openStack(s.ctx, cfg, withLogger(slog.New(slog.DiscardHandler)), withListen(""),
		withLeaseTTL(testLeaseTTL), withEngine(s.tuneEngine))
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { st.stop(context.Background()) })
	c := &console{db: st.db, engine: st.engine, seen: map[int64]int64{}}
	changes := st.db.Subscribe(st.life)
	st.spawn(func(context.Context) {
		for ch := range changes {
			c.mu.Lock()
			c.seen[ch.ChargeID] = max(c.seen[ch.ChargeID], ch.Version)
			c.mu.Unlock()
		}
	})
	if run {
		st.start()
	}
	return c
}

// told reports whether the change feed announced version v of charge id.
func (c *console) told(id, v int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[id] >= v
}

func (c *console) create(t testing.TB) *store.Charge {
	t.Helper()
	ch, err := c.engine.Create(context.Background(), engine.Input{Amount: 1050, Payer: testPayer})
	if err != nil || ch.Stage != store.StageCreated {
		t.Fatalf("create: %+v, %v", ch, err)
	}
	return ch
}

func (s *shop) waitStatus(db *store.DB, id int64, st psp.Status) *store.Charge {
	s.t.Helper()
	var ch *store.Charge
	waitUntil(s.t, fmt.Sprintf("charge %d %s", id, st), func() bool {
		c, err := db.Get(context.Background(), id)
		ch = c
		return err == nil && c.Status == st
	})
	return ch
}

// notAppliedOnce lists the charges among ids whose PAID status was applied
// other than exactly once, with the count, read straight from the journal.
func (s *shop) notAppliedOnce(ids []int64) map[int64]int {
	s.t.Helper()
	db, err := sql.Open("pgx", s.dsn)
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT charge_id, COUNT(*) FROM entries
		WHERE kind = 'status' AND status = 'PAID' AND outcome = 'applied' GROUP BY charge_id`)
	if err != nil {
		s.t.Fatal(err)
	}
	defer rows.Close()
	got := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			s.t.Fatal(err)
		}
		got[id] = n
	}
	bad := map[int64]int{}
	for _, id := range ids {
		if got[id] != 1 {
			bad[id] = got[id]
		}
	}
	return bad
}

// A webhook to serve reaches both counters through the change feed; the
// counters have no listener of their own.
func TestSharedWebhookReachesConsoles(t *testing.T) {
	s := newShop(t)
	srv := s.serve("SERVE")
	c1 := s.console("C01", srv.hookURL, true)
	c2 := s.console("C02", srv.hookURL, true)
	mine, theirs := c1.create(t), c2.create(t)
	if !strings.HasPrefix(mine.ExternalReference, "C01-") || !strings.HasPrefix(theirs.ExternalReference, "C02-") {
		t.Fatalf("references %q, %q", mine.ExternalReference, theirs.ExternalReference)
	}
	if _, err := s.sb.Pay(mine.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	paid := s.waitStatus(srv.db, mine.ID, psp.StatusPaid)
	for i, c := range []*console{c1, c2} {
		waitUntil(t, fmt.Sprintf("console %d told", i+1), func() bool { return c.told(mine.ID, paid.Version) })
		if got, err := c.db.Get(s.ctx, mine.ID); err != nil || got.Status != psp.StatusPaid {
			t.Fatalf("console %d reloads %+v, %v", i+1, got, err)
		}
	}
	waitUntil(t, "webhook recorded", func() bool {
		es, _ := srv.db.Timeline(s.ctx, mine.ID)
		return slices.ContainsFunc(es, func(e store.Entry) bool { return e.Kind == store.EntryWebhook && e.Status == psp.StatusPaid })
	})
	if bad := s.notAppliedOnce([]int64{mine.ID}); len(bad) > 0 {
		t.Fatalf("PAID applied %v", bad)
	}
	// Lookup by terminal sees only that counter's charges.
	cs, err := c1.db.Search(s.ctx, store.Query{Terminal: "C01"})
	if err != nil || len(cs) != 1 || cs[0].ID != mine.ID {
		t.Fatalf("C01's lookup: %v, %v", cs, err)
	}
}

// A serve killed while it holds a poll lease (its GET hanging) delays the
// charge until the lease runs out; another serve then finishes it, and
// PAID is applied once.
func TestSharedLeaseTakeover(t *testing.T) {
	s := newShop(t)
	s.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true}) // only polls find the payment
	a := s.serve("SERVE-A")
	ch := s.console("C01", a.hookURL, false).create(t)
	// From now on ConnectPSP hangs: A's next poll of the charge holds its
	// lease (renewing it) and never ends.
	s.sb.SetFaults(sandbox.Faults{Latency: time.Minute})
	time.Sleep(200 * time.Millisecond) // polls begun before the fault are over
	waitUntil(t, "A to hold the lease", func() bool {
		l, err := a.db.LeaseOf(s.ctx, ch.ID)
		return err == nil && l.Owner == a.engine.LeaseOwner()
	})
	b := s.serve("SERVE-B")
	a.kill()
	killed := time.Now()
	s.sb.SetFaults(sandbox.Faults{})
	if _, err := s.sb.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(testLeaseTTL / 4)
	if got, err := b.db.Get(s.ctx, ch.ID); err != nil || got.Status != psp.StatusAwaitingPayment {
		t.Fatalf("polled under a live lease: %+v, %v", got, err)
	}
	s.waitStatus(b.db, ch.ID, psp.StatusPaid)
	// A renewed every third of the ttl, so its lease ran at least 2/3 of
	// it past the kill.
	if took := time.Since(killed); took < testLeaseTTL*2/3-50*time.Millisecond {
		t.Errorf("taken over %v after the kill, before the lease ran out", took)
	}
	if bad := s.notAppliedOnce([]int64{ch.ID}); len(bad) > 0 {
		t.Fatalf("PAID applied %v", bad)
	}
}

// A thousand charges paid at once, each announced by a webhook to serve
// while serve and both counters poll: each PAID is applied exactly once.
func TestSharedThousandPayments(t *testing.T) {
	if testing.Short() {
		t.Skip("a thousand payments: not in -short")
	}
	// 1,000 payments; 400 under the race detector, which makes each one
	// several times dearer and finds the same races with fewer.
	n := 1000
	if underRace() {
		n = 400
	}
	s := newShop(t)
	// Polls still race the webhooks, but leave the journal room: every
	// poll is a write.
	s.tune = func(c *engine.Config) {
		c.PollFast, c.PollSlow, c.FastWindow = 2*time.Second, 5*time.Second, time.Nanosecond
		c.Tick = 50 * time.Millisecond
	}
	srv := s.serve("SERVE")
	consoles := []*console{s.console("C01", srv.hookURL, true), s.console("C02", srv.hookURL, true)}
	var (
		mu    sync.Mutex
		txs   = map[int64]string{}
		wg    sync.WaitGroup
		start = time.Now()
	)
	for w := range 8 {
		c := consoles[w%2]
		wg.Go(func() {
			for range n / 8 {
				ch := c.create(t)
				mu.Lock()
				txs[ch.ID] = ch.TransactionID
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	t.Logf("%d charges created in %v", len(txs), time.Since(start))
	start = time.Now()
	for _, tx := range txs {
		wg.Go(func() {
			if _, err := s.sb.Pay(tx, 0); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	waitUntilFor(t, "every charge paid", 3*time.Minute, func() bool {
		k, err := srv.db.Count(s.ctx, store.Query{Statuses: []psp.Status{psp.StatusPaid}})
		return err == nil && k == n
	})
	t.Logf("%d charges paid in %v", n, time.Since(start))
	ids := make([]int64, 0, n)
	for id := range txs {
		ids = append(ids, id)
	}
	if bad := s.notAppliedOnce(ids); len(bad) > 0 {
		t.Fatalf("%d charges not applied exactly once, e.g. %v", len(bad), bad)
	}
	m := getText(t, "http://"+srv.addr+"/metrics")
	if _, ok := metricValue(t, m, "pixdesk_webhook_deliveries_total", "verdict", "genuine", "outcome", "applied"); !ok {
		t.Errorf("no applied deliveries in serve's metrics:\n%s", m)
	}
}

// BenchmarkServeWebhookToConsole measures a webhook POSTed to serve until
// a second process's change feed (its own journal handle on the same
// PostgreSQL) announces the change.
func BenchmarkServeWebhookToConsole(b *testing.B) {
	s := newShop(b)
	srv := s.serve("SERVE")
	ctx := s.ctx
	// The charges exist and are leased to nobody who polls, so only the
	// webhooks change them.
	charges := make([]*store.Charge, b.N)
	for i := range charges {
		c, err := srv.db.CreateIntent(ctx, store.NewCharge{Terminal: "C01", ExternalReference: fmt.Sprintf("B-%06d", i),
			Amount: 1050, Payer: psp.Payer{Name: testPayer.Name, Document: "12345678909"}})
		if err != nil {
			b.Fatal(err)
		}
		if c, err = srv.db.RecordCreated(ctx, c.ID, &psp.CashIn{TransactionID: fmt.Sprintf("bench%030d", i),
			InternalCode: fmt.Sprintf("B%06d", i), ExternalReference: c.ExternalReference,
			Status: psp.StatusAwaitingPayment, Amount: 1050}); err != nil {
			b.Fatal(err)
		}
		charges[i] = c
	}
	for {
		cs, err := srv.db.LeaseDue(ctx, store.LeaseRequest{Owner: "bench", TTL: time.Hour, Limit: 1000}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if len(cs) == 0 {
			break
		}
	}
	second, err := store.Open(ctx, s.dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer second.Close()
	changes := second.Subscribe(ctx)
	key := s.sb.Credentials().CryptoToken
	url := "http://" + srv.addr + engine.WebhookPath
	client := &http.Client{Timeout: 10 * time.Second}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i, c := range charges {
		req := paidDelivery(url, key, c, i)
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("delivery %d: %s", i, resp.Status)
		}
		for ch := range changes {
			if ch.ChargeID == c.ID {
				break
			}
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	if len(lat) < b.N {
		b.Fatal(errors.New("change feed closed"))
	}
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
