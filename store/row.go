package store

import (
	"errors"
	"strings"

	"github.com/pixdesk/pixdesk/psp"
)

// chargeCols is the column list every charge query selects, in scanCharge's order.
const chargeCols = `id, terminal, external_reference, COALESCE(idempotency_key, ''), amount,
	payer_name, payer_document, bank_ispb, bank_name, bank_branch, bank_account,
	expires_in_minutes, webhook_url, created_at, updated_at, stage, reject_reason, reject_code, replaced_reference,
	COALESCE(transaction_id, ''), COALESCE(internal_code, ''), copy_and_paste, qr_image,
	requested_at, expires_at, status, paid_amount, paid_at, refunded_at, expired_at,
	COALESCE(end_to_end_id, ''), COALESCE(original_end_to_end_id, ''), COALESCE(refund_key, ''),
	refund_reason, refund_description, unknown_status, flags, version, COALESCE(operator, '')`

// chargeColsNoQR is chargeCols with an empty QR image: a webhook delivery
// judges the charge by its status and identifiers and returns only a
// Receipt, so its read leaves out the few KiB of base64 PNG. save writes
// qr_image only when it differs from what was read, so "" stays unwritten.
var chargeColsNoQR = strings.Replace(chargeCols, "copy_and_paste, qr_image,", "copy_and_paste, '',", 1)

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
		&expMinutes, &c.WebhookURL, &created, &updated, &stage, &c.RejectReason, &c.RejectCode, &c.ReplacedReference,
		&c.TransactionID, &c.InternalCode, &c.CopyAndPaste, &c.QRImageBase64,
		&requested, &expires, &status, &paidAmount, &paid, &refunded, &expired,
		&c.EndToEndID, &c.OriginalEndToEndID, &c.RefundKey,
		&reason, &c.RefundDescription, &c.UnknownStatus, &flags, &c.Version, &c.Operator)
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
	cols := chargeCols
	if t.noQR {
		cols = chargeColsNoQR
	}
	c, err := scanCharge(t.queryRow("SELECT "+cols+" FROM charges WHERE "+where+t.db.forUpdate(), arg))
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
	{"reject_code", func(c *Charge) any { return c.RejectCode }},
	{"external_reference", func(c *Charge) any { return c.ExternalReference }},
	{"idempotency_key", func(c *Charge) any { return nullable(c.IdempotencyKey) }},
	{"replaced_reference", func(c *Charge) any { return c.ReplacedReference }},
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
	{"unknown_status", func(c *Charge) any { return c.UnknownStatus }},
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
// next version and, on PostgreSQL, records the writing transaction and
// queues the notification that commits with it. Writing only what changed
// keeps untouched indexes out of the write (on SQLite every index named in
// a SET is rewritten). Every change to a charge ends here, after its
// entries and with its row locked (loadCharge, or the INSERT that made it),
// so that one charge's versions increase in commit order.
func (t *txn) save(c *Charge) error {
	if err := t.flushEntries(); err != nil {
		return err
	}
	if err := t.enrol(c); err != nil {
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
	if t.db.postgres {
		// The feed's catch-up finds the change by its writer (feed_pg.go),
		// kept beside the charge so that this update can stay HOT when
		// it changes no indexed column (migration 0015).
		q.WriteString(`WITH w AS (INSERT INTO charge_writes (charge_id, written_xid) VALUES (?, pg_current_xact_id())
			ON CONFLICT (charge_id) DO UPDATE SET written_xid = EXCLUDED.written_xid) `)
		args = append(args, c.ID)
	}
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
	ch := c.change()
	if t.db.postgres {
		if _, err := t.exec("SELECT pg_notify('"+notifyChannel+"', ?)", ch.payload()); err != nil {
			return err
		}
	}
	t.changes = append(t.changes, ch)
	return nil
}

// nextSeq returns the next version number. Versions must increase for
// each charge, which its row lock gives.
//
// On PostgreSQL it is the sequence charge_versions, which locks nothing, so
// that writers of different charges do not wait for each other; the change
// feed there does not rely on versions across charges (feed_pg.go), and
// the pipeline takes its batch's versions ahead (t.versions). On SQLite,
// whose writers take turns anyway, it is the counters row 'seq', so that
// versions follow commit order across charges too, which its feed relies
// on (it reads that row to see whether anything changed, then the charges
// whose version passed the last one seen): the transaction's first call
// takes t.seqWant numbers (at least one) in one UPDATE, so that a batch of
// webhook deliveries bumps the row once rather than once per delivery;
// numbers taken and not used are skipped.
func (t *txn) nextSeq() (int64, error) {
	if len(t.versions) == 0 {
		switch {
		case t.pre != nil:
			return 0, errors.New("store: pipeline ran out of versions")
		case t.db.postgres:
			var v int64
			if err := t.queryRow("SELECT nextval('charge_versions')").Scan(&v); err != nil {
				return 0, err
			}
			return v, nil
		}
		n := int64(max(1, t.seqWant))
		t.seqWant = 0
		var last int64
		if err := t.queryRow("UPDATE counters SET value = value + ? WHERE name = 'seq' RETURNING value", n).Scan(&last); err != nil {
			return 0, err
		}
		for v := last - n + 1; v <= last; v++ {
			t.versions = append(t.versions, v)
		}
	}
	v := t.versions[0]
	t.versions = t.versions[1:]
	return v, nil
}

// entry queues a line for a charge's timeline, its facts as typed values
// (no sentence: the reader's language words them). flushEntries writes the
// queue, several lines in one INSERT, before the charge is saved, before
// the timeline is read within the transaction and before commit; ids
// follow the order lines were queued in.
func (t *txn) entry(chargeID int64, kind EntryKind, status psp.Status, outcome string, facts Facts, body []byte, deliveryID int64) {
	var b, d any
	if body != nil {
		b = body
	}
	if deliveryID != 0 {
		d = deliveryID
	}
	f, err := encodeFacts(facts)
	if err != nil && t.entryErr == nil {
		t.entryErr = err
	}
	t.entries = append(t.entries, chargeID, micro(t.now), string(kind), string(status), outcome, f, b, d)
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
		qs[n] = "INSERT INTO entries (charge_id, at, kind, status, outcome, facts, body, delivery_id) VALUES " + rows
	}
	return qs
}()

// flushEntries writes the timeline lines queued by entry.
func (t *txn) flushEntries() error {
	if err := t.entryErr; err != nil {
		return err
	}
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
