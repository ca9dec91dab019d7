package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// AuditAction names what an audit entry records.
type AuditAction string

// Audited actions.
const (
	AuditOperatorAdded    AuditAction = "operator_added"
	AuditOperatorDisabled AuditAction = "operator_disabled"
	AuditOperatorReset    AuditAction = "operator_reset"
	AuditSignedIn         AuditAction = "signed_in"  // an operator's PIN opened the console
	AuditPINFailed        AuditAction = "pin_failed" // a wrong PIN, or an unknown or disabled operator
	AuditLocked           AuditAction = "locked"     // the console locked (idle, or asked)
	AuditRefundAsked      AuditAction = "refund_asked"
	AuditRefundApproved   AuditAction = "refund_approved"
	AuditRefundRefused    AuditAction = "refund_refused" // asked without the authority to send it
	AuditRefundSent       AuditAction = "refund_sent"
	AuditReveal           AuditAction = "reveal" // a payer's full document shown
	AuditExport           AuditAction = "export" // charges exported to CSV
	AuditClosed           AuditAction = "closed" // a terminal's day closed and sealed (Seal)
)

// Actor is who does something audited, and where.
type Actor struct {
	Terminal string
	Operator string // "" when no operator is signed in (none defined, or the CLI)
}

// NewAudit is one entry to append.
type NewAudit struct {
	Actor
	Action   AuditAction
	ChargeID int64             // 0 when no charge is concerned
	Detail   map[string]string // stored as a JSON object (keys sorted)
}

// AuditEntry is one row of the audit trail.
type AuditEntry struct {
	Seq      int64
	At       time.Time
	Terminal string
	Operator string
	Action   AuditAction
	ChargeID int64
	// Detail is the entry's JSON object as stored; DetailMap decodes it.
	Detail   string
	PrevHash string
	Hash     string
}

// DetailMap decodes e.Detail; an unreadable detail is nil.
func (e *AuditEntry) DetailMap() map[string]string {
	var m map[string]string
	if json.Unmarshal([]byte(e.Detail), &m) != nil {
		return nil
	}
	return m
}

// auditHash is the hash that chains entry e to the one before it: SHA-256,
// hex, over the previous entry's hash followed by e's canonical form, a JSON
// array of its stored columns in table order (the detail as the stored
// string, times as microseconds).
func auditHash(e *AuditEntry) string {
	canon, _ := json.Marshal([]any{e.Seq, micro(e.At), e.Terminal, e.Operator, string(e.Action), e.ChargeID, e.Detail})
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write(canon)
	return hex.EncodeToString(h.Sum(nil))
}

// Audit appends an entry to the audit trail.
func (db *DB) Audit(ctx context.Context, a NewAudit) (*AuditEntry, error) {
	var e *AuditEntry
	err := db.write(ctx, func(t *txn) error {
		var err error
		e, err = t.audit(a)
		return err
	})
	return e, err
}

