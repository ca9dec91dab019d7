package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pixdesk/pixdesk/psp"
)

func recv(t *testing.T, ch <-chan Change, until func(Change) bool) Change {
	t.Helper()
	deadline := time.After(30 * time.Second) // a hang guard, not a timing assertion
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				t.Fatal("change feed closed")
			}
			if until(c) {
				return c
			}
		case <-deadline:
			t.Fatal("no change arrived")
		}
	}
}

func testChangeFeed(t *testing.T, o *opener) {
	ctx, cancel := context.WithCancel(context.Background())
	db := o.open(t)
	ch := db.Subscribe(ctx)
	c, id := newCharge(t, db)
	recv(t, ch, func(ch Change) bool { return ch.ChargeID == c.ID })
	got, _, err := db.Apply(ctx, answer(c, id, psp.StatusPaid), EntryPoll, nil)
	if err != nil {
		t.Fatal(err)
	}
	recv(t, ch, func(ch Change) bool { return ch.ChargeID == c.ID && ch.Version == got.Version })
	// A second subscriber sees later changes too.
	ch2 := db.Subscribe(ctx)
	c2, _ := newCharge(t, db)
	recv(t, ch2, func(ch Change) bool { return ch.ChargeID == c2.ID })
	cancel()
	for range ch {
	}
	for range ch2 {
	}
}

// searchFixture stores four charges of different shapes, oldest first.
func searchFixture(t *testing.T, db *DB) (cs []*Charge, is []ids) {
	specs := []struct {
		name, doc, terminal string
		amount              psp.Amount
		status              psp.Status
	}{
		{"João da Silva", "123.456.789-09", "C01", 1000, psp.StatusPaid},
		{"JOANA Souza", "11222333000181", "C02", 2000, psp.StatusAwaitingPayment},
		{"Maria Conceição", "23858488135", "C01", 1000, psp.StatusExpired},
		{"Mário  Lima", "12.abc.345/01de-35", "C02", 3000, psp.StatusRefunded},
	}
	for _, s := range specs {
		c, id := newCharge(t, db, func(n *NewCharge) {
			n.Payer.Name, n.Payer.Document, n.Terminal, n.Amount = s.name, s.doc, s.terminal, s.amount
		})
		reach(t, db, c, id, s.status)
		cs, is = append(cs, mustGet(t, db, c.ID)), append(is, id)
	}
	return cs, is
}

func testSearch(t *testing.T, o *opener) {
	db := o.open(t)
	cs, is := searchFixture(t, db)
	a, b, c, d := cs[0].ID, cs[1].ID, cs[2].ID, cs[3].ID
	tests := []searchCase{
		{"all", Query{}, []int64{d, c, b, a}},
		{"cpf", Query{Text: "123.456.789-09"}, []int64{a}},
		{"cnpj", Query{Text: "11.222.333/0001-81"}, []int64{b}},
		{"alphanumeric cnpj", Query{Text: "12.ABC.345/01DE-35"}, []int64{d}},
		{"internal code", Query{Text: is[0].code}, []int64{a}},
		{"internal code lower case", Query{Text: strings.ToLower(is[2].code)}, []int64{c}},
		{"transaction id", Query{Text: is[1].tx}, []int64{b}},
		{"end to end", Query{Text: is[0].e2e}, []int64{a}},
		{"refund end to end", Query{Text: is[3].dev}, []int64{d}},
		{"original end to end", Query{Text: is[3].e2e}, []int64{d}},
		{"reference", Query{Text: cs[2].ExternalReference}, []int64{c}},
		{"name", Query{Text: "joao"}, []int64{a}},
		{"name accents and case", Query{Text: "  JOÃO DA  s"}, []int64{a}},
		{"name prefix", Query{Text: "jo"}, []int64{b, a}},
		{"name prefix 2", Query{Text: "mari"}, []int64{d, c}},
		{"no match", Query{Text: "zzz"}, nil},
		{"statuses", Query{Statuses: []psp.Status{psp.StatusPaid, psp.StatusRefunded}}, []int64{d, a}},
		{"status", Query{Statuses: []psp.Status{psp.StatusExpired}}, []int64{c}},
		{"terminal", Query{Terminal: "C02"}, []int64{d, b}},
		{"amount", Query{Amount: 1000}, []int64{c, a}},
		{"dates", Query{From: cs[1].CreatedAt, To: cs[3].CreatedAt}, []int64{c, b}},
		{"name and terminal", Query{Text: "jo", Terminal: "C01"}, []int64{a}},
		{"status and dates", Query{Statuses: []psp.Status{psp.StatusPaid, psp.StatusExpired}, From: cs[1].CreatedAt}, []int64{c}},
		{"limit", Query{Limit: 2}, []int64{d, c}},
	}
	checkSearches(t, db, tests)
}

