package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"slices"
	"strings"
)

// What Copy reads of a table, the same way on either side: its columns as
// the SQLite journal declares them, and its rows counted and hashed.

// column is one column of a journal table: its name, how its values are
// read and hashed, and its place in the primary key (0: not in it).
type column struct {
	name string
	kind byte // kindInt, kindText or kindBlob
	pk   int
}

// Value kinds, also the tags hashRows writes before each value (0 is NULL).
const (
	kindInt  byte = 1
	kindText byte = 2
	kindBlob byte = 3
)

// sourceColumns lists table name's columns as the SQLite journal declares
// them.
func sourceColumns(ctx context.Context, rtx *sql.Tx, name string) ([]column, error) {
	rows, err := rtx.QueryContext(ctx, "SELECT name, type, pk FROM pragma_table_info(?) ORDER BY cid", name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []column
	for rows.Next() {
		var c column
		var typ string
		if err := rows.Scan(&c.name, &typ, &c.pk); err != nil {
			return nil, err
		}
		switch strings.ToUpper(typ) {
		case "INTEGER":
			c.kind = kindInt
		case "TEXT":
			c.kind = kindText
		case "BLOB":
			c.kind = kindBlob
		default:
			return nil, fmt.Errorf("copy knows no column type %s (%s.%s)", typ, name, c.name)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("the source has no table %s", name)
	}
	return cols, nil
}

// postgresOnly lists the columns ("table.column") the PostgreSQL journal
// has and SQLite's has not; a copy leaves them NULL. None since migration
// 0015 moved charges.written_xid into a table of its own.
var postgresOnly = map[string]bool{}

// sameColumns checks that the target's table name has the columns cols,
// no more, no fewer.
func (t *txn) sameColumns(name string, cols []column) error {
	rows, err := t.tx.QueryContext(t.ctx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, name)
	if err != nil {
		return err
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		if !postgresOnly[name+"."+c] {
			got = append(got, c)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var want []string
	for _, c := range cols {
		want = append(want, c.name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return fmt.Errorf("%w: %s has columns %v on the target, %v on the source", ErrSchemaDiffers, name, got, want)
	}
	return nil
}

// sumRows reads every row of table name through q in primary-key order
// (bytewise for text keys on both sides), hands each to fn if set (its
// values nil, int64, string or []byte as cols say) and returns their
// count and hash.
func sumRows(ctx context.Context, q *sql.Tx, postgres bool, name string, cols []column, fn func([]any) error) (TableSum, error) {
	var sel, order []string
	var blobs int
	for _, c := range cols {
		sel = append(sel, c.name)
	}
	for _, c := range cols {
		// An empty BLOB and NULL both scan as nil []byte from SQLite.
		if c.kind == kindBlob {
			sel = append(sel, "("+c.name+" IS NULL)")
			blobs++
		}
	}
	keys := slices.Clone(cols)
	keys = slices.DeleteFunc(keys, func(c column) bool { return c.pk == 0 })
	slices.SortFunc(keys, func(a, b column) int { return a.pk - b.pk })
	for _, c := range keys {
		o := c.name
		if postgres && c.kind == kindText {
			o += ` COLLATE "C"`
		}
		order = append(order, o)
	}
	if len(order) == 0 {
		return TableSum{}, fmt.Errorf("%s has no primary key", name)
	}
	rows, err := q.QueryContext(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+name+" ORDER BY "+strings.Join(order, ", "))
	if err != nil {
		return TableSum{}, err
	}
	defer rows.Close()
	h := newRowHash(cols)
	var sum TableSum
	dest := make([]any, len(cols)+blobs)
	ints := make([]sql.NullInt64, len(cols))
	texts := make([]sql.NullString, len(cols))
	bytes := make([][]byte, len(cols))
	nulls := make([]bool, blobs)
	b := 0
	for i, c := range cols {
		switch c.kind {
		case kindInt:
			dest[i] = &ints[i]
		case kindText:
			dest[i] = &texts[i]
		case kindBlob:
			dest[i] = &bytes[i]
			dest[len(cols)+b] = &nulls[b]
			b++
		}
	}
	row := make([]any, len(cols))
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return TableSum{}, err
		}
		b := 0
		for i, c := range cols {
			row[i] = nil
			switch c.kind {
			case kindInt:
				if ints[i].Valid {
					row[i] = ints[i].Int64
				}
			case kindText:
				if texts[i].Valid {
					row[i] = texts[i].String
				}
			case kindBlob:
				if !nulls[b] {
					row[i] = append([]byte{}, bytes[i]...)
				}
				b++
			}
		}
		h.add(row)
		sum.Rows++
		if fn != nil {
			if err := fn(row); err != nil {
				return TableSum{}, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return TableSum{}, err
	}
	sum.SHA256 = h.sum()
	return sum, nil
}

// rowHash is the content hash of a table: SHA-256 over its column names,
// then each row's values in column order, each as a tag (0 NULL, else its
// kind), then an integer's 8 bytes big-endian or a text's or blob's
// length (uvarint) and bytes.
type rowHash struct {
	h   hash.Hash
	buf []byte
}

func newRowHash(cols []column) *rowHash {
	r := &rowHash{h: sha256.New()}
	for _, c := range cols {
		r.h.Write([]byte(c.name))
		r.h.Write([]byte{0, c.kind})
	}
	return r
}

func (r *rowHash) add(row []any) {
	r.buf = r.buf[:0]
	for _, v := range row {
		switch v := v.(type) {
		case nil:
			r.buf = append(r.buf, 0)
		case int64:
			r.buf = binary.BigEndian.AppendUint64(append(r.buf, kindInt), uint64(v))
		case string:
			r.buf = append(binary.AppendUvarint(append(r.buf, kindText), uint64(len(v))), v...)
		case []byte:
			r.buf = append(binary.AppendUvarint(append(r.buf, kindBlob), uint64(len(v))), v...)
		}
	}
	r.h.Write(r.buf)
}

func (r *rowHash) sum() string { return hex.EncodeToString(r.h.Sum(nil)) }
