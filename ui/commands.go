package ui

import (
	"context"
	"errors"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// NoticeMsg carries an engine notice into the program. It is a hint: the
// console reloads the charge it names from the backend.
type NoticeMsg struct{ engine.Notice }

// ChangeMsg carries a store change into the program; the console reloads
// the charge it names.
type ChangeMsg struct{ store.Change }

// Forward sends every notice and change it receives to p until ctx ends or
// both channels are closed. A nil channel is ignored. p.Send blocks until
// the program runs, so call Forward in its own goroutine.
func Forward(ctx context.Context, p *tea.Program, notices <-chan engine.Notice, changes <-chan store.Change) {
	for notices != nil || changes != nil {
		select {
		case <-ctx.Done():
			return
		case n, ok := <-notices:
			if !ok {
				notices = nil
				continue
			}
			p.Send(NoticeMsg{n})
		case c, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			p.Send(ChangeMsg{c})
		}
	}
}

// Timeouts of the backend calls made by commands.
const (
	createTimeout  = 90 * time.Second
	loadTimeout    = 5 * time.Second
	refreshTimeout = 20 * time.Second
)

// Internal messages: results of commands, delivered to their owner.
type (
	// tickMsg drives the countdown, once a second.
	tickMsg time.Time
	// healthMsg is a fresh snapshot of the engine's health.
	healthMsg engine.Health
	// latestMsg answers the start-up question "is a charge open here?".
	latestMsg struct {
		c   *store.Charge
		err error
	}
	// createdMsg is Create's answer for the attempt numbered seq.
	createdMsg struct {
		seq int
		c   *store.Charge
		err error
	}
	// chargeMsg is a charge reloaded from the backend (after a hint, a
	// refresh or a simulation).
	chargeMsg struct {
		id      int64
		c       *store.Charge
		err     error
		refresh bool // the cashier asked ConnectPSP (r)
	}
	// resentMsg answers a resend of pending charge id (r while creating).
	resentMsg struct {
		id  int64
		c   *store.Charge
		err error
	}
	// copiedMsg reports where charge id's code was copied to.
	copiedMsg struct {
		id  int64
		via copyVia
		err error
	}
	// openMsg lists the charges open on this terminal at start.
	openMsg struct{ cs []*store.Charge }
	// sameMsg answers submit seq's question "is a charge with the same
	// amount and document still awaiting payment?": c, or nil.
	sameMsg struct {
		seq int
		c   *store.Charge
		err error
	}
	// simulatedMsg reports the sandbox payment of charge id.
	simulatedMsg struct {
		id  int64
		err error
	}
	// hintExpiredMsg clears the form's transient hint numbered seq.
	hintExpiredMsg struct{ seq int }

	// Navigation and submits, told by screens (env.tell) and handled by
	// the root model in the same Update.
	submitMsg    struct{ in engine.Input }
	openSameMsg  struct{ c *store.Charge } // open the matching charge instead
	stopWaitMsg  struct{}
	newChargeMsg struct{ from *store.Charge } // from: prefill the form with its values
	fullQRMsg    struct{ on bool }
)

// emit returns a command that yields msg.
func emit(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// tick schedules the next countdown tick.
func tick() tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// checkHealth reads the engine's health snapshot.
func checkHealth(b Backend) tea.Cmd {
	return func() tea.Msg { return healthMsg(b.Health()) }
}

// loadLatest asks for the charge left open on this terminal.
func loadLatest(ctx context.Context, b DisplaySource) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		c, err := b.LatestOpen(ctx)
		if errors.Is(err, store.ErrNotFound) {
			c, err = nil, nil
		}
		return latestMsg{c, err}
	}
}

// openWindow is how far back open charges are looked for: no charge is
// valid for longer (engine.MaxExpiryMinutes), and a margin.
const openWindow = engine.MaxExpiryMinutes*time.Minute + time.Hour

// loadOpen lists the charges awaiting payment on this terminal, for the
// open-charges strip. With no terminal name there is no telling them
// from other counters': none are listed.
func loadOpen(ctx context.Context, b Backend, terminal string, now time.Time) tea.Cmd {
	if terminal == "" {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		cs, err := b.Search(ctx, store.Query{Terminal: terminal, Statuses: []psp.Status{psp.StatusAwaitingPayment},
			From: now.Add(-openWindow), Limit: maxOpenListed})
		if err != nil {
			return nil // the strip fills as charges are made; start-up goes on
		}
		return openMsg{cs}
	}
}

// maxOpenListed bounds the charges the strip starts with.
const maxOpenListed = 50

// findSame looks for a charge with in's amount and document that is still
// to be paid (created and not expired, or still being created), on any
// counter: the same customer charged twice.
func findSame(ctx context.Context, b Backend, seq int, in engine.Input, now time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		cs, err := b.Search(ctx, store.Query{Text: psp.NormalizeDocument(in.Payer.Document), Amount: in.Amount,
			From: now.Add(-openWindow), Limit: maxOpenListed})
		for _, c := range cs {
			if c.Amount == in.Amount && open(c) && (c.ExpiresAt.IsZero() || c.ExpiresAt.After(now)) {
				return sameMsg{seq: seq, c: c}
			}
		}
		return sameMsg{seq: seq, err: err}
	}
}

// createCharge asks the backend to create a charge; ctx is cancelled when
// the cashier stops waiting, and the engine then keeps the charge pending.
func createCharge(ctx context.Context, b Backend, seq int, in engine.Input) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, createTimeout)
		defer cancel()
		c, err := b.Create(ctx, in)
		return createdMsg{seq, c, err}
	}
}

// resendCharge has the engine send pending charge id again now, with its
// stored idempotency key. Esc does not cancel it: the answer is tracked
// like any other.
func resendCharge(ctx context.Context, b Backend, id int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, createTimeout)
		defer cancel()
		c, err := b.Resume(ctx, id)
		return resentMsg{id, c, err}
	}
}

// reloadCharge reads a charge from the store after a hint.
func reloadCharge(ctx context.Context, b DisplaySource, id int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		c, err := b.Charge(ctx, id)
		return chargeMsg{id: id, c: c, err: err}
	}
}

// refreshCharge asks ConnectPSP for the charge now.
func refreshCharge(ctx context.Context, b Backend, id int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
		defer cancel()
		c, err := b.Refresh(ctx, id)
		return chargeMsg{id: id, c: c, err: err, refresh: true}
	}
}

// pollNow has the engine ask ConnectPSP once more (at expiry).
func pollNow(b Backend, id int64) tea.Cmd {
	return func() tea.Msg { b.PollNow(id); return nil }
}

// simulatePay pays the charge in the sandbox.
func simulatePay(ctx context.Context, b Backend, id int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
		defer cancel()
		return simulatedMsg{id, b.SimulatePay(ctx, id)}
	}
}

// expireHint clears the form hint seq after a moment.
func expireHint(seq int) tea.Cmd {
	return tea.Tick(2*time.Second, func(time.Time) tea.Msg { return hintExpiredMsg{seq} })
}
