package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// planOf returns the query plan of q with args, one line per node:
// EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL.
func planOf(t testing.TB, db *DB, q string, args ...any) string {
	t.Helper()
	if !db.postgres {
		return explain(t, db, q, args)
	}
	rows, err := db.sql.Query("EXPLAIN "+db.rebind(q), args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.TrimSpace(line) + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// testCopyAndPaste finds charges by their pasted code, and checks that the
// lookup walks charges_copy_and_paste rather than the table. PostgreSQL
// plans by statistics, so the table holds a few thousand analysed rows:
// enough for a scan to cost more than the index, as it does all the more
// at a million (BenchmarkSQLite and BenchmarkPostgres log the plan at
// PIXDESK_BENCH_ROWS).
func testCopyAndPaste(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	const rows = 3000
	bulkLoad(t, db, 0, rows, nil)
	if db.postgres {
		if _, err := db.sql.ExecContext(ctx, "ANALYZE charges"); err != nil {
			t.Fatal(err)
		}
	}
	plan := planOf(t, db, "SELECT "+chargeCols+" FROM charges WHERE "+copyAndPasteWhere, benchCopyPaste(rows/2))
	if !strings.Contains(plan, "charges_copy_and_paste") || strings.Contains(plan, "Seq Scan") ||
		strings.Contains(plan, "SCAN charges\n") {
		t.Errorf("FindByCopyAndPaste does not use charges_copy_and_paste:\n%s", plan)
	}
	for _, row := range []int{0, rows / 2, rows - 1} {
		c, err := db.FindByCopyAndPaste(ctx, " "+benchCopyPaste(row)+"\n")
		if err != nil || c.TransactionID != benchTx(row) {
			t.Errorf("FindByCopyAndPaste(row %d) = %+v, %v", row, c, err)
		}
	}
	c, _ := newCharge(t, db)
	if got, err := db.FindByCopyAndPaste(ctx, c.CopyAndPaste); err != nil || got.ID != c.ID {
		t.Errorf("FindByCopyAndPaste(a created charge) = %+v, %v", got, err)
	}
	for _, code := range []string{"", "   ", benchCopyPaste(rows), c.CopyAndPaste[:len(c.CopyAndPaste)-1]} {
		if _, err := db.FindByCopyAndPaste(ctx, code); !errors.Is(err, ErrNotFound) {
			t.Errorf("FindByCopyAndPaste(%.20q…): %v, want ErrNotFound", code, err)
		}
	}
}
