package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// ErrReconcileIncomplete: ConnectPSP could not be asked about every open
// charge of the day, so the day is not sealed; try again when it answers.
var ErrReconcileIncomplete = errors.New("engine: some charges could not be checked with ConnectPSP; the day is not closed")

// ErrDayNotStarted: the day to close has not begun in the shop's zone.
var ErrDayNotStarted = errors.New("engine: that day has not begun")

// DayClose is a terminal's day's close: the report and what the
// reconciliation before it found. It is what Seal keeps, as JSON.
type DayClose struct {
	*store.DayReport
	Reconciliation Reconciliation `json:"reconciliation"`
	// ClosedBy is the operator who sealed it ("" when none is signed in:
	// a shop without operators, or the CLI); the audit trail names them.
	ClosedBy string `json:"closedBy,omitempty"`
	// SealedAt is when the day was sealed; zero in a preview.
	SealedAt time.Time `json:"sealedAt,omitzero"`
	// Hash is the sealed JSON's SHA-256 (not part of what it hashes).
	Hash string `json:"-"`
}

// Reconciliation is what ConnectPSP said about the day's charges that the
// journal held as open to change (store.DB.DayOpen), asked one by one
// before the close.
type Reconciliation struct {
	// Asked counts the charges asked about.
	Asked int `json:"asked"`
	// Changed are those whose status or details ConnectPSP's answer changed
	// (a webhook that never came, a refund made elsewhere).
	Changed []Reconciled `json:"changed"`
	// Failed are those ConnectPSP could not be asked about.
	Failed []Reconciled `json:"failed"`
}

// Reconciled is one charge the reconciliation changed or could not check.
type Reconciled struct {
	ChargeID     int64         `json:"chargeId"`
	Reference    string        `json:"externalReference"`
	InternalCode string        `json:"internalCode,omitempty"`
	Amount       psp.Amount    `json:"amount"`
	From         psp.Status    `json:"from"`
	To           psp.Status    `json:"to,omitempty"`
	Outcome      store.Outcome `json:"outcome,omitempty"`
	// Err says why it could not be checked, in English; empty otherwise.
	Err string `json:"error,omitempty"`
}

// Reconcile asks ConnectPSP for every charge of terminal created in [from,
// to) that is not final and applies each answer through the poll's path
// (store.DB.Apply with a poll entry: the journal's transitions, flags and
// timeline), saying what changed. A charge ConnectPSP cannot be asked about
// is listed in Failed; the error is only for a journal that cannot be read.
func (e *Engine) Reconcile(ctx context.Context, terminal string, from, to time.Time) (Reconciliation, error) {
	r := Reconciliation{Changed: []Reconciled{}, Failed: []Reconciled{}}
	open, err := e.db.DayOpen(ctx, terminal, from, to)
	if err != nil {
		return r, err
	}
	r.Asked = len(open)
	for _, ch := range open {
		pctx, cancel := context.WithTimeout(ctx, e.pollTimeout)
		res, outcome, err := e.refresh(pctx, ch)
		cancel()
		line := Reconciled{ChargeID: ch.ID, Reference: ch.ExternalReference, InternalCode: ch.InternalCode,
			Amount: ch.Amount, From: ch.Status, Outcome: outcome}
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return r, ctx.Err()
			}
			line.Err = err.Error()
			r.Failed = append(r.Failed, line)
		case outcome == store.OutcomeApplied || outcome == store.OutcomeUpdated:
			line.To = res.Status
			r.Changed = append(r.Changed, line)
		}
	}
	e.log.Info("close: reconciled", "terminal", terminal, "asked", r.Asked, "changed", len(r.Changed), "failed", len(r.Failed))
	return r, nil
}

// PrepareClose reconciles terminal's day ("2026-12-01" in loc, the shop's
// zone) with ConnectPSP and then reads its report: what the close would
// seal. A day already closed is store.ErrDayClosed, before anything is
// asked; a day that has not begun is ErrDayNotStarted.
func (e *Engine) PrepareClose(ctx context.Context, terminal, day string, loc *time.Location) (*DayClose, error) {
	from, to, err := store.DayBounds(day, loc)
	if err != nil {
		return nil, err
	}
	if e.now().Before(from) {
		return nil, ErrDayNotStarted
	}
	switch _, err := e.db.SealedDay(ctx, terminal, day); {
	case err == nil, errors.Is(err, store.ErrSealBroken):
		return nil, store.ErrDayClosed
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	rec, err := e.Reconcile(ctx, terminal, from, to)
	if err != nil {
		return nil, err
	}
	rep, err := e.db.DayReport(ctx, terminal, day, loc)
	if err != nil {
		return nil, err
	}
	return &DayClose{DayReport: rep, Reconciliation: rec}, nil
}

// Seal closes the day c prepared, for good: c with its sealing time is
// kept in the journal and can only be reprinted (Reprint). A
// reconciliation that could not check every charge is
// ErrReconcileIncomplete, and nothing is sealed; a day closed meanwhile is
// store.ErrDayClosed.
func (e *Engine) Seal(ctx context.Context, c *DayClose) (*DayClose, error) {
	if len(c.Reconciliation.Failed) > 0 {
		return nil, ErrReconcileIncomplete
	}
	sealed := *c
	sealed.SealedAt = e.now().UTC().Truncate(time.Second)
	s, err := e.db.Seal(ctx, store.Actor{Terminal: c.Terminal, Operator: c.ClosedBy}, c.Day, &sealed)
	if err != nil {
		return nil, err
	}
	sealed.Hash = s.Hash
	e.log.Info("close: day sealed", "terminal", c.Terminal, "day", c.Day, "hash", s.Hash)
	return &sealed, nil
}

// Reprint returns terminal's closed day as it was sealed, or
// store.ErrNotFound. A sealed report edited since is returned with
// store.ErrSealBroken. It needs only the journal: nothing is asked of
// ConnectPSP.
func Reprint(ctx context.Context, db *store.DB, terminal, day string) (*DayClose, error) {
	s, sealErr := db.SealedDay(ctx, terminal, day)
	if s == nil {
		return nil, sealErr
	}
	c := &DayClose{DayReport: &store.DayReport{}}
	if err := s.Decode(c); err != nil {
		return nil, fmt.Errorf("engine: reprint: %w", err)
	}
	c.Hash = s.Hash
	return c, sealErr
}
