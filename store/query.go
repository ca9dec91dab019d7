package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pixdesk/pixdesk/psp"
)

// DefaultLimit is how many charges Search returns when Query.Limit is 0.
const DefaultLimit = 50

// MaxLimit caps Query.Limit.
const MaxLimit = 1000

// query runs q through its cached prepared statement, or unprepared when
// there is none.
func (db *DB) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := db.prepared(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return db.sql.QueryContext(ctx, db.rebind(q), args...)
}

// queryRow is query for one row.
func (db *DB) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if s := db.prepared(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return db.sql.QueryRowContext(ctx, db.rebind(q), args...)
}

func (db *DB) queryCharges(ctx context.Context, q string, args ...any) ([]*Charge, error) {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*Charge
	for rows.Next() {
		c, err := scanCharge(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}

func (db *DB) queryCharge(ctx context.Context, where string, arg any) (*Charge, error) {
	return scanCharge(db.queryRow(ctx, "SELECT "+chargeCols+" FROM charges WHERE "+where, arg))
}

// Get returns charge id, or ErrNotFound.
func (db *DB) Get(ctx context.Context, id int64) (*Charge, error) {
	return db.queryCharge(ctx, "id = ?", id)
}

// Peek is Get without the QR image (QRImage is ""): for a reader that
// decides by the charge's state and never draws it, such as the poller
// choosing what to schedule on every change the feed announces, where the
// few KiB of base64 PNG were most of the row read.
func (db *DB) Peek(ctx context.Context, id int64) (*Charge, error) {
	return scanCharge(db.queryRow(ctx, "SELECT "+chargeColsNoQR+" FROM charges WHERE id = ?", id))
}

// Find returns the charge an identifier names: its local id, transactionId,
// internalCode, order reference, endToEndId or originalEndToEndId, tried in
// that order. ErrNotFound if none.
func (db *DB) Find(ctx context.Context, ident string) (*Charge, error) {
	ident = strings.TrimSpace(ident)
	if ident == "" {
		return nil, ErrNotFound
	}
	if id, err := strconv.ParseInt(ident, 10, 64); err == nil && id > 0 {
		if c, err := db.Get(ctx, id); !errors.Is(err, ErrNotFound) {
			return c, err
		}
	}
	for _, col := range []string{"transaction_id", "internal_code", "external_reference", "end_to_end_id", "original_end_to_end_id"} {
		c, err := db.queryCharge(ctx, col+" = ?", ident)
		if !errors.Is(err, ErrNotFound) {
			return c, err
		}
	}
	if up := strings.ToUpper(ident); up != ident && len(ident) == 7 {
		return db.queryCharge(ctx, "internal_code = ?", up)
	}
	return nil, ErrNotFound
}

// Timeline returns charge id's history, oldest first. Webhook entries carry
// the delivery's raw body. Facts that cannot be read (a journal damaged by
// hand) fail the whole call rather than show a line that says less than
// was recorded.
func (db *DB) Timeline(ctx context.Context, id int64) ([]Entry, error) {
	if _, err := db.Get(ctx, id); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT e.id, e.charge_id, e.at, e.kind, e.status, e.outcome,
		e.facts, e.detail, COALESCE(e.body, d.body), e.times_seen, e.last_seen_at
		FROM entries e LEFT JOIN deliveries d ON d.id = e.delivery_id
		WHERE e.charge_id = ? ORDER BY e.id`), id)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var (
			e                   Entry
			at, last            int64
			seen                int64
			kind, status, facts string
		)
		if err := rows.Scan(&e.ID, &e.ChargeID, &at, &kind, &status, &e.Outcome, &facts, &e.Detail, &e.Body, &seen, &last); err != nil {
			return nil, mapErr(err)
		}
		var err error
		if e.Facts, err = decodeFacts(facts); err != nil {
			return nil, fmt.Errorf("%w (entry %d)", err, e.ID)
		}
		e.At, e.Kind, e.Status = fromMicro(at), EntryKind(kind), psp.Status(status)
		e.TimesSeen, e.LastSeenAt = int(seen), fromMicro(last)
		out = append(out, e)
	}
	return out, mapErr(rows.Err())
}

// Unmatched returns, newest first, signed webhook deliveries that named
// no local charge: events for unknown transactions, and bodies pixdesk
// cannot read. A person should look at them. Refused deliveries are
// apart (RefusedDeliveries).
func (db *DB) Unmatched(ctx context.Context, limit int) ([]DeliveryRecord, error) {
	if limit <= 0 || limit > MaxLimit {
		limit = DefaultLimit
	}
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT id, event_id, event_type, transaction_id, verdict,
		signature, remote_addr, received_at, outcome, body FROM deliveries
		WHERE charge_id IS NULL ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []DeliveryRecord
	for rows.Next() {
		var (
			d                DeliveryRecord
			verdict, outcome string
			at               int64
		)
		if err := rows.Scan(&d.ID, &d.EventID, &d.EventType, &d.TransactionID, &verdict, &d.Signature,
			&d.RemoteAddr, &at, &outcome, &d.Body); err != nil {
			return nil, mapErr(err)
		}
		d.Verdict, d.Outcome, d.ReceivedAt = psp.Verdict(verdict), Outcome(outcome), fromMicro(at)
		out = append(out, d)
	}
	return out, mapErr(rows.Err())
}

// terminalFilter is " AND terminal = ?" with its argument, or nothing for "".
func terminalFilter(terminal string, args []any) (string, []any) {
	if terminal == "" {
		return "", args
	}
	return " AND terminal = ?", append(args, terminal)
}

// PendingCreates returns the charges whose create ConnectPSP has not
// answered (Stage pending), oldest first; terminal "" means every terminal.
func (db *DB) PendingCreates(ctx context.Context, terminal string) ([]*Charge, error) {
	f, args := terminalFilter(terminal, []any{string(StagePending)})
	return db.queryCharges(ctx, "SELECT "+chargeCols+" FROM charges WHERE stage = ?"+f+" ORDER BY created_at, id", args...)
}

// Awaiting returns the created charges still AWAITING_PAYMENT, oldest
// first; terminal "" means every terminal.
func (db *DB) Awaiting(ctx context.Context, terminal string) ([]*Charge, error) {
	// A status is set only once ConnectPSP answered (Stage created), so the
	// status alone selects; it lets the open-charge index serve the query.
	f, args := terminalFilter(terminal, []any{string(psp.StatusAwaitingPayment)})
	return db.queryCharges(ctx, "SELECT "+chargeCols+" FROM charges WHERE status = ?"+f+
		" ORDER BY created_at, id", args...)
}

// LatestOpen returns the newest charge of terminal that is pending or
// awaiting payment — what a restarted console goes back to — or
// ErrNotFound.
func (db *DB) LatestOpen(ctx context.Context, terminal string) (*Charge, error) {
	f, args := terminalFilter(terminal, nil)
	q := "SELECT " + chargeCols + " FROM charges WHERE %s" + f + " ORDER BY created_at DESC, id DESC LIMIT 1"
	// Two indexed probes rather than one OR, which would scan.
	var best *Charge
	for _, cond := range []struct {
		where string
		arg   string
	}{{"stage = ?", string(StagePending)}, {"status = ?", string(psp.StatusAwaitingPayment)}} {
		cs, err := db.queryCharges(ctx, strings.Replace(q, "%s", cond.where, 1), append([]any{cond.arg}, args...)...)
		if err != nil {
			return nil, err
		}
		if len(cs) == 1 && (best == nil || cs[0].Cursor().Newer(best.Cursor())) {
			best = cs[0]
		}
	}
	if best == nil {
		return nil, ErrNotFound
	}
	return best, nil
}

// Search returns the charges q matches, newest first (CreatedAt, then ID,
// descending), at most q.Limit (DefaultLimit when 0); pass the last one's
// Cursor as q.After for the next page.
//
// q.Text is recognised by its shape so that every search walks an index: 11
// or 14 digits (punctuation allowed) or a valid alphanumeric CNPJ is a payer
// document; 7 letters and digits with a digit, or all upper-case, is an
// internal code; 35 letters and digits a transactionId; 32 starting with E
// or D an endToEndId (or originalEndToEndId); anything else an order
// reference if one matches exactly, else words of the payer's name (see
// names.go).
func (db *DB) Search(ctx context.Context, q Query) ([]*Charge, error) {
	query, args, err := db.searchSQL(ctx, q)
	if err != nil {
		return nil, err
	}
	return db.queryCharges(ctx, query, args...)
}

func (db *DB) searchSQL(ctx context.Context, q Query) (string, []any, error) {
	sel, err := db.where(ctx, q, true)
	if err != nil {
		return "", nil, err
	}
	return "SELECT " + chargeCols + " FROM " + sel.from + sel.where +
		" ORDER BY " + sel.order + " LIMIT ?", append(sel.args, q.limit()), nil
}

// limit is how many charges a search of q returns at most.
func (q Query) limit() int {
	if q.Limit <= 0 {
		return DefaultLimit
	}
	return min(q.Limit, MaxLimit)
}

// Count returns how many charges q matches, ignoring q.After and q.Limit.
func (db *DB) Count(ctx context.Context, q Query) (int, error) {
	sel, err := db.where(ctx, q, false)
	if err != nil {
		return 0, err
	}
	query, args := "SELECT COUNT(*) FROM "+sel.count+sel.where, sel.args
	if sel.nameCount != "" {
		query, args = sel.nameCount, sel.nameArgs
	}
	var n int
	err = db.sql.QueryRowContext(ctx, db.rebind(query), args...).Scan(&n)
	return n, mapErr(err)
}

// TextKind is what a search text looks like: the one reading of search
// input, used by Search and by the console to tell what is searched.
type TextKind int

// The shapes a search text can have.
const (
	TextNone            TextKind = iota // empty
	TextDocument                        // a CPF or CNPJ (11 or 14 digits, or a CNPJ whose check digits match)
	TextInternalCode                    // pixdesk's 7-character code
	TextTransactionID                   // ConnectPSP's 35-character transaction id
	TextEndToEnd                        // a 32-character end-to-end id (E…, D… for a refund)
	TextReferenceOrName                 // an order reference, or else part of a name
)

// Classify reads a search text as Search does and returns its shape and
// the value searched for (a document bare, a code upper-case, a
// transaction id lower-case).
func Classify(text string) (TextKind, string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return TextNone, ""
	}
	if doc := normDoc(text); docShaped(text) && (len(doc) == 11 && allDigits(doc) || len(doc) == 14 && (allDigits(doc) || validCNPJ(doc))) {
		return TextDocument, doc
	}
	if alnum(text) {
		switch {
		case len(text) == 7 && (hasDigit(text) || strings.ToUpper(text) == text):
			return TextInternalCode, strings.ToUpper(text)
		case len(text) == 35:
			return TextTransactionID, strings.ToLower(text)
		case len(text) == 32 && (text[0] == 'E' || text[0] == 'D' || text[0] == 'e' || text[0] == 'd'):
			return TextEndToEnd, strings.ToUpper(text[:1]) + text[1:]
		}
	}
	return TextReferenceOrName, text
}

// selection is what a search reads: the tables (from; count for Count),
// the WHERE clause with its arguments, and the ORDER BY that walks the
// list order, newest first.
type selection struct {
	from, count, where, order string
	args                      []any
	// nameCount counts a name search from charge_names alone (on SQLite
	// when nothing but the name and the period filters).
	nameCount string
	nameArgs  []any
}

// where builds the selection of q (with the keyset condition if paged).
func (db *DB) where(ctx context.Context, q Query, paged bool) (selection, error) {
	var (
		conds []string
		args  []any
		name  *nameFilter
	)
	sel := selection{from: "charges", count: "charges", order: "created_at DESC, id DESC"}
	add := func(c string, a ...any) { conds, args = append(conds, c), append(args, a...) }
	kind, v := Classify(q.Text)
	switch kind {
	case TextDocument:
		add("payer_document = ?", v)
	case TextInternalCode:
		add("internal_code = ?", v)
	case TextTransactionID:
		add("transaction_id = ?", v)
	case TextEndToEnd:
		// Two indexed probes; an OR of two indexed columns is a union in
		// both SQLite and PostgreSQL.
		add("(end_to_end_id = ? OR original_end_to_end_id = ?)", v, v)
	case TextReferenceOrName:
		ref, f, err := db.referenceOrName(ctx, v)
		switch {
		case err != nil:
			return selection{}, err
		case ref:
			add("external_reference = ?", v)
		default:
			name = &f
		}
	}
	if name != nil {
		c, a, err := db.nameConds(ctx, &sel, *name, q, paged)
		if err != nil {
			return selection{}, err
		}
		add(c, a...)
	}
	if len(q.Statuses) > 0 {
		c, a := statusIn("status", q.Statuses)
		add(c, a...)
	}
	if !q.From.IsZero() {
		add("created_at >= ?", micro(q.From))
	}
	if !q.To.IsZero() {
		add("created_at < ?", micro(q.To))
	}
	if q.Amount != 0 {
		add("amount = ?", int64(q.Amount))
	}
	if q.Terminal != "" {
		add("terminal = ?", q.Terminal)
	}
	if paged && q.After.ID != 0 {
		add(keysetBefore("created_at", "id"), micro(q.After.CreatedAt), q.After.ID)
	}
	if len(conds) > 0 {
		sel.where, sel.args = " WHERE "+strings.Join(conds, " AND "), args
	}
	return sel, nil
}

// keysetBefore is the keyset condition of a page after a cursor, newest
// first: the rows whose (at, id) sorts before the cursor's two arguments.
// Written as a row comparison, both stores plan it as a range of the
// (created_at, id) indexes that starts at the cursor; the same condition
// as "at < ? OR (at = ? AND id < ?)" was planned by SQLite as a walk from
// the newest row (SCAN … USING INDEX), so that each page cost its depth.
func keysetBefore(at, id string) string {
	return "(" + at + ", " + id + ") < (?, ?)"
}

// statusIn is the condition that column holds one of statuses, with its
// arguments.
func statusIn(column string, statuses []psp.Status) (string, []any) {
	ph, args := make([]string, len(statuses)), make([]any, len(statuses))
	for i, s := range statuses {
		ph[i], args[i] = "?", string(s)
	}
	return column + " IN (" + strings.Join(ph, ", ") + ")", args
}

// docShaped reports whether s is written like a document: letters, digits
// and the punctuation of CPFs and CNPJs only.
func docShaped(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '.' || r == '-' || r == '/') {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

// validCNPJ reports whether s, 14 upper-case characters, is a CNPJ whose
// check digits match: psp's rule, the one the form and ConnectPSP apply.
func validCNPJ(s string) bool {
	kind, _, err := psp.ParseDocument(s)
	return err == nil && kind == psp.DocCNPJ
}
