package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/ui"
)

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// txRecord is the JSON shape of a charge for scripts. The payer's document
// is masked unless --reveal is given.
type txRecord struct {
	ID                 int64       `json:"id"`
	Terminal           string      `json:"terminal"`
	ExternalReference  string      `json:"externalReference"`
	Stage              string      `json:"stage"`
	Status             psp.Status  `json:"status,omitempty"`
	Amount             psp.Amount  `json:"amount"`
	PaidAmount         *psp.Amount `json:"paidAmount,omitempty"`
	Payer              psp.Payer   `json:"payer"`
	TransactionID      string      `json:"transactionId,omitempty"`
	InternalCode       string      `json:"internalCode,omitempty"`
	EndToEndID         string      `json:"endToEndId,omitempty"`
	OriginalEndToEndID string      `json:"originalEndToEndId,omitempty"`
	CreatedAt          time.Time   `json:"createdAt"`
	ExpiresAt          time.Time   `json:"expiresAt,omitzero"`
	PaidAt             time.Time   `json:"paidAt,omitzero"`
	RefundedAt         time.Time   `json:"refundedAt,omitzero"`
	ExpiredAt          time.Time   `json:"expiredAt,omitzero"`
	Flags              string      `json:"flags,omitempty"`
	Timeline           []txEntry   `json:"timeline,omitempty"`
}

// txEntry is one timeline line for scripts.
type txEntry struct {
	At      time.Time       `json:"at"`
	Kind    store.EntryKind `json:"kind"`
	Status  psp.Status      `json:"status,omitempty"`
	Outcome string          `json:"outcome,omitempty"`
	Detail  string          `json:"detail,omitempty"`
}

func newTxRecord(c *store.Charge, reveal bool) txRecord {
	r := txRecord{
		ID: c.ID, Terminal: c.Terminal, ExternalReference: c.ExternalReference, Stage: string(c.Stage),
		Status: c.Status, Amount: c.Amount, Payer: c.Payer, TransactionID: c.TransactionID,
		InternalCode: c.InternalCode, EndToEndID: c.EndToEndID, OriginalEndToEndID: c.OriginalEndToEndID,
		CreatedAt: c.CreatedAt, ExpiresAt: c.ExpiresAt, PaidAt: c.PaidAt, RefundedAt: c.RefundedAt,
		ExpiredAt: c.ExpiredAt,
	}
	if c.Flags != 0 {
		r.Flags = c.Flags.String()
	}
	if c.PaidAmount != 0 {
		pa := c.PaidAmount
		r.PaidAmount = &pa
	}
	if !reveal {
		r.Payer.Document = psp.MaskDocument(c.Payer.Document)
	}
	return r
}

// txQuery reads the search flags shared by tx list.
type txQuery struct {
	text, status, from, to, terminal, amount string
	limit                                    int
}

func (f *txQuery) register(fs *flag.FlagSet) {
	fs.StringVar(&f.text, "q", "", "code, transactionId, endToEndId, reference, CPF/CNPJ or name prefix")
	fs.StringVar(&f.status, "status", "", "comma-separated statuses, e.g. PAID,REFUNDED")
	fs.StringVar(&f.from, "from", "", "created on or after this day (AAAA-MM-DD or DD/MM/AAAA)")
	fs.StringVar(&f.to, "to", "", "created on or before this day (AAAA-MM-DD or DD/MM/AAAA)")
	fs.StringVar(&f.terminal, "terminal", "", "only this counter")
	fs.StringVar(&f.amount, "amount", "", "exact amount, e.g. 12,50")
	fs.IntVar(&f.limit, "limit", 0, "at most this many rows (0: all)")
}

