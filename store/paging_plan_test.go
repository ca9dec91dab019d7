package store

import (
	"context"
	"strings"
	"testing"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

// pagingQueries are the searches tx list, the CSV export and the lookup
// page through (every one goes through Search with Query.After): the
// whole journal, a status or two, a terminal, a period, an amount, a
// payer's document, each on a page deep in the list.
func pagingQueries(rows int) []Query {
	mid := Cursor{CreatedAt: benchCreated(rows, rows/2), ID: int64(rows/2 + 1)}
	from, to := benchCreated(rows, rows/10), benchCreated(rows, rows*9/10)
	return []Query{
		{After: mid},
		{After: mid, Statuses: []psp.Status{psp.StatusPaid}},
		{After: mid, Statuses: []psp.Status{psp.StatusPaid, psp.StatusRefunded}},
		{After: mid, Terminal: "C01"},
		{After: mid, From: from, To: to},
		{After: mid, Amount: 100},
		{After: mid, Text: benchDoc(rows / 4)},
	}
}

// A page deep in the list costs the page, not its depth: the cursor is a
// bound of the index range on SQLite (created_at<? inside SEARCH's
// parentheses; the old OR form was "SCAN charges USING INDEX
// charges_created", a walk from the newest row).
func TestPagingPlansSQLite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := sqliteOpener.open(t)
	const rows = 5000
	bulkLoad(t, db, 0, rows, nil)
	for _, q := range pagingQueries(rows) {
		query, args, err := db.searchSQL(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		plan := explain(t, db, query, args)
		if strings.Contains(plan, "SCAN charges") || !strings.Contains(plan, "created_at<?") {
			t.Errorf("%+v: the cursor does not bound the index range:\n%s", q, plan)
		}
		if got, err := db.Search(ctx, q); err != nil || len(got) == 0 || !q.After.Newer(got[0].Cursor()) {
			t.Errorf("%+v: page %d rows, %v, or not after the cursor", q, len(got), err)
		}
	}
}

// On PostgreSQL the row comparison is an Index Cond of the index scan
// (the OR form was a Filter on a backward walk from the newest row), for
// the charges searches and for a name search that walks charge_names.
func TestPagingPlansPostgres(t *testing.T) {
	t.Parallel()
	pgtest.Start(t)
	ctx := context.Background()
	const rows = 20000
	db := analysedPostgres(t, rows)
	mid := Cursor{CreatedAt: benchCreated(rows, rows/2), ID: int64(rows/2 + 1)}
	for _, q := range append(pagingQueries(rows), Query{After: mid, Text: lastNames[0]}) {
		query, args, err := db.searchSQL(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		plan := planOf(t, db, query, args...)
		if strings.Contains(plan, "Seq Scan") || !strings.Contains(plan, "Index Cond") ||
			!strings.Contains(plan, "created_at, ") || !strings.Contains(plan, "ROW(") {
			t.Errorf("%+v: the cursor is not an index condition:\n%s", q, plan)
		}
		if got, err := db.Search(ctx, q); err != nil || len(got) == 0 || !q.After.Newer(got[0].Cursor()) {
			t.Errorf("%+v: page %d rows, %v, or not after the cursor", q, len(got), err)
		}
	}
}
