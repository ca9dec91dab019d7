package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/store/pgtest"
)

// tablesOf lists the tables of db's schema.
func tablesOf(t *testing.T, db *DB) []string {
	t.Helper()
	q := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if db.postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
	}
	rows, err := db.sql.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// Every table of either schema is copied, rebuilt by the target's triggers
// (the name index) or the schema's own bookkeeping: a migration that adds
// a table fails here until Copy knows it.
func TestCopyKnowsEveryTable(t *testing.T) {
	t.Parallel()
	for _, o := range []*opener{sqliteOpener, postgresOpener} {
		db := o.open(t)
		for _, name := range tablesOf(t, db) {
			copied := slices.ContainsFunc(copyTables, func(tb struct {
				name     string
				numbered bool
			}) bool {
				return tb.name == name
			})
			if !copied && !derivedTable(name) && name != "schema_version" && name != "sqlite_sequence" {
				t.Errorf("%s: table %s is neither copied nor derived", o.name, name)
			}
		}
	}
}

// The hash tells NULL, an empty text, an empty blob, a zero and a
// different order apart.
func TestRowHashDistinguishes(t *testing.T) {
	t.Parallel()
	cols := []column{{name: "a", kind: kindText}, {name: "b", kind: kindBlob}}
	sum := func(rows ...[]any) string {
		h := newRowHash(cols)
		for _, r := range rows {
			h.add(r)
		}
		return h.sum()
	}
	seen := map[string]string{}
	for name, s := range map[string]string{
		"nulls":       sum([]any{nil, nil}),
		"empty text":  sum([]any{"", nil}),
		"empty blob":  sum([]any{nil, []byte{}}),
		"zero":        sum([]any{int64(0), nil}),
		"two rows":    sum([]any{"x", nil}, []any{"y", nil}),
		"other order": sum([]any{"y", nil}, []any{"x", nil}),
		"joined":      sum([]any{"xy", nil}),
		"split":       sum([]any{"x", []byte("y")}),
	} {
		if prev, ok := seen[s]; ok {
			t.Errorf("%s and %s hash alike", prev, name)
		}
		seen[s] = name
	}
}

// copyTo copies the SQLite journal at path to dsn.
func copyTo(t *testing.T, path, dsn string, replace bool) (*CopyReport, error) {
	t.Helper()
	return Copy(context.Background(), path, dsn, CopyOptions{Replace: replace})
}

func TestCopyRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "j.db")
	src := sqliteOpener.reopen(t, path)
	newCharge(t, src)
	// An empty body and no body are kept apart (SQLite's driver reads both
	// as nil).
	for _, body := range []any{[]byte{}, nil} {
		if _, err := src.sql.Exec(`INSERT INTO deliveries (event_id, verdict, received_at, body)
			VALUES ('e', 'unmatched', 1, ?)`, body); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := copyTo(t, filepath.Join(t.TempDir(), "none.db"), pgtest.Start(t), false); err == nil {
		t.Error("copied from a file that does not exist")
	}
	if _, err := copyTo(t, path, filepath.Join(t.TempDir(), "other.db"), false); err == nil {
		t.Error("copied to a SQLite file")
	}

	// A blank database gets the schema; a journal opened (and probed) by
	// serve but holding nothing is empty too.
	blank := pgtest.Start(t)
	rep, err := copyTo(t, path, blank, false)
	if err != nil || !rep.CreatedSchema {
		t.Fatalf("copy to a blank database: %+v, %v", rep, err)
	}
	dst := postgresOpener.reopen(t, blank)
	var nulls, empties int
	if err := dst.sql.QueryRow(`SELECT COUNT(*) FILTER (WHERE body IS NULL), COUNT(*) FILTER (WHERE body = '')
		FROM deliveries`).Scan(&nulls, &empties); err != nil || nulls != 1 || empties != 1 {
		t.Errorf("bodies: %d NULL, %d empty, %v; want one each", nulls, empties, err)
	}
	opened := pgtest.Start(t)
	fresh := postgresOpener.reopen(t, opened)
	if err := fresh.Probe(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := copyTo(t, path, opened, false); err != nil || rep.CreatedSchema || rep.Replaced != 0 {
		t.Fatalf("copy to a journal holding a heartbeat: %+v, %v", rep, err)
	}

	// A journal with rows is refused, and left as it was, unless replaced.
	_, err = copyTo(t, path, blank, false)
	if !errors.Is(err, ErrTargetNotEmpty) || !strings.Contains(err.Error(), "charges 1") {
		t.Fatalf("copy over a journal: %v, want ErrTargetNotEmpty naming its charges", err)
	}
	rep, err = copyTo(t, path, blank, true)
	if err != nil || rep.Replaced == 0 {
		t.Fatalf("copy replacing a journal: %+v, %v", rep, err)
	}
	// Not even Replace removes a sealed day.
	if _, err := dst.Seal(ctx, Actor{Terminal: "C01"}, "2026-03-09", "report"); err != nil {
		t.Fatal(err)
	}
	if _, err := copyTo(t, path, blank, true); !errors.Is(err, ErrTargetNotEmpty) || !strings.Contains(err.Error(), "sealed days (1)") {
		t.Fatalf("copy replacing a journal with a sealed day: %v", err)
	}
	if _, err := dst.SealedDay(ctx, "C01", "2026-03-09"); err != nil {
		t.Fatalf("the sealed day after a refused copy: %v", err)
	}

	// Another schema version, or tables that are not a journal's.
	old := pgtest.Start(t)
	odb := &DB{now: time.Now}
	if err := odb.openPostgres(old, DefaultMaxConns, nil); err != nil {
		t.Fatal(err)
	}
	defer odb.sql.Close()
	if err := odb.migrate(ctx, SchemaVersion()-1); err != nil {
		t.Fatal(err)
	}
	if _, err := copyTo(t, path, old, false); !errors.Is(err, ErrSchemaDiffers) {
		t.Errorf("copy to an older schema: %v, want ErrSchemaDiffers", err)
	}
	other := pgtest.Start(t)
	if db, err := sql.Open("pgx", other); err != nil {
		t.Fatal(err)
	} else {
		defer db.Close()
		if _, err := db.Exec("CREATE TABLE shop (id BIGINT)"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := copyTo(t, path, other, false); !errors.Is(err, ErrSchemaDiffers) {
		t.Errorf("copy to a database of other tables: %v, want ErrSchemaDiffers", err)
	}
}

// BenchmarkCopy copies a journal of PIXDESK_BENCH_ROWS charges (default
// 100000), each with a QR image, three history lines and a delivery, to
// pgtest's PostgreSQL (fsync off):
//
//	go test -run '^$' -bench Copy -benchtime 1x ./store/
func BenchmarkCopy(b *testing.B) {
	n := benchRows(b)
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "bench.db")
	db, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	bulkLoad(b, db, 0, n, nil)
	qr := strings.Repeat("iVBORw0KGgo", 410) // a 4.5 KB QR image, as ConnectPSP sends
	for _, q := range []string{
		"UPDATE charges SET qr_image = '" + qr + "'",
		`INSERT INTO deliveries (charge_id, event_id, event_type, transaction_id, verdict, received_at, outcome, body)
			SELECT id, 'ev-' || id, 'CASHIN_PAID', transaction_id, 'genuine', created_at, 'applied',
				CAST('{"eventType":"CASHIN_PAID","data":{"transactionId":"' || transaction_id || '","status":"PAID"}}' AS BLOB)
			FROM charges`,
		`INSERT INTO entries (charge_id, at, kind, status, outcome, facts)
			SELECT id, created_at, k.kind, status, 'applied', '{"amount":1000}' FROM charges,
				(SELECT 'created' AS kind UNION ALL SELECT 'create_answer' UNION ALL SELECT 'status') AS k`,
	} {
		if _, err := db.sql.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	dsn := pgtest.Start(b)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		rep, err := Copy(ctx, path, dsn, CopyOptions{Replace: true})
		if err != nil {
			b.Fatal(err)
		}
		var rows int64
		for _, tb := range rep.Tables {
			rows += tb.Source.Rows
		}
		b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
		b.ReportMetric(float64(rows), "rows")
	}
}
