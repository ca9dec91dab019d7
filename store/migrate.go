package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// migrations holds one numbered set of .sql files per dialect:
// migrations/<dialect>/NNNN_name.sql, applied in order.
//
//go:embed migrations
var migrations embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// migrationFiles lists a dialect's migrations in order. The embedded files
// are checked by the tests, so a malformed name is a build bug: it panics.
func migrationFiles(postgres bool) []migration {
	dir := "migrations/sqlite"
	if postgres {
		dir = "migrations/postgres"
	}
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	var out []migration
	for i, n := range names {
		base := path.Base(n)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v != i+1 {
			panic(fmt.Sprintf("store: migration %s is out of sequence", n))
		}
		b, err := migrations.ReadFile(n)
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	return out
}

// SchemaVersion is the newest schema this binary knows.
func SchemaVersion() int { return len(migrationFiles(false)) }

// migrate brings the schema up to version target in one transaction. On
// PostgreSQL an advisory lock keeps two opening consoles from racing.
func (db *DB) migrate(ctx context.Context, target int) error {
	return db.write(ctx, func(t *txn) error { return t.migrate(target) })
}

// schemaLock is the PostgreSQL advisory lock held by whoever changes the
// schema or fills a journal wholesale (migrate, Copy).
const schemaLock = 7262531

// migrate brings the schema up to version target within t.
func (t *txn) migrate(target int) error {
	all := migrationFiles(t.db.postgres)
	if t.db.postgres {
		if _, err := t.exec("SELECT pg_advisory_xact_lock(" + strconv.Itoa(schemaLock) + ")"); err != nil {
			return err
		}
	}
	if _, err := t.exec(`CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	var cur int
	if err := t.queryRow("SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&cur); err != nil {
		return err
	}
	if cur > len(all) {
		return fmt.Errorf("%w: this database was written by a newer pixdesk (schema %d); this binary knows %d",
			ErrTooNew, cur, len(all))
	}
	for _, m := range all[cur:min(target, len(all))] {
		if err := t.apply(m); err != nil {
			return err
		}
		if _, err := t.exec("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
			m.version, micro(t.now)); err != nil {
			return err
		}
	}
	return nil
}

// apply runs migration m: its Go step, if it has one, then its SQL.
func (t *txn) apply(m migration) error {
	_, key, _ := strings.Cut(m.name, "_")
	if step := goSteps[key]; step != nil {
		if err := step(t); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
	}
	if err := t.execScript(m.sql); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	return nil
}

// execScript runs a migration file statement by statement (the pgx
// database/sql driver runs one statement per Exec with arguments, and one
// path for both dialects keeps them alike). Statements end with ";" at the
// end of a line; the files hold no semicolons elsewhere, but for those
// inside a trigger or function body, which is written on one line.
func (t *txn) execScript(script string) error {
	for _, stmt := range strings.Split(script, ";\n") {
		var lines []string
		for _, l := range strings.Split(stmt, "\n") {
			if s := strings.TrimSpace(l); s != "" && !strings.HasPrefix(s, "--") {
				lines = append(lines, l)
			}
		}
		q := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";")
		if q == "" {
			continue
		}
		if !t.db.postgres {
			var (
				skip bool
				err  error
			)
			q, skip, err = t.addColumnIfNotExists(q)
			if err != nil {
				return err
			}
			if skip {
				continue
			}
		}
		if _, err := t.tx.ExecContext(t.ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// addColumnRE matches PostgreSQL's "ALTER TABLE t ADD COLUMN IF NOT EXISTS c …".
var addColumnRE = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+IF\s+NOT\s+EXISTS\s+(\w+)\s`)

// addColumnIfNotExists gives SQLite, which lacks the clause, PostgreSQL's
// ALTER TABLE … ADD COLUMN IF NOT EXISTS: q without the clause, or skip if
// the column is there already. Every migration can then be applied again
// over its own result, as CREATE … IF NOT EXISTS can. Other statements
// are returned as they are.
func (t *txn) addColumnIfNotExists(q string) (string, bool, error) {
	m := addColumnRE.FindStringSubmatchIndex(q)
	if m == nil {
		return q, false, nil
	}
	table, column := q[m[2]:m[3]], q[m[4]:m[5]]
	var n int
	err := t.tx.QueryRowContext(t.ctx, "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?", table, column).Scan(&n)
	if err != nil || n > 0 {
		return "", n > 0, err
	}
	return "ALTER TABLE " + table + " ADD COLUMN " + q[m[4]:], false, nil
}
