package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// Input is what the cashier confirmed for a new charge.
type Input struct {
	Amount psp.Amount
	Payer  psp.Payer
	// Reference is the order reference; "" takes the store's next one.
	Reference string
	// ExpiresInMinutes is the QR validity; 0 leaves ConnectPSP's default.
	ExpiresInMinutes int
	// Operator is who is at the counter, recorded on the charge ("" when
	// the shop has no operators).
	Operator string
}

// maxReferenceTries bounds how often Create draws a fresh reference when a
// generated one turns out to be taken (another counter got there first).
const maxReferenceTries = 3

// Create stores the charge with a new idempotency key, then asks ConnectPSP
// for it. An order reference that already names a charge is refused with
// an *InputError whose Reason is a *ReferenceExistsError (reference.go),
// and nothing is stored or sent. The returned charge is StageCreated on success; when the create
// endpoint itself refuses it (psp.Refused: a 4xx from /cash-in) it is
// StageRejected and the *psp.Error is returned. Any other failure — the
// network, /auth/token, a redirect, a 5xx, or ctx ending because the cashier
// gave up waiting — leaves the outcome unknown: the charge is returned still
// StagePending with the error, and the background resumer sends it again
// with the same key, so ConnectPSP never makes a second charge.
func (e *Engine) Create(ctx context.Context, in Input) (*store.Charge, error) {
	in, err := CheckInput(in) // the rules of every entry point (input.go)
	if err != nil {
		return nil, err
	}
	ch, err := e.intent(ctx, in, in.Payer)
	if err != nil {
		return nil, err
	}
	e.log.Info("charge: intent stored", "charge", ch.ID, "reference", ch.ExternalReference, "amount", ch.Amount.Decimal())
	crashPoint("after-intent")
	unlock, err := e.locks.lock(ctx, ch.ID)
	if err != nil {
		e.scheduleCreate(ch.ID)
		return ch, err
	}
	defer unlock()
	// The background resumer may have picked the intent up from the change
	// feed and sent it before we got the lock.
	if cur, err := e.db.Get(ctx, ch.ID); err == nil && cur.Stage != store.StagePending {
		if cur.Stage == store.StageRejected {
			return cur, fmt.Errorf("engine: ConnectPSP refused the charge: %s", cur.RejectReason)
		}
		return cur, nil
	}
	return e.settle(ctx, ch)
}

// intent stores the charge before anything is sent, drawing a reference
// when the cashier gave none.
func (e *Engine) intent(ctx context.Context, in Input, payer psp.Payer) (*store.Charge, error) {
	for try := 1; ; try++ {
		ref := in.Reference
		if ref == "" {
			var err error
			if ref, err = e.db.NextReference(ctx, e.terminal); err != nil {
				return nil, fmt.Errorf("engine: next reference: %w", err)
			}
		}
		ch, err := e.db.CreateIntent(ctx, store.NewCharge{
			Terminal:          e.terminal,
			ExternalReference: ref,
			IdempotencyKey:    uuid.NewString(),
			Amount:            in.Amount,
			Payer:             payer,
			ExpiresInMinutes:  in.ExpiresInMinutes,
			WebhookURL:        e.webhookURL(),
			Operator:          in.Operator,
		})
		if errors.Is(err, store.ErrConflict) && in.Reference == "" && try < maxReferenceTries {
			continue
		}
		if errors.Is(err, store.ErrConflict) && in.Reference != "" {
			if taken := e.referenceTaken(ctx, in); taken != nil {
				return nil, taken
			}
		}
		if err != nil {
			return nil, fmt.Errorf("engine: store charge: %w", err)
		}
		return ch, nil
	}
}

