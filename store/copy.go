package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Growing out of SQLite: Copy moves a shop's SQLite journal to PostgreSQL,
// row for row, ids and counters included, in one transaction on the
// target, and proves it by counting and hashing every table on both sides
// the same way before it commits.

// ErrTargetNotEmpty reports that Copy's target already holds a journal's
// rows (CopyOptions.Replace deletes them).
var ErrTargetNotEmpty = errors.New("store: the target journal is not empty")

// ErrSchemaDiffers reports that Copy's target has another schema version
// than this pixdesk's, or tables that are not a pixdesk journal's.
var ErrSchemaDiffers = errors.New("store: the target's schema differs")

// copyTables are the journal's tables, each before those whose rows refer
// to its rows. numbered tables take their ids from a sequence (SQLite's
// AUTOINCREMENT, PostgreSQL's identity), which the copy carries on, so
// that the next charge, delivery or line continues the numbering.
var copyTables = []struct {
	name     string
	numbered bool
}{
	{"counters", false},
	{"charges", true},
	{"deliveries", true},
	{"entries", true},
	{"leases", false},
	{"refused_deliveries", true},
	{"inbox", true},
	{"refusal_counts", false},
	{"heartbeat", false},
	{"closes", false},
	{"operators", true},
	{"audit", false},
}

// derivedTable reports the tables each store fills from charges as they
// are written: the name index (SQLite's charge_names and its FTS5 shadow
// tables, PostgreSQL's charge_names, name_vocab and name_tokens, which the
// target's triggers rebuild as the charges arrive) and PostgreSQL's
// charge_writes, the change feed's record of each charge's last writer,
// which on a copy starts empty: no listener stands before it. They are not
// copied.
func derivedTable(name string) bool {
	return name == "charge_names" || strings.HasPrefix(name, "charge_names_") || name == "name_vocab" ||
		name == "name_tokens" || name == "charge_writes"
}

// CopyOptions tunes Copy.
type CopyOptions struct {
	// Replace deletes what the target holds instead of refusing it.
	Replace bool
}

// TableSum is one table as Copy read it on one side: how many rows, the
// SHA-256 of their content (hashRows) and, for numbered tables, the id
// the next row will get.
type TableSum struct {
	Rows   int64
	SHA256 string
	NextID int64
}

// CopyTable is one table's sums on the source and on the target; Copy
// commits only when every table's are equal.
type CopyTable struct {
	Name           string
	Source, Target TableSum
}

// CopyReport says what Copy did.
type CopyReport struct {
	From, To string // as Describe says them
	Schema   int    // the schema version of both
	// CreatedSchema is set when the target was a blank database, given
	// the schema in the copy's transaction.
	CreatedSchema bool
	// Replaced is how many rows the target held and the copy deleted.
	Replaced int64
	Tables   []CopyTable
	// NameRows is how many rows the target's name index holds once
	// rebuilt: one per charge.
	NameRows int64
}

// Copy copies the SQLite journal at path from to the PostgreSQL database
// to (a postgres:// DSN). The source is read in one snapshot, brought up
// to this pixdesk's schema first as any command does; the target is
// written in one transaction, under the lock migrations take. A target
// must be a blank database (it gets the schema) or a pixdesk journal of
// this pixdesk's schema version (else ErrSchemaDiffers) holding no rows
// (else ErrTargetNotEmpty, unless o.Replace, which still refuses to
// delete sealed days); a /healthz heartbeat does not count. Every table of the journal is copied with its ids; the
// sequences continue after the source's; each table's rows are counted
// and hashed on both sides, the same way, and the transaction commits
// only if they agree. Stop the counters writing to the source first: what
// they write after the snapshot is not copied.
func Copy(ctx context.Context, from, to string, o CopyOptions) (*CopyReport, error) {
	if postgresDSN(from) || from == "" {
		return nil, errors.New("store: copy reads a SQLite journal: give its file")
	}
	if !postgresDSN(to) {
		return nil, errors.New("store: copy writes to PostgreSQL: give a postgres:// DSN")
	}
	if _, err := os.Stat(strings.TrimPrefix(from, "sqlite://")); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	src, err := Open(ctx, from)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	dst := &DB{now: time.Now}
	if err := dst.openPostgres(to, DefaultMaxConns, nil); err != nil {
		return nil, err
	}
	defer dst.sql.Close()
	return copyJournal(ctx, src, dst, o)
}

