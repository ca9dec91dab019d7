package ui

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"time"

	tea "github.com/charmbracelet/bubbletea"

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

// OSC52 returns a clipboard function that asks the terminal on w to copy
// text (the OSC 52 escape), which works over SSH as well.
func OSC52(w io.Writer) func(text string) error {
	return func(text string) error {
		_, err := io.WriteString(w, "\x1b]52;c;"+base64.StdEncoding.EncodeToString([]byte(text))+"\a")
		return err
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
	// copiedMsg reports the clipboard write of charge id's code.
	copiedMsg struct {
		id  int64
		err error
	}
	// simulatedMsg reports the sandbox payment of charge id.
	simulatedMsg struct {
		id  int64
		err error
	}
	// hintExpiredMsg clears the form's transient hint numbered seq.
	hintExpiredMsg struct{ seq int }

	// Navigation, emitted by screens and handled by the root model.
	submitMsg    struct{ in engine.Input }
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
func loadLatest(b Backend) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		c, err := b.LatestOpen(ctx)
		if errors.Is(err, store.ErrNotFound) {
			c, err = nil, nil
		}
		return latestMsg{c, err}
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
func resendCharge(b Backend, id int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), createTimeout)
		defer cancel()
		c, err := b.Resume(ctx, id)
		return resentMsg{id, c, err}
	}
}

// reloadCharge reads a charge from the store after a hint.
func reloadCharge(b Backend, id int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		c, err := b.Charge(ctx, id)
		return chargeMsg{id: id, c: c, err: err}
	}
}

// refreshCharge asks ConnectPSP for the charge now.
func refreshCharge(b Backend, id int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
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
func simulatePay(b Backend, id int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), refreshTimeout)
		defer cancel()
		return simulatedMsg{id, b.SimulatePay(ctx, id)}
	}
}

// copyText hands charge id's text to the clipboard function.
func copyText(clip func(string) error, id int64, text string) tea.Cmd {
	return func() tea.Msg { return copiedMsg{id, clip(text)} }
}

// ring sounds the terminal bell on w.
func ring(w io.Writer) tea.Cmd {
	return func() tea.Msg {
		_, _ = io.WriteString(w, "\a")
		return nil
	}
}

// expireHint clears the form hint seq after a moment.
func expireHint(seq int) tea.Cmd {
	return tea.Tick(2*time.Second, func(time.Time) tea.Msg { return hintExpiredMsg{seq} })
}