// searchCase is a query and the ids it finds, newest first.
type searchCase struct {
	name string
	q    Query
	want []int64
}

// checkSearches runs each case through Search and, when it has no limit,
// Count.
func checkSearches(t *testing.T, db *DB, cases []searchCase) {
	t.Helper()
	ctx := context.Background()
	for _, tt := range cases {
		got, err := db.Search(ctx, tt.q)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var gotIDs []int64
		for _, g := range got {
			gotIDs = append(gotIDs, g.ID)
		}
		if !slices.Equal(gotIDs, tt.want) {
			t.Errorf("%s: Search(%q) = %v, want %v", tt.name, tt.q.Text, gotIDs, tt.want)
		}
		if tt.q.Limit != 0 {
			continue
		}
		if n, err := db.Count(ctx, tt.q); err != nil || n != len(tt.want) {
			t.Errorf("%s: Count(%q) = %d, %v; want %d", tt.name, tt.q.Text, n, err, len(tt.want))
		}
	}
}

// stillDB opens a fresh journal whose clock stands still until advance
// moves it: charges created meanwhile tie on CreatedAt, which the ID breaks.
func stillDB(t *testing.T, o *opener) (db *DB, advance func(time.Duration)) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	db, err := Open(context.Background(), o.fresh(t), WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
}

