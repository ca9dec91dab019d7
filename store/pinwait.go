package store

import (
	"context"
	"fmt"
	"math"
	"time"
)

// The back-off after wrong PINs at one terminal: PINFreeTries may be wrong
// in a row, then each further try waits PINFirstWait, doubling, up to
// PINMaxWait, counted from the last wrong one. It is read from the audit
// trail — the terminal's pin_failed entries since its last right PIN — so
// a console restarted, or a second console started with the same terminal
// id, is held back as the first was.
const (
	PINFreeTries = 3
	PINFirstWait = 5 * time.Second
	PINMaxWait   = 5 * time.Minute
)

// pinLookback bounds the entries read to count a terminal's wrong PINs in
// a row: past it the wait is PINMaxWait anyway.
const pinLookback = 32

// PINBackoff is the wait after fails wrong PINs in a row.
func PINBackoff(fails int) time.Duration {
	if fails < PINFreeTries {
		return 0
	}
	return min(PINFirstWait<<min(fails-PINFreeTries, 10), PINMaxWait)
}

// PINWaitError is CheckPIN's answer while wrong PINs hold the terminal
// back: no PIN is checked until Wait has passed. After a wrong PIN that
// starts a wait it comes joined to ErrBadPIN.
type PINWaitError struct{ Wait time.Duration }

func (e *PINWaitError) Error() string {
	return fmt.Sprintf("store: too many wrong PINs at this terminal: try again in %d s", e.Seconds())
}

// Seconds is the wait in whole seconds, rounded up.
func (e *PINWaitError) Seconds() int { return int(math.Ceil(e.Wait.Seconds())) }

// pinWait is how long terminal must wait before its next PIN check: the
// back-off of its wrong PINs since its last right one (a sign-in or a
// refund approved with a PIN), from the last wrong one.
func (db *DB) pinWait(ctx context.Context, terminal string) (time.Duration, error) {
	rows, err := db.query(ctx, "SELECT action, at FROM audit WHERE terminal = ? AND action IN (?, ?, ?) ORDER BY seq DESC LIMIT ?",
		terminal, string(AuditPINFailed), string(AuditSignedIn), string(AuditRefundApproved), pinLookback)
	if err != nil {
		return 0, mapErr(err)
	}
	defer rows.Close()
	fails, last := 0, int64(0)
	for rows.Next() {
		var action string
		var at int64
		if err := rows.Scan(&action, &at); err != nil {
			return 0, err
		}
		if AuditAction(action) != AuditPINFailed {
			break
		}
		if fails == 0 {
			last = at
		}
		fails++
	}
	if err := rows.Err(); err != nil {
		return 0, mapErr(err)
	}
	if fails == 0 {
		return 0, nil
	}
	return max(0, fromMicro(last).Add(PINBackoff(fails)).Sub(db.now())), nil
}