func (f *txQuery) query(loc *time.Location) (store.Query, error) {
	q := store.Query{Text: f.text, Terminal: f.terminal}
	for _, s := range strings.Split(f.status, ",") {
		if s = strings.ToUpper(strings.TrimSpace(s)); s == "" {
			continue
		}
		if !psp.Status(s).Valid() {
			return q, badUsage("--status %q: use %s", s, statusList())
		}
		q.Statuses = append(q.Statuses, psp.Status(s))
	}
	var err error
	if f.from != "" {
		if q.From, err = parseDay(f.from, loc); err != nil {
			return q, badUsage("--from %q: %v", f.from, err)
		}
	}
	if f.to != "" {
		if q.To, err = parseDay(f.to, loc); err != nil {
			return q, badUsage("--to %q: %v", f.to, err)
		}
		q.To = q.To.AddDate(0, 0, 1)
	}
	if f.amount != "" {
		if q.Amount, err = psp.ParseAmount(f.amount); err != nil || q.Amount <= 0 {
			return q, badUsage("--amount %q is not an amount such as 12,50", f.amount)
		}
	}
	if f.limit < 0 {
		return q, badUsage("--limit must not be negative")
	}
	return q, nil
}

func statusList() string {
	var s []string
	for _, st := range psp.Statuses {
		s = append(s, string(st))
	}
	return strings.Join(s, ", ")
}

// parseDay reads a day typed in ISO or Brazilian form.
func parseDay(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "02/01/2006"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("use AAAA-MM-DD or DD/MM/AAAA")
}

// runTx is `pixdesk tx list|show`: exit 0 found, 1 not found or failed, 2 bad usage.
func runTx(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "create" {
		return runTxCreate(args[1:], getenv, stdout, stderr)
	}
	if len(args) == 0 || (args[0] != "list" && args[0] != "show") {
		fmt.Fprint(stderr, txUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("pixdesk tx "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, txUsage) }
	db := fs.String("db", getenv("PIXDESK_DB"), "SQLite file or postgres:// DSN (PIXDESK_DB)")
	asJSON := fs.Bool("json", false, "print JSON")
	asCSV := fs.Bool("csv", false, "print CSV (list only)")
	reveal := fs.Bool("reveal", false, "print full CPF/CNPJ instead of masked")
	lang := fs.String("lang", orDefault(getenv("PIXDESK_LANG"), "pt-BR"), "CSV headers: pt-BR or en (PIXDESK_LANG)")
	var tq txQuery
	if sub == "list" {
		tq.register(fs)
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch {
	case sub == "show" && (len(positional) != 1 || *asCSV):
		fmt.Fprint(stderr, txUsage)
		return 2
	case sub == "list" && (len(positional) > 0 || (*asJSON && *asCSV)):
		fmt.Fprint(stderr, txUsage)
		return 2
	}
	var q store.Query
	if sub == "list" {
		var err error
		if q, err = tq.query(time.Local); err != nil {
			fmt.Fprintf(stderr, "pixdesk tx list: %v\n", err)
			return 2
		}
	}
	ctx := context.Background()
	d, err := openTxStore(ctx, *db, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk tx: cannot open the store: %v\n", err)
		return 1
	}
	defer d.Close()
	if sub == "show" {
		return txShow(ctx, d, positional[0], *asJSON, *reveal, stdout, stderr)
	}
	return txList(ctx, d, q, tq.limit, *asJSON, *asCSV, *reveal, *lang, stdout, stderr)
}

// openTxStore opens the journal the console would use: dsn when given,
// else the sandbox journal when no ConnectPSP is configured, else the
// default one.
func openTxStore(ctx context.Context, dsn string, getenv func(string) string) (*store.DB, error) {
	if dsn == "" {
		embedded := true
		for _, k := range []string{"CONNECTPSP_BASE_URL", "CONNECTPSP_CLIENT_ID", "CONNECTPSP_CLIENT_SECRET", "CONNECTPSP_APPLICATION_TOKEN", "CONNECTPSP_CRYPTO_TOKEN"} {
			if getenv(k) != "" {
				embedded = false
			}
		}
		var err error
		if dsn, _, err = storeDSN(&config{embedded: embedded}); err != nil {
			return nil, err
		}
	}
	return store.Open(ctx, dsn)
}

// parseInterspersed parses flags wherever they stand among the positional
// arguments (`tx show ID --json` as well as `tx show --json ID`).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

const txUsage = `usage:
  pixdesk tx list [-q TEXT] [--status PAID,...] [--from DAY] [--to DAY] [--terminal T]
                  [--amount 12,50] [--limit N] [--json|--csv] [--reveal] [--db DSN]
  pixdesk tx show ID [--json] [--reveal] [--db DSN]
  pixdesk tx create --amount 12,50 --name NAME --document CPF/CNPJ [--reference R] [--wait] [--json]

ID is a local id, transactionId, internal code, order reference or endToEndId.
Exit status: 0 found, 1 not found (or the store failed), 2 bad usage.
`

func txShow(ctx context.Context, d *store.DB, id string, asJSON, reveal bool, stdout, stderr io.Writer) int {
	c, err := d.Find(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(stderr, "pixdesk tx show: no charge matches %q\n", id)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk tx show: %v\n", err)
		return 1
	}
	tl, err := d.Timeline(ctx, c.ID)
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk tx show: %v\n", err)
		return 1
	}
	r := newTxRecord(c, reveal)
	for _, e := range tl {
		r.Timeline = append(r.Timeline, txEntry{At: e.At, Kind: e.Kind, Status: e.Status, Outcome: e.Outcome, Detail: e.Detail})
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "pixdesk tx show: %v\n", err)
			return 1
		}
		return 0
	}
	status := string(r.Status)
	if status == "" {
		status = r.Stage
	}
	fmt.Fprintf(stdout, "charge %d  %s  %s  %s\n", r.ID, status, r.Amount, r.ExternalReference)
	fmt.Fprintf(stdout, "payer     %s  %s\n", r.Payer.Name, r.Payer.Document)
	fmt.Fprintf(stdout, "terminal  %s   created %s\n", r.Terminal, r.CreatedAt.Local().Format("02/01/2006 15:04:05"))
	if r.TransactionID != "" {
		fmt.Fprintf(stdout, "ids       %s  %s  %s\n", r.InternalCode, r.TransactionID, r.EndToEndID)
	}
	if r.Flags != "" {
		fmt.Fprintf(stdout, "FLAGS     %s\n", r.Flags)
	}
	for _, e := range r.Timeline {
		fmt.Fprintf(stdout, "  %s  %-15s %-16s %-10s %s\n", e.At.Local().Format("02/01 15:04:05"), e.Kind, e.Status, e.Outcome, e.Detail)
	}
	return 0
}