// audit appends a to the trail inside t. It takes the chain's head (the
// counters row 'audit') first: on PostgreSQL the UPDATE locks that row until
// t ends, so appends from every process queue there and each reads the
// hash its predecessor committed; SQLite's write transactions are already
// one at a time.
func (t *txn) audit(a NewAudit) (*AuditEntry, error) {
	detail := "{}"
	if len(a.Detail) > 0 {
		b, err := json.Marshal(a.Detail)
		if err != nil {
			return nil, fmt.Errorf("store: audit detail: %w", err)
		}
		detail = string(b)
	}
	e := &AuditEntry{At: fromMicro(micro(t.now)), Terminal: a.Terminal, Operator: a.Operator, Action: a.Action,
		ChargeID: a.ChargeID, Detail: detail}
	if err := t.queryRow("UPDATE counters SET value = value + 1 WHERE name = 'audit' RETURNING value").Scan(&e.Seq); err != nil {
		return nil, err
	}
	// The newest entry, not necessarily Seq-1: a trail someone cut still
	// takes new entries, and audit verify names the cut.
	err := t.queryRow("SELECT hash FROM audit WHERE seq < ? ORDER BY seq DESC LIMIT 1", e.Seq).Scan(&e.PrevHash)
	if err != nil && !errors.Is(mapErr(err), ErrNotFound) {
		return nil, err
	}
	e.Hash = auditHash(e)
	_, err = t.exec(`INSERT INTO audit (seq, at, terminal, operator, action, charge_id, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, micro(e.At), e.Terminal, e.Operator, string(e.Action),
		e.ChargeID, e.Detail, e.PrevHash, e.Hash)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// AuditQuery selects audit entries, oldest first. Zero fields do not filter.
type AuditQuery struct {
	ChargeID int64
	After    int64 // entries with Seq > After
	Limit    int   // 0: 500
}

const auditCols = "seq, at, terminal, operator, action, charge_id, detail, prev_hash, hash"

// AuditTrail returns the entries q selects, in Seq order.
func (db *DB) AuditTrail(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	if q.Limit <= 0 {
		q.Limit = 500
	}
	where, args := "seq > ?", []any{q.After}
	if q.ChargeID != 0 {
		where += " AND charge_id = ?"
		args = append(args, q.ChargeID)
	}
	args = append(args, q.Limit)
	rows, err := db.sql.QueryContext(ctx, db.rebind("SELECT "+auditCols+" FROM audit WHERE "+where+" ORDER BY seq LIMIT ?"), args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, mapErr(rows.Err())
}

func scanAudit(s scanner) (AuditEntry, error) {
	var (
		e      AuditEntry
		at     int64
		action string
	)
	if err := s.Scan(&e.Seq, &at, &e.Terminal, &e.Operator, &action, &e.ChargeID, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
		return e, mapErr(err)
	}
	e.At, e.Action = fromMicro(at), AuditAction(action)
	return e, nil
}

// AuditBreak is a break in the audit chain: the first entry that is missing,
// or whose hash or link to the one before does not hold.
type AuditBreak struct {
	Seq int64
	// Why is "missing", "edited" (the entry's hash is not that of its
	// contents) or "unlinked" (its prev_hash is not its predecessor's hash).
	Why string
}

func (b *AuditBreak) Error() string {
	switch b.Why {
	case "missing":
		return fmt.Sprintf("audit: entry %d is missing", b.Seq)
	case "edited":
		return fmt.Sprintf("audit: entry %d was changed after it was written (its hash does not match its contents)", b.Seq)
	}
	return fmt.Sprintf("audit: entry %d does not follow the entry before it (prev_hash differs)", b.Seq)
}

// VerifyAudit walks the whole trail and returns how many entries it checked,
// or an *AuditBreak naming the first entry that breaks the chain. Entries
// cut from the end are found through the chain's head, which counts every
// entry ever appended.
func (db *DB) VerifyAudit(ctx context.Context) (int64, error) {
	var head int64
	if err := db.sql.QueryRowContext(ctx, "SELECT value FROM counters WHERE name = 'audit'").Scan(&head); err != nil {
		return 0, mapErr(err)
	}
	var (
		n, want  int64 = 0, 1
		prevHash string
	)
	for {
		page, err := db.AuditTrail(ctx, AuditQuery{After: want - 1, Limit: 1000})
		if err != nil {
			return n, err
		}
		for i := range page {
			e := &page[i]
			switch {
			case e.Seq != want:
				return n, &AuditBreak{Seq: want, Why: "missing"}
			case e.PrevHash != prevHash:
				return n, &AuditBreak{Seq: e.Seq, Why: "unlinked"}
			case auditHash(e) != e.Hash:
				return n, &AuditBreak{Seq: e.Seq, Why: "edited"}
			}
			prevHash, want, n = e.Hash, want+1, n+1
		}
		if len(page) < 1000 {
			break
		}
	}
	if want <= head {
		return n, &AuditBreak{Seq: want, Why: "missing"}
	}
	return n, nil
}

// AuthoriseRefund records, before the refund of charge id is sent, who
// asked for it and who approved it (the same operator when one with the
// authority refunded on their own): an EntryRefundAuthorised line on the
// charge's history and the audit entries AuditRefundAsked and
// AuditRefundApproved, in one transaction. Only a PAID charge can be
// refunded; anything else is ErrConflict.
func (db *DB) AuthoriseRefund(ctx context.Context, at Actor, id int64, askedBy, approvedBy string) error {
	if askedBy == "" || approvedBy == "" {
		return errors.New("store: a refund's authority names who asked and who approved")
	}
	return db.write(ctx, func(t *txn) error {
		c, err := t.loadCharge("id = ?", id)
		if err != nil {
			return err
		}
		if c.Status != psp.StatusPaid {
			return fmt.Errorf("%w: charge %d is not paid (status %s)", ErrConflict, id, c.Status)
		}
		t.entry(id, EntryRefundAuthorised, c.Status, "", Facts{AskedBy: askedBy, ApprovedBy: approvedBy}, nil, 0)
		asked := at
		asked.Operator = askedBy
		if _, err := t.audit(NewAudit{Actor: asked, Action: AuditRefundAsked, ChargeID: id}); err != nil {
			return err
		}
		approved := at
		approved.Operator = approvedBy
		if _, err := t.audit(NewAudit{Actor: approved, Action: AuditRefundApproved, ChargeID: id,
			Detail: map[string]string{"asked_by": askedBy}}); err != nil {
			return err
		}
		return t.save(c)
	})
}
