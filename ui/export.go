package ui

import (
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// CSVOptions shape an export.
type CSVOptions struct {
	// Lang names the columns: "pt-BR" (default) or "en".
	Lang string
	// Location is the time zone of the times written; nil means UTC.
	Location *time.Location
	// Reveal writes payer documents in full; by default they are masked
	// as on screen (psp.MaskDocument): a CPF is personal data.
	Reveal bool
}

// csvColumns are the columns of an export, by their header key.
var csvColumns = []msgKey{kCSVCreated, kCSVTerminal, kCSVID, kCSVCode, kCSVTxID, kCSVRef, kCSVStatus, kCSVAmount,
	kCSVPaidAmount, kCSVName, kCSVDocument, kCSVE2E, kCSVOrigE2E, kCSVPaidAt, kCSVRefundedAt, kCSVExpiredAt, kCSVFlags}

// CSVWriter writes charges as CSV, one row each, after a header row.
// Amounts are decimals with a dot ("1234.50") and times ISO 8601, so that
// any spreadsheet or script reads them the same.
type CSVWriter struct {
	w   *csv.Writer
	opt CSVOptions
	rec []string
}

// NewCSVWriter writes the header to w and returns the writer of rows.
func NewCSVWriter(w io.Writer, opt CSVOptions) (*CSVWriter, error) {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	cw := &CSVWriter{w: csv.NewWriter(w), opt: opt, rec: make([]string, len(csvColumns))}
	l := langOf(opt.Lang)
	for i, k := range csvColumns {
		cw.rec[i] = l.s(k)
	}
	return cw, cw.w.Write(cw.rec)
}

// Write writes one charge.
func (cw *CSVWriter) Write(c *store.Charge) error {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(cw.opt.Location).Format(time.RFC3339)
	}
	doc := psp.MaskDocument(c.Payer.Document)
	if cw.opt.Reveal {
		doc = c.Payer.Document
	}
	var paid string
	if c.PaidAmount != 0 {
		paid = c.PaidAmount.Decimal()
	}
	r := cw.rec
	r[0], r[1], r[2], r[3] = ts(c.CreatedAt), cell(c.Terminal), strconv.FormatInt(c.ID, 10), cell(c.InternalCode)
	r[4], r[5], r[6], r[7] = cell(c.TransactionID), cell(c.ExternalReference), string(c.Status), c.Amount.Decimal()
	r[8], r[9], r[10], r[11] = paid, cell(c.Payer.Name), cell(doc), cell(c.EndToEndID)
	r[12], r[13], r[14], r[15], r[16] = cell(c.OriginalEndToEndID), ts(c.PaidAt), ts(c.RefundedAt), ts(c.ExpiredAt), c.Flags.String()
	return cw.w.Write(r)
}

// Flush writes what is buffered and reports any write error.
func (cw *CSVWriter) Flush() error {
	cw.w.Flush()
	return cw.w.Error()
}

// cell defuses text a spreadsheet would run as a formula (a payer's name
// comes from outside): a leading =, +, -, @, tab or CR gets a quote.
func cell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

// WriteCSV writes charges to w as CSV with a header (pixdesk tx list --csv).
func WriteCSV(w io.Writer, charges []*store.Charge, opt CSVOptions) error {
	cw, err := NewCSVWriter(w, opt)
	if err != nil {
		return err
	}
	for _, c := range charges {
		if err := cw.Write(c); err != nil {
			return err
		}
	}
	return cw.Flush()
}

// SearchFunc reads one page of a search (store.DB.Search).
type SearchFunc func(ctx context.Context, q store.Query) ([]*store.Charge, error)

// ExportCSV writes every charge q matches to path, newest first, reading
// pages with keyset paging so that memory stays flat however many there
// are. The file appears complete or not at all (WriteFileAtomic). It
// returns how many rows were written.
func ExportCSV(ctx context.Context, path string, search SearchFunc, q store.Query, opt CSVOptions) (n int, err error) {
	err = WriteFileAtomic(path, func(w io.Writer) error {
		cw, err := NewCSVWriter(w, opt)
		if err != nil {
			return err
		}
		q.After, q.Limit = store.Cursor{}, store.MaxLimit
		for {
			rows, err := search(ctx, q)
			if err != nil {
				return err
			}
			for _, c := range rows {
				if err := cw.Write(c); err != nil {
					return err
				}
			}
			n += len(rows)
			if len(rows) < q.Limit {
				return cw.Flush()
			}
			q.After = rows[len(rows)-1].Cursor()
		}
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// WriteFileAtomic writes path through write: into a temporary file in the
// same directory, synced, then renamed over path, so a crash or a failed
// write never leaves half a file.
func WriteFileAtomic(path string, write func(io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	// The rename itself lasts once the directory is synced (best effort:
	// not every system can sync a directory).
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// defaultExportPath is ./pixdesk-AAAA-MM-DD.csv for today.
func defaultExportPath(now time.Time, loc *time.Location) string {
	return "./pixdesk-" + now.In(loc).Format("2006-01-02") + ".csv"
}

// exportQuery exports the lookup's search.
func exportQuery(b Backend, path string, q store.Query, opt CSVOptions) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		n, err := ExportCSV(ctx, path, b.Search, q, opt)
		return exportedMsg{path, n, err}
	}
}

// exportRows exports rows already held (a BR Code's match).
func exportRows(path string, rows []*store.Charge, opt CSVOptions) tea.Cmd {
	return func() tea.Msg {
		err := WriteFileAtomic(path, func(w io.Writer) error { return WriteCSV(w, rows, opt) })
		if err != nil {
			return exportedMsg{path: path, err: err}
		}
		return exportedMsg{path, len(rows), nil}
	}
}
