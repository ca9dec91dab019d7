package store

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// Sentinel errors; driver errors are mapped to these in one place.
var (
	// ErrNotFound: no charge matches.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a unique value (order reference, idempotency key) is taken.
	ErrConflict = errors.New("store: conflict")
	// ErrTooNew: the database was written by a newer pixdesk.
	ErrTooNew = errors.New("store: database schema is newer than this pixdesk")
)

// Stage is how far a charge got with ConnectPSP, before it has a status.
type Stage string

// Stages of a charge's creation.
const (
	// StagePending: the intent is stored but ConnectPSP has not answered;
	// the create call is to be retried with the stored idempotency key.
	StagePending Stage = "pending"
	// StageCreated: ConnectPSP answered with a Cash-In; Status is set.
	StageCreated Stage = "created"
	// StageRejected: ConnectPSP refused the create (a 4xx); no charge exists.
	StageRejected Stage = "rejected"
)

// Flag marks something a person must look at.
type Flag uint32

// Flags on a charge.
const (
	FlagAmountMismatch  Flag = 1 << iota // paid amount differs from the charge
	FlagPaidAfterExpiry                  // paid after the local expiry time
	FlagBackwards                        // an observation tried to move the status backwards
	FlagForged                           // a forged delivery named this charge (journals written before refusals were kept apart)
	FlagTxidMismatch                     // a signed event named this charge with another transaction's identifiers
)

