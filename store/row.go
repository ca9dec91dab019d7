package store

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/pixdesk/pixdesk/psp"
)

// chargeCols is the column list every charge query selects, in scanCharge's order.
const chargeCols = `id, terminal, external_reference, COALESCE(idempotency_key, ''), amount,
	payer_name, payer_document, bank_ispb, bank_name, bank_branch, bank_account,
	expires_in_minutes, webhook_url, created_at, updated_at, stage, reject_reason,
	COALESCE(transaction_id, ''), COALESCE(internal_code, ''), copy_and_paste, qr_image,
	requested_at, expires_at, status, paid_amount, paid_at, refunded_at, expired_at,
	COALESCE(end_to_end_id, ''), COALESCE(original_end_to_end_id, ''), COALESCE(refund_key, ''),
	refund_reason, refund_description, flags, version`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanCharge(s scanner) (*Charge, error) {
	var (
		c                                     Charge
		bank                                  psp.BankData
		created, updated, requested, expires  int64
		paid, refunded, expired               int64
		stage, status, reason                 string
		amount, paidAmount, flags, expMinutes int64
	)
	err := s.Scan(&c.ID, &c.Terminal, &c.ExternalReference, &c.IdempotencyKey, &amount,
		&c.Payer.Name, &c.Payer.Document, &bank.ISPB, &bank.Bank, &bank.Branch, &bank.Account,
		&expMinutes, &c.WebhookURL, &created, &updated, &stage, &c.RejectReason,
		&c.TransactionID, &c.InternalCode, &c.CopyAndPaste, &c.QRImageBase64,
		&requested, &expires, &status, &paidAmount, &paid, &refunded, &expired,
		&c.EndToEndID, &c.OriginalEndToEndID, &c.RefundKey,
		&reason, &c.RefundDescription, &flags, &c.Version)
	if err != nil {
		return nil, mapErr(err)
	}
	if bank != (psp.BankData{}) {
		c.Payer.BankData = &bank
	}
	c.Amount, c.PaidAmount = psp.Amount(amount), psp.Amount(paidAmount)
	c.ExpiresInMinutes, c.Flags = int(expMinutes), Flag(flags)
	c.Stage, c.Status, c.RefundReason = Stage(stage), psp.Status(status), psp.RefundReason(reason)
	c.CreatedAt, c.UpdatedAt = fromMicro(created), fromMicro(updated)
	c.RequestedAt, c.ExpiresAt = fromMicro(requested), fromMicro(expires)
	c.PaidAt, c.RefundedAt, c.ExpiredAt = fromMicro(paid), fromMicro(refunded), fromMicro(expired)
	return &c, nil
}

// loadCharge reads a charge inside a write transaction, locking its row on
// PostgreSQL. where is a condition on one indexed column, e.g. "id = ?".
// save later writes only the columns that changed since.
func (t *txn) loadCharge(where string, arg any) (*Charge, error) {
	c, err := scanCharge(t.queryRow("SELECT "+chargeCols+" FROM charges WHERE "+where+t.db.forUpdate(), arg))
	if err != nil {
		return nil, err
	}
	if t.loaded == nil {
		t.loaded = map[int64]Charge{}
	}
	t.loaded[c.ID] = *c
	return c, nil
}

