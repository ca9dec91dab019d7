package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// Apply records an observation of a charge — a poll, a refund answer, a
// lookup — as a timeline entry of the given kind with its raw body, and
// applies it, in one transaction. The charge is matched by transactionId,
// else internalCode, else externalReference; none is ErrNotFound (and
// OutcomeUnknown), with nothing recorded.
//
// The status moves only along ConnectPSP's transitions; a status reachable
// in several steps (AWAITING_PAYMENT → REFUNDED) is applied step by step,
// recording the PAID details the observation carries. The same status again
// is OutcomeDuplicate, or OutcomeUpdated when it fills in missing details
// (bank data, endToEndId…). A move backwards is recorded, flagged
// FlagBackwards and ignored. A paid amount other than the charge's sets
// FlagAmountMismatch; payment after ExpiresAt sets FlagPaidAfterExpiry.
func (db *DB) Apply(ctx context.Context, ci *psp.CashIn, kind EntryKind, body []byte) (*Charge, Outcome, error) {
	if ci == nil {
		return nil, OutcomeUnknown, errors.New("store: nothing to apply")
	}
	var (
		c       *Charge
		outcome Outcome
	)
	err := db.write(ctx, func(t *txn) error {
		var err error
		if c, err = t.match(ci.TransactionID, ci.InternalCode, ci.ExternalReference); err != nil {
			return err
		}
		if outcome, err = t.observe(c, ci, kind, body, 0, ""); err != nil {
			return err
		}
		return t.save(c)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, OutcomeUnknown, err
	}
	if err != nil {
		return nil, "", err
	}
	return c, outcome, nil
}

var _ psp.WebhookSink = (*DB)(nil)

// RecordDelivery implements psp.WebhookSink. It keeps the delivery (raw
// body, verdict, X-Event-Id, received time, outcome) whatever its verdict,
// adds it to the timeline of the charge it names, and applies a genuine
// event as Apply does, in one transaction committed before it returns. A
// forged delivery naming a known charge flags it FlagForged and changes
// nothing else. Deliveries naming no known charge are kept unattached
// (Unmatched). Event types other than CASHIN_PAID and CASHIN_REFUNDED are
// recorded and ignored.
//
// Deliveries arriving together share that transaction (group commit, see
// group.go): each is applied exactly as if alone, in arrival order, and one
// that fails is retried in a transaction of its own so that it fails alone.
// A ctx that ends while the delivery waits for its turn returns ctx.Err()
// with nothing recorded; once its transaction has begun, RecordDelivery
// waits for the commit and reports that instead.
func (db *DB) RecordDelivery(ctx context.Context, d *psp.Delivery) error {
	if d == nil {
		return errors.New("store: nil delivery")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.singleCommits {
		return db.write(ctx, func(t *txn) error { return t.recordDelivery(d) })
	}
	p := &pendingDelivery{d: d, done: make(chan error, 1)}
	if err := db.enqueue(p); err != nil {
		return err
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		if p.state.CompareAndSwap(waiting, abandoned) {
			return ctx.Err()
		}
		// Already in a transaction: it commits, or not, whatever ctx says,
		// and the caller must hear which.
		return <-p.done
	}
}

// recordDelivery is RecordDelivery's work inside a write transaction.
func (t *txn) recordDelivery(d *psp.Delivery) error {
	ids := namedIn(d)
	received := d.ReceivedAt
	if received.IsZero() {
		received = t.now
	}
	var deliveryID int64
	err := t.queryRow(`INSERT INTO deliveries (event_id, event_type, transaction_id, verdict, signature,
		remote_addr, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		clip(d.EventID), clip(ids.eventType), clip(ids.TransactionID), string(d.Verdict), clip(d.Signature),
		clip(d.RemoteAddr), micro(received), d.Body).Scan(&deliveryID)
	if err != nil {
		return err
	}
	if fault := t.db.deliveryFault; fault != nil {
		if err := fault(d); err != nil {
			return err
		}
	}
	c, err := t.match(ids.TransactionID, ids.InternalCode, ids.ExternalReference)
	if errors.Is(err, ErrNotFound) {
		c, err = nil, nil
	} else if err != nil {
		return err
	}
	genuine := d.Verdict == psp.VerdictGenuine && d.Event != nil
	detail := fmt.Sprintf("event %s, %s, %s", clip(d.EventID), verdictOf(d), clip(ids.eventType))
	var outcome Outcome
	switch {
	case c == nil && genuine:
		outcome = OutcomeUnknown
	case c == nil && d.Verdict == psp.VerdictForged:
		outcome = OutcomeForged
	case c == nil:
		outcome = OutcomeMalformed
	case genuine && (d.Event.Type == psp.EventCashInPaid || d.Event.Type == psp.EventCashInRefunded):
		if outcome, err = t.observe(c, &d.Event.Data, EntryWebhook, nil, deliveryID, detail); err != nil {
			return err
		}
	case genuine:
		outcome = OutcomeIgnored
		err = t.entry(c.ID, EntryWebhook, d.Event.Data.Status, string(outcome), detail, nil, deliveryID)
	case d.Verdict == psp.VerdictForged:
		outcome = OutcomeForged
		if err = t.entry(c.ID, EntryWebhook, "", string(outcome), detail, nil, deliveryID); err == nil {
			err = t.flag(c, FlagForged, "a delivery with a bad signature named this charge")
		}
	default:
		outcome = OutcomeMalformed
		err = t.entry(c.ID, EntryWebhook, "", string(outcome), detail, nil, deliveryID)
	}
	if err != nil {
		return err
	}
	var chargeID any
	if c != nil {
		chargeID = c.ID
		if err := t.save(c); err != nil {
			return err
		}
	}
	_, err = t.exec("UPDATE deliveries SET charge_id = ?, outcome = ? WHERE id = ?", chargeID, string(outcome), deliveryID)
	return err
}

// delivered is what a delivery says about itself.
type delivered struct {
	eventType         string
	TransactionID     string
	InternalCode      string
	ExternalReference string
}

// namedIn finds the charge a delivery names. A genuine event is decoded
// already; any other body is read loosely, for its identifiers only, so
// that a forged or malformed delivery can be shown on the charge it names.
// Nothing read this way is ever applied.
func namedIn(d *psp.Delivery) delivered {
	if d.Verdict == psp.VerdictGenuine && d.Event != nil {
		return delivered{d.Event.Type, d.Event.Data.TransactionID, d.Event.Data.InternalCode, d.Event.Data.ExternalReference}
	}
	var loose struct {
		Type string `json:"eventType"`
		Data struct {
			TransactionID     string `json:"transactionId"`
			InternalCode      string `json:"internalCode"`
			ExternalReference string `json:"externalReference"`
		} `json:"data"`
	}
	_ = json.Unmarshal(d.Body, &loose)
	return delivered{loose.Type, loose.Data.TransactionID, loose.Data.InternalCode, loose.Data.ExternalReference}
}

func verdictOf(d *psp.Delivery) psp.Verdict {
	if d.Verdict == psp.VerdictGenuine && d.Event == nil {
		return psp.VerdictMalformed
	}
	return d.Verdict
}

// clip bounds text a sender controls before it is stored.
func clip(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "")
}

// match finds and locks the charge an observation is about: by transaction
// id, else internal code, else order reference.
func (t *txn) match(transactionID, internalCode, reference string) (*Charge, error) {
	for _, k := range []struct{ col, v string }{
		{"transaction_id", transactionID}, {"internal_code", internalCode}, {"external_reference", reference},
	} {
		if k.v == "" {
			continue
		}
		c, err := t.loadCharge(k.col+" = ?", k.v)
		if !errors.Is(err, ErrNotFound) {
			return c, err
		}
	}
	return nil, ErrNotFound
}

// observe records observation ci of charge c as a timeline entry and
// applies it to c in memory; the caller saves c. It is the one place where
// statuses move.
func (t *txn) observe(c *Charge, ci *psp.CashIn, kind EntryKind, body []byte, deliveryID int64, detail string) (Outcome, error) {
	filled := identify(c, ci)
	cur, next := c.Status, ci.Status
	var (
		outcome Outcome
		path    []psp.Status
	)
	switch {
	case !next.Valid():
		outcome = OutcomeIgnored
	case cur == next:
		outcome = OutcomeDuplicate
	case cur == "" && next == psp.StatusAwaitingPayment:
		outcome, path = OutcomeApplied, []psp.Status{next}
	case cur == "":
		outcome, path = OutcomeApplied, pathTo(psp.StatusAwaitingPayment, next)
	case cur.Reachable(next):
		outcome, path = OutcomeApplied, pathTo(cur, next)
	default:
		outcome = OutcomeBackwards
	}
	if outcome == OutcomeApplied || outcome == OutcomeDuplicate {
		if merge(c, ci) {
			filled = true
		}
	}
	if outcome == OutcomeDuplicate && filled {
		outcome = OutcomeUpdated
	}
	if detail == "" && outcome == OutcomeBackwards {
		detail = fmt.Sprintf("%s would move the charge back from %s", next, cur)
	}
	if err := t.entry(c.ID, kind, next, string(outcome), detail, body, deliveryID); err != nil {
		return "", err
	}
	from := cur
	for _, s := range path {
		d := fmt.Sprintf("%s → %s", from, s)
		if from == "" {
			d = "→ " + string(s)
		}
		if err := t.entry(c.ID, EntryStatus, s, string(OutcomeApplied), d, nil, 0); err != nil {
			return "", err
		}
		from, c.Status = s, s
	}
	if outcome == OutcomeIgnored {
		return outcome, nil
	}
	if outcome == OutcomeBackwards {
		if err := t.flag(c, FlagBackwards, fmt.Sprintf("%s observed after %s", next, cur)); err != nil {
			return "", err
		}
	}
	if ci.Amount != 0 && ci.Amount != c.Amount {
		if err := t.flag(c, FlagAmountMismatch, fmt.Sprintf("ConnectPSP says %s, the charge is %s", ci.Amount, c.Amount)); err != nil {
			return "", err
		}
	}
	if !c.PaidAt.IsZero() && !c.ExpiresAt.IsZero() && c.PaidAt.After(c.ExpiresAt) {
		if err := t.flag(c, FlagPaidAfterExpiry, fmt.Sprintf("paid at %s, after the local expiry %s",
			c.PaidAt.Format("2006-01-02 15:04:05Z"), c.ExpiresAt.Format("2006-01-02 15:04:05Z"))); err != nil {
			return "", err
		}
	}
	return outcome, nil
}

// flag sets f on c, with a timeline line the first time.
func (t *txn) flag(c *Charge, f Flag, detail string) error {
	if c.Flags&f != 0 {
		return nil
	}
	c.Flags |= f
	return t.entry(c.ID, EntryFlag, c.Status, f.String(), detail, nil, 0)
}

// identify fills in what ConnectPSP's answer says about who the charge is:
// Stage created, transaction id, internal code, PIX data, requested time and
// the local expiry. It reports whether anything changed.
func identify(c *Charge, ci *psp.CashIn) bool {
	changed := false
	set := func(dst *string, v string) {
		if *dst == "" && v != "" {
			*dst, changed = v, true
		}
	}
	if c.Stage != StageCreated {
		c.Stage, c.RejectReason, changed = StageCreated, "", true
	}
	set(&c.TransactionID, ci.TransactionID)
	set(&c.InternalCode, ci.InternalCode)
	if ci.PixData != nil && c.CopyAndPaste == "" {
		set(&c.CopyAndPaste, ci.PixData.CopyAndPaste)
		set(&c.QRImageBase64, ci.PixData.QRCodeImageBase64)
	}
	if c.RequestedAt.IsZero() && !ci.RequestedAt.IsZero() {
		c.RequestedAt, changed = fromMicro(micro(ci.RequestedAt)), true
	}
	// Only a charge created here has a validity of its own to check.
	if c.ExpiresAt.IsZero() && c.IdempotencyKey != "" {
		c.ExpiresAt, changed = expiry(c), true
	}
	return changed
}

// merge fills in the payment details an observation carries and the charge
// lacks. Recorded details are never overwritten, except that a refund's D…
// endToEndId takes the place of the E… one, which moves to
// OriginalEndToEndID, as ConnectPSP reports it.
func merge(c *Charge, ci *psp.CashIn) bool {
	changed := false
	setTime := func(dst *time.Time, v time.Time) {
		if dst.IsZero() && !v.IsZero() {
			*dst, changed = fromMicro(micro(v)), true
		}
	}
	setTime(&c.PaidAt, ci.PaidAt)
	setTime(&c.RefundedAt, ci.RefundedAt)
	setTime(&c.ExpiredAt, ci.ExpiredAt)
	if c.Payer.BankData == nil && ci.Payer.BankData != nil && *ci.Payer.BankData != (psp.BankData{}) {
		b := *ci.Payer.BankData
		c.Payer.BankData, changed = &b, true
	}
	paidE2E, refundE2E := ci.OriginalEndToEndID, ""
	if strings.HasPrefix(ci.EndToEndID, "D") {
		refundE2E = ci.EndToEndID
	} else if paidE2E == "" {
		paidE2E = ci.EndToEndID
	}
	if refundE2E != "" && !strings.HasPrefix(c.EndToEndID, "D") {
		if c.OriginalEndToEndID == "" {
			c.OriginalEndToEndID = c.EndToEndID
		}
		c.EndToEndID, changed = refundE2E, true
	}
	switch {
	case paidE2E == "":
	case c.EndToEndID == "":
		c.EndToEndID, changed = paidE2E, true
	case strings.HasPrefix(c.EndToEndID, "D") && c.OriginalEndToEndID == "":
		c.OriginalEndToEndID, changed = paidE2E, true
	}
	if c.PaidAmount == 0 && ci.Amount != 0 && (c.Status == psp.StatusPaid || c.Status == psp.StatusRefunded || ci.Status == psp.StatusPaid || ci.Status == psp.StatusRefunded) {
		c.PaidAmount, changed = ci.Amount, true
	}
	return changed
}

// pathTo lists the statuses passed through from one status to another,
// along ConnectPSP's transitions; nil if to is not reachable.
func pathTo(from, to psp.Status) []psp.Status {
	for _, s := range psp.Statuses {
		if !from.CanBecome(s) {
			continue
		}
		if s == to {
			return []psp.Status{s}
		}
		if s.Reachable(to) {
			return append([]psp.Status{s}, pathTo(s, to)...)
		}
	}
	return nil
}
