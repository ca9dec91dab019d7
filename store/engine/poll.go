package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// jobKind says what the schedule does with a charge when it is due.
type jobKind int

const (
	jobPoll   jobKind = iota // GET /cash-in and apply the answer
	jobCreate                // send a pending create again with its key
)

// job is one charge in the schedule. A charge has at most one job; the map
// is scanned every Tick, which is plenty for the few hundred charges a shop
// has open at once.
type job struct {
	kind     jobKind
	due      time.Time
	inflight bool
	force    bool // PollNow: GET even if the charge no longer awaits payment
	again    bool // PollNow arrived while in flight: run again at once
	attempt  int  // background create retries so far
}

// Track puts a created charge in the poll schedule, first poll one PollFast
// from now. Create calls it; call it for charges created elsewhere.
//
// With leases the shared schedule picks created charges up by itself, so
// Track only drops a create job that is not running.
func (e *Engine) Track(id int64) {
	e.mu.Lock()
	j, ok := e.sched[id]
	switch {
	case e.leasing():
		if ok && j.kind == jobCreate && !j.inflight {
			delete(e.sched, id)
		}
	case !ok:
		e.sched[id] = &job{kind: jobPoll, due: e.now().Add(e.pollFast)}
	case j.kind == jobCreate:
		j.kind, j.due = jobPoll, e.now().Add(e.pollFast)
	}
	e.mu.Unlock()
	e.nudge()
}

// PollNow asks Run to poll charge id at once (the console's refresh key),
// whatever its status. It does not wait for the answer. With leases, this
// one poll is made without one: a person asked for it.
func (e *Engine) PollNow(id int64) {
	e.mu.Lock()
	j, ok := e.sched[id]
	switch {
	case !ok:
		e.sched[id] = &job{kind: jobPoll, due: e.now(), force: true}
	case j.inflight:
		j.again = true
	case j.kind == jobPoll:
		j.due, j.force = e.now(), true
	default:
		j.due = e.now() // a pending create: retry it now
	}
	e.mu.Unlock()
	e.nudge()
}

// scheduleCreate puts a pending create in the background resumer's hands,
// keeping its backoff if it is there already.
func (e *Engine) scheduleCreate(id int64) {
	e.mu.Lock()
	if _, ok := e.sched[id]; !ok {
		e.sched[id] = &job{kind: jobCreate, due: e.now().Add(e.backoff(0)), attempt: 1}
	}
	e.mu.Unlock()
	e.nudge()
}

// add schedules a charge found in the store unless it is scheduled already.
func (e *Engine) add(id int64, kind jobKind, due time.Time) {
	e.mu.Lock()
	if _, ok := e.sched[id]; !ok {
		e.sched[id] = &job{kind: kind, due: due}
	}
	e.mu.Unlock()
}

func (e *Engine) nudge() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Refresh asks ConnectPSP for the charge now (GET /cash-in) and applies the
// answer. It returns the charge as stored afterwards.
func (e *Engine) Refresh(ctx context.Context, id int64) (*store.Charge, error) {
	ch, err := e.db.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	res, _, err := e.refresh(ctx, ch)
	return res, err
}

// refresh polls one created charge and applies the answer, notifying
// NoticePoll (and NoticeChanged when something changed).
func (e *Engine) refresh(ctx context.Context, ch *store.Charge) (*store.Charge, store.Outcome, error) {
	if ch.Stage != store.StageCreated || ch.TransactionID == "" {
		return ch, "", fmt.Errorf("engine: charge %d has no ConnectPSP transaction yet", ch.ID)
	}
	start := time.Now()
	ci, err := e.client.GetCashIn(ctx, ch.TransactionID)
	took := time.Since(start)
	e.observe(err)
	if err != nil {
		e.metrics.polled("error", took)
		if n := e.pollFailed(ch.ID); logPollFailure(n) {
			e.log.Warn("poll: failed", "charge", ch.ID, "transactionId", ch.TransactionID, "failures", n, errAttr(err))
		}
		e.notify(Notice{Kind: NoticePoll, ChargeID: ch.ID, Err: err})
		return ch, "", err
	}
	if n := e.pollAnswered(ch.ID); n > 0 {
		e.log.Info("poll: ConnectPSP answered again", "charge", ch.ID, "failures", n)
	}
	body, _ := json.Marshal(ci)
	res, outcome, err := e.db.Apply(context.WithoutCancel(ctx), ci, store.EntryPoll, body)
	if err != nil {
		e.metrics.polled("error", took)
		e.log.Error("poll: applying answer failed", "charge", ch.ID, "err", err)
		e.notify(Notice{Kind: NoticePoll, ChargeID: ch.ID, Err: err})
		return ch, "", err
	}
	e.metrics.polled(string(outcome), took)
	if outcome == store.OutcomeApplied {
		e.metrics.status(string(res.Status), "poll")
	}
	e.notify(Notice{Kind: NoticePoll, ChargeID: ch.ID, Outcome: outcome})
	if outcome == store.OutcomeApplied || outcome == store.OutcomeUpdated {
		e.log.Info("poll: charge changed", "charge", ch.ID, "status", res.Status, "outcome", outcome)
		e.notify(Notice{Kind: NoticeChanged, ChargeID: ch.ID, Outcome: outcome})
	}
	return res, outcome, nil
}