// String names the flags set in f, comma-separated: "amount_mismatch,forged".
func (f Flag) String() string {
	names := []string{"amount_mismatch", "paid_after_expiry", "backwards", "forged", "txid_mismatch"}
	var out []string
	for i, n := range names {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if rest := f &^ (1<<len(names) - 1); rest != 0 {
		out = append(out, fmt.Sprintf("0x%x", uint32(rest)))
	}
	return strings.Join(out, ",")
}

// NewCharge is what the cashier confirmed; it is stored before ConnectPSP is called.
type NewCharge struct {
	Terminal          string
	ExternalReference string
	IdempotencyKey    string
	Amount            psp.Amount
	Payer             psp.Payer
	ExpiresInMinutes  int
	WebhookURL        string
	// Operator is who was at the counter ("" when the shop has no
	// operators, and for charges recorded from elsewhere).
	Operator string
}

// Charge is one transaction as the journal knows it.
type Charge struct {
	ID                int64
	Terminal          string
	ExternalReference string
	IdempotencyKey    string
	Amount            psp.Amount
	Payer             psp.Payer // BankData set once paid
	ExpiresInMinutes  int
	WebhookURL        string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Stage             Stage
	RejectReason      string // set when Stage is StageRejected
	// RejectCode is ConnectPSP's problem code for that refusal, e.g.
	// psp.CodeDuplicateReference; "" when it sent none.
	RejectCode string
	// ReplacedReference is the order reference the charge was first
	// given, when ConnectPSP already had it and the charge moved on to
	// its terminal's next one (ReplaceReference); "" otherwise.
	ReplacedReference string

	// What ConnectPSP returned.
	TransactionID      string
	InternalCode       string
	CopyAndPaste       string
	QRImageBase64      string
	RequestedAt        time.Time
	ExpiresAt          time.Time // RequestedAt (or CreatedAt) + ExpiresInMinutes
	Status             psp.Status
	PaidAmount         psp.Amount
	PaidAt             time.Time
	RefundedAt         time.Time
	ExpiredAt          time.Time
	EndToEndID         string
	OriginalEndToEndID string

	// Refund intent, stored before the refund request is first sent. The
	// key names that request, so every retry sends the same reason and
	// description with it.
	RefundKey         string
	RefundReason      psp.RefundReason
	RefundDescription string // the audit note; "" sends none

	// UnknownStatus is the last status ConnectPSP reported that pixdesk
	// does not know, as reported (clipped, not sanitised); "" once a known
	// status is seen again. Status keeps the last known one.
	UnknownStatus string

	// Operator is who was at the counter when the charge was made; "" when
	// none was (no operators defined, an import, a journal before schema 10).
	Operator string

	Flags Flag
	// Version increases with every change; the change feed carries it.
	Version int64
}

// EntryKind classifies a timeline entry.
type EntryKind string

// Timeline entry kinds.
const (
	EntryCreated        EntryKind = "created"        // intent stored
	EntryCreateRetried  EntryKind = "create_retried" // create sent again with the same key
	EntryCreateAnswer   EntryKind = "create_answer"  // ConnectPSP answered the create
	EntryCreateRejected EntryKind = "create_rejected"
	EntryWebhook        EntryKind = "webhook"        // a delivery, any verdict
	EntryPoll           EntryKind = "poll"           // GET /cash-in result
	EntryStatus         EntryKind = "status"         // the status changed
	EntryRefundRequest  EntryKind = "refund_request" // refund intent stored (with its key)
	EntryRefundAnswer   EntryKind = "refund_answer"
	EntryFlag           EntryKind = "flag"
	EntryImported       EntryKind = "imported" // recorded from a lookup at ConnectPSP
	// EntryReferenceReplaced: ConnectPSP had the order reference already,
	// so the pending charge took its terminal's next one and a new key.
	EntryReferenceReplaced EntryKind = "reference_replaced"
	// EntryRefundAuthorised: who asked for the refund and who approved it
	// (AuthoriseRefund).
	EntryRefundAuthorised EntryKind = "refund_authorised"
)

// Entry is one line of a charge's history.
type Entry struct {
	ID       int64
	ChargeID int64
	At       time.Time
	Kind     EntryKind
	// Status is the status observed or reached, when there is one.
	Status psp.Status
	// Outcome says what the entry did: "applied", "duplicate", "backwards", "forged", …
	Outcome string
	// Facts is what the entry says beyond its kind, status and outcome,
	// to be worded in the reader's language; zero for entries written
	// before the journal kept facts (schema 8).
	Facts Facts
	// Detail is the English note such older entries carry instead of
	// Facts; entries written since leave it empty.
	Detail string
	// Body is the raw webhook body or API answer, when there is one.
	Body []byte
	// TimesSeen is how many identical consecutive poll results the entry
	// stands for (1 for every other entry); At is the first of them and
	// LastSeenAt, set when TimesSeen > 1, the last.
	TimesSeen  int
	LastSeenAt time.Time
}

// Outcome of applying an observation.
type Outcome string

// Outcomes of Apply and RecordDelivery.
const (
	OutcomeApplied   Outcome = "applied"   // the status moved
	OutcomeDuplicate Outcome = "duplicate" // already in that status: nothing changed
	OutcomeBackwards Outcome = "backwards" // not an allowed move: recorded and ignored
	OutcomeUnknown   Outcome = "unknown"   // no local charge matches
	OutcomeUpdated   Outcome = "updated"   // same status, new details recorded
	OutcomeForged    Outcome = "forged"    // failed verification: refused, no charge touched
	OutcomeMalformed Outcome = "malformed" // signed, but not an event pixdesk can read
	OutcomeIgnored   Outcome = "ignored"   // recorded only: unknown status or event type
	// OutcomeMismatch: a signed event named the charge (by order reference
	// or internal code) with a transactionId other than the charge's:
	// recorded, flagged FlagTxidMismatch, not applied.
	OutcomeMismatch Outcome = "mismatch"
)

// Receipt is what recording one webhook delivery did.
type Receipt struct {
	// ChargeID is the charge the delivery was recorded on; 0 when it named
	// none, and always for a refused delivery, which touches no charge.
	ChargeID int64
	Outcome  Outcome
}

// Query filters a search. Zero fields do not filter.
type Query struct {
	// Text matches payer name (prefix, case- and accent-insensitive), document
	// (digits), order reference, internal code, transactionId and endToEndId.
	Text     string
	Statuses []psp.Status
	From, To time.Time // CreatedAt in [From, To)
	Amount   psp.Amount
	Terminal string
	// After continues a listing: the Cursor of the last row seen.
	After Cursor
	Limit int
}

// Cursor is a keyset position in the newest-first order.
type Cursor struct {
	CreatedAt time.Time
	ID        int64
}

// Cursor returns the keyset position of c, to continue a Search after it.
func (c *Charge) Cursor() Cursor { return Cursor{CreatedAt: c.CreatedAt, ID: c.ID} }

// Newer reports whether c comes before o in the newest-first order: created
// later, or at the same time with a higher ID. The zero Cursor is older
// than every charge.
func (c Cursor) Newer(o Cursor) bool {
	if !c.CreatedAt.Equal(o.CreatedAt) {
		return c.CreatedAt.After(o.CreatedAt)
	}
	return c.ID > o.ID
}

// DeliveryRecord is one webhook delivery as the journal kept it.
type DeliveryRecord struct {
	ID            int64
	ChargeID      int64 // 0 when no local charge matched
	EventID       string
	EventType     string
	TransactionID string
	Verdict       psp.Verdict
	Signature     string
	RemoteAddr    string
	ReceivedAt    time.Time
	Outcome       Outcome
	Body          []byte
}

// Change tells a subscriber that a charge changed: reload it from the
// store if it concerns you. It says whose the charge is and whether it
// could still be paid at that version, so that a subscriber passes over
// other counters' changes and closed charges without reading them — in a
// chain, every console hears every change.
type Change struct {
	ChargeID int64
	Version  int64
	// Terminal is the counter that took the charge; "" when the
	// announcement did not say (a pixdesk from before it did), and then
	// Open says nothing either: read the charge.
	Terminal string
	// Open is Charge.Open at this version.
	Open bool
}

// Open reports whether c can still be paid: pending, or created and
// awaiting payment.
func (c *Charge) Open() bool { return openAt(c.Stage, c.Status) }

// openAt is Open's rule, for a charge's stage and status as stored.
func openAt(stage Stage, status psp.Status) bool {
	return stage == StagePending || stage == StageCreated && status == psp.StatusAwaitingPayment
}

// change is what the feed says of c as saved.
func (c *Charge) change() Change {
	return Change{ChargeID: c.ID, Version: c.Version, Terminal: c.Terminal, Open: c.Open()}
}
