package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pixdesk/pixdesk/internal/export"
	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/ui"
)

// txRecord is the JSON shape of a charge for scripts. The payer's document
// is masked unless --reveal is given.
type txRecord struct {
	ID                int64  `json:"id"`
	Terminal          string `json:"terminal"`
	Operator          string `json:"operator,omitempty"`
	ExternalReference string `json:"externalReference"`
	// ReplacedReference is the reference ConnectPSP already had, when the
	// charge moved on from it to ExternalReference.
	ReplacedReference  string      `json:"replacedReference,omitempty"`
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

// txEntry is one timeline line for scripts: its facts as values, and in
// Detail the same in words, in the language of --lang (or, for an entry
// written before the journal kept facts, its English note).
type txEntry struct {
	At      time.Time       `json:"at"`
	Kind    store.EntryKind `json:"kind"`
	Status  psp.Status      `json:"status,omitempty"`
	Outcome string          `json:"outcome,omitempty"`
	Facts   store.Facts     `json:"facts,omitzero"`
	Detail  string          `json:"detail,omitempty"`
}

func newTxRecord(c *store.Charge, reveal bool) txRecord {
	r := txRecord{
		ID: c.ID, Terminal: c.Terminal, Operator: c.Operator, ExternalReference: c.ExternalReference, ReplacedReference: c.ReplacedReference, Stage: string(c.Stage),
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
	fs.StringVar(&f.text, "q", "", "code, transactionId, endToEndId, reference, CPF/CNPJ or words of the payer's name (each may be the start of a word)")
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
func runTx(args []string, sys system) int {
	getenv, stdout, stderr := sys.getenv, sys.stdout, sys.stderr
	if len(args) > 0 && args[0] == "create" {
		return runTxCreate(args[1:], sys)
	}
	if len(args) > 0 && args[0] == "refused" {
		return runTxRefused(args[1:], sys)
	}
	if len(args) == 0 || (args[0] != "list" && args[0] != "show") {
		fmt.Fprint(stderr, txUsage)
		return 2
	}
	sub, args := args[0], args[1:]
	fs := newFlagSet("pixdesk tx "+sub, getenv, stderr)
	fs.Usage = func() { fmt.Fprint(stderr, txUsage) }
	var db, lang string
	fs.dbVar(&db)
	asJSON := fs.Bool("json", false, "print JSON")
	asCSV := fs.Bool("csv", false, "print CSV (list only)")
	reveal := fs.Bool("reveal", false, "print full CPF/CNPJ instead of masked")
	fs.langVar(&lang, "history and CSV headers: pt-BR or en (PIXDESK_LANG)")
	var tq txQuery
	if sub == "list" {
		tq.register(fs.FlagSet)
	}
	positional, err := fs.parse(args)
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
	d, ok := openTxStore(ctx, db, getenv, stderr)
	if !ok {
		return 1
	}
	defer d.Close()
	if sub == "show" {
		return txShow(ctx, d, positional[0], *asJSON, *reveal, lang, stdout, stderr)
	}
	return txList(ctx, d.Search, q, tq.limit, *asJSON, *asCSV, *reveal, lang, stdout, stderr)
}

// openTxStore opens the journal the console would use: dsn when given,
// else the sandbox journal when no ConnectPSP is configured, else the
// default one. A failure is said on stderr.
func openTxStore(ctx context.Context, dsn string, getenv func(string) string, stderr io.Writer) (*store.DB, bool) {
	db, err := func() (*store.DB, error) {
		if dsn == "" {
			embedded := true
			for _, k := range []string{"CONNECTPSP_BASE_URL", "CONNECTPSP_CLIENT_ID", "CONNECTPSP_CLIENT_SECRET", "CONNECTPSP_APPLICATION_TOKEN", "CONNECTPSP_CRYPTO_TOKEN"} {
				if getenv(k) != "" {
					embedded = false
				}
			}
			var err error
			if dsn, _, err = storeDSN(&config{embedded: embedded, getenv: getenv}); err != nil {
				return nil, err
			}
		}
		return store.Open(ctx, dsn)
	}()
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk tx: cannot open the store: %v\n", err)
		return nil, false
	}
	return db, true
}

const txUsage = `usage:
  pixdesk tx list [-q TEXT] [--status PAID,...] [--from DAY] [--to DAY] [--terminal T]
                  [--amount 12,50] [--limit N] [--json|--csv] [--reveal] [--db DSN]
  pixdesk tx show ID [--json] [--reveal] [--db DSN]
  pixdesk tx create --amount 12,50 --name NAME --document CPF/CNPJ [--reference R] [--wait] [--json]
  pixdesk tx refused [--limit N] [--json] [--db DSN]    webhook deliveries refused (bad signature)

ID is a local id, transactionId, internal code, order reference or endToEndId.
Exit status: 0 found, 1 not found (or the store failed), 2 bad usage.
`

func txShow(ctx context.Context, d *store.DB, id string, asJSON, reveal bool, lang string, stdout, stderr io.Writer) int {
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
		r.Timeline = append(r.Timeline, txEntry{At: e.At, Kind: e.Kind, Status: e.Status, Outcome: e.Outcome,
			Facts: e.Facts, Detail: ui.HistoryNote(e, lang, time.Local)})
	}
	if asJSON {
		if err := export.WriteJSON(stdout, r, "  "); err != nil {
			fmt.Fprintf(stderr, "pixdesk tx show: %v\n", err)
			return 1
		}
		return 0
	}
	status := string(r.Status)
	if status == "" {
		status = r.Stage
	}
	// Every value below may come from outside: safetext.Fprintf prints its
	// visible form, and pads what will be seen.
	safetext.Fprintf(stdout, "charge %d  %s  %s  %s\n", r.ID, status, r.Amount, r.ExternalReference)
	safetext.Fprintf(stdout, "payer     %s  %s\n", r.Payer.Name, r.Payer.Document)
	safetext.Fprintf(stdout, "terminal  %s   created %s\n", r.Terminal, r.CreatedAt.Local().Format("02/01/2006 15:04:05"))
	if r.TransactionID != "" {
		safetext.Fprintf(stdout, "ids       %s  %s  %s\n", r.InternalCode, r.TransactionID, r.EndToEndID)
	}
	if r.Flags != "" {
		safetext.Fprintf(stdout, "FLAGS     %s\n", r.Flags)
	}
	if err := ui.WriteHistory(stdout, tl, lang, time.Local); err != nil {
		fmt.Fprintf(stderr, "pixdesk tx show: %v\n", err)
		return 1
	}
	return 0
}

// txList writes what q matches, newest first, as it reads it: a page at a
// time (export.Pages), so that memory stays flat however long the list is.
// Exit 1 when nothing matches or the store fails midway (what was written
// stays written).
func txList(ctx context.Context, search export.SearchFunc, q store.Query, limit int, asJSON, asCSV, reveal bool, lang string, stdout, stderr io.Writer) int {
	var (
		write  func(*store.Charge) error
		finish = func() error { return nil }
	)
	switch {
	case asJSON:
		a := export.NewJSONArray(stdout, "  ")
		write = func(c *store.Charge) error { return a.Write(newTxRecord(c, reveal)) }
		finish = a.Close
	case asCSV:
		cw, err := export.NewCSVWriter(stdout, export.Options{Lang: lang, Location: time.Local, Reveal: reveal})
		if err != nil {
			fmt.Fprintf(stderr, "pixdesk tx list: %v\n", err)
			return 1
		}
		write, finish = cw.Write, cw.Flush
	default:
		write = func(c *store.Charge) error {
			r := newTxRecord(c, reveal)
			status := string(r.Status)
			if status == "" {
				status = r.Stage
			}
			_, err := safetext.Fprintf(stdout, "%s  %-7s %-14s %-16s %14s  %s  %s\n", r.CreatedAt.Local().Format("02/01/2006 15:04"),
				r.InternalCode, r.ExternalReference, status, r.Amount, r.Payer.Document, r.Payer.Name)
			return err
		}
	}
	n, err := export.Pages(ctx, search, q, limit, func(rows []*store.Charge) error {
		for _, c := range rows {
			if err := write(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		err = finish()
	}
	if err != nil {
		fmt.Fprintf(stderr, "pixdesk tx list: %v\n", err)
		return 1
	}
	if n == 0 {
		return 1
	}
	return 0
}
