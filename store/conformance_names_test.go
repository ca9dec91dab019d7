package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// nameFixture stores charges whose names put the searched words first, in
// the middle and last, with accents composed and combining (NFD), with
// punctuation, and with words longer than charge_names' prefix indexes.
// Oldest first.
func nameFixture(t *testing.T, db *DB) []*Charge {
	specs := []struct {
		name, terminal string
		status         psp.Status
	}{
		{"Maria Aparecida da Silva", "C01", psp.StatusPaid},
		{"João Souza Lima", "C02", psp.StatusPaid},
		{"JOSÉ DA SILVA", "C01", psp.StatusExpired},
		{"Ana-Lúcia D'Ávila", "C02", psp.StatusAwaitingPayment},
		{"Joa\u0303o Conceic\u0327a\u0303o", "C01", psp.StatusPaid}, // NFD, as macOS writes it
		{"Mariana Nascimento Guimarães", "C02", psp.StatusRefunded},
	}
	var cs []*Charge
	for _, s := range specs {
		c, id := newCharge(t, db, func(n *NewCharge) { n.Payer.Name, n.Terminal = s.name, s.terminal })
		reach(t, db, c, id, s.status)
		cs = append(cs, mustGet(t, db, c.ID))
	}
	return cs
}

func testNameSearch(t *testing.T, o *opener) {
	db := o.open(t)
	cs := nameFixture(t, db)
	maria, joao, jose, ana, joaoNFD, mariana := cs[0].ID, cs[1].ID, cs[2].ID, cs[3].ID, cs[4].ID, cs[5].ID
	tests := []searchCase{
		{"first word", Query{Text: "maria"}, []int64{mariana, maria}},
		{"first word, whole", Query{Text: "joana"}, nil},
		{"middle word", Query{Text: "Aparecida"}, []int64{maria}},
		{"middle word, start", Query{Text: "apare"}, []int64{maria}},
		{"inside a word does not match", Query{Text: "ecida"}, nil},
		{"last word", Query{Text: "silva"}, []int64{jose, maria}},
		{"last word, start", Query{Text: "sil"}, []int64{jose, maria}},
		{"two words", Query{Text: "da silva"}, []int64{jose, maria}},
		{"two words, any order", Query{Text: "silva maria"}, []int64{maria}},
		{"three words, start of the last", Query{Text: "joao souza li"}, []int64{joao}},
		{"a word that is not there", Query{Text: "maria souza"}, nil},
		{"a word twice", Query{Text: "silva SILVA"}, []int64{jose, maria}},
		{"a word and its start", Query{Text: "da d"}, []int64{jose, maria}},
		{"three words, any order", Query{Text: "silva da maria"}, []int64{maria}},
		{"upper case query", Query{Text: "SOUZA"}, []int64{joao}},
		{"upper case name", Query{Text: "jose da"}, []int64{jose}},
		{"accented query, plain name", Query{Text: "Márïa"}, []int64{mariana, maria}},
		{"plain query, accented name", Query{Text: "joao"}, []int64{joaoNFD, joao}},
		{"accented query, NFD name", Query{Text: "Conceição"}, []int64{joaoNFD}},
		{"NFD query, NFC name", Query{Text: "Jose\u0301 da Silva"}, []int64{jose}},
		{"NFD query, NFD name", Query{Text: "conceic\u0327a\u0303o"}, []int64{joaoNFD}},
		{"after an apostrophe", Query{Text: "avila"}, []int64{ana}},
		{"with the apostrophe", Query{Text: "d'ávila"}, []int64{ana}},
		{"after a hyphen", Query{Text: "lucia"}, []int64{ana}},
		{"long word", Query{Text: "nascimento"}, []int64{mariana}},
		{"long word, start", Query{Text: "nasciment"}, []int64{mariana}},
		{"long word, longer than the name's", Query{Text: "nascimentos"}, nil},
		{"two long words", Query{Text: "guimaraes nascimento"}, []int64{mariana}},
		{"spaces and punctuation", Query{Text: "  silva ,  maria  "}, []int64{maria}},
		{"with status", Query{Text: "silva", Statuses: []psp.Status{psp.StatusPaid}}, []int64{maria}},
		{"with terminal", Query{Text: "jo", Terminal: "C02"}, []int64{joao}},
		{"with period", Query{Text: "joao", From: cs[2].CreatedAt, To: cs[5].CreatedAt}, []int64{joaoNFD}},
		{"with everything", Query{Text: "maria", Terminal: "C01", Statuses: []psp.Status{psp.StatusPaid},
			From: cs[0].CreatedAt, To: cs[5].CreatedAt.Add(time.Second)}, []int64{maria}},
		{"with amount", Query{Text: "maria", Amount: cs[5].Amount}, []int64{mariana, maria}},
		{"limit", Query{Text: "a", Limit: 1}, []int64{ana}},
	}
	checkSearches(t, db, tests)
}

