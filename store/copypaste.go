package store

import (
	"context"
	"strings"
)

// FindByCopyAndPaste returns the charge whose stored copy-and-paste code is
// exactly code (a payer's pasted "Pix Copia e Cola"), or ErrNotFound.
func (db *DB) FindByCopyAndPaste(ctx context.Context, code string) (*Charge, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, ErrNotFound
	}
	return db.queryCharge(ctx, "copy_and_paste = ?", code)
}