func testPaging(t *testing.T, o *opener) {
	ctx := context.Background()
	db, advance := stillDB(t, o)
	for i := range 25 {
		if i == 12 {
			advance(time.Minute)
		}
		if _, err := db.CreateIntent(ctx, NewCharge{Terminal: "C01", ExternalReference: fmt.Sprintf("page-%d", i), Amount: 100, Payer: psp.Payer{Name: "Ana"}}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := db.Search(ctx, Query{Limit: 100})
	if err != nil || len(all) != 25 {
		t.Fatalf("all: %d, %v", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if prev, cur := all[i-1], all[i]; cur.CreatedAt.After(prev.CreatedAt) || cur.CreatedAt.Equal(prev.CreatedAt) && cur.ID > prev.ID {
			t.Fatalf("not newest first at %d", i)
		}
	}
	for _, q := range []Query{{Limit: 10}, {Limit: 7, Text: "ana"}} {
		var paged []*Charge
		for page := 0; ; page++ {
			got, err := db.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			paged = append(paged, got...)
			if len(got) < q.Limit {
				break
			}
			q.After = got[len(got)-1].Cursor()
		}
		if len(paged) != len(all) {
			t.Fatalf("paged %d charges, want %d", len(paged), len(all))
		}
		for i := range all {
			if paged[i].ID != all[i].ID {
				t.Fatalf("page order differs at %d", i)
			}
		}
	}
}

func testFind(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	cs, is := searchFixture(t, db)
	for _, tt := range []struct {
		ident string
		want  int64
	}{
		{fmt.Sprint(cs[1].ID), cs[1].ID}, {is[0].tx, cs[0].ID}, {is[2].code, cs[2].ID},
		{strings.ToLower(is[2].code), cs[2].ID}, {cs[3].ExternalReference, cs[3].ID},
		{is[0].e2e, cs[0].ID}, {is[3].dev, cs[3].ID}, {is[3].e2e, cs[3].ID}, {" " + is[1].tx + " ", cs[1].ID},
	} {
		c, err := db.Find(ctx, tt.ident)
		if err != nil || c.ID != tt.want {
			t.Errorf("Find(%q) = %v, %v; want %d", tt.ident, c, err, tt.want)
		}
	}
	for _, ident := range []string{"", "999999", "nothing"} {
		if _, err := db.Find(ctx, ident); !errors.Is(err, ErrNotFound) {
			t.Errorf("Find(%q): %v, want ErrNotFound", ident, err)
		}
	}
	// Peek is Get but for the QR image.
	c, _ := newCharge(t, db)
	full, err := db.Get(ctx, c.ID)
	if err != nil || full.QRImageBase64 == "" {
		t.Fatalf("Get: QR %q, %v", full.QRImageBase64, err)
	}
	peek, err := db.Peek(ctx, c.ID)
	if err != nil || peek.QRImageBase64 != "" {
		t.Fatalf("Peek: QR %q, %v", peek.QRImageBase64, err)
	}
	if peek.QRImageBase64 = full.QRImageBase64; !reflect.DeepEqual(peek, full) {
		t.Errorf("Peek = %+v\nGet  = %+v", peek, full)
	}
	if _, err := db.Peek(ctx, 999999999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Peek of no charge: %v, want ErrNotFound", err)
	}
}

func testRefund(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	c, id := newCharge(t, db)
	if _, err := db.RequestRefund(ctx, c.ID, psp.RefundCustomerRequest, ""); !errors.Is(err, ErrConflict) {
		t.Fatalf("refund unpaid: %v", err)
	}
	reach(t, db, c, id, psp.StatusPaid)
	if _, err := db.RequestRefund(ctx, c.ID, "WHIM", ""); err == nil {
		t.Fatal("unknown reason accepted")
	}
	r1, err := db.RequestRefund(ctx, c.ID, psp.RefundCustomerRequest, "client asked")
	if err != nil {
		t.Fatal(err)
	}
	if u, err := uuid.Parse(r1.RefundKey); err != nil || u.Version() != 4 || r1.RefundReason != psp.RefundCustomerRequest {
		t.Fatalf("refund key %q (%v), reason %s", r1.RefundKey, err, r1.RefundReason)
	}
	if r1.RefundDescription != "client asked" || mustGet(t, db, c.ID).RefundDescription != "client asked" {
		t.Fatalf("refund description %q not stored", r1.RefundDescription)
	}
	// A retry gets the request the key was first sent with, whatever it asks.
	r2, err := db.RequestRefund(ctx, c.ID, psp.RefundMerchantError, "other note")
	if err != nil || r2.RefundKey != r1.RefundKey || r2.RefundReason != psp.RefundCustomerRequest || r2.RefundDescription != "client asked" {
		t.Fatalf("second request: key %q, reason %s, note %q, %v; want the first's", r2.RefundKey, r2.RefundReason, r2.RefundDescription, err)
	}
	var facts []Facts
	for _, e := range timeline(t, db, c.ID) {
		if e.Kind == EntryRefundRequest {
			facts = append(facts, e.Facts)
		}
	}
	want := []Facts{
		{IdempotencyKey: r1.RefundKey, RefundReason: psp.RefundCustomerRequest, Description: "client asked"},
		{IdempotencyKey: r1.RefundKey, RefundReason: psp.RefundCustomerRequest, Description: "client asked", Again: true,
			AskedReason: psp.RefundMerchantError, AskedDescription: "other note"},
	}
	if !slices.Equal(facts, want) {
		t.Fatalf("refund entries = %+v, want %+v", facts, want)
	}
	got, out, err := db.Apply(ctx, answer(c, id, psp.StatusRefunded), EntryRefundAnswer, []byte(`{}`))
	if err != nil || out != OutcomeApplied || got.Status != psp.StatusRefunded || got.EndToEndID != id.dev || got.OriginalEndToEndID != id.e2e {
		t.Fatalf("refund answer: %s, %v, %+v", out, err, got)
	}
	if _, err := db.RequestRefund(ctx, c.ID, psp.RefundCustomerRequest, ""); !errors.Is(err, ErrConflict) {
		t.Fatalf("refund a refunded charge: %v", err)
	}
}

func testNextReference(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	if _, err := db.CreateIntent(ctx, NewCharge{Terminal: "C09", ExternalReference: "C09-000001", Amount: 1, Payer: psp.Payer{Name: "x"}}); err != nil {
		t.Fatal(err)
	}
	if ref, err := db.NextReference(ctx, "C09"); err != nil || ref != "C09-000002" {
		t.Fatalf("NextReference skipping a used one = %q, %v", ref, err)
	}
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
		wg   sync.WaitGroup
		form = regexp.MustCompile(`^C0[1-3]-\d{6}$`)
	)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				ref, err := db.NextReference(ctx, fmt.Sprintf("C0%d", w%3+1))
				mu.Lock()
				if err != nil || !form.MatchString(ref) || seen[ref] {
					t.Errorf("NextReference = %q, %v (seen %v)", ref, err, seen[ref])
				}
				seen[ref] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func testImport(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	id := nextIDs()
	ci := &psp.CashIn{TransactionID: id.tx, InternalCode: id.code, ExternalReference: id.ref, Status: psp.StatusPaid,
		Amount: 4200, Payer: psp.Payer{Name: "Zé", Document: "12345678909", BankData: bank}, EndToEndID: id.e2e,
		PaidAt: time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)}
	c, err := db.Import(ctx, ci, "C05")
	if err != nil {
		t.Fatal(err)
	}
	if c.Stage != StageCreated || c.Status != psp.StatusPaid || c.Amount != 4200 || c.Terminal != "C05" || c.IdempotencyKey != "" || c.Flags != 0 {
		t.Fatalf("imported = %+v", c)
	}
	again, err := db.Import(ctx, ci, "C05")
	if err != nil || again.ID != c.ID {
		t.Fatalf("import again: %v, %v", again, err)
	}
	want := []string{"imported:PAID:applied", "status:PAID:applied", "imported:PAID:duplicate"}
	if got := kinds(timeline(t, db, c.ID)); !slices.Equal(got, want) {
		t.Fatalf("timeline = %q", got)
	}
	// A lookup of a charge whose create answer was lost completes it.
	p, err := db.CreateIntent(ctx, NewCharge{Terminal: "C05", ExternalReference: "lost-answer", Amount: 100, Payer: psp.Payer{Name: "Y"}})
	if err != nil {
		t.Fatal(err)
	}
	pid := nextIDs()
	got, err := db.Import(ctx, &psp.CashIn{TransactionID: pid.tx, InternalCode: pid.code, ExternalReference: "lost-answer", Status: psp.StatusAwaitingPayment, Amount: 100}, "C05")
	if err != nil || got.ID != p.ID || got.Stage != StageCreated || got.TransactionID != pid.tx || got.ExpiresAt.IsZero() {
		t.Fatalf("import of a pending charge = %+v, %v", got, err)
	}
}

func testOpenLists(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	a, aid := newCharge(t, db)
	b, err := db.CreateIntent(ctx, NewCharge{Terminal: "C01", ExternalReference: "pending-b", Amount: 1, Payer: psp.Payer{Name: "B"}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := newCharge(t, db, func(n *NewCharge) { n.Terminal = "C02" })
	if got, err := db.LatestOpen(ctx, "C01"); err != nil || got.ID != b.ID {
		t.Fatalf("LatestOpen = %v, %v; want the pending one", got, err)
	}
	if _, err := db.RecordRejected(ctx, b.ID, "", "400"); err != nil {
		t.Fatal(err)
	}
	if got, err := db.LatestOpen(ctx, "C01"); err != nil || got.ID != a.ID {
		t.Fatalf("LatestOpen = %v, %v; want the awaiting one", got, err)
	}
	if aw, err := db.Awaiting(ctx, ""); err != nil || len(aw) != 2 || aw[0].ID != a.ID || aw[1].ID != c.ID {
		t.Fatalf("Awaiting = %v, %v", aw, err)
	}
	reach(t, db, a, aid, psp.StatusPaid)
	if _, err := db.LatestOpen(ctx, "C01"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("LatestOpen with none open: %v", err)
	}
	if aw, err := db.Awaiting(ctx, "C02"); err != nil || len(aw) != 1 || aw[0].ID != c.ID {
		t.Fatalf("Awaiting(C02) = %v, %v", aw, err)
	}
}