// Resume sends a pending create again with its stored idempotency key (the
// cashier's "try again"). A charge that is no longer pending is returned as
// it is, with no error.
func (e *Engine) Resume(ctx context.Context, id int64) (*store.Charge, error) {
	unlock, err := e.locks.lock(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ch, err := e.db.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if ch.Stage != store.StagePending {
		return ch, nil
	}
	if err := e.db.NoteCreateRetry(ctx, id, 0); err != nil {
		return ch, err
	}
	return e.settle(ctx, ch)
}

// settle sends the create for a pending charge and records what came of
// it. The caller holds the charge's lock.
func (e *Engine) settle(ctx context.Context, ch *store.Charge) (*store.Charge, error) {
	res, err := e.send(ctx, ch)
	switch {
	case res.Stage == store.StageCreated:
		e.Track(res.ID)
	case res.Stage == store.StagePending:
		e.scheduleCreate(res.ID)
	}
	return res, err
}

// send calls POST /cash-in for a pending charge with its stored key and body,
// and records the answer. It returns the charge as now stored; its Stage
// tells the caller whether to poll it, retry it or forget it. The caller
// holds the charge's lock.
//
// When ConnectPSP already has the charge's order reference and the
// reference is one the counter generated, the charge moves on to the next
// one (reference.go, moveReference) and is sent again, at most
// maxReferenceMoves times; after that the refusal is recorded.
func (e *Engine) send(ctx context.Context, ch *store.Charge) (*store.Charge, error) {
	for moves := 0; ; moves++ {
		res, err := e.sendOnce(ctx, ch, moves < maxReferenceMoves)
		if !errors.Is(err, errReferenceTaken) {
			return res, err
		}
		if ch, err = e.moveReference(context.WithoutCancel(ctx), ch); err != nil {
			return ch, err
		}
	}
}

// sendOnce is one POST /cash-in of send. With mayMove, a refusal of a
// movable reference (movable) is not recorded: it returns the charge
// unchanged and errReferenceTaken.
func (e *Engine) sendOnce(ctx context.Context, ch *store.Charge, mayMove bool) (*store.Charge, error) {
	params := psp.CreateParams{
		Amount:              ch.Amount,
		ExternalReference:   ch.ExternalReference,
		ExpirationInMinutes: ch.ExpiresInMinutes,
		WebhookURL:          ch.WebhookURL,
		Payer:               psp.Payer{Name: ch.Payer.Name, Document: ch.Payer.Document},
	}
	start := time.Now()
	ctx = crashAfterSend(ctx)
	ci, err := e.client.CreateCashIn(e.progressCtx(ctx, ch.ID), params, ch.IdempotencyKey)
	e.metrics.created(time.Since(start))
	e.observe(err)
	// What ConnectPSP said must be recorded even if the cashier gave up.
	wctx := context.WithoutCancel(ctx)
	var pe *psp.Error
	switch {
	case err != nil && !psp.Refused(err):
		// Network error, timeout, 5xx, a redirect, a token that could not
		// be had, or cancellation: the request may have reached ConnectPSP
		// (this time or an earlier one), so the charge stays pending and
		// is sent again with the same key. Only the create's own answer
		// decides.
		e.log.Warn("charge: create unanswered, will retry", "charge", ch.ID, "reference", ch.ExternalReference, "temporary", psp.IsTemporary(err), errAttr(err))
		return ch, err
	case err == nil:
		crashPoint("after-response")
		res, rerr := e.db.RecordCreated(wctx, ch.ID, ci)
		if rerr != nil {
			// Not recorded: stay pending; the same key returns the same charge.
			e.log.Error("charge: recording creation failed", "charge", ch.ID, "transactionId", ci.TransactionID, "err", rerr)
			return ch, fmt.Errorf("engine: record created charge: %w", rerr)
		}
		e.log.Info("charge: created", "charge", ch.ID, "transactionId", ci.TransactionID)
		if ch.Status == "" && res.Status != "" {
			e.metrics.status(string(res.Status), "create")
		}
		e.notify(Notice{Kind: NoticeChanged, ChargeID: ch.ID})
		return res, nil
	case mayMove && errors.Is(err, psp.ErrDuplicateReference) && e.movable(ch):
		e.log.Warn("charge: ConnectPSP already has the order reference", "charge", ch.ID, "reference", ch.ExternalReference, errAttr(err))
		return ch, errReferenceTaken
	default:
		// The journal keeps ConnectPSP's code and words; the screens
		// word a known code in the reader's language.
		code, reason := "", err.Error()
		if errors.As(err, &pe) {
			code = pe.Code
			if pe.Detail != "" {
				reason = pe.Detail
			}
		}
		if errors.Is(err, psp.ErrDuplicateReference) {
			code = psp.CodeDuplicateReference // a bare 409 says so too
		}
		return e.reject(wctx, ch, code, reason, err)
	}
}

// reject records that ConnectPSP refused the create and returns cause.
func (e *Engine) reject(ctx context.Context, ch *store.Charge, code, reason string, cause error) (*store.Charge, error) {
	e.log.Warn("charge: rejected", "charge", ch.ID, "reference", ch.ExternalReference, errAttr(cause))
	res, err := e.db.RecordRejected(ctx, ch.ID, code, reason)
	if err != nil {
		e.log.Error("charge: recording rejection failed", "charge", ch.ID, "err", err)
		return ch, errors.Join(cause, err)
	}
	e.notify(Notice{Kind: NoticeChanged, ChargeID: ch.ID})
	return res, cause
}

// resumeJob is the background resumer's turn on one pending create. It
// returns the job's next kind and due time; keep=false drops it.
func (e *Engine) resumeJob(ctx context.Context, id int64, attempt int) (kind jobKind, due time.Time, keep bool) {
	unlock, _ := e.locks.try(id)
	if unlock == nil {
		// The cashier is retrying it right now; look again shortly.
		return jobCreate, e.now().Add(e.pollFast), true
	}
	defer unlock()
	ch, err := e.db.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return 0, time.Time{}, false
	}
	if err != nil {
		e.log.Warn("resume: load failed", "charge", id, "err", err)
		return jobCreate, e.now().Add(e.backoff(attempt)), true
	}
	switch ch.Stage {
	case store.StageCreated:
		return e.nextPoll(ch)
	case store.StageRejected:
		return 0, time.Time{}, false
	}
	if err := e.db.NoteCreateRetry(ctx, id, attempt+1); err != nil {
		e.log.Warn("resume: noting retry failed", "charge", id, "err", err)
		return jobCreate, e.now().Add(e.backoff(attempt)), true
	}
	res, err := e.send(ctx, ch)
	switch res.Stage {
	case store.StageCreated:
		return e.nextPoll(res)
	case store.StageRejected:
		return 0, time.Time{}, false
	}
	if err == nil {
		err = errors.New("engine: create still pending")
	}
	wait := e.backoff(attempt)
	e.notify(Notice{Kind: NoticeProgress, ChargeID: id, Err: err,
		Progress: psp.Progress{Stage: psp.StageRetrying, Attempt: attempt + 1, Wait: wait, Err: err}})
	return jobCreate, e.now().Add(wait), true
}

// backoff is the wait before background retry attempt+1 of a create:
// exponential from ResumeBase, capped at ResumeCap, with ±20 % jitter so a
// fleet of counters does not retry in step after an outage.
func (e *Engine) backoff(attempt int) time.Duration {
	d := e.resumeBase
	for i := 0; i < attempt && d < e.resumeCap; i++ {
		d *= 2
	}
	d = min(d, e.resumeCap)
	jitter := time.Duration(rand.Int64N(int64(d)/5+1)) * 2
	return d - d/5 + jitter
}