// nextPoll places a created charge's next poll: PollFast during FastWindow
// after creation, PollSlow after; a poll exactly at the local expiry (a
// payment may land in the last second); PollFast after it until ConnectPSP
// reports the charge final. Charges no longer awaiting payment leave.
func (e *Engine) nextPoll(ch *store.Charge) (jobKind, time.Time, bool) {
	if ch.Stage != store.StageCreated || ch.Status != psp.StatusAwaitingPayment {
		return jobPoll, time.Time{}, false
	}
	now := e.now()
	if !ch.ExpiresAt.IsZero() && !now.Before(ch.ExpiresAt) {
		return jobPoll, now.Add(e.pollFast), true
	}
	iv := e.pollSlow
	if now.Sub(ch.CreatedAt) < e.fastWindow {
		iv = e.pollFast
	}
	next := now.Add(iv)
	if !ch.ExpiresAt.IsZero() && next.After(ch.ExpiresAt) {
		next = ch.ExpiresAt
	}
	return jobPoll, next, true
}

// pollJob is the poller's turn on one charge.
func (e *Engine) pollJob(ctx context.Context, id int64, force bool) (jobKind, time.Time, bool) {
	ch, err := e.db.Peek(ctx, id) // the answer is applied to the stored row, never this copy
	if errors.Is(err, store.ErrNotFound) {
		return jobPoll, time.Time{}, false
	}
	if err != nil {
		e.log.Warn("poll: load failed", "charge", id, "err", err)
		return jobPoll, e.now().Add(e.pollFast), true
	}
	switch {
	case ch.Stage == store.StagePending:
		return jobCreate, e.now(), true
	case ch.Stage != store.StageCreated:
		return jobPoll, time.Time{}, false
	case ch.Status != psp.StatusAwaitingPayment && !force:
		return e.nextPoll(ch) // a webhook got there first
	}
	pctx, cancel := context.WithTimeout(ctx, e.pollTimeout)
	defer cancel()
	res, _, err := e.refresh(pctx, ch)
	if err != nil && ctx.Err() == nil {
		// Retried on schedule, later each time it fails; the store still
		// says it awaits payment.
		kind, due, keep := e.nextPoll(ch)
		return kind, e.afterFailures(id, due), keep
	}
	return e.nextPoll(res)
}

// Run polls open charges and resends pending creates until ctx ends, then
// waits for the calls in flight and returns nil. It starts from what the
// store holds, so a restart resumes everything. Only one Run may be active.
// An error (the store could not be read at the start) is kept in
// Health.Stopped and announced with a NoticeHealth, so that a screen says
// so rather than going on without polling.
func (e *Engine) Run(ctx context.Context) (err error) {
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		return errors.New("engine: already running")
	}
	e.running = true
	e.health.Stopped = ""
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.running = false
		if err != nil {
			e.health.Stopped = err.Error()
		}
		e.mu.Unlock()
		if err != nil {
			e.notify(Notice{Kind: NoticeHealth, Err: err, At: e.now()})
		}
	}()

	// The change feed brings charges written by other processes. With
	// leases, polls come from the shared schedule, and a pending create is
	// resumed by the process that stored it (or found by the rescan), so
	// the feed is not needed: reading every change would cost a query each.
	var changes <-chan store.Change
	if !e.leasing() {
		changes = e.db.Subscribe(ctx)
	}
	if err := e.load(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped before it started: no failure
		}
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { e.watchHealth(ctx) })
	wg.Go(func() { e.watchRefusals(ctx) })

	tick := time.NewTicker(e.tick)
	defer tick.Stop()
	rescan := time.NewTicker(e.rescan)
	defer rescan.Stop()
	for {
		e.dispatch(ctx, &wg)
		e.claimLeases(ctx, &wg)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-e.wake:
		case <-rescan.C:
			if err := e.load(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("engine: rescan failed", "err", err)
			}
		case c, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			e.consider(ctx, c)
		}
	}
}

