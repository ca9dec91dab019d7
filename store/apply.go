package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
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
		if err := t.record(c, o, kind, body, 0, Facts{}); err != nil {
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

// maxMalformedBody bounds what the journal keeps of a signed delivery it
// cannot read: ConnectPSP's bytes, so worth keeping, but not 64 KiB a time.
const maxMalformedBody = 8 << 10

// RecordDelivery implements psp.WebhookSink with Receive, dropping the
// receipt.
func (db *DB) RecordDelivery(ctx context.Context, d *psp.Delivery) error {
	_, err := db.Receive(ctx, d)
	return err
}

// Receive records one webhook delivery and returns what it did.
//
// A delivery that failed verification (VerdictForged) touches no charge
// and waits for nothing: it goes to the bounded sample of refused
// deliveries (Refuse) and Receive returns OutcomeForged at once.
//
// A signed delivery is kept (raw body, verdict, X-Event-Id, received time,
// outcome), added to the timeline of the charge it names, and, when it is
// a genuine event, applied as Apply does — in one transaction committed
// before Receive returns. Deliveries naming no known charge are kept
// unattached (Unmatched). Event types other than CASHIN_PAID and
// CASHIN_REFUNDED are recorded and ignored. A signed body the journal
// cannot read is kept up to maxMalformedBody bytes.
//
// A byte-identical replay of a signed delivery already kept for the same
// charge (or for none) is that delivery again: it is counted on it, and on
// the charge's timeline by one line that stands for every replay, with no
// new version and no change announced (OutcomeDuplicate).
//
// Deliveries arriving together share that transaction (group commit, see
// group.go): each is applied exactly as if alone, in arrival order, and one
// that fails is retried in a transaction of its own so that it fails alone.
// A ctx that ends while the delivery waits for its turn returns ctx.Err()
// with nothing recorded; once its transaction has begun, Receive waits for
// the commit and reports that instead.
func (db *DB) Receive(ctx context.Context, d *psp.Delivery) (Receipt, error) {
	if d == nil {
		return Receipt{}, errors.New("store: nil delivery")
	}
	if d.Verdict == psp.VerdictForged {
		db.Refuse(d)
		return Receipt{Outcome: OutcomeForged}, nil
	}
	if err := ctx.Err(); err != nil {
		return Receipt{}, err
	}
	if db.singleCommits {
		var r Receipt
		err := db.write(ctx, func(t *txn) (err error) {
			r, err = t.recordDelivery(d)
			return err
		})
		return r, err
	}
	return db.group.submit(ctx, d)
}

// recordDelivery is Receive's work for a signed delivery inside a write
// transaction. The charge is found and the delivery judged first, so that
// the delivery's row is inserted once, complete with its charge and
// outcome.
func (t *txn) recordDelivery(d *psp.Delivery) (Receipt, error) {
	if d.Verdict == psp.VerdictForged {
		// Receive never sends one here; a refusal must not reach a charge.
		return Receipt{}, errors.New("store: a refused delivery reached the journal")
	}
	t.noQR = true
	ids := namedIn(d)
	received := receivedAt(d, t.now)
	c, err := t.match(ids.TransactionID, ids.InternalCode, ids.ExternalReference)
	if errors.Is(err, ErrNotFound) {
		c = nil
	} else if err != nil {
		return Receipt{}, err
	}
	hash := bodyHash(d.Body)
	if prior, err := t.priorDelivery(hash, c); err != nil {
		return Receipt{}, err
	} else if prior != nil {
		return t.replay(prior, c, d)
	}
	genuine := d.Verdict == psp.VerdictGenuine && d.Event != nil
	var (
		outcome Outcome
		judged  *observation
	)
	switch {
	case c == nil && genuine:
		outcome = OutcomeUnknown
	case c == nil:
		outcome = OutcomeMalformed
	case genuine && (d.Event.Type == psp.EventCashInPaid || d.Event.Type == psp.EventCashInRefunded):
		o := judge(c, &d.Event.Data)
		outcome, judged = o.outcome, &o
	case genuine:
		outcome = OutcomeIgnored
	default:
		outcome = OutcomeMalformed
	}
	facts := Facts{EventID: clip(d.EventID), EventType: clip(ids.eventType), Verdict: verdictOf(d)}
	body := d.Body
	if !genuine && len(body) > maxMalformedBody {
		body, facts.BodyKept, facts.BodySize = body[:maxMalformedBody], maxMalformedBody, len(d.Body)
	}
	var (
		chargeID   any
		deliveryID int64
	)
	if c != nil {
		chargeID = c.ID
	}
	row := []any{chargeID, clip(d.EventID), clip(ids.eventType), clip(ids.TransactionID), string(d.Verdict), clip(d.Signature),
		clip(d.RemoteAddr), micro(received), string(outcome), body, hash}
	if t.pre != nil {
		if deliveryID, err = t.pre.nextDeliveryID(); err != nil {
			return Receipt{}, err
		}
		if _, err := t.exec(`INSERT INTO deliveries (charge_id, event_id, event_type, transaction_id, verdict, signature,
		remote_addr, received_at, outcome, body, body_sha256, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append(row, deliveryID)...); err != nil {
			return Receipt{}, err
		}
		k := &kept{id: deliveryID, eventID: clip(d.EventID), eventType: clip(ids.eventType), verdict: d.Verdict}
		if c != nil {
			k.chargeID = c.ID
		}
		t.pre.kept[hash] = append(t.pre.kept[hash], k)
	} else {
		err = t.queryRow(`INSERT INTO deliveries (charge_id, event_id, event_type, transaction_id, verdict, signature,
		remote_addr, received_at, outcome, body, body_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			row...).Scan(&deliveryID)
		if err != nil {
			return Receipt{}, err
		}
	}
	if fault := t.db.deliveryFault; fault != nil {
		if err := fault(d); err != nil {
			return Receipt{}, err
		}
	}
	if c == nil {
		return Receipt{Outcome: outcome}, nil
	}
	switch {
	case judged != nil:
		if err := t.record(c, *judged, EntryWebhook, nil, deliveryID, facts); err != nil {
			return Receipt{}, err
		}
	case outcome == OutcomeIgnored:
		t.entry(c.ID, EntryWebhook, psp.Status(clip(string(d.Event.Data.Status))), string(outcome), facts, nil, deliveryID)
	default:
		t.entry(c.ID, EntryWebhook, "", string(outcome), facts, nil, deliveryID)
	}
	return Receipt{ChargeID: c.ID, Outcome: outcome}, t.save(c)
}

// hashIndexed is the predicate of the partial index deliveries_body_sha256,
// written into every query that looks deliveries up by body hash: neither
// dialect can tell from a bound parameter that it is not ”, and without
// the predicate the index is out of reach. On PostgreSQL a prepared
// statement's generic plan then read the whole table, every batch (15 ms
// at 26,000 deliveries, growing with the journal; TestHashLookupsUseTheIndex).
const hashIndexed = "body_sha256 <> ''"

// The first signed delivery with a body hash, kept for no charge or for
// one: what priorDelivery looks up, statement by statement.
const (
	priorOfNoChargeSQL = `SELECT id, event_id, event_type, verdict, replays, COALESCE(replay_entry_id, 0) FROM deliveries
		WHERE body_sha256 = ? AND ` + hashIndexed + ` AND charge_id IS NULL ORDER BY id LIMIT 1`
	priorOfChargeSQL = `SELECT id, event_id, event_type, verdict, replays, COALESCE(replay_entry_id, 0) FROM deliveries
		WHERE body_sha256 = ? AND ` + hashIndexed + ` AND charge_id = ? ORDER BY id LIMIT 1`
)

// bodyHash is the hex SHA-256 of a delivery's body, which finds replays.
func bodyHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// kept is a signed delivery the journal has already, for a replay of it.
type kept struct {
	id, replays, entryID int64
	chargeID             int64 // 0: none (read only by the pipeline)
	eventID, eventType   string
	verdict              psp.Verdict
}

// priorDelivery finds the first signed delivery with body hash hash kept
// for charge c (nil: for no charge), or returns nil.
func (t *txn) priorDelivery(hash string, c *Charge) (*kept, error) {
	if t.pre != nil {
		var want int64
		if c != nil {
			want = c.ID
		}
		for _, k := range t.pre.kept[hash] {
			if k.chargeID == want {
				return k, nil
			}
		}
		return nil, nil
	}
	q, args := priorOfNoChargeSQL, []any{hash}
	if c != nil {
		q, args = priorOfChargeSQL, []any{hash, c.ID}
	}
	var (
		k       kept
		verdict string
	)
	err := t.queryRow(q, args...).Scan(&k.id, &k.eventID, &k.eventType, &verdict, &k.replays, &k.entryID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	k.verdict = psp.Verdict(verdict)
	return &k, err
}

// replay counts delivery d, byte for byte the kept one k, on k: the first
// replay adds one timeline line to charge c, later ones count into it. The
// charge itself is not saved: nothing about it changed.
func (t *txn) replay(k *kept, c *Charge, d *psp.Delivery) (Receipt, error) {
	n := k.replays + 1
	if _, err := t.exec("UPDATE deliveries SET replays = ?, last_replay_at = ? WHERE id = ?", n, micro(t.now), k.id); err != nil {
		return Receipt{}, err
	}
	k.replays = n // for a later replay in the same pipeline
	if c == nil {
		return Receipt{Outcome: OutcomeDuplicate}, nil
	}
	// The kept delivery's own facts, as they are read back: an entry
	// written before entries had facts gets them here, and loses the
	// English note that told an older count.
	facts, err := encodeFacts(Facts{EventID: k.eventID, EventType: k.eventType, Verdict: k.verdict, Replayed: true})
	if err != nil {
		return Receipt{}, err
	}
	switch k.entryID {
	case 0:
	case replayEntryOf:
		_, err := t.exec(`UPDATE entries SET times_seen = ?, last_seen_at = ?, facts = ?, detail = ''
			WHERE id = (SELECT replay_entry_id FROM deliveries WHERE id = ?)`, n, micro(t.now), facts, k.id)
		return Receipt{ChargeID: c.ID, Outcome: OutcomeDuplicate}, err
	default:
		_, err := t.exec("UPDATE entries SET times_seen = ?, last_seen_at = ?, facts = ?, detail = '' WHERE id = ?",
			n, micro(t.now), facts, k.entryID)
		return Receipt{ChargeID: c.ID, Outcome: OutcomeDuplicate}, err
	}
	var st psp.Status
	if d.Verdict == psp.VerdictGenuine && d.Event != nil {
		st = psp.Status(clip(string(d.Event.Data.Status)))
	}
	if err := t.flushEntries(); err != nil {
		return Receipt{}, err
	}
	if t.pre != nil {
		// The line's id is the database's: the kept delivery names it.
		_, err = t.exec(`WITH e AS (INSERT INTO entries (charge_id, at, kind, status, outcome, facts, delivery_id, times_seen, last_seen_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id) UPDATE deliveries SET replay_entry_id = (SELECT id FROM e) WHERE id = ?`,
			c.ID, micro(t.now), string(EntryWebhook), string(st), string(OutcomeDuplicate), facts, k.id, n, micro(t.now), k.id)
		k.entryID = replayEntryOf
		return Receipt{ChargeID: c.ID, Outcome: OutcomeDuplicate}, err
	}
	var entryID int64
	err = t.queryRow(`INSERT INTO entries (charge_id, at, kind, status, outcome, facts, delivery_id, times_seen, last_seen_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.ID, micro(t.now), string(EntryWebhook), string(st),
		string(OutcomeDuplicate), facts, k.id, n, micro(t.now)).Scan(&entryID)
	if err != nil {
		return Receipt{}, err
	}
	_, err = t.exec("UPDATE deliveries SET replay_entry_id = ? WHERE id = ?", entryID, k.id)
	return Receipt{ChargeID: c.ID, Outcome: OutcomeDuplicate}, err
}

// delivered is what a delivery says about itself.
type delivered struct {
	eventType         string
	TransactionID     string
	InternalCode      string
	ExternalReference string
}

// namedIn finds the charge a signed delivery names. A genuine event is
// decoded already; a malformed body is read loosely, for its identifiers
// only, so that it can be shown on the charge it names. Nothing read this
// way is ever applied. A refused delivery is never read at all.
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
		if t.pre != nil {
			continue // the pipeline read every charge the batch names
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