// testNamePaging pages through a name search, with and without a filter,
// over charges of which runs share one creation time (a clock that stands
// still), and compares with the whole list.
func testNamePaging(t *testing.T, o *opener) {
	ctx := context.Background()
	db, advance := stillDB(t, o)
	names := []string{"Maria da Silva", "Ana Souza", "Silvana Lima", "José Silva", "Ana Lima"}
	for i := range 40 {
		if i%9 == 0 {
			advance(time.Minute)
		}
		n := NewCharge{Terminal: fmt.Sprintf("C0%d", i%2+1), ExternalReference: fmt.Sprintf("name-page-%d", i),
			Amount: 100, Payer: psp.Payer{Name: names[i%len(names)]}}
		if _, err := db.CreateIntent(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	// The whole journal, newest first, is what every search filters.
	every, err := db.Search(ctx, Query{Limit: MaxLimit})
	if err != nil || len(every) != 40 {
		t.Fatalf("all: %d, %v", len(every), err)
	}
	for _, q := range []Query{{Text: "silv"}, {Text: "silva", Terminal: "C01"}, {Text: "ana"}, {Text: "lima ana"}} {
		var want []int64
		for _, c := range every {
			if (c.Terminal == q.Terminal || q.Terminal == "") && NameMatches(c.Payer.Name, q.Text) {
				want = append(want, c.ID)
			}
		}
		whole := q
		whole.Limit = MaxLimit
		allIDs := searchIDs(t, db, whole)
		if len(want) < 8 || !slices.Equal(allIDs, want) {
			t.Fatalf("%+v: found %v, want %v (at least 8, to page)", q, allIDs, want)
		}
		var paged []int64
		q.Limit = 3
		for {
			got, err := db.Search(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range got {
				paged = append(paged, c.ID)
			}
			if len(got) < q.Limit {
				break
			}
			q.After = got[len(got)-1].Cursor()
		}
		if !slices.Equal(paged, want) {
			t.Fatalf("%+v: pages %v, want %v", q, paged, want)
		}
	}
}

// testNameBackfill takes a journal with thousands of charges back to
// before the name_words migration — its index gone, name_fold as the old
// Fold wrote it (punctuation kept, combining accents left on) — and
// applies the migration again: every charge is found by its words.
func testNameBackfill(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	const n = 3000
	bulkLoad(t, db, 0, n, nil)
	old, err := db.CreateIntent(ctx, NewCharge{Terminal: "C01", ExternalReference: "old-fold", Amount: 100,
		Payer: psp.Payer{Name: "Zélia D'Ávila Conceic\u0327a\u0303o"}})
	if err != nil {
		t.Fatal(err)
	}
	var ms []migration
	for _, f := range migrationFiles(db.postgres) {
		if strings.HasSuffix(f.name, "_name_words.sql") || strings.HasSuffix(f.name, "_name_tokens.sql") {
			ms = append(ms, f)
		}
	}
	undo := []string{"DROP TRIGGER charges_name_words", "DROP TABLE charge_names", "DROP TABLE charge_names_content"}
	if db.postgres {
		undo = []string{"DROP TRIGGER charges_name_words ON charges", "DROP TABLE charge_names", "DROP TABLE name_vocab",
			"DROP TRIGGER charges_name_tokens ON charges", "DROP TABLE name_tokens"}
	}
	undo = append(undo, "UPDATE charges SET name_fold = 'zelia d''avila conceic\u0327a\u0303o' WHERE id = "+fmt.Sprint(old.ID))
	for _, q := range undo {
		if _, err := db.sql.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for _, m := range ms {
		if err := db.write(ctx, func(t *txn) error { return t.apply(m) }); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct {
		text string
		want int
	}{
		{"avila", 1}, {"conceicao zelia", 1},
		{firstNames[7], countNames(n, firstNames[7])},
		{benchName(1234), countNames(n, benchName(1234))},
		{lastNames[3], countNames(n, lastNames[3])},
	} {
		if got, err := db.Count(ctx, Query{Text: tt.text}); err != nil || got != tt.want {
			t.Errorf("Count(%q) after the migration = %d, %v; want %d", tt.text, got, err, tt.want)
		}
		// The pages come from another index than the count on PostgreSQL
		// (name_tokens).
		checkNamePage(t, db, Query{Text: tt.text, Limit: MaxLimit}, min(tt.want, MaxLimit))
	}
	// And the index goes on growing with new charges.
	if _, err := db.CreateIntent(ctx, NewCharge{Terminal: "C01", ExternalReference: "after", Amount: 100,
		Payer: psp.Payer{Name: "Zélia Nova"}}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Count(ctx, Query{Text: "zelia"}); err != nil || got != 2 {
		t.Errorf("Count(zelia) = %d, %v; want 2", got, err)
	}
	checkNamePage(t, db, Query{Text: "zelia"}, 2)
}

// checkNamePage checks that Search(q) finds want charges, newest first,
// each of whose names q's words start.
func checkNamePage(t *testing.T, db *DB, q Query, want int) {
	t.Helper()
	got, err := db.Search(context.Background(), q)
	if err != nil || len(got) != want {
		t.Errorf("Search(%q) found %d, %v; want %d", q.Text, len(got), err, want)
		return
	}
	for i, c := range got {
		if !NameMatches(c.Payer.Name, q.Text) || i > 0 && !got[i-1].Cursor().Newer(c.Cursor()) {
			t.Errorf("Search(%q): %q (%d) does not match or is out of order", q.Text, c.Payer.Name, i)
		}
	}
}

// searchIDs is the ids of the charges Search(q) finds, in its order.
func searchIDs(t *testing.T, db *DB, q Query) []int64 {
	t.Helper()
	got, err := db.Search(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, c := range got {
		ids = append(ids, c.ID)
	}
	return ids
}

// countNames counts the bulk-loaded names among the first n that text's
// words start.
func countNames(n int, text string) int {
	c := 0
	for i := range n {
		if NameMatches(benchName(i), text) {
			c++
		}
	}
	return c
}

// On SQLite a name search walks charge_names by rowid, newest first
// (FTS5's index 192: rowid order, descending, consumed), and sorts
// nothing, with filters and on later pages too; a page's cursor and the
// period bound the walk (the "<" and ">" after the MATCH).
func TestNamePlanWalksNewestFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := sqliteOpener.open(t)
	cs := nameFixture(t, db)
	for _, tt := range []struct {
		q     Query
		shape string
	}{
		{Query{Text: "silva"}, "INDEX 192:M"},
		{Query{Text: "da silva", Statuses: []psp.Status{psp.StatusPaid}, Terminal: "C01"}, "INDEX 192:M"},
		{Query{Text: "nascimento guimaraes"}, "INDEX 192:M"},
		{Query{Text: "maria", After: cs[5].Cursor()}, "INDEX 192:M2<"},
		{Query{Text: "maria", From: cs[1].CreatedAt, To: cs[4].CreatedAt}, "INDEX 192:M2><"},
	} {
		q, args, err := db.searchSQL(ctx, tt.q)
		if err != nil {
			t.Fatal(err)
		}
		plan := explain(t, db, q, args)
		if !strings.Contains(plan, "SCAN charge_names VIRTUAL TABLE "+tt.shape) || strings.Contains(plan, "TEMP B-TREE") ||
			!strings.Contains(plan, "SEARCH charges USING INTEGER PRIMARY KEY") {
			t.Errorf("%+v: plan is not a walk of charge_names by rowid (%s):\n%s", tt.q, tt.shape, plan)
		}
	}
}

// On PostgreSQL a name search reads name_tokens_order backward, one scan
// per token, newest first, and stops after the page: for a common word, a
// first name and the start of a surname (the pairs, merged), a word with
// filters and a second page; a whole name reads a pair's few charges and
// checks the other words. Nothing sorts more than the page (the final Sort is of the page's
// rows, by charges.created_at) and nothing scans a table: the plans before
// name_tokens walked charge_names_created or read the GIN index and sorted
// its matches, and fail here.
func TestPostgresNamePlans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const rows = 20000
	db := analysedPostgres(t, rows)
	first, err := db.Search(ctx, Query{Text: lastNames[1]})
	if err != nil || len(first) != DefaultLimit {
		t.Fatalf("first page: %d, %v", len(first), err)
	}
	for _, q := range []Query{
		{Text: lastNames[0]},
		{Text: firstNames[3] + " " + lastNames[5][:3]},
		{Text: lastNames[2], Statuses: []psp.Status{psp.StatusPaid}},
		{Text: lastNames[0], Terminal: "C01", Statuses: []psp.Status{psp.StatusPaid, psp.StatusExpired}},
		{Text: lastNames[1], After: first[len(first)-1].Cursor()},
		// A whole name's pair has a few charges, which the planner may
		// read by a bitmap and sort.
		{Text: benchName(rows / 2)},
	} {
		sq, args, err := db.searchSQL(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		plan := planOf(t, db, sq, args...)
		if ordered := q.Text != benchName(rows/2); ordered && !readsTokensInOrder(plan) ||
			!strings.Contains(plan, "on name_tokens t") || strings.Contains(plan, "Seq Scan") {
			t.Errorf("%+v: plan does not read name_tokens_order in order:\n%s", q, plan)
		}
		var want []int64
		for i := rows - 1; i >= 0 && len(want) < DefaultLimit; i-- {
			c := benchCreated(rows, i)
			if NameMatches(benchName(i), q.Text) && (q.Terminal == "" || q.Terminal == fmt.Sprintf("C0%d", i%5)) &&
				(len(q.Statuses) == 0 || slices.Contains(q.Statuses, benchStatuses[i%len(benchStatuses)])) &&
				(q.After.ID == 0 || q.After.Newer(Cursor{CreatedAt: c, ID: int64(i + 1)})) {
				want = append(want, int64(i+1))
			}
		}
		if ids := searchIDs(t, db, q); len(want) == 0 || !slices.Equal(ids, want) {
			t.Errorf("%+v: found %v, want %v", q, ids, want)
		}
	}
}

// readsTokensInOrder reports whether an EXPLAIN of a name search reads
// name_tokens_order backward, scans no table and sorts nothing but the
// page (charges' rows).
func readsTokensInOrder(plan string) bool {
	lines := strings.Split(plan, "\n")
	for i, l := range lines {
		node := strings.TrimPrefix(l, "->  ")
		if strings.HasPrefix(node, "Sort  (") && (i+1 == len(lines) || !strings.HasPrefix(lines[i+1], "Sort Key: charges.")) {
			return false
		}
	}
	return strings.Contains(plan, "Scan Backward using name_tokens_order") &&
		!strings.Contains(plan, "Seq Scan") && !strings.Contains(plan, "Bitmap")
}

// analysedPostgres opens a PostgreSQL journal with rows bulk charges whose
// statistics ANALYZE has gathered, for tests of the planner's choices.
func analysedPostgres(t *testing.T, rows int) *DB {
	t.Helper()
	db := postgresOpener.open(t)
	bulkLoad(t, db, 0, rows, nil)
	if _, err := db.sql.Exec("ANALYZE charges, charge_names, name_tokens"); err != nil {
		t.Fatal(err)
	}
	return db
}
