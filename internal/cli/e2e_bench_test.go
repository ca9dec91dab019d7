package cli

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/internal/termcap"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
	"github.com/pixdesk/pixdesk/ui"
)

// Console benchmarks, end to end. They report p50/p99 in ms besides ns/op:
//
//	go test -run '^$' -bench 'WebhookToPaidMsg' -benchtime 500x .
//	PIXDESK_BENCH_ROWS=1000000 go test -run '^$' -bench 'Startup|Keystroke' -benchtime 200x -timeout 30m .
//
// PIXDESK_BENCH_ROWS (default 20000) is how many charges the journal
// holds for the startup and lookup benchmarks.

// e2eLatencies collects per-operation latencies and reports percentiles.
type e2eLatencies []time.Duration

func (ls e2eLatencies) report(b *testing.B, name string) {
	if len(ls) == 0 {
		return
	}
	slices.Sort(ls)
	ms := func(q float64) float64 { return float64(ls[int(q*float64(len(ls)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(ms(0.50), name+"-p50-ms")
	b.ReportMetric(ms(0.99), name+"-p99-ms")
}

// BenchmarkWebhookToPaidMsg measures a genuine CASHIN_PAID POSTed to the
// console's webhook listener (openStack's, as the console runs it) until
// the first ui.NoticeMsg or ui.ChangeMsg naming the charge reaches the
// running console's Update through ui.Forward.
func BenchmarkWebhookToPaidMsg(b *testing.B) {
	b.StopTimer()
	dir := b.TempDir()
	ctx := context.Background()
	s, err := openStack(ctx, e2eConfig(b, dir))
	if err != nil {
		b.Fatal(err)
	}
	// The engine's poller is left off (no start): it would poll these
	// made-up charges; nothing it does is on the path measured.
	st := &e2eStack{stack: s, t: b, dir: dir, ctx: s.life}
	b.Cleanup(st.close)

	charges := make([]*store.Charge, b.N)
	for i := range charges {
		c, err := s.db.CreateIntent(ctx, store.NewCharge{Terminal: "other", ExternalReference: fmt.Sprintf("W-%06d", i),
			IdempotencyKey: fmt.Sprintf("wk-%d", i), Amount: 1050, Payer: psp.Payer{Name: "Maria Souza", Document: "12345678909"}})
		if err != nil {
			b.Fatal(err)
		}
		if c, err = s.db.RecordCreated(ctx, c.ID, &psp.CashIn{TransactionID: fmt.Sprintf("wb%033d", i),
			InternalCode: fmt.Sprintf("W%06d", i), ExternalReference: c.ExternalReference,
			Status: psp.StatusAwaitingPayment, Amount: 1050, RequestedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
		charges[i] = c
	}

	var (
		mu     sync.Mutex
		target int64
		got    = make(chan time.Time, 1)
	)
	cfg := st.uiConfig()
	cfg.Output = &e2eBuffer{}
	bk := &backend{Engine: s.engine, db: s.db, client: s.client, pay: s.pay, terminal: s.cfg.terminal}
	c := st.run(ui.New(cfg, bk), nil, false)
	c.scr.onMsg = func(msg tea.Msg) {
		var id int64
		switch m := msg.(type) {
		case ui.ChangeMsg:
			id = m.ChargeID
		case ui.NoticeMsg:
			id = m.ChargeID
		default:
			return
		}
		at := time.Now()
		mu.Lock()
		hit := id == target && id != 0
		if hit {
			target = 0
		}
		mu.Unlock()
		if hit {
			got <- at
		}
	}
	c.waitFor("the form", "New PIX charge")

	key := s.sandbox.Credentials().CryptoToken
	url := "http://" + s.hookAt + engine.WebhookPath
	client := &http.Client{Timeout: 10 * time.Second}
	lat := make(e2eLatencies, 0, b.N)
	b.StartTimer()
	for i, ch := range charges {
		req := paidDelivery(url, key, ch, i)
		mu.Lock()
		target = ch.ID
		mu.Unlock()
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("delivery %d: %s", i, resp.Status)
		}
		select {
		case at := <-got:
			lat = append(lat, at.Sub(t0))
		case <-time.After(e2eWait):
			b.Fatalf("charge %d: no message reached the console", ch.ID)
		}
	}
	b.StopTimer()
	lat.report(b, "webhook")
}

// e2eBenchRows is how many charges the journal holds.
func e2eBenchRows(b *testing.B) int {
	n := 20000
	if s := os.Getenv("PIXDESK_BENCH_ROWS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1000 {
			b.Fatalf("PIXDESK_BENCH_ROWS=%q: want a number ≥ 1000", s)
		}
		n = v
	}
	return n
}

var (
	e2eFirst    = strings.Fields("Ana Bruno Carla Daniel Eduarda Felipe Gabriela Heitor Isabela João Júlia Larissa Lucas Maria Otávio Paula")
	e2eLast     = strings.Fields("Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro Martins Araújo")
	e2eStatuses = []psp.Status{psp.StatusPaid, psp.StatusPaid, psp.StatusPaid, psp.StatusPaid, psp.StatusPaid,
		psp.StatusPaid, psp.StatusExpired, psp.StatusRefunded, psp.StatusCancelled, psp.StatusPaid}
	e2eSeedStart = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
)

func e2eSeedName(i int) string {
	f, l := len(e2eFirst), len(e2eLast)
	return e2eFirst[i%f] + " " + e2eLast[(i/f)%l] + " " + e2eLast[(i/(f*l))%l]
}
func e2eSeedRef(i int) string { return fmt.Sprintf("L-%07d", i) }
func e2eSeedDoc(i int) string { return fmt.Sprintf("%011d", 20_000_000_000+i) }
func e2eSeedCode(i int) string {
	return "L" + fmt.Sprintf("%06s", strings.ToUpper(strconv.FormatInt(int64(i), 36)))
}

// e2eSeed creates the journal at path and fills it with n past charges of
// five counters (none open, none of the console's terminal caixa-01's
// open), with multi-row INSERTs in one transaction.
func e2eSeed(b *testing.B, path string, n int) {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	start := time.Now()
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	defer sdb.Close()
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	const cols, per = 20, 500
	span := 365 * 24 * time.Hour / time.Duration(n)
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		var q strings.Builder
		q.WriteString(`INSERT INTO charges (terminal, external_reference, idempotency_key, amount, payer_name,
			payer_document, name_fold, created_at, updated_at, stage, transaction_id, internal_code, status,
			paid_amount, paid_at, end_to_end_id, requested_at, expires_at, expires_in_minutes, version) VALUES `)
		args := make([]any, 0, (hi-lo)*cols)
		for i := lo; i < hi; i++ {
			if i > lo {
				q.WriteString(", ")
			}
			q.WriteString("(?" + strings.Repeat(", ?", cols-1) + ")")
			st := e2eStatuses[i%len(e2eStatuses)]
			created := e2eSeedStart.Add(time.Duration(i) * span)
			amount := int64(i%500+1)*100 + int64(i%97)
			var paidAmount, paidAt int64
			var e2e any
			if st == psp.StatusPaid || st == psp.StatusRefunded {
				paidAmount, paidAt = amount, created.Add(time.Minute).UnixMicro()
				e2e = fmt.Sprintf("E00416968202503011200%011d", i)
			}
			name := e2eSeedName(i)
			args = append(args, fmt.Sprintf("caixa-0%d", i%5+1), e2eSeedRef(i), fmt.Sprintf("lk-%d", i),
				amount, name, e2eSeedDoc(i), store.Fold(name), created.UnixMicro(), created.UnixMicro(),
				string(store.StageCreated), fmt.Sprintf("lk%033d", i), e2eSeedCode(i), string(st), paidAmount, paidAt, e2e,
				created.UnixMicro(), created.Add(15*time.Minute).UnixMicro(), 15, int64(i+1))
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE counters SET value = ? WHERE name = 'seq'", int64(n+1)); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d charges in %s", n, time.Since(start).Round(time.Millisecond))
}

// BenchmarkStartupFirstFrame measures store.Open, ui.New and Init until
// the first non-empty View (after the terminal's size arrives), on a
// journal of PIXDESK_BENCH_ROWS charges. latest-ms is the start-up
// question Init sends (is a charge open here?), answered by the store.
func BenchmarkStartupFirstFrame(b *testing.B) {
	n := e2eBenchRows(b)
	dir := b.TempDir()
	path := filepath.Join(dir, "pixdesk.db")
	e2eSeed(b, path, n)
	ctx := context.Background()
	cfg := &config{db: path, terminal: "caixa-01", lang: "en", maxAmount: 500000, expiry: 15, qrStyle: ui.QRHalfBlocks, env: envSandbox}
	var first, latest e2eLatencies
	for b.Loop() {
		t0 := time.Now()
		db, err := store.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		s := &stack{cfg: cfg, db: db, engine: engine.New(engine.Config{DB: db, Terminal: cfg.terminal})}
		ucfg := uiConfig(cfg, s, system{getenv: func(string) string { return "" }}, termcap.Caps{})
		ucfg.Renderer, ucfg.Output = e2eRenderer(), &e2eBuffer{}
		bk := &backend{Engine: s.engine, db: db, terminal: cfg.terminal}
		m := ui.New(ucfg, bk)
		_ = m.Init()
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		if v := m.View(); !strings.Contains(v, "New PIX charge") {
			b.Fatalf("first frame:\n%s", v)
		}
		first = append(first, time.Since(t0))
		t1 := time.Now()
		if c, err := bk.LatestOpen(ctx); err == nil || c != nil {
			b.Fatalf("an open charge on caixa-01: %v %v", c, err)
		}
		latest = append(latest, time.Since(t1))
		db.Close()
	}
	first.report(b, "first-frame")
	latest.report(b, "latest")
}

// BenchmarkLookupKeystrokeStore measures, in the support lookup running on
// a journal of PIXDESK_BENCH_ROWS charges, the keystroke that completes an
// internal code or a CPF until its row is on screen. The lookup waits
// 150 ms after the last keystroke before it searches (its debounce); the
// search-ms figures start when that wait ends, at the search itself.
func BenchmarkLookupKeystrokeStore(b *testing.B) {
	n := e2eBenchRows(b)
	dir := b.TempDir()
	e2eSeed(b, filepath.Join(dir, "pixdesk.db"), n)
	// A ConnectPSP nobody answers: the lookup asks it only about codes the
	// journal lacks, which these searches never are.
	cfg := e2eConfig(b, dir)
	cfg.baseURL, cfg.creds, cfg.embedded = "http://127.0.0.1:1", sandbox.DefaultCredentials(), false
	s, err := openStack(context.Background(), cfg, withListen(""))
	if err != nil {
		b.Fatal(err)
	}
	db, client := s.db, s.client
	st := &e2eStack{stack: s, t: b, dir: dir, ctx: s.life}
	b.Cleanup(st.close)

	ucfg := st.uiConfig()
	ucfg.Output = &e2eBuffer{}
	bk := &backend{Engine: s.engine, db: db, client: client, terminal: cfg.terminal}
	c := st.run(ui.NewLookup(ucfg, bk), nil, false)
	c.waitFor("the newest charge listed", e2eSeedRef(n-1))

	var (
		mu     sync.Mutex
		want   string
		dueAt  time.Time
		shown  = make(chan time.Time, 1)
		armed  bool
		rowsAt time.Time
	)
	c.scr.onMsg = func(msg tea.Msg) {
		// The debounce's end, by its message's type: the only way to see
		// it from outside the ui package.
		if fmt.Sprintf("%T", msg) == "ui.searchDueMsg" {
			mu.Lock()
			// The last one before the rows: a late tick of an earlier
			// keystroke may come after the prefix was answered.
			if armed {
				dueAt = time.Now()
			}
			mu.Unlock()
		}
	}
	c.scr.onFrame = func(v string) {
		mu.Lock()
		defer mu.Unlock()
		if armed && strings.Contains(v, want) {
			armed, rowsAt = false, time.Now()
			shown <- rowsAt
		}
	}
	for _, kind := range []struct {
		name string
		key  func(i int) string
	}{{"code", e2eSeedCode}, {"document", e2eSeedDoc}} {
		b.Run(kind.name, func(b *testing.B) {
			var total, search e2eLatencies
			i := 7
			for b.Loop() {
				i = (i*7919 + 104729) % n
				text := kind.key(i)
				c.press(tea.KeyCtrlU)
				c.typeText(text[:len(text)-1])
				c.waitFor("the prefix searched", "“"+text[:len(text)-1]+"”", "No transaction found.")
				mu.Lock()
				want, armed, dueAt = " "+e2eSeedRef(i)+" ", true, time.Time{}
				t0 := time.Now()
				mu.Unlock()
				c.typeText(text[len(text)-1:])
				select {
				case at := <-shown:
					total = append(total, at.Sub(t0))
					mu.Lock()
					if !dueAt.IsZero() {
						search = append(search, at.Sub(dueAt))
					}
					mu.Unlock()
				case <-time.After(e2eWait):
					b.Fatalf("row %s not shown for %s; screen:\n%s", e2eSeedRef(i), text, c.scr.view())
				}
			}
			total.report(b, "keystroke")
			search.report(b, "search")
		})
	}
}