func txList(ctx context.Context, d *store.DB, q store.Query, limit int, asJSON, asCSV, reveal bool, lang string, stdout, stderr io.Writer) int {
	var rows []*store.Charge
	for {
		q.Limit = store.MaxLimit
		if limit > 0 && limit-len(rows) < q.Limit {
			q.Limit = limit - len(rows)
		}
		page, err := d.Search(ctx, q)
		if err != nil {
			fmt.Fprintf(stderr, "pixdesk tx list: %v\n", err)
			return 1
		}
		rows = append(rows, page...)
		if len(page) < q.Limit || (limit > 0 && len(rows) >= limit) {
			break
		}
		q.After = page[len(page)-1].Cursor()
	}
	switch {
	case asJSON:
		out := make([]txRecord, 0, len(rows))
		for _, c := range rows {
			out = append(out, newTxRecord(c, reveal))
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "pixdesk tx list: %v\n", err)
			return 1
		}
	case asCSV:
		if err := ui.WriteCSV(stdout, rows, ui.CSVOptions{Lang: lang, Location: time.Local, Reveal: reveal}); err != nil {
			fmt.Fprintf(stderr, "pixdesk tx list: %v\n", err)
			return 1
		}
	default:
		for _, c := range rows {
			r := newTxRecord(c, reveal)
			status := string(r.Status)
			if status == "" {
				status = r.Stage
			}
			fmt.Fprintf(stdout, "%s  %-7s %-14s %-16s %14s  %s  %s\n", r.CreatedAt.Local().Format("02/01/2006 15:04"),
				r.InternalCode, r.ExternalReference, status, r.Amount, r.Payer.Document, r.Payer.Name)
		}
	}
	if len(rows) == 0 {
		return 1
	}
	return 0
}
