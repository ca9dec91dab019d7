package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// Facts is what one timeline entry says beyond its kind, status and
// outcome, as typed values rather than a sentence: the screens and tx show
// word them in the user's language (package ui), scripts read them as they
// are (tx show --json), and the journal keeps them as a JSON object in
// entries.facts, one shape for both dialects. Which fields an entry sets
// depends on its kind and outcome; the rest stay zero and are left out.
//
// Text ConnectPSP or a webhook sender wrote (an event id, a reference, a
// status word, a refusal's reason) is kept as received, clipped, like the
// rest of the journal: it is evidence. Whoever shows it cleans it.
type Facts struct {
	// Reference is the charge's order reference (EntryCreated), or the
	// one another transaction carries (FlagTxidMismatch).
	Reference string `json:"reference,omitempty"`
	// Replaced is the reference ConnectPSP already had, which the charge
	// gave up for Reference (EntryReferenceReplaced).
	Replaced string `json:"replaced,omitempty"`
	// Amount is the charge's amount (EntryCreated, FlagAmountMismatch);
	// PaidAmount is what ConnectPSP says was paid (FlagAmountMismatch).
	Amount     psp.Amount `json:"amount,omitempty"`
	PaidAmount psp.Amount `json:"paidAmount,omitempty"`
	// IdempotencyKey names the create request (EntryCreated,
	// EntryCreateRetried, EntryReferenceReplaced) or the refund request (EntryRefundRequest).
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	// Retry is the background resumer's count of sends of a pending create
	// (EntryCreateRetried), 1 for its first; 0 when the cashier sent it.
	Retry int `json:"retry,omitempty"`
	// Code and Reason are ConnectPSP's problem code and words refusing a
	// create (EntryCreateRejected); Reason is the error's text when
	// ConnectPSP gave none.
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// RefundReason and Description are the refund the request sends
	// (EntryRefundRequest). Again says a refund was asked before, so the
	// key's first request is sent again; AskedReason and AskedDescription
	// are what this call asked instead, when it differs.
	RefundReason     psp.RefundReason `json:"refundReason,omitempty"`
	Description      string           `json:"description,omitempty"`
	Again            bool             `json:"again,omitempty"`
	AskedReason      psp.RefundReason `json:"askedReason,omitempty"`
	AskedDescription string           `json:"askedDescription,omitempty"`
	// EventID, EventType and Verdict describe a webhook delivery
	// (EntryWebhook). BodySize and BodyKept say that a body the journal
	// cannot read was cut to BodyKept of its BodySize bytes. Replayed
	// marks the one line that counts the byte-identical copies of a
	// delivery (Entry.TimesSeen of them, the last at Entry.LastSeenAt).
	EventID   string      `json:"eventId,omitempty"`
	EventType string      `json:"eventType,omitempty"`
	Verdict   psp.Verdict `json:"verdict,omitempty"`
	BodySize  int         `json:"bodySize,omitempty"`
	BodyKept  int         `json:"bodyKept,omitempty"`
	Replayed  bool        `json:"replayed,omitempty"`
	// From and To are a status move (EntryStatus), one refused because it
	// went back (OutcomeBackwards, FlagBackwards: To was observed while
	// the charge was From).
	From psp.Status `json:"from,omitempty"`
	To   psp.Status `json:"to,omitempty"`
	// PaidAt and ExpiresAt are a payment after the local expiry
	// (FlagPaidAfterExpiry).
	PaidAt    time.Time `json:"paidAt,omitzero"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// TransactionID and InternalCode are another transaction's, met
	// through the charge's order reference (FlagTxidMismatch): ConnectPSP's
	// transactionId, or its internal code when that is what differs, and
	// ChargeTransactionID or ChargeInternalCode the charge's own.
	TransactionID       string `json:"transactionId,omitempty"`
	InternalCode        string `json:"internalCode,omitempty"`
	ChargeTransactionID string `json:"chargeTransactionId,omitempty"`
	ChargeInternalCode  string `json:"chargeInternalCode,omitempty"`
	// AskedBy and ApprovedBy are the operators who asked for a refund and
	// who approved it (EntryRefundAuthorised); the same name when a
	// supervisor or suporte refunded on their own.
	AskedBy    string `json:"askedBy,omitempty"`
	ApprovedBy string `json:"approvedBy,omitempty"`
}

// IsZero reports whether f says nothing: an entry whose kind, status and
// outcome are the whole story, or one written before entries had facts.
func (f Facts) IsZero() bool { return f == Facts{} }

// encodeFacts is f as entries.facts holds it: "" when f is zero.
func encodeFacts(f Facts) (string, error) {
	if f.IsZero() {
		return "", nil
	}
	b, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("store: entry facts: %w", err)
	}
	return string(b), nil
}

// decodeFacts reads entries.facts; "" (no facts, an older entry) is zero.
func decodeFacts(s string) (Facts, error) {
	var f Facts
	if s == "" {
		return f, nil
	}
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		return Facts{}, fmt.Errorf("store: entry facts %.40q: %w", s, err)
	}
	return f, nil
}