func copyJournal(ctx context.Context, src, dst *DB, o CopyOptions) (*CopyReport, error) {
	rep := &CopyReport{From: src.Describe(), To: dst.Describe(), Schema: SchemaVersion()}
	// One snapshot of the source: a deferred transaction (ReadOnly skips
	// the DSN's BEGIN IMMEDIATE, so counters writing meanwhile are not
	// held up).
	rtx, err := src.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, mapErr(err)
	}
	defer rtx.Rollback()
	var sv int
	if err := rtx.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&sv); err != nil {
		return nil, mapErr(err)
	}
	if sv != rep.Schema {
		return nil, fmt.Errorf("store: the source's schema is %d, this pixdesk's %d", sv, rep.Schema)
	}
	wtx, err := dst.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, mapErr(err)
	}
	defer wtx.Rollback()
	t := &txn{db: dst, tx: wtx, ctx: ctx, now: time.Now().UTC()}
	if _, err := t.exec("SELECT pg_advisory_xact_lock(" + strconv.Itoa(schemaLock) + ")"); err != nil {
		return nil, mapErr(err)
	}
	if rep.CreatedSchema, err = t.targetSchema(); err != nil {
		return nil, mapErr(err)
	}
	held, err := t.rowsHeld()
	if err != nil {
		return nil, mapErr(err)
	}
	for _, n := range held {
		rep.Replaced += n
	}
	if n := held["closes"]; n > 0 && o.Replace {
		// A sealed day is never changed or removed (seal.go).
		return nil, fmt.Errorf("%w: it holds sealed days (%d), which are never removed: copy to another database", ErrTargetNotEmpty, n)
	}
	if n := held["audit"]; n > 0 && o.Replace {
		// The audit trail is append-only (audit.go).
		return nil, fmt.Errorf("%w: it holds an audit trail (%d entries), which is never removed: copy to another database", ErrTargetNotEmpty, n)
	}
	if rep.Replaced > 0 && !o.Replace {
		var what []string
		for _, tb := range copyTables {
			if n := held[tb.name]; n > 0 {
				what = append(what, fmt.Sprintf("%s %d", tb.name, n))
			}
		}
		return nil, fmt.Errorf("%w (rows: %s)", ErrTargetNotEmpty, strings.Join(what, ", "))
	}
	names := []string{"charge_names", "name_vocab", "name_tokens", "charge_writes"}
	for _, tb := range copyTables {
		names = append(names, tb.name)
	}
	// Also the migrations' counters at 0: the source's replace them.
	if _, err := t.exec("TRUNCATE " + strings.Join(names, ", ") + " RESTART IDENTITY"); err != nil {
		return nil, mapErr(err)
	}
	for _, tb := range copyTables {
		ct, err := t.copyTable(rtx, tb.name, tb.numbered)
		if err != nil {
			return nil, mapErr(err)
		}
		if ct.Source != ct.Target {
			return nil, fmt.Errorf("store: copy of %s does not match: source %+v, target %+v", tb.name, ct.Source, ct.Target)
		}
		rep.Tables = append(rep.Tables, ct)
	}
	if err := t.queryRow("SELECT COUNT(*) FROM charge_names").Scan(&rep.NameRows); err != nil {
		return nil, mapErr(err)
	}
	var charges int64
	for _, tb := range rep.Tables {
		if tb.Name == "charges" {
			charges = tb.Target.Rows
		}
	}
	if rep.NameRows != charges {
		return nil, fmt.Errorf("store: the name index holds %d rows for %d charges", rep.NameRows, charges)
	}
	// Versions continue after the source's (the counters row 'seq' is
	// SQLite's; PostgreSQL takes them from charge_versions).
	if _, err := t.exec(`SELECT setval('charge_versions', GREATEST((SELECT value FROM counters WHERE name = 'seq'),
		(SELECT COALESCE(MAX(version), 0) FROM charges)))`); err != nil {
		return nil, mapErr(err)
	}
	// The planner's statistics, for the first searches (names.go asks for
	// estimates).
	if _, err := t.exec("ANALYZE " + strings.Join(names, ", ")); err != nil {
		return nil, mapErr(err)
	}
	if err := wtx.Commit(); err != nil {
		return nil, mapErr(err)
	}
	return rep, nil
}

