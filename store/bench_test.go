package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/brcode"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

// Benchmarks load PIXDESK_BENCH_ROWS charges (default 100000) and report
// per-operation p50/p99 besides ns/op:
//
//	go test -run '^$' -bench . -benchtime 2000x ./store/
//	PIXDESK_BENCH_ROWS=1000000 go test -run '^$' -bench SQLite -benchtime 2000x -timeout 30m ./store/
//
// PIXDESK_BENCH_SINGLE=1 makes ApplyWebhookParallel commit each delivery on
// its own, as before group commit, for comparison.

func benchRows(b *testing.B) int {
	n := 100000
	if s := os.Getenv("PIXDESK_BENCH_ROWS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1000 {
			b.Fatalf("PIXDESK_BENCH_ROWS=%q: want a number ≥ 1000", s)
		}
		n = v
	}
	return n
}

func BenchmarkSQLite(b *testing.B) {
	benchBackend(b, filepath.Join(b.TempDir(), "bench.db"))
}

func BenchmarkPostgres(b *testing.B) {
	benchBackend(b, pgtest.Start(b))
}

var (
	firstNames = strings.Fields("Ana Bruno Carla Daniel Eduarda Felipe Gabriela Heitor Isabela João Júlia Kauã Larissa " +
		"Lucas Maria Mário Natália Otávio Paula Pedro Rafael Sofia Tiago Valentina Vitor Yasmin Alice Arthur Beatriz " +
		"Caio Clara Davi Enzo Fernanda Gustavo Helena Igor Joana Laura Leonardo Manuela Matheus Nicolas Olívia " +
		"Patrícia Renata Samuel Sara Thiago Vinícius Álvaro Érica Ícaro Úrsula Cecília Lívia Lorenzo Bianca Diego")
	lastNames = strings.Fields("Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa " +
		"Ribeiro Martins Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento Andrade " +
		"Moreira Nunes Marques Machado Mendes Freitas Cardoso Ramos Gonçalves Santana Teixeira Araújo Pinto " +
		"Correia Moura Cavalcanti Monteiro Batista Campos Conceição Prado Brandão Falcão Assunção Aragão " +
		"Magalhães Guimarães Simões Lacerda Queiroz Sampaio Tavares Pacheco Peixoto Xavier Fonseca")
	benchStart    = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	benchStatuses = []psp.Status{psp.StatusPaid, psp.StatusPaid, psp.StatusPaid, psp.StatusPaid, psp.StatusPaid,
		psp.StatusPaid, psp.StatusAwaitingPayment, psp.StatusExpired, psp.StatusRefunded, psp.StatusCancelled}
)

func benchName(i int) string {
	f, l := len(firstNames), len(lastNames)
	return firstNames[i%f] + " " + lastNames[(i/f)%l] + " " + lastNames[(i/(f*l))%l]
}
func benchDoc(i int) string { return fmt.Sprintf("%011d", 10_000_000_000+i) }
func benchCode(i int) string {
	return "B" + fmt.Sprintf("%06s", strings.ToUpper(strconv.FormatInt(int64(i), 36)))
}
func benchTx(i int) string { return fmt.Sprintf("bk%033d", i) }

// benchCopyPaste is row i's "Pix Copia e Cola": a dynamic BR Code as
// ConnectPSP's sandbox writes them, about 170 characters that differ only
// in the middle (the payload location).
func benchCopyPaste(i int) string {
	code, err := brcode.Build(brcode.Spec{
		URL:          fmt.Sprintf("pix.connectpsp.example/pix/v2/%08x-%04x-4%03x-8%03x-%012x", i, i%65536, i%4096, i%4096, i),
		MerchantName: "PIXDESK SANDBOX", MerchantCity: "SAO PAULO", OnePayment: true,
	})
	if err != nil {
		panic(err)
	}
	return code
}

// bulkLoad inserts rows [from, to) in one transaction with multi-row
// INSERTs; status nil spreads benchStatuses over the rows.
// benchCreated is when bulkLoad's row i of rows was created: the rows
// spread over a year from benchStart.
func benchCreated(rows, i int) time.Time {
	return benchStart.Add(time.Duration(i) * (365 * 24 * time.Hour / time.Duration(max(rows, 1))))
}

