package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// Refund returns a paid charge in full. The refund intent and its
// idempotency key are stored first (a second call reuses them), then the
// request is sent with that key and the answer applied. ConnectPSP's errors
// come back as they are (a *psp.Error with a 422 code the console words),
// together with the charge as stored; a charge the journal does not hold as
// PAID is store.ErrConflict. After a temporary failure, calling Refund again
// is safe: the journal returns the key with the reason and description it
// was first sent with, and that request is sent again byte for byte
// whatever this call asked, so ConnectPSP refunds once (it answers 422 to a
// key sent with another body).
func (e *Engine) Refund(ctx context.Context, id int64, reason psp.RefundReason, description string) (*store.Charge, error) {
	if !reason.Valid() {
		return nil, fmt.Errorf("engine: invalid refund reason %.40q", string(reason))
	}
	unlock, err := e.locks.lock(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	prev, err := e.db.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	ch, err := e.db.RequestRefund(ctx, id, reason, description)
	if err != nil {
		return prev, err
	}
	// On a retry these are the first call's, which the key names.
	reason, description = ch.RefundReason, ch.RefundDescription
	if ch.TransactionID == "" {
		return ch, fmt.Errorf("engine: charge %d has no ConnectPSP transaction", id)
	}
	e.log.Info("refund: sending", "charge", id, "transactionId", ch.TransactionID, "reason", reason)
	ci, err := e.client.RefundCashIn(e.progressCtx(ctx, id), ch.TransactionID, reason, description, ch.RefundKey)
	e.observe(err)
	if err != nil {
		e.log.Warn("refund: failed", "charge", id, "temporary", psp.IsTemporary(err), errAttr(err))
		return ch, err
	}
	body, _ := json.Marshal(ci)
	res, outcome, err := e.db.Apply(context.WithoutCancel(ctx), ci, store.EntryRefundAnswer, body)
	if err != nil {
		e.log.Error("refund: recording answer failed", "charge", id, "err", err)
		return ch, fmt.Errorf("engine: record refund answer: %w", err)
	}
	e.log.Info("refund: answered", "charge", id, "status", res.Status, "outcome", outcome)
	if outcome == store.OutcomeApplied {
		e.metrics.status(string(res.Status), "refund")
	}
	e.notify(Notice{Kind: NoticeChanged, ChargeID: id, Outcome: outcome})
	return res, nil
}
