package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func versions(t *testing.T, db *DB) []int {
	t.Helper()
	rows, err := db.sql.Query("SELECT version FROM schema_version ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	return vs
}

func hasIndex(t *testing.T, db *DB, name string) bool {
	t.Helper()
	q := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?"
	if db.postgres {
		q = "SELECT COUNT(*) FROM pg_indexes WHERE indexname = ?"
	}
	var n int
	if err := db.sql.QueryRow(db.rebind(q), name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func testMigrations(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t) // an empty database, migrated
	all := make([]int, SchemaVersion())
	for i := range all {
		all[i] = i + 1
	}
	if got := versions(t, db); !slices.Equal(got, all) {
		t.Fatalf("versions on a new database = %v, want %v", got, all)
	}
	c, _ := newCharge(t, db)
	dsn := db.dsn
	db.Close()

	// Reopening an up-to-date database changes nothing.
	db = o.reopen(t, dsn)
	if got := versions(t, db); !slices.Equal(got, all) {
		t.Fatalf("versions after reopening = %v", got)
	}
	if got := mustGet(t, db, c.ID); got.TransactionID != c.TransactionID {
		t.Fatalf("charge after reopening = %+v", got)
	}

	// Step the database back to schema 1, then open: 2 is applied, data kept.
	last := migrationFiles(db.postgres)[SchemaVersion()-1]
	names := regexp.MustCompile(`CREATE INDEX (\w+)`).FindAllStringSubmatch(last.sql, -1)
	for _, m := range names {
		if _, err := db.sql.ExecContext(ctx, "DROP INDEX "+m[1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.sql.ExecContext(ctx, db.rebind("DELETE FROM schema_version WHERE version = ?"), last.version); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = o.reopen(t, dsn)
	if got := versions(t, db); !slices.Equal(got, all) {
		t.Fatalf("versions after upgrading = %v", got)
	}
	for _, m := range names {
		if !hasIndex(t, db, m[1]) {
			t.Errorf("index %s not recreated", m[1])
		}
	}
	if got := mustGet(t, db, c.ID); got.Version != c.Version {
		t.Fatalf("charge after upgrading = %+v", got)
	}
}

func testTooNew(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	future := SchemaVersion() + 1
	if _, err := db.sql.ExecContext(ctx, db.rebind("INSERT INTO schema_version (version, applied_at) VALUES (?, 0)"), future); err != nil {
		t.Fatal(err)
	}
	dsn := db.dsn
	db.Close()
	_, err := Open(ctx, dsn)
	if !errors.Is(err, ErrTooNew) {
		t.Fatalf("Open: %v, want ErrTooNew", err)
	}
	want := fmt.Sprintf("this database was written by a newer pixdesk (schema %d); this binary knows %d", future, SchemaVersion())
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
}

func testDescribe(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if db.Backend() != o.name || !strings.HasPrefix(db.Describe(), o.name+" ") {
		t.Fatalf("Backend %q, Describe %q", db.Backend(), db.Describe())
	}
	if !db.postgres {
		if !strings.HasSuffix(db.Describe(), "pixdesk.db") {
			t.Fatalf("Describe = %q", db.Describe())
		}
		return
	}
	// The test server trusts everyone, so a password is accepted and ignored.
	withPassword := strings.Replace(db.dsn, "postgres://postgres@", "postgres://postgres:s3cr3t@", 1)
	pdb, err := Open(ctx, withPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer pdb.Close()
	if d := pdb.Describe(); strings.Contains(d, "s3cr3t") || !regexp.MustCompile(`^postgres 127\.0\.0\.1:\d+/t_\d+$`).MatchString(d) {
		t.Fatalf("Describe = %q", d)
	}
	if _, err := Open(ctx, "postgres://postgres:s3cr3t@127.0.0.1:bad/x"); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("bad dsn error = %v", err)
	}
}