func bulkLoad(b testing.TB, db *DB, from, to int, status *psp.Status) {
	const cols = 21
	const per = 500
	err := db.write(context.Background(), func(t *txn) error {
		for lo := from; lo < to; lo += per {
			hi := min(lo+per, to)
			var q strings.Builder
			q.WriteString(`INSERT INTO charges (terminal, external_reference, idempotency_key, amount, payer_name,
				payer_document, name_fold, created_at, updated_at, stage, transaction_id, internal_code, status,
				paid_amount, paid_at, end_to_end_id, requested_at, expires_at, expires_in_minutes, version,
				copy_and_paste) VALUES `)
			args := make([]any, 0, (hi-lo)*cols)
			for i := lo; i < hi; i++ {
				if i > lo {
					q.WriteString(", ")
				}
				q.WriteString("(?" + strings.Repeat(", ?", cols-1) + ")")
				s := benchStatuses[i%len(benchStatuses)]
				if status != nil {
					s = *status
				}
				created := benchCreated(to, i)
				var paidAmount, paidAt int64
				var e2e any
				if s == psp.StatusPaid || s == psp.StatusRefunded {
					paidAmount, paidAt = int64(i%500+1)*100, micro(created.Add(time.Minute))
					e2e = fmt.Sprintf("E00416968202603101827%011d", i)
				}
				name := benchName(i)
				args = append(args, fmt.Sprintf("C0%d", i%5), fmt.Sprintf("bulk-%d", i), fmt.Sprintf("key-%d", i),
					int64(i%500+1)*100, name, benchDoc(i), Fold(name), micro(created), micro(created),
					string(StageCreated), benchTx(i), benchCode(i), string(s), paidAmount, paidAt, e2e,
					micro(created), micro(created.Add(30*time.Minute)), 30, int64(i+1), benchCopyPaste(i))
			}
			if _, err := t.exec(q.String(), args...); err != nil {
				return err
			}
		}
		if t.db.postgres {
			_, err := t.exec("SELECT setval('charge_versions', ?)", int64(to+1))
			return err
		}
		_, err := t.exec("UPDATE counters SET value = ? WHERE name = 'seq'", int64(to+1))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// bulkLoadBackfilled is bulkLoad of rows [0, n) on PostgreSQL with the
// name triggers off, the name index then built by its migrations'
// backfills (as a journal that migrates to them gets it): three times
// faster than through the triggers at a million charges. The tables and
// indexes are those the triggers would have written, built at once.
func bulkLoadBackfilled(b *testing.B, db *DB, n int) {
	ctx := context.Background()
	for _, tr := range []string{"charges_name_words", "charges_name_tokens"} {
		if _, err := db.sql.ExecContext(ctx, "ALTER TABLE charges DISABLE TRIGGER "+tr); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	bulkLoad(b, db, 0, n, nil)
	b.Logf("%s: inserted %d charges without the name triggers in %s", db.Backend(), n, time.Since(start).Round(time.Millisecond))
	for _, suffix := range []string{"_name_words.sql", "_name_tokens.sql"} {
		for _, m := range migrationFiles(true) {
			if !strings.HasSuffix(m.name, suffix) {
				continue
			}
			start := time.Now()
			// The migrations create their triggers again, enabled.
			if err := db.write(ctx, func(t *txn) error { return t.apply(m) }); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: migration %s over %d charges in %s", db.Backend(), m.name, n, time.Since(start).Round(time.Millisecond))
		}
	}
}

// timings collects per-operation durations and reports their percentiles.
type timings []time.Duration

func (ts timings) report(b *testing.B) {
	if len(ts) == 0 {
		return
	}
	slices.Sort(ts)
	pct := func(p float64) float64 { return float64(ts[int(p*float64(len(ts)-1))].Nanoseconds()) / 1e3 }
	b.ReportMetric(pct(0.50), "p50-us")
	b.ReportMetric(pct(0.99), "p99-us")
}

// benchDelivery is a genuine CASHIN_PAID for bulk-loaded row.
func benchDelivery(row int) *psp.Delivery {
	amount := psp.Amount(int64(row%500+1) * 100)
	ev := psp.Event{Type: psp.EventCashInPaid, At: time.Now(), Data: psp.CashIn{
		TransactionID: benchTx(row), InternalCode: benchCode(row), ExternalReference: fmt.Sprintf("bulk-%d", row),
		Status: psp.StatusPaid, Amount: amount, EndToEndID: fmt.Sprintf("E00416968202603101827%011d", row),
		Payer:  psp.Payer{Name: benchName(row), Document: benchDoc(row), BankData: bank},
		PaidAt: benchStart.Add(time.Minute),
	}}
	body, _ := json.Marshal(ev)
	return &psp.Delivery{EventID: fmt.Sprintf("evt-%d", row), Verdict: psp.VerdictGenuine, Body: body, Event: &ev, ReceivedAt: time.Now()}
}

func benchBackend(b *testing.B, dsn string) {
	ctx := context.Background()
	db, err := Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	n := benchRows(b)
	start := time.Now()
	if db.postgres {
		bulkLoadBackfilled(b, db, n)
	} else {
		bulkLoad(b, db, 0, n, nil)
	}
	if db.postgres {
		// What autovacuum would have done minutes after a load this big:
		// for inserts too (autovacuum_vacuum_insert_threshold), it marks
		// the pages all-visible, so that index-only scans (name_tokens)
		// skip the heap. PIXDESK_BENCH_NOVACUUM=1 analyses only: every
		// row is then as a just-inserted one.
		maintain := "VACUUM ANALYZE"
		if os.Getenv("PIXDESK_BENCH_NOVACUUM") == "1" {
			maintain = "ANALYZE"
		}
		if _, err := db.sql.Exec(maintain); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("%s: loaded %d charges in %s", db.Backend(), n, time.Since(start).Round(time.Millisecond))

	awaiting := psp.StatusAwaitingPayment
	next := n // rows ≥ n are extra AWAITING ones, loaded as needed
	// One delivery at a time: the latency of one webhook.
	b.Run("ApplyWebhook", func(b *testing.B) {
		bulkLoad(b, db, next, next+b.N, &awaiting)
		first := next
		next += b.N
		ts := make(timings, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			d := benchDelivery(first + i)
			t0 := time.Now()
			if err := db.RecordDelivery(ctx, d); err != nil {
				b.Fatal(err)
			}
			ts = append(ts, time.Since(t0))
		}
		b.StopTimer()
		ts.report(b)
		if c, err := db.Find(ctx, benchTx(first)); err != nil || c.Status != psp.StatusPaid {
			b.Fatalf("event not applied: %v, %v", c, err)
		}
	})
	// 64 deliveries in flight, as from a busy receiver: ns/op is the
	// inverse of throughput, which group commit is for.
	b.Run("ApplyWebhookParallel", func(b *testing.B) {
		db.singleCommits = os.Getenv("PIXDESK_BENCH_SINGLE") == "1"
		bulkLoad(b, db, next, next+b.N, &awaiting)
		first := next
		next += b.N
		var (
			mu   sync.Mutex
			ts   = make(timings, 0, b.N)
			rows atomic.Int64
		)
		b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var mine timings
			for pb.Next() {
				d := benchDelivery(first + int(rows.Add(1)-1))
				t0 := time.Now()
				if err := db.RecordDelivery(ctx, d); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			ts = append(ts, mine...)
			mu.Unlock()
		})
		b.StopTimer()
		ts.report(b)
		if c, err := db.Find(ctx, benchTx(first+b.N-1)); err != nil || c.Status != psp.StatusPaid {
			b.Fatalf("event not applied: %v, %v", c, err)
		}
	})

	// The day's close of one counter: its two grouped queries over the
	// day's charges (the bulk load gives a counter n/1825 a day).
	b.Run("DayReport", func(b *testing.B) {
		day := benchStart.AddDate(0, 6, 0).Format(time.DateOnly)
		var r *DayReport
		for range b.N {
			var err error
			if r, err = db.DayReport(ctx, "C01", day, time.UTC); err != nil {
				b.Fatal(err)
			}
		}
		if r.Total.Charges == 0 {
			b.Fatal("the day has no charges: the benchmark would prove nothing")
		}
		b.ReportMetric(float64(r.Total.Charges), "charges/day")
	})

	rng := rand.New(rand.NewPCG(1, 2))
	f, l := len(firstNames), len(lastNames)
	searches := []struct {
		name string
		q    func() Query
	}{
		{"Search/code", func() Query { return Query{Text: benchCode(rng.IntN(n))} }},
		{"Search/document", func() Query { return Query{Text: benchDoc(rng.IntN(n))} }},
		// Name searches, as support types them: one word (a surname is in
		// 3 % of the names, a first name in 1.7 %), a first name and the
		// start of a surname (0.06 %), a whole name (a few charges), the
		// start of a word, a surname with status and counter, and the
		// second page of a surname.
		{"Search/name_word", func() Query {
			if rng.IntN(2) == 0 {
				return Query{Text: lastNames[rng.IntN(l)]}
			}
			return Query{Text: strings.ToLower(firstNames[rng.IntN(f)])}
		}},
		{"Search/name_two_words", func() Query {
			sur := lastNames[rng.IntN(l)]
			return Query{Text: strings.ToLower(firstNames[rng.IntN(f)] + " " + string([]rune(sur)[:3]))}
		}},
		{"Search/name_whole", func() Query { return Query{Text: benchName(rng.IntN(n))} }},
		{"Search/name_start", func() Query {
			return Query{Text: string([]rune(lastNames[rng.IntN(l)])[:4])}
		}},
		{"Search/name_filters", func() Query {
			return Query{Text: lastNames[rng.IntN(l)], Statuses: []psp.Status{psp.StatusPaid}, Terminal: fmt.Sprintf("C0%d", rng.IntN(5))}
		}},
		{"Search/name_page2", func() Query {
			q := Query{Text: lastNames[rng.IntN(l)]}
			first, err := db.Search(ctx, q)
			if err != nil || len(first) == 0 {
				b.Fatalf("first page: %d, %v", len(first), err)
			}
			q.After = first[len(first)-1].Cursor()
			return q
		}},
		{"Search/status_date", func() Query {
			from := benchStart.Add(time.Duration(rng.IntN(360)) * 24 * time.Hour)
			return Query{Statuses: []psp.Status{psp.StatusPaid}, From: from, To: from.Add(24 * time.Hour)}
		}},
	}
	b.Logf("copy-and-paste plan: %s", strings.ReplaceAll(
		planOf(b, db, "SELECT "+chargeCols+" FROM charges WHERE "+copyAndPasteWhere, benchCopyPaste(n/2)), "\n", "; "))
	b.Run("FindByCopyAndPaste", func(b *testing.B) {
		ts := make(timings, 0, b.N)
		for range b.N {
			row := rng.IntN(n)
			code := benchCopyPaste(row)
			t0 := time.Now()
			c, err := db.FindByCopyAndPaste(ctx, code)
			ts = append(ts, time.Since(t0))
			if err != nil || c.TransactionID != benchTx(row) {
				b.Fatalf("FindByCopyAndPaste(row %d) = %v, %v", row, c, err)
			}
		}
		b.StopTimer()
		ts.report(b)
	})
	// The count a name search shows beside its first page (it comes
	// after the page, so its latency is not the keystroke's).
	b.Run("Count/name_word", func(b *testing.B) {
		ts := make(timings, 0, b.N)
		for range b.N {
			q := Query{Text: lastNames[rng.IntN(l)]}
			t0 := time.Now()
			if n, err := db.Count(ctx, q); err != nil || n == 0 {
				b.Fatalf("Count(%q) = %d, %v", q.Text, n, err)
			}
			ts = append(ts, time.Since(t0))
		}
		b.StopTimer()
		ts.report(b)
	})
	for _, s := range searches {
		if strings.HasPrefix(s.name, "Search/name") {
			q := s.q()
			sq, args, err := db.searchSQL(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s plan (%q): %s", s.name, q.Text, strings.ReplaceAll(planOf(b, db, sq, args...), "\n", "; "))
		}
		b.Run(s.name, func(b *testing.B) {
			ts := make(timings, 0, b.N)
			found := 0
			for range b.N {
				q := s.q()
				t0 := time.Now()
				cs, err := db.Search(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				ts = append(ts, time.Since(t0))
				if len(cs) > 0 {
					found++
				}
			}
			b.StopTimer()
			if found == 0 {
				b.Fatal("no search found anything")
			}
			ts.report(b)
		})
	}
}
