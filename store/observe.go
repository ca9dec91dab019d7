package store

import (
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// observation is what one observation of a charge (a poll, a webhook, an
// answer) amounts to, decided by judge before anything is written.
type observation struct {
	status  psp.Status // what ConnectPSP says
	before  psp.Status // what the journal said
	outcome Outcome
	path    []psp.Status // statuses to pass through, in order
	flags   []raised     // flags the observation raises, in order
	// unknown is status, clipped, when pixdesk does not know it; it is
	// kept on the charge (Charge.UnknownStatus) until a known one comes.
	unknown string
}

// raised is a flag with the facts that explain it on the timeline.
type raised struct {
	flag  Flag
	facts Facts
}

// judge decides what observation ci means for charge c and fills into c
// the details it brings (identify, merge); the status moves in record.
//
// The status moves only along ConnectPSP's transitions, step by step; the
// same status again is OutcomeDuplicate, or OutcomeUpdated when it fills in
// missing details; a move backwards is flagged and ignored.
//
// An observation of another transaction — a transactionId or internal
// code other than the charge's own, reached through the order reference —
// is not this charge's news: OutcomeMismatch, flagged FlagTxidMismatch,
// nothing taken from it. A status pixdesk does not know changes no status
// (OutcomeIgnored) and is kept in UnknownStatus, except that a charge just
// created counts as awaiting payment: ConnectPSP made it, and only a poll
// can tell more.
func judge(c *Charge, ci *psp.CashIn) observation {
	o := observation{status: ci.Status, before: c.Status}
	if why := otherTransaction(c, ci); !why.IsZero() {
		o.outcome, o.flags = OutcomeMismatch, []raised{{FlagTxidMismatch, why}}
		return o
	}
	filled := identify(c, ci)
	cur, next := c.Status, ci.Status
	switch {
	case !next.Valid():
		o.outcome, o.unknown = OutcomeIgnored, clip(string(next))
		if cur == "" {
			o.path = []psp.Status{psp.StatusAwaitingPayment}
		}
	case cur == next:
		o.outcome = OutcomeDuplicate
	case cur == "" && next == psp.StatusAwaitingPayment:
		o.outcome, o.path = OutcomeApplied, []psp.Status{next}
	case cur == "":
		o.outcome, o.path = OutcomeApplied, pathTo(psp.StatusAwaitingPayment, next)
	case cur.Reachable(next):
		o.outcome, o.path = OutcomeApplied, pathTo(cur, next)
	default:
		o.outcome = OutcomeBackwards
	}
	if o.outcome == OutcomeApplied || o.outcome == OutcomeDuplicate {
		if merge(c, ci) {
			filled = true
		}
	}
	if o.outcome == OutcomeDuplicate && filled {
		o.outcome = OutcomeUpdated
	}
	if o.outcome == OutcomeIgnored {
		return o
	}
	if o.outcome == OutcomeBackwards {
		o.flags = append(o.flags, raised{FlagBackwards, Facts{From: cur, To: next}})
	}
	if ci.Amount != 0 && ci.Amount != c.Amount {
		o.flags = append(o.flags, raised{FlagAmountMismatch, Facts{Amount: c.Amount, PaidAmount: ci.Amount}})
	}
	if !c.PaidAt.IsZero() && !c.ExpiresAt.IsZero() && c.PaidAt.After(c.ExpiresAt) {
		o.flags = append(o.flags, raised{FlagPaidAfterExpiry, Facts{PaidAt: c.PaidAt.UTC(), ExpiresAt: c.ExpiresAt.UTC()}})
	}
	return o
}

// otherTransaction says why ci is not about charge c, or nothing (zero
// Facts) when it may be: an identifier ConnectPSP gave the charge that ci
// contradicts, beside the charge's own.
func otherTransaction(c *Charge, ci *psp.CashIn) Facts {
	switch {
	case ci.TransactionID != "" && c.TransactionID != "" && ci.TransactionID != c.TransactionID:
		return Facts{TransactionID: clip(ci.TransactionID), Reference: clip(ci.ExternalReference),
			ChargeTransactionID: c.TransactionID}
	case ci.InternalCode != "" && c.InternalCode != "" && ci.InternalCode != c.InternalCode:
		return Facts{InternalCode: clip(ci.InternalCode), TransactionID: clip(ci.TransactionID),
			ChargeInternalCode: c.InternalCode}
	}
	return Facts{}
}

// quiet reports whether o changes nothing in c: the same status, no new
// details and no flag c does not have already. An unknown status seen
// again, and still the one kept, is quiet too.
func (o *observation) quiet(c *Charge) bool {
	switch {
	case o.outcome == OutcomeDuplicate && c.UnknownStatus == "":
	case o.outcome == OutcomeIgnored && o.unknown != "" && o.unknown == c.UnknownStatus && len(o.path) == 0:
	default:
		return false
	}
	for _, r := range o.flags {
		if c.Flags&r.flag == 0 {
			return false
		}
	}
	return true
}

// record writes judged observation o of charge c to the timeline, with
// facts (a delivery's, or none) and the move o would make backwards, and
// moves c's status along o's path, setting o's flags; the caller saves c.
// It is the one place where statuses move. A poll that changes nothing is
// counted into the previous identical poll's entry (repeatPoll).
func (t *txn) record(c *Charge, o observation, kind EntryKind, body []byte, deliveryID int64, facts Facts) error {
	st := o.status
	if o.unknown != "" {
		st = psp.Status(o.unknown)
	}
	if kind == EntryPoll && o.quiet(c) {
		return t.repeatPoll(c.ID, st, o.outcome, body)
	}
	switch {
	case o.unknown != "":
		c.UnknownStatus = o.unknown
	case o.status.Valid() && o.outcome != OutcomeMismatch:
		c.UnknownStatus = ""
	}
	if o.outcome == OutcomeBackwards {
		facts.From, facts.To = o.before, o.status
	}
	t.entry(c.ID, kind, st, string(o.outcome), facts, body, deliveryID)
	from := o.before
	for _, s := range o.path {
		t.entry(c.ID, EntryStatus, s, string(OutcomeApplied), Facts{From: from, To: s}, nil, 0)
		from, c.Status = s, s
	}
	for _, r := range o.flags {
		t.flag(c, r.flag, r.facts)
	}
	return nil
}

// observe judges and records observation ci of charge c, an answer of
// ConnectPSP's with no body kept; the caller saves c.
func (t *txn) observe(c *Charge, ci *psp.CashIn, kind EntryKind) (Outcome, error) {
	o := judge(c, ci)
	return o.outcome, t.record(c, o, kind, nil, 0, Facts{})
}

// repeatPoll records a poll that found charge chargeID as it was (status
// st, nothing new). When the charge's last timeline entry is such a poll
// already, the poll is counted there — TimesSeen and LastSeenAt say how
// often and when last, At stays the first poll's time, the body the first
// answer — rather than adding a line per poll; otherwise a new entry
// starts the count. Counting into an entry written before entries had
// facts drops its English note, which told an older count.
func (t *txn) repeatPoll(chargeID int64, st psp.Status, out Outcome, body []byte) error {
	if err := t.flushEntries(); err != nil {
		return err
	}
	var (
		id, seen              int64
		kind, status, outcome string
	)
	err := t.queryRow(`SELECT id, kind, status, outcome, times_seen FROM entries
		WHERE charge_id = ? ORDER BY id DESC LIMIT 1`, chargeID).Scan(&id, &kind, &status, &outcome, &seen)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if err != nil || EntryKind(kind) != EntryPoll || psp.Status(status) != st || Outcome(outcome) != out {
		t.entry(chargeID, EntryPoll, st, string(out), Facts{}, body, 0)
		return nil
	}
	seen++
	_, err = t.exec("UPDATE entries SET times_seen = ?, last_seen_at = ?, detail = '' WHERE id = ?",
		seen, micro(t.now), id)
	return err
}

// flag sets f on c, with a timeline line the first time.
func (t *txn) flag(c *Charge, f Flag, facts Facts) {
	if c.Flags&f != 0 {
		return
	}
	c.Flags |= f
	t.entry(c.ID, EntryFlag, c.Status, f.String(), facts, nil, 0)
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