// mutable lists the columns save writes, with their stored value.
var mutable = []struct {
	col string
	val func(c *Charge) any
}{
	{"stage", func(c *Charge) any { return string(c.Stage) }},
	{"reject_reason", func(c *Charge) any { return c.RejectReason }},
	{"transaction_id", func(c *Charge) any { return nullable(c.TransactionID) }},
	{"internal_code", func(c *Charge) any { return nullable(c.InternalCode) }},
	{"copy_and_paste", func(c *Charge) any { return c.CopyAndPaste }},
	{"qr_image", func(c *Charge) any { return c.QRImageBase64 }},
	{"requested_at", func(c *Charge) any { return micro(c.RequestedAt) }},
	{"expires_at", func(c *Charge) any { return micro(c.ExpiresAt) }},
	{"status", func(c *Charge) any { return string(c.Status) }},
	{"paid_amount", func(c *Charge) any { return int64(c.PaidAmount) }},
	{"paid_at", func(c *Charge) any { return micro(c.PaidAt) }},
	{"refunded_at", func(c *Charge) any { return micro(c.RefundedAt) }},
	{"expired_at", func(c *Charge) any { return micro(c.ExpiredAt) }},
	{"end_to_end_id", func(c *Charge) any { return nullable(c.EndToEndID) }},
	{"original_end_to_end_id", func(c *Charge) any { return nullable(c.OriginalEndToEndID) }},
	{"refund_key", func(c *Charge) any { return nullable(c.RefundKey) }},
	{"refund_reason", func(c *Charge) any { return string(c.RefundReason) }},
	{"refund_description", func(c *Charge) any { return c.RefundDescription }},
	{"flags", func(c *Charge) any { return int64(c.Flags) }},
	{"bank_ispb", func(c *Charge) any { return bankOf(c).ISPB }},
	{"bank_name", func(c *Charge) any { return bankOf(c).Bank }},
	{"bank_branch", func(c *Charge) any { return bankOf(c).Branch }},
	{"bank_account", func(c *Charge) any { return bankOf(c).Account }},
}

func bankOf(c *Charge) psp.BankData {
	if c.Payer.BankData == nil {
		return psp.BankData{}
	}
	return *c.Payer.BankData
}

// save writes the columns of c that changed since loadCharge, gives it the
// next sequence number as its version and, on PostgreSQL, queues the
// notification that commits with it. Writing only what changed keeps
// untouched indexes out of the write (on SQLite every index named in a SET
// is rewritten). Every change to a charge ends here, after its entries: the
// sequence row is locked last, which keeps PostgreSQL writers from
// deadlocking and makes version order the commit order.
func (t *txn) save(c *Charge) error {
	if err := t.flushEntries(); err != nil {
		return err
	}
	seq, err := t.nextSeq()
	if err != nil {
		return err
	}
	c.Version, c.UpdatedAt = seq, fromMicro(micro(t.now))
	orig, known := t.loaded[c.ID]
	var (
		q    strings.Builder
		args []any
	)
	q.WriteString("UPDATE charges SET ")
	for _, m := range mutable {
		v := m.val(c)
		if known && v == m.val(&orig) {
			continue
		}
		q.WriteString(m.col + " = ?, ")
		args = append(args, v)
	}
	q.WriteString("updated_at = ?, version = ? WHERE id = ?")
	if _, err := t.exec(q.String(), append(args, micro(c.UpdatedAt), c.Version, c.ID)...); err != nil {
		return err
	}
	if t.loaded == nil {
		t.loaded = map[int64]Charge{}
	}
	t.loaded[c.ID] = *c
	if t.db.postgres {
		if _, err := t.exec("SELECT pg_notify('"+notifyChannel+"', ?)", fmt.Sprintf("%d:%d", c.ID, c.Version)); err != nil {
			return err
		}
	}
	t.changes = append(t.changes, Change{ChargeID: c.ID, Version: c.Version})
	return nil
}

// nextSeq returns the next version number. The transaction's first call
// takes t.seqWant numbers (at least one) from the sequence row in one
// UPDATE, so that a batch of webhook deliveries bumps the row once rather
// than once per delivery; numbers taken and not used are skipped, which
// is harmless: versions need only increase, in commit order.
func (t *txn) nextSeq() (int64, error) {
	if t.seqNext == 0 || t.seqNext > t.seqLast {
		n := int64(max(1, t.seqWant))
		t.seqWant = 0
		var last int64
		if err := t.queryRow("UPDATE counters SET value = value + ? WHERE name = 'seq' RETURNING value", n).Scan(&last); err != nil {
			return 0, err
		}
		t.seqNext, t.seqLast = last-n+1, last
	}
	seq := t.seqNext
	t.seqNext++
	return seq, nil
}

