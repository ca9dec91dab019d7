package store

import (
	"context"
	"strings"
)

// FindByCopyAndPaste returns the charge whose stored copy-and-paste code is
// exactly code (a payer's pasted "Pix Copia e Cola"), or ErrNotFound. It
// walks the partial index charges_copy_and_paste (a B-tree on SQLite, a
// hash index on PostgreSQL), which holds the charges that have a code.
func (db *DB) FindByCopyAndPaste(ctx context.Context, code string) (*Charge, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, ErrNotFound
	}
	return db.queryCharge(ctx, copyAndPasteWhere, code)
}

// copyAndPasteWhere repeats the partial index's condition, so that both
// planners see at once that the index applies, whatever the parameter.
const copyAndPasteWhere = "copy_and_paste = ? AND copy_and_paste <> ''"
