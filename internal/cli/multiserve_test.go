//go:build unix

package cli

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store/engine"
)

// roundRobin is the load balancer in front of several serve processes, as
// a shop would put one behind the one URL ConnectPSP posts to: each
// request goes to the next backend, and to the one after it when a
// backend cannot be reached or fails with 5xx, as an HTTP balancer
// retries an idempotent upstream.
type roundRobin struct {
	backends []string
	next     atomic.Uint64
	answered []atomic.Int64 // 200s per backend
	client   *http.Client
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	start := int(rr.next.Add(1))
	for i := range rr.backends {
		b := (start + i) % len(rr.backends)
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, "http://"+rr.backends[b]+r.URL.Path, bytes.NewReader(body))
		req.Header = r.Header.Clone()
		resp, err := rr.client.Do(req)
		if err != nil {
			continue
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			continue
		}
		if resp.StatusCode == http.StatusOK {
			rr.answered[b].Add(1)
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(out)
		return
	}
	http.Error(w, "no backend answered", http.StatusBadGateway)
}

// serveEnv is the environment of a `pixdesk serve` on the shop's journal
// and sandbox, listening on addr, its charges naming hook, polling
// through leases of ttl.
func (s *shop) serveEnv(dir, terminal, addr, hook string, ttl time.Duration) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PIXDESK_") && !strings.HasPrefix(kv, "CONNECTPSP_") {
			out = append(out, kv)
		}
	}
	c := s.sb.Credentials()
	return append(out,
		"CONNECTPSP_BASE_URL="+s.url,
		"CONNECTPSP_CLIENT_ID="+c.ClientID,
		"CONNECTPSP_CLIENT_SECRET="+string(c.ClientSecret),
		"CONNECTPSP_APPLICATION_TOKEN="+string(c.ApplicationToken),
		"CONNECTPSP_CRYPTO_TOKEN="+string(c.CryptoToken),
		"XDG_DATA_HOME="+dir,
		"PIXDESK_DB="+s.dsn,
		"PIXDESK_TERMINAL="+terminal,
		"PIXDESK_WEBHOOK_LISTEN="+addr,
		"PIXDESK_WEBHOOK_URL="+hook,
		"PIXDESK_LEASE_TTL="+ttl.String(),
	)
}

