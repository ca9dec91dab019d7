package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pixdesk/pixdesk/store"
)

// One order, one charge: an order reference that already names a charge
// is refused by Create, whoever asks (the counter form, `tx create`, any
// counter on a shared journal). The store's unique index on the reference
// decides, so two counters racing for one order cannot both win; Create
// then looks the holder up, exactly (store.FindByReference), to say which
// charge has it.

// ReferenceExistsError is why Create refused an order reference that
// already names a charge; Create returns it as the Reason of an
// *InputError about FieldReference, which the console's catalogue words.
// Charge is the charge the order has. Same reports that it is for the same
// amount and payer document: the same order sent again, as by a rerun of an
// interrupted `tx create`, which may take that charge up instead of failing.
type ReferenceExistsError struct {
	Charge *store.Charge
	Same   bool
}

// Error returns e.g. "already names charge 12, for another amount or payer".
func (e *ReferenceExistsError) Error() string {
	if e.Same {
		return fmt.Sprintf("already names charge %d", e.Charge.ID)
	}
	return fmt.Sprintf("already names charge %d, for another amount or payer", e.Charge.ID)
}

// referenceTaken returns the refusal of in's reference when the charge that
// holds it can be found, else nil (the store's conflict was something else,
// or the holder vanished: the caller reports the conflict itself).
func (e *Engine) referenceTaken(ctx context.Context, in Input) error {
	ch, err := e.db.FindByReference(ctx, in.Reference)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			e.log.Warn("charge: looking up the order's charge", "reference", in.Reference, "err", err)
		}
		return nil
	}
	same := ch.Amount == in.Amount && ch.Payer.Document == in.Payer.Document
	return refuse(FieldReference, &ReferenceExistsError{Charge: ch, Same: same})
}

// A reference the counter generated can still be taken at ConnectPSP: a
// terminal id reused with a fresh journal starts its sequence again, and
// ConnectPSP remembers every reference it has seen. Its refusal
// (psp.ErrDuplicateReference) created nothing for the charge's key, so
// the charge, still one intent, takes its terminal's next reference and a
// new key (store.DB.ReplaceReference, which stores both before they are
// sent) and is sent again; the screens say so in the reader's language.
// A reference the cashier typed names a real order and is never moved: its
// refusal is recorded as before.

// maxReferenceMoves bounds how many taken references one send skips
// before it records the refusal; the sequence stays where it got to, so
// the next charge goes on from there.
const maxReferenceMoves = 32

// keyWindow is how long after an intent a refusal of its reference is
// known not to be its own earlier request's charge: ConnectPSP is assumed
// to answer a key it has seen with its first answer for 24 h (API digest
// §9.2), an hour is kept for clocks. Later, the reference may be taken by
// this very intent, sent long ago under an expired key, and moving on
// could make a second charge: the refusal is recorded instead.
const keyWindow = 23 * time.Hour

// errReferenceTaken is sendOnce's word that ConnectPSP refused a movable
// reference; send moves the charge and sends again.
var errReferenceTaken = errors.New("engine: order reference taken at ConnectPSP")

// movable reports whether pending charge ch may move to another reference
// when ConnectPSP already has its own.
func (e *Engine) movable(ch *store.Charge) bool {
	return store.IsSequenceReference(ch.Terminal, ch.ExternalReference) && e.now().Sub(ch.CreatedAt) < keyWindow
}

// moveReference gives ch its terminal's next reference and a new key. The
// store refuses if the key ConnectPSP refused is no longer the charge's
// (another process moved it first and may have sent the new one): then
// the charge is returned as stored, still pending, and the resumer sends
// what the journal holds.
func (e *Engine) moveReference(ctx context.Context, ch *store.Charge) (*store.Charge, error) {
	next, err := e.db.ReplaceReference(ctx, ch.ID, ch.IdempotencyKey)
	if err != nil {
		e.log.Warn("charge: moving to the next order reference failed", "charge", ch.ID, "reference", ch.ExternalReference, "err", err)
		if cur, gerr := e.db.Get(ctx, ch.ID); gerr == nil {
			ch = cur
		}
		return ch, fmt.Errorf("engine: order %s is taken at ConnectPSP and the charge could not move on: %w", ch.ExternalReference, err)
	}
	e.log.Info("charge: order reference taken at ConnectPSP, moved on", "charge", ch.ID,
		"from", ch.ExternalReference, "to", next.ExternalReference)
	e.notify(Notice{Kind: NoticeChanged, ChargeID: ch.ID})
	return next, nil
}
