package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/pixdesk/pixdesk/psp"
)

// DefaultLimit is how many charges Search returns when Query.Limit is 0.
const DefaultLimit = 50

// MaxLimit caps Query.Limit.
const MaxLimit = 1000

func (db *DB) queryCharges(ctx context.Context, q string, args ...any) ([]*Charge, error) {
	var (
		rows *sql.Rows
		err  error
	)
	if s := db.prepared(ctx, q); s != nil {
		rows, err = s.QueryContext(ctx, args...)
	} else {
		rows, err = db.sql.QueryContext(ctx, db.rebind(q), args...)
	}
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
	q := "SELECT " + chargeCols + " FROM charges WHERE " + where
	if s := db.prepared(ctx, q); s != nil {
		return scanCharge(s.QueryRowContext(ctx, arg))
	}
	return scanCharge(db.sql.QueryRowContext(ctx, db.rebind(q), arg))
}

// Get returns charge id, or ErrNotFound.
func (db *DB) Get(ctx context.Context, id int64) (*Charge, error) {
	return db.queryCharge(ctx, "id = ?", id)
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
// the delivery's raw body.
func (db *DB) Timeline(ctx context.Context, id int64) ([]Entry, error) {
	if _, err := db.Get(ctx, id); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT e.id, e.charge_id, e.at, e.kind, e.status, e.outcome,
		e.detail, COALESCE(e.body, d.body), e.times_seen, e.last_seen_at
		FROM entries e LEFT JOIN deliveries d ON d.id = e.delivery_id
		WHERE e.charge_id = ? ORDER BY e.id`), id)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var (
			e            Entry
			at, last     int64
			seen         int64
			kind, status string
		)
		if err := rows.Scan(&e.ID, &e.ChargeID, &at, &kind, &status, &e.Outcome, &e.Detail, &e.Body, &seen, &last); err != nil {
			return nil, mapErr(err)
		}
		e.At, e.Kind, e.Status = fromMicro(at), EntryKind(kind), psp.Status(status)
		e.TimesSeen, e.LastSeenAt = int(seen), fromMicro(last)
		out = append(out, e)
	}
	return out, mapErr(rows.Err())
}

// Unmatched returns, newest first, webhook deliveries that named no local
// charge: events for unknown transactions, and forged or malformed
// deliveries. A person should look at them.
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
		if len(cs) == 1 && (best == nil || newer(cs[0], best)) {
			best = cs[0]
		}
	}
	if best == nil {
		return nil, ErrNotFound
	}
	return best, nil
}

func newer(a, b *Charge) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
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
// reference if one matches exactly, else a payer-name prefix, folded (case
// and accents ignored).
func (db *DB) Search(ctx context.Context, q Query) ([]*Charge, error) {
	query, args, err := db.searchSQL(ctx, q)
	if err != nil {
		return nil, err
	}
	return db.queryCharges(ctx, query, args...)
}

func (db *DB) searchSQL(ctx context.Context, q Query) (string, []any, error) {
	where, args, err := db.where(ctx, q, true)
	if err != nil {
		return "", nil, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	return "SELECT " + chargeCols + " FROM charges" + where +
		" ORDER BY created_at DESC, id DESC LIMIT ?", append(args, limit), nil
}

// Count returns how many charges q matches, ignoring q.After and q.Limit.
func (db *DB) Count(ctx context.Context, q Query) (int, error) {
	where, args, err := db.where(ctx, q, false)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.sql.QueryRowContext(ctx, db.rebind("SELECT COUNT(*) FROM charges"+where), args...).Scan(&n)
	return n, mapErr(err)
}

// textKind is what a search text looks like.
type textKind int

const (
	textNone textKind = iota
	textDocument
	textInternalCode
	textTransactionID
	textEndToEnd
	textReferenceOrName
)

// classify recognises a search text; see Search.
func classify(text string) (textKind, string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return textNone, ""
	}
	if doc := normDoc(text); docShaped(text) && (len(doc) == 11 && allDigits(doc) || len(doc) == 14 && (allDigits(doc) || validCNPJ(doc))) {
		return textDocument, doc
	}
	if alnum(text) {
		switch {
		case len(text) == 7 && (hasDigit(text) || strings.ToUpper(text) == text):
			return textInternalCode, strings.ToUpper(text)
		case len(text) == 35:
			return textTransactionID, strings.ToLower(text)
		case len(text) == 32 && (text[0] == 'E' || text[0] == 'D' || text[0] == 'e' || text[0] == 'd'):
			return textEndToEnd, strings.ToUpper(text[:1]) + text[1:]
		}
	}
	return textReferenceOrName, text
}

// where builds the WHERE clause of q (with the keyset condition if paged).
func (db *DB) where(ctx context.Context, q Query, paged bool) (string, []any, error) {
	var (
		conds []string
		args  []any
	)
	add := func(c string, a ...any) { conds, args = append(conds, c), append(args, a...) }
	kind, v := classify(q.Text)
	switch kind {
	case textDocument:
		add("payer_document = ?", v)
	case textInternalCode:
		add("internal_code = ?", v)
	case textTransactionID:
		add("transaction_id = ?", v)
	case textEndToEnd:
		// Two indexed probes; an OR of two indexed columns is a union in
		// both SQLite and PostgreSQL.
		add("(end_to_end_id = ? OR original_end_to_end_id = ?)", v, v)
	case textReferenceOrName:
		var one int
		err := db.sql.QueryRowContext(ctx, db.rebind("SELECT 1 FROM charges WHERE external_reference = ?"), v).Scan(&one)
		switch {
		case err == nil:
			add("external_reference = ?", v)
		case errors.Is(err, sql.ErrNoRows):
			p := Fold(v)
			add("name_fold >= ? AND name_fold < ?", p, prefixEnd(p))
		default:
			return "", nil, mapErr(err)
		}
	}
	if len(q.Statuses) > 0 {
		ph := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			ph[i] = "?"
			args = append(args, string(s))
		}
		conds = append(conds, "status IN ("+strings.Join(ph, ", ")+")")
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
		add("(created_at < ? OR (created_at = ? AND id < ?))", micro(q.After.CreatedAt), micro(q.After.CreatedAt), q.After.ID)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
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

// validCNPJ checks the two check digits of a 14-character (possibly
// alphanumeric) CNPJ, upper-case.
func validCNPJ(s string) bool {
	if len(s) != 14 || !allDigits(s[12:]) {
		return false
	}
	dv := func(n int) byte {
		sum, w := 0, n-7
		for i := 0; i < n; i++ {
			sum += int(s[i]-'0') * w
			if w--; w < 2 {
				w = 9
			}
		}
		if r := sum % 11; r >= 2 {
			return byte('0' + 11 - r)
		}
		return '0'
	}
	return dv(12) == s[12] && dv(13) == s[13]
}