// Three `pixdesk serve` processes (the real binary) on one PostgreSQL
// behind a round-robin balancer take the webhooks of many charges while
// they share the polling through leases; one is killed with SIGKILL in the
// middle. Then payments whose webhooks are lost are found by the polls of
// the two left, the dead one's leases included once they run out. Every
// charge ends PAID, applied exactly once; every delivery that was answered
// 200 is in the journal; no lease and no inbox row is left.
func TestServeProcessesSurviveAKill(t *testing.T) {
	// Parallel with the other slow tests that build or drive the real binary:
	// much of their time is waiting on processes, so two overlap well.
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	const (
		hooked = 120 // paid while webhooks flow; the kill comes halfway
		polled = 40  // paid after, their webhooks lost: only polls find them
		ttl    = 2 * time.Second
	)
	s := newShop(t)
	dir := t.TempDir()
	bin := crashBuild(t, dir)
	ctx, cancel := context.WithTimeout(s.ctx, 2*crashWait)
	defer cancel()
	h := &crashHarness{ctx: ctx, bin: bin, dir: dir}

	rr := &roundRobin{answered: make([]atomic.Int64, 3), client: &http.Client{Timeout: 10 * time.Second}}
	lb := &http.Server{Handler: rr, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lbAddr := ln.Addr().String()
	go lb.Serve(ln)
	t.Cleanup(func() { lb.Close() })
	hook := "http://" + lbAddr + engine.WebhookPath

	var procs []*crashProc
	for i := range 3 {
		addr := crashFreePort(t)
		rr.backends = append(rr.backends, addr)
		procs = append(procs, h.start(t, s.serveEnv(filepath.Join(dir, fmt.Sprint(i)), fmt.Sprintf("SERVE-%d", i), addr, hook, ttl), "", "serve"))
	}
	for i, addr := range rr.backends {
		waitUntilFor(t, fmt.Sprintf("serve %d to answer /healthz", i), crashWait, func() bool {
			resp, err := http.Get("http://" + addr + "/healthz")
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
	}

	counter := s.console("C01", hook, false) // creates only; the serves poll
	var (
		mu  sync.Mutex
		txs = map[int64]string{}
		ids []int64
		wg  sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for range (hooked + polled) / 4 {
				ch := counter.create(t)
				mu.Lock()
				txs[ch.ID] = ch.TransactionID
				ids = append(ids, ch.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	db, err := sql.Open("pgx", s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string, args ...any) int {
		var n int
		if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	victim := procs[1]
	victimLeases := func() int {
		return count("SELECT COUNT(*) FROM leases WHERE owner LIKE $1 AND lease_until > $2",
			fmt.Sprintf("%%:%d:%%", victim.cmd.Process.Pid), time.Now().UnixMicro())
	}

	// pay pays charges from to to, about 400 a second, so that the kill
	// falls among deliveries.
	pay := func(from, to int) {
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := from + w; i < to; i += 4 {
					if _, err := s.sb.Pay(txs[ids[i]], 0); err != nil {
						t.Error(err)
					}
					time.Sleep(10 * time.Millisecond)
				}
			})
		}
		wg.Wait()
	}
	// Polls take a while, so that every serve is mostly polling, under
	// its leases.
	s.sb.SetFaults(sandbox.Faults{Latency: 300 * time.Millisecond})
	waitUntilFor(t, "serve 1 to hold poll leases", crashWait, func() bool { return victimLeases() > 0 })
	paying := make(chan struct{})
	go func() {
		defer close(paying)
		pay(0, hooked)
	}()
	// Mid-load: payments and their webhooks are flowing and the victim has
	// answered some.
	waitUntilFor(t, "serve 1 to answer deliveries", crashWait, func() bool {
		return rr.answered[1].Load() > 0 && rr.answered[0].Load()+rr.answered[1].Load()+rr.answered[2].Load() >= hooked/4
	})
	if err := victim.cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	killed := time.Now()
	answeredAtKill := rr.answered[0].Load() + rr.answered[1].Load() + rr.answered[2].Load()
	orphans := victimLeases()                          // nobody hands these back: they run out
	inboxAtKill := count("SELECT COUNT(*) FROM inbox") // answered, not yet applied
	<-paying
	s.sb.SetWebhookMode(sandbox.WebhookMode{Disabled: true})
	pay(hooked, hooked+polled)

	waitUntilFor(t, "every charge paid and out of the poll schedule", crashWait, func() bool {
		return count("SELECT COUNT(*) FROM charges WHERE status = 'PAID'") == hooked+polled &&
			count("SELECT COUNT(*) FROM leases") == 0 && count("SELECT COUNT(*) FROM inbox") == 0
	})
	t.Logf("all %d charges paid and the inbox empty %v after the kill, which came after %d deliveries and left %d leases held by the dead serve, %d deliveries in the inbox",
		hooked+polled, time.Since(killed).Round(time.Millisecond), answeredAtKill, orphans, inboxAtKill)

	if st := victim.exit(); !st.Sys().(syscall.WaitStatus).Signaled() {
		t.Errorf("serve 1 ended %v, want killed", st)
	}
	if bad := s.notAppliedOnce(ids); len(bad) > 0 {
		t.Errorf("%d charges not applied exactly once: %v", len(bad), bad)
	}
	// Every delivery answered 200 is in the journal: a 200 comes only
	// once the delivery is durable.
	answered := 0
	for _, d := range s.sb.Deliveries() {
		if d.StatusCode != http.StatusOK {
			continue
		}
		answered++
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM deliveries WHERE event_id = $1", d.EventID).Scan(&n); err != nil || n != 1 {
			t.Errorf("delivery %s (charge %s) answered 200: %d in the journal, %v", d.EventID, d.TransactionID, n, err)
		}
	}
	if answered < hooked {
		t.Errorf("%d deliveries answered 200, want at least one per hooked charge (%d)", answered, hooked)
	}
	for b := range rr.backends {
		if rr.answered[b].Load() == 0 {
			t.Errorf("serve %d answered no delivery", b)
		}
	}
	polls := count(`SELECT COUNT(*) FROM entries WHERE kind = 'poll' AND status = 'PAID' AND outcome = 'applied'`)
	t.Logf("deliveries answered 200: %d (by serve: %d, %d (killed), %d); in the journal: %d; PAID found by polls: %d",
		answered, rr.answered[0].Load(), rr.answered[1].Load(), rr.answered[2].Load(),
		count("SELECT COUNT(*) FROM deliveries"), polls)
	if polls < polled {
		t.Errorf("%d payments found by polls, want at least the %d whose webhooks were lost", polls, polled)
	}
	for _, i := range []int{0, 2} {
		if err := procs[i].cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatal(err)
		}
		procs[i].exitedZero()
	}
}
