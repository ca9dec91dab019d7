package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// A terminal's order references are its id, a dash and its own counter:
// "C01-000123". The counter lives in the journal (counters row
// "ref:C01"), so a counter reinstalled with a fresh journal, or two
// counters given one id, start again from 1 — and ConnectPSP, which
// remembers every reference, refuses the ones it has seen. ReplaceReference
// moves such a charge on to the next free reference.

// referenceDigits is how many digits a generated reference's number has at
// least.
const referenceDigits = 6

// referencePrefix is what a terminal's references begin with, before the
// dash: the terminal's id, or "PIX" for a charge with none.
func referencePrefix(terminal string) string {
	if terminal == "" {
		return "PIX"
	}
	return terminal
}

// NextReference returns a new order reference for terminal, such as
// "C01-000123": a per-terminal counter behind the terminal's id, skipping
// any reference already in the journal. References are unique across
// terminals as long as terminal ids are.
func (db *DB) NextReference(ctx context.Context, terminal string) (string, error) {
	var ref string
	err := db.write(ctx, func(t *txn) error {
		var err error
		ref, err = t.nextReference(terminal)
		return err
	})
	return ref, err
}

// nextReference draws terminal's next reference that no charge in the
// journal has.
func (t *txn) nextReference(terminal string) (string, error) {
	for {
		var n int64
		err := t.queryRow(`INSERT INTO counters (name, value) VALUES (?, 1)
			ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value`,
			"ref:"+terminal).Scan(&n)
		if err != nil {
			return "", err
		}
		ref := fmt.Sprintf("%s-%0*d", referencePrefix(terminal), referenceDigits, n)
		var one int
		err = t.queryRow("SELECT 1 FROM charges WHERE external_reference = ?", ref).Scan(&one)
		if errors.Is(err, ErrNotFound) || errors.Is(mapErr(err), ErrNotFound) {
			return ref, nil
		}
		if err != nil {
			return "", err
		}
	}
}

// IsSequenceReference reports whether ref has the shape of terminal's
// generated references (NextReference): the terminal's prefix, a dash and
// at least referenceDigits digits. An order reference the cashier typed
// names a real order and is never replaced; one of the counter's own is
// just a number.
func IsSequenceReference(terminal, ref string) bool {
	num, ok := strings.CutPrefix(ref, referencePrefix(terminal)+"-")
	if !ok || len(num) < referenceDigits {
		return false
	}
	_, err := strconv.ParseUint(num, 10, 63)
	return err == nil
}

// ReplaceReference gives pending charge id its terminal's next free order
// reference and a new idempotency key, both stored before anything is sent
// with them, and returns the charge. It is for a create ConnectPSP
// refused because the reference was already there: that refusal created
// nothing for the old key, so the charge is still one intent, now to be
// sent under the new reference. ReplacedReference keeps the charge's first
// reference; the timeline gets an EntryReferenceReplaced line.
//
// key is the idempotency key the refused request carried. A charge whose
// key is no longer key (another process replaced it first, and may have
// sent the new one), or that is no longer pending, is ErrConflict and
// nothing changes: replacing twice could send two keys for one intent.
func (db *DB) ReplaceReference(ctx context.Context, id int64, key string) (*Charge, error) {
	var c *Charge
	err := db.write(ctx, func(t *txn) error {
		var err error
		if c, err = t.loadCharge("id = ?", id); err != nil {
			return err
		}
		switch {
		case c.Stage != StagePending:
			return fmt.Errorf("%w: charge %d is %s, not pending", ErrConflict, id, c.Stage)
		case c.IdempotencyKey != key:
			return fmt.Errorf("%w: charge %d was sent with another key since", ErrConflict, id)
		}
		ref, err := t.nextReference(c.Terminal)
		if err != nil {
			return err
		}
		old := c.ExternalReference
		if c.ReplacedReference == "" {
			c.ReplacedReference = old
		}
		c.ExternalReference, c.IdempotencyKey = ref, uuid.NewString()
		t.entry(id, EntryReferenceReplaced, "", string(OutcomeApplied),
			Facts{Reference: ref, Replaced: old, IdempotencyKey: c.IdempotencyKey}, nil, 0)
		return t.save(c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
