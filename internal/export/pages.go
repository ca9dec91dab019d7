package export

import (
	"context"
	"io"

	"github.com/pixdesk/pixdesk/store"
)

// SearchFunc reads one page of a search (store.DB.Search).
type SearchFunc func(ctx context.Context, q store.Query) ([]*store.Charge, error)

// Pages reads every charge q matches, newest first, up to limit (0: all),
// a page of at most store.MaxLimit at a time with keyset paging
// (store.Cursor), and hands each page to each before it reads the next:
// memory holds one page however many rows there are. It returns how many
// rows were handed over.
func Pages(ctx context.Context, search SearchFunc, q store.Query, limit int, each func([]*store.Charge) error) (n int, err error) {
	q.After = store.Cursor{}
	for {
		q.Limit = store.MaxLimit
		if limit > 0 && limit-n < q.Limit {
			q.Limit = limit - n
		}
		rows, err := search(ctx, q)
		if err != nil {
			return n, err
		}
		if len(rows) > 0 {
			if err := each(rows); err != nil {
				return n, err
			}
		}
		n += len(rows)
		if len(rows) < q.Limit || limit > 0 && n >= limit {
			return n, nil
		}
		q.After = rows[len(rows)-1].Cursor()
	}
}

// File writes every charge q matches to path as CSV, newest first, page by
// page (Pages). The file appears complete or not at all (WriteFileAtomic).
// It returns how many rows were written.
func File(ctx context.Context, path string, search SearchFunc, q store.Query, opt Options) (n int, err error) {
	err = WriteFileAtomic(path, func(w io.Writer) error {
		cw, err := NewCSVWriter(w, opt)
		if err != nil {
			return err
		}
		n, err = Pages(ctx, search, q, 0, func(rows []*store.Charge) error {
			for _, c := range rows {
				if err := cw.Write(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return cw.Flush()
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