// entry queues a line for a charge's timeline. flushEntries writes the
// queue, several lines in one INSERT, before the charge is saved, before
// the timeline is read within the transaction and before commit; ids
// follow the order lines were queued in.
func (t *txn) entry(chargeID int64, kind EntryKind, status psp.Status, outcome, detail string, body []byte, deliveryID int64) {
	var b, d any
	if body != nil {
		b = body
	}
	if deliveryID != 0 {
		d = deliveryID
	}
	t.entries = append(t.entries, chargeID, micro(t.now), string(kind), string(status), outcome, detail, b, d)
}

// entryCols is the number of values of one queued entry.
const entryCols = 8

// maxEntryRows bounds the rows of one INSERT into entries, and with it
// the statements the cache holds for them.
const maxEntryRows = 8

// insertEntries[n] inserts n entries.
var insertEntries = func() (qs [maxEntryRows + 1]string) {
	for n := 1; n <= maxEntryRows; n++ {
		rows := strings.Repeat(", (?, ?, ?, ?, ?, ?, ?, ?)", n)[2:]
		qs[n] = "INSERT INTO entries (charge_id, at, kind, status, outcome, detail, body, delivery_id) VALUES " + rows
	}
	return qs
}()

// flushEntries writes the timeline lines queued by entry.
func (t *txn) flushEntries() error {
	for q := t.entries; len(q) > 0; {
		n := min(len(q)/entryCols, maxEntryRows)
		if _, err := t.exec(insertEntries[n], q[:n*entryCols]...); err != nil {
			return err
		}
		q = q[n*entryCols:]
	}
	clear(t.entries)
	t.entries = t.entries[:0]
	return nil
}

// Fold returns s as the name index holds it: lower-case, accents removed,
// runs of spaces made one. "  JOÃO  da Conceição" folds to "joao da conceicao".
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		r = unicode.ToLower(r)
		if f, ok := foldTable[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// foldTable maps the accented letters of Portuguese, Spanish, French and
// German names to plain ASCII.
var foldTable = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ð': "d", 'þ': "th", 'ł': "l"}
	for base, accented := range map[string]string{
		"a": "áàâãäåāăą", "c": "çćĉċč", "d": "ď", "e": "éèêëēĕėęě", "g": "ĝğġģ", "h": "ĥ",
		"i": "íìîïĩīĭįı", "j": "ĵ", "k": "ķ", "l": "ĺļľ", "n": "ñńņňŉ", "o": "óòôõöōŏő",
		"r": "ŕŗř", "s": "śŝşš", "t": "ţť", "u": "úùûüũūŭůűų", "w": "ŵ", "y": "ýÿŷ", "z": "źżž",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

// prefixEnd returns the smallest string greater than every string that
// starts with p, so that "col >= p AND col < prefixEnd(p)" is a prefix
// match an index can range-scan. UTF-8 sorts as code points, so bumping the
// last rune is enough; the result stays valid UTF-8 for PostgreSQL.
func prefixEnd(p string) string {
	rs := []rune(p)
	for len(rs) > 0 {
		last := rs[len(rs)-1] + 1
		if last >= 0xD800 && last <= 0xDFFF {
			last = 0xE000
		}
		if last <= unicode.MaxRune {
			rs[len(rs)-1] = last
			return string(rs)
		}
		rs = rs[:len(rs)-1]
	}
	return string(rune(unicode.MaxRune))
}

// normDoc keeps a document's letters and digits, upper-cased: CPFs and
// (alphanumeric) CNPJs are stored and searched this way.
func normDoc(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		}
	}
	return b.String()
}

// maskDoc hides a document for timeline text: only its last digits show.
func maskDoc(s string) string {
	if len(s) <= 4 {
		return "***"
	}
	return strings.Repeat("*", len(s)-4) + s[len(s)-4:]
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