// targetSchema checks the target's schema version, or gives a blank
// database the schema, which it then reports.
func (t *txn) targetSchema() (created bool, err error) {
	var exists bool
	if err := t.queryRow("SELECT to_regclass('schema_version') IS NOT NULL").Scan(&exists); err != nil {
		return false, err
	}
	if !exists {
		var tables int
		if err := t.queryRow(`SELECT COUNT(*) FROM information_schema.tables
			WHERE table_schema = current_schema()`).Scan(&tables); err != nil {
			return false, err
		}
		if tables > 0 {
			return false, fmt.Errorf("%w: it has %d tables and no pixdesk schema", ErrSchemaDiffers, tables)
		}
		return true, t.migrate(SchemaVersion())
	}
	var v int
	if err := t.queryRow("SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&v); err != nil {
		return false, err
	}
	switch want := SchemaVersion(); {
	case v < want:
		return false, fmt.Errorf("%w: the target's schema is %d, this pixdesk's %d: open it once with this pixdesk (pixdesk tx list --db DSN), which brings it up to date",
			ErrSchemaDiffers, v, want)
	case v > want:
		return false, fmt.Errorf("%w: the target's schema is %d, written by a newer pixdesk than this one (%d): copy with that one",
			ErrSchemaDiffers, v, want)
	}
	return false, nil
}

// rowsHeld counts the target's rows that make it a journal: every table's
// but the heartbeat's, and of the counters those past a fresh schema's 0.
// Tables holding none are left out.
func (t *txn) rowsHeld() (map[string]int64, error) {
	held := map[string]int64{}
	for _, tb := range copyTables {
		q := "SELECT COUNT(*) FROM " + tb.name
		switch tb.name {
		case "heartbeat":
			continue
		case "counters":
			q += " WHERE value <> 0"
		}
		var n int64
		if err := t.queryRow(q).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			held[tb.name] = n
		}
	}
	return held, nil
}

// copyTable copies table name from the source snapshot rtx into t and
// sums it on both sides.
func (t *txn) copyTable(rtx *sql.Tx, name string, numbered bool) (CopyTable, error) {
	ct := CopyTable{Name: name}
	cols, err := sourceColumns(t.ctx, rtx, name)
	if err != nil {
		return ct, err
	}
	if err := t.sameColumns(name, cols); err != nil {
		return ct, err
	}
	idCol := slices.IndexFunc(cols, func(c column) bool { return c.name == "id" })
	if numbered && idCol < 0 {
		return ct, fmt.Errorf("%s has no id column", name)
	}
	ins := inserter{t: t, table: name, cols: cols}
	var maxID int64
	ct.Source, err = sumRows(t.ctx, rtx, false, name, cols, func(row []any) error {
		if numbered {
			maxID = max(maxID, row[idCol].(int64))
		}
		return ins.add(row)
	})
	if err == nil {
		err = ins.flush()
	}
	if err != nil || !numbered {
		if err == nil {
			ct.Target, err = sumRows(t.ctx, t.tx, true, name, cols, nil)
		}
		return ct, err
	}
	var seq int64
	err = rtx.QueryRowContext(t.ctx, "SELECT seq FROM sqlite_sequence WHERE name = ?", name).Scan(&seq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return ct, err
	}
	ct.Source.NextID = max(seq, maxID) + 1
	// setval(s, n, true): the next is n+1; setval(s, 1, false): it is 1.
	var set int64
	if err := t.queryRow("SELECT setval(pg_get_serial_sequence(?, 'id'), ?, ?)",
		name, max(1, ct.Source.NextID-1), ct.Source.NextID > 1).Scan(&set); err != nil {
		return ct, err
	}
	if ct.Target, err = sumRows(t.ctx, t.tx, true, name, cols, nil); err != nil {
		return ct, err
	}
	var seqName string
	if err := t.queryRow("SELECT pg_get_serial_sequence(?, 'id')", name).Scan(&seqName); err != nil {
		return ct, err
	}
	var last int64
	var called bool
	if err := t.queryRow("SELECT last_value, is_called FROM "+seqName).Scan(&last, &called); err != nil {
		return ct, err
	}
	ct.Target.NextID = last
	if called {
		ct.Target.NextID++
	}
	return ct, nil
}

// inserter writes rows to a target table several to an INSERT.
type inserter struct {
	t     *txn
	table string
	cols  []column
	args  []any
	rows  int
}

// copyBatchArgs bounds the values of one INSERT (PostgreSQL takes 65,535).
const copyBatchArgs = 20000

func (in *inserter) add(row []any) error {
	in.args = append(in.args, row...) // the values are fresh; row, the slice, is reused
	in.rows++
	if len(in.args)+len(in.cols) > copyBatchArgs {
		return in.flush()
	}
	return nil
}

func (in *inserter) flush() error {
	if in.rows == 0 {
		return nil
	}
	var names []string
	for _, c := range in.cols {
		names = append(names, c.name)
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(in.cols)), ", ") + ")"
	q := "INSERT INTO " + in.table + " (" + strings.Join(names, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(one+", ", in.rows), ", ")
	if _, err := in.t.exec(q, in.args...); err != nil {
		return fmt.Errorf("copy into %s: %w", in.table, err)
	}
	in.args, in.rows = in.args[:0], 0
	return nil
}
