// Package export writes charges out of pixdesk for people and scripts: CSV
// (the lookup's export and tx list --csv) and JSON (tx list and tx show),
// read from the journal page by page with keyset paging, so that memory
// stays flat however many rows there are. Everything that came from
// outside is written in its visible form (internal/safetext).
package export

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// Options shape a CSV export.
type Options struct {
	// Lang names the columns: "pt-BR" (default) or "en" ("en-US", … too).
	Lang string
	// Location is the time zone of the times written; nil means UTC.
	Location *time.Location
	// Reveal writes payer documents in full; by default they are masked
	// as on screen (psp.MaskDocument): a CPF is personal data.
	Reveal bool
}

// headers are the columns of an export in each language. They are a file
// format's names rather than sentences, so they live with the format, not
// in the screens' catalogues.
var headers = map[string][]string{
	"pt-BR": {"criada_em", "terminal", "id", "codigo", "transaction_id", "pedido", "status", "valor",
		"valor_pago", "pagador", "documento", "end_to_end_id", "end_to_end_id_original", "pago_em", "estornado_em", "expirado_em", "alertas"},
	"en": {"created_at", "terminal", "id", "internal_code", "transaction_id", "external_reference", "status", "amount",
		"paid_amount", "payer_name", "payer_document", "end_to_end_id", "original_end_to_end_id", "paid_at", "refunded_at", "expired_at", "flags"},
}

// header is the header row for lang: English for "en…", else pt-BR, as
// the screens choose their language.
func header(lang string) []string { return headers[langKey(lang)] }

// langKey is "en" for "en…", else "pt-BR": the language of a file's
// column names.
func langKey(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		return "en"
	}
	return "pt-BR"
}

// CSVWriter writes charges as CSV, one row each, after a header row.
// Amounts are decimals with a dot ("1234.50") and times ISO 8601, so that
// any spreadsheet or script reads them the same.
type CSVWriter struct {
	w   *csv.Writer
	opt Options
	rec []string
}

// NewCSVWriter writes the header to w and returns the writer of rows.
func NewCSVWriter(w io.Writer, opt Options) (*CSVWriter, error) {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	h := header(opt.Lang)
	cw := &CSVWriter{w: csv.NewWriter(w), opt: opt, rec: make([]string, len(h))}
	return cw, cw.w.Write(h)
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
	r[4], r[5], r[6], r[7] = cell(c.TransactionID), cell(c.ExternalReference), cell(string(c.Status)), c.Amount.Decimal()
	r[8], r[9], r[10], r[11] = paid, cell(c.Payer.Name), cell(doc), cell(c.EndToEndID)
	r[12], r[13], r[14], r[15], r[16] = cell(c.OriginalEndToEndID), ts(c.PaidAt), ts(c.RefundedAt), ts(c.ExpiredAt), c.Flags.String()
	return cw.w.Write(r)
}

// Flush writes what is buffered and reports any write error.
func (cw *CSVWriter) Flush() error {
	cw.w.Flush()
	return cw.w.Error()
}

// cell is outside text (a payer's name, an id) made safe for a file that
// is read in a terminal and opened in a spreadsheet: controls, escapes and
// bidi characters get their visible form (safetext.String: a leading tab
// or CR is "^I" or "^M" by then), then text a spreadsheet would run as a
// formula — a leading =, +, - or @ — gets a quote.
func cell(s string) string {
	s = safetext.String(s)
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@') {
		return "'" + s
	}
	return s
}

// WriteCSV writes charges to w as CSV with a header.
func WriteCSV(w io.Writer, charges []*store.Charge, opt Options) error {
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
