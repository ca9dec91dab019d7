package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

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
//
// A poll (EntryPoll) that changes nothing — OutcomeDuplicate, no new flag —
// is cheap: the charge keeps its version, the change feed hears nothing,
// and it is counted into the previous poll's timeline entry when that one
// found the same (see Entry.TimesSeen).
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
		o := judge(c, ci)
		quiet := kind == EntryPoll && o.quiet(c)
		if err := t.record(c, o, kind, body, 0, ""); err != nil {
			return err
		}
		outcome = o.outcome
		if quiet {
			return nil // nothing to announce: no new version
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

// recordDelivery is RecordDelivery's work inside a write transaction. The
// charge is found and the delivery judged first, so that the delivery's
// row is inserted once, complete with its charge and outcome.
func (t *txn) recordDelivery(d *psp.Delivery) error {
	ids := namedIn(d)
	received := d.ReceivedAt
	if received.IsZero() {
		received = t.now
	}
	c, err := t.match(ids.TransactionID, ids.InternalCode, ids.ExternalReference)
	if errors.Is(err, ErrNotFound) {
		c = nil
	} else if err != nil {
		return err
	}
	genuine := d.Verdict == psp.VerdictGenuine && d.Event != nil
	var (
		outcome Outcome
		judged  *observation
	)
	switch {
	case c == nil && genuine:
		outcome = OutcomeUnknown
	case c == nil && d.Verdict == psp.VerdictForged:
		outcome = OutcomeForged
	case c == nil:
		outcome = OutcomeMalformed
	case genuine && (d.Event.Type == psp.EventCashInPaid || d.Event.Type == psp.EventCashInRefunded):
		o := judge(c, &d.Event.Data)
		outcome, judged = o.outcome, &o
	case genuine:
		outcome = OutcomeIgnored
	case d.Verdict == psp.VerdictForged:
		outcome = OutcomeForged
	default:
		outcome = OutcomeMalformed
	}
	var (
		chargeID   any
		deliveryID int64
	)
	if c != nil {
		chargeID = c.ID
	}
	err = t.queryRow(`INSERT INTO deliveries (charge_id, event_id, event_type, transaction_id, verdict, signature,
		remote_addr, received_at, outcome, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		chargeID, clip(d.EventID), clip(ids.eventType), clip(ids.TransactionID), string(d.Verdict), clip(d.Signature),
		clip(d.RemoteAddr), micro(received), string(outcome), d.Body).Scan(&deliveryID)
	if err != nil {
		return err
	}
	if fault := t.db.deliveryFault; fault != nil {
		if err := fault(d); err != nil {
			return err
		}
	}
	if c == nil {
		return nil
	}
	detail := fmt.Sprintf("event %s, %s, %s", clip(d.EventID), verdictOf(d), clip(ids.eventType))
	switch {
	case judged != nil:
		if err := t.record(c, *judged, EntryWebhook, nil, deliveryID, detail); err != nil {
			return err
		}
	case outcome == OutcomeIgnored:
		t.entry(c.ID, EntryWebhook, d.Event.Data.Status, string(outcome), detail, nil, deliveryID)
	case outcome == OutcomeForged:
		t.entry(c.ID, EntryWebhook, "", string(outcome), detail, nil, deliveryID)
		t.flag(c, FlagForged, "a delivery with a bad signature named this charge")
	default:
		t.entry(c.ID, EntryWebhook, "", string(outcome), detail, nil, deliveryID)
	}
	return t.save(c)
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
// id, else internal code, else order reference. A charge this transaction
// has read already (a batch holding two deliveries of one event) is not
// read again: its copy as last saved is the row.
func (t *txn) match(transactionID, internalCode, reference string) (*Charge, error) {
	for _, k := range []struct{ col, v string }{
		{"transaction_id", transactionID}, {"internal_code", internalCode}, {"external_reference", reference},
	} {
		if k.v == "" {
			continue
		}
		key := k.col + "=" + k.v
		if id, ok := t.matched[key]; ok {
			c := t.loaded[id]
			return &c, nil
		}
		c, err := t.loadCharge(k.col+" = ?", k.v)
		if err == nil {
			if t.matched == nil {
				t.matched = map[string]int64{}
			}
			t.matched[key] = c.ID
		}
		if !errors.Is(err, ErrNotFound) {
			return c, err
		}
	}
	return nil, ErrNotFound
}