// load schedules what the store says is open: charges awaiting payment
// (polled at once, they may have changed while nobody watched; with leases
// the shared schedule has them) and this terminal's pending creates.
func (e *Engine) load(ctx context.Context) error {
	term := e.terminal
	if e.pollAll {
		term = ""
	}
	var open []*store.Charge
	if !e.leasing() {
		var err error
		if open, err = e.db.Awaiting(ctx, term); err != nil {
			return fmt.Errorf("engine: load open charges: %w", err)
		}
	}
	pending, err := e.db.PendingCreates(ctx, e.terminal)
	if err != nil {
		return fmt.Errorf("engine: load pending creates: %w", err)
	}
	now := e.now()
	for _, ch := range open {
		e.add(ch.ID, jobPoll, now)
	}
	for _, ch := range pending {
		e.add(ch.ID, jobCreate, now)
	}
	return nil
}

// consider looks at a charge the change feed mentioned and schedules it if
// it is open and ours to watch. A change that says it is closed, or
// another counter's when the engine watches only its own, is passed over
// unread. Engines with leases do not read the feed.
func (e *Engine) consider(ctx context.Context, c store.Change) {
	if c.Terminal != "" && (!c.Open || !e.pollAll && c.Terminal != e.terminal) {
		return
	}
	id := c.ChargeID
	e.mu.Lock()
	_, known := e.sched[id]
	e.mu.Unlock()
	if known {
		return
	}
	ch, err := e.db.Peek(ctx, id)
	if err != nil {
		return
	}
	switch {
	case ch.Stage == store.StageCreated && ch.Status == psp.StatusAwaitingPayment &&
		(e.pollAll || ch.Terminal == e.terminal):
		if _, due, ok := e.nextPoll(ch); ok {
			e.add(id, jobPoll, due)
		}
	case ch.Stage == store.StagePending && ch.Terminal == e.terminal:
		// Another process's intent, or ours still being sent: the keyed
		// lock keeps the two from sending at once.
		e.add(id, jobCreate, e.now().Add(e.backoff(0)))
	}
}

// dispatch starts the due jobs, as many as there are free worker slots.
func (e *Engine) dispatch(ctx context.Context, wg *sync.WaitGroup) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	for id, j := range e.sched {
		if j.inflight || now.Before(j.due) {
			continue
		}
		select {
		case e.sem <- struct{}{}:
		default:
			return // all workers busy; the next tick tries again
		}
		j.inflight = true
		kind, force, attempt := j.kind, j.force, j.attempt
		j.force = false
		wg.Go(func() {
			defer func() { <-e.sem }()
			e.work(ctx, id, kind, force, attempt)
		})
	}
}

// work runs one job and puts the charge back in the schedule, or drops it.
func (e *Engine) work(ctx context.Context, id int64, kind jobKind, force bool, attempt int) {
	var (
		next jobKind
		due  time.Time
		keep bool
	)
	if kind == jobCreate {
		next, due, keep = e.resumeJob(ctx, id, attempt)
	} else {
		next, due, keep = e.pollJob(ctx, id, force)
	}
	e.mu.Lock()
	j := e.sched[id]
	if j == nil { // not expected: only work removes jobs
		j = &job{}
		e.sched[id] = j
	}
	j.inflight = false
	now := e.now()
	switch {
	case j.again:
		j.kind, j.due, j.again = next, now, false
		j.force = next == jobPoll
	case !keep:
		delete(e.sched, id)
		delete(e.pollFails, id)
	case e.leasing() && next == jobPoll:
		// With leases, polls come from the shared schedule.
		delete(e.sched, id)
	default:
		if next == jobCreate && kind == jobCreate {
			j.attempt++
		} else {
			j.attempt = 0
		}
		j.kind, j.due = next, due
	}
	soon := e.sched[id] != nil && !j.due.After(now)
	e.mu.Unlock()
	if soon {
		e.nudge()
	}
}

// watchHealth pings ConnectPSP when nothing else has talked to it for
// HealthEvery, so Health stays current on a quiet counter.
func (e *Engine) watchHealth(ctx context.Context) {
	t := time.NewTicker(e.tick)
	defer t.Stop()
	for {
		if e.sinceContact() >= e.healthEvery {
			pctx, cancel := context.WithTimeout(ctx, e.pollTimeout)
			err := e.client.Ping(pctx)
			cancel()
			if ctx.Err() != nil {
				return
			}
			e.observe(err)
			if err != nil {
				// Do not hammer an unreachable API every tick.
				if psp.Sleep(ctx, e.healthEvery) != nil {
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
