package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pixdesk/pixdesk/psp"
)

// defaultExpiryMinutes is ConnectPSP's validity when none is requested.
const defaultExpiryMinutes = 1440

// CreateIntent stores what the cashier confirmed, before ConnectPSP is
// called: Stage pending and an EntryCreated line. An empty IdempotencyKey
// is filled with a new UUID v4. A reference or key already in the journal is
// ErrConflict.
func (db *DB) CreateIntent(ctx context.Context, n NewCharge) (*Charge, error) {
	switch {
	case strings.TrimSpace(n.ExternalReference) == "":
		return nil, errors.New("store: charge has no order reference")
	case n.Amount <= 0 || n.Amount > psp.MaxAmount:
		return nil, fmt.Errorf("store: charge amount %d centavos out of range", int64(n.Amount))
	case n.ExpiresInMinutes < 0:
		return nil, errors.New("store: negative expiry")
	}
	if n.IdempotencyKey == "" {
		n.IdempotencyKey = uuid.NewString()
	}
	var c *Charge
	err := db.write(ctx, func(t *txn) error {
		var id int64
		err := t.queryRow(`INSERT INTO charges (terminal, external_reference, idempotency_key, amount,
			payer_name, payer_document, name_fold, expires_in_minutes, webhook_url, created_at, updated_at, stage, operator)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			n.Terminal, n.ExternalReference, n.IdempotencyKey, int64(n.Amount),
			n.Payer.Name, normDoc(n.Payer.Document), Fold(n.Payer.Name), n.ExpiresInMinutes, n.WebhookURL,
			micro(t.now), micro(t.now), string(StagePending), nullable(n.Operator)).Scan(&id)
		if err != nil {
			return err
		}
		t.entry(id, EntryCreated, "", string(OutcomeApplied),
			Facts{Reference: n.ExternalReference, Amount: n.Amount, IdempotencyKey: n.IdempotencyKey}, nil, 0)
		if c, err = t.loadCharge("id = ?", id); err != nil {
			return err
		}
		return t.save(c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// FindByReference returns the charge whose order reference is exactly ref,
// or ErrNotFound: one probe of the unique index on the reference. Unlike
// Find and Search it reads ref as nothing but a reference, so another
// charge's id, internal code or transactionId never stands in for it.
func (db *DB) FindByReference(ctx context.Context, ref string) (*Charge, error) {
	if ref == "" {
		return nil, ErrNotFound
	}
	return db.queryCharge(ctx, referenceWhere, ref)
}

// referenceWhere selects a charge by its order reference.
const referenceWhere = "external_reference = ?"

// NoteCreateRetry records that the create request of charge id is being
// sent again (with the same idempotency key), and by whom: retry is the
// background resumer's count of its sends (1, 2, …), 0 when the cashier
// asked.
func (db *DB) NoteCreateRetry(ctx context.Context, id int64, retry int) error {
	return db.write(ctx, func(t *txn) error {
		c, err := t.loadCharge("id = ?", id)
		if err != nil {
			return err
		}
		t.entry(id, EntryCreateRetried, "", "", Facts{IdempotencyKey: c.IdempotencyKey, Retry: max(retry, 0)}, nil, 0)
		return t.save(c)
	})
}

// RecordCreated stores ConnectPSP's answer to the create of charge id:
// Stage created, the transaction's identifiers and PIX data, its status and
// ExpiresAt. Recording the same transaction again changes nothing; a
// different transaction for the same charge is ErrConflict.
func (db *DB) RecordCreated(ctx context.Context, id int64, ci *psp.CashIn) (*Charge, error) {
	if ci == nil || ci.TransactionID == "" {
		return nil, errors.New("store: create answer has no transaction id")
	}
	var c *Charge
	err := db.write(ctx, func(t *txn) error {
		var err error
		if c, err = t.loadCharge("id = ?", id); err != nil {
			return err
		}
		if c.TransactionID != "" && c.TransactionID != ci.TransactionID {
			return fmt.Errorf("%w: charge %d already has another transaction", ErrConflict, id)
		}
		// Already recorded (a retry, or a webhook that matched the order
		// reference first): only fill what is missing.
		if c.Stage == StageCreated && c.CopyAndPaste != "" {
			return nil
		}
		if ci.PixData != nil && c.CopyAndPaste == "" {
			c.CopyAndPaste, c.QRImageBase64 = ci.PixData.CopyAndPaste, ci.PixData.QRCodeImageBase64
		}
		obs := *ci
		if obs.Status == "" {
			obs.Status = psp.StatusAwaitingPayment
		}
		if _, err := t.observe(c, &obs, EntryCreateAnswer); err != nil {
			return err
		}
		return t.save(c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// expiry is when a charge stops being payable, by the local clock:
// RequestedAt (or CreatedAt) plus the requested validity.
func expiry(c *Charge) time.Time {
	base := c.RequestedAt
	if base.IsZero() {
		base = c.CreatedAt
	}
	m := c.ExpiresInMinutes
	if m == 0 {
		m = defaultExpiryMinutes
	}
	return fromMicro(micro(base.Add(time.Duration(m) * time.Minute)))
}

// RecordRejected stores that ConnectPSP refused to create charge id (a 4xx):
// Stage rejected, with ConnectPSP's problem code ("" when it sent none) and
// reason, its words (or the error's text). Both are kept on the charge
// (RejectCode, RejectReason) and on the timeline. A charge already created
// is ErrConflict.
func (db *DB) RecordRejected(ctx context.Context, id int64, code, reason string) (*Charge, error) {
	var c *Charge
	err := db.write(ctx, func(t *txn) error {
		var err error
		if c, err = t.loadCharge("id = ?", id); err != nil {
			return err
		}
		switch c.Stage {
		case StageRejected:
			return nil
		case StageCreated:
			return fmt.Errorf("%w: charge %d was already created", ErrConflict, id)
		}
		c.Stage, c.RejectReason, c.RejectCode = StageRejected, reason, clip(code)
		f := Facts{Code: c.RejectCode, Reason: clip(reason)}
		if code == psp.CodeDuplicateReference {
			f.Reference = c.ExternalReference
		}
		t.entry(id, EntryCreateRejected, "", string(OutcomeApplied), f, nil, 0)
		return t.save(c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Import records a charge found at ConnectPSP (a support lookup) that may
// have been created elsewhere: Stage created and an EntryImported line. A
// charge the journal already has (same transaction, internal code or order
// reference) is not duplicated: the lookup is applied to it instead.
func (db *DB) Import(ctx context.Context, ci *psp.CashIn, terminal string) (*Charge, error) {
	if ci == nil || ci.TransactionID == "" || ci.ExternalReference == "" || !ci.Status.Valid() {
		return nil, errors.New("store: lookup has no transaction id, order reference or valid status")
	}
	return db.importOnce(ctx, ci, terminal, false)
}

func (db *DB) importOnce(ctx context.Context, ci *psp.CashIn, terminal string, retried bool) (*Charge, error) {
	var c *Charge
	err := db.write(ctx, func(t *txn) error {
		var err error
		c, err = t.match(ci.TransactionID, ci.InternalCode, ci.ExternalReference)
		if errors.Is(err, ErrNotFound) {
			var id int64
			err = t.queryRow(`INSERT INTO charges (terminal, external_reference, amount, payer_name,
				payer_document, name_fold, created_at, updated_at, stage)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				terminal, ci.ExternalReference, int64(ci.Amount), ci.Payer.Name, normDoc(ci.Payer.Document),
				Fold(ci.Payer.Name), micro(t.now), micro(t.now), string(StageCreated)).Scan(&id)
			if err != nil {
				return err
			}
			if c, err = t.loadCharge("id = ?", id); err != nil {
				return err
			}
			if ci.PixData != nil {
				c.CopyAndPaste, c.QRImageBase64 = ci.PixData.CopyAndPaste, ci.PixData.QRCodeImageBase64
			}
			c.RequestedAt = ci.RequestedAt.UTC()
		} else if err != nil {
			return err
		}
		if _, err := t.observe(c, ci, EntryImported); err != nil {
			return err
		}
		return t.save(c)
	})
	if errors.Is(err, ErrConflict) && !retried {
		// Another writer imported the same transaction meanwhile: apply
		// this lookup to its charge.
		return db.importOnce(ctx, ci, terminal, true)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// RequestRefund stores the intent to refund charge id before the request is
// sent, with an EntryRefundRequest line, and returns the charge holding the
// request to send. The first call stores a new RefundKey (a UUID v4) with
// reason and description. The key names that request, and ConnectPSP
// refuses a key sent with another body, so a later call (a retry) changes
// nothing: it returns the stored key, reason and description, whatever it
// was asked, and its line says what was asked instead. Only a PAID charge
// can be refunded; anything else is ErrConflict.
func (db *DB) RequestRefund(ctx context.Context, id int64, reason psp.RefundReason, description string) (*Charge, error) {
	if !reason.Valid() {
		return nil, fmt.Errorf("store: unknown refund reason %q", reason)
	}
	var c *Charge
	err := db.write(ctx, func(t *txn) error {
		var err error
		if c, err = t.loadCharge("id = ?", id); err != nil {
			return err
		}
		if c.Status != psp.StatusPaid {
			return fmt.Errorf("%w: charge %d is not paid (status %s)", ErrConflict, id, c.Status)
		}
		again := c.RefundKey != ""
		if !again {
			c.RefundKey, c.RefundReason, c.RefundDescription = uuid.NewString(), reason, description
		}
		f := Facts{IdempotencyKey: c.RefundKey, RefundReason: c.RefundReason, Description: c.RefundDescription, Again: again}
		if again && (reason != c.RefundReason || description != c.RefundDescription) {
			f.AskedReason, f.AskedDescription = reason, description
		}
		t.entry(id, EntryRefundRequest, c.Status, "", f, nil, 0)
		return t.save(c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
