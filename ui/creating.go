package ui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// creatingScreen shows a charge being created: a spinner and what is
// happening (authenticating, sending, retrying with the same key).
type creatingScreen struct {
	env           *env
	width, height int

	// seq is the create attempt this screen waits for: 0 when none, -1
	// for a pending charge opened without a call of ours in flight.
	seq int
	id  int64 // the charge, once known (from a progress notice or the answer)
	in  engine.Input
	c   *store.Charge

	spinner spinner.Model
	prog    psp.Progress
	started bool // a progress notice arrived
	retried bool // an attempt was repeated: say the key is the same
	tempErr error
	resumed bool
	// resending: the cashier asked for the charge to be sent again now
	// (Backend.Resume) and the answer has not come yet.
	resending bool
}

var _ screen = (*creatingScreen)(nil)

// seqResumed marks a pending charge the engine resends on its own.
const seqResumed = -1

func newCreating(e *env) *creatingScreen {
	return &creatingScreen{
		env:     e,
		spinner: spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(e.styles.Title)),
	}
}

// start waits for create attempt seq of in.
func (s *creatingScreen) start(seq int, in engine.Input) {
	*s = creatingScreen{env: s.env, width: s.width, height: s.height, spinner: s.spinner, seq: seq, in: in}
	s.offerResend()
}

// resume shows a pending charge found in the store: the engine resends it.
func (s *creatingScreen) resume(c *store.Charge) {
	s.start(seqResumed, engine.Input{Amount: c.Amount, Payer: c.Payer, Reference: c.ExternalReference})
	s.id, s.c, s.resumed = c.ID, c, true
	s.offerResend()
}

// pending records that Create came back with the charge still pending
// after err: the engine retries it in the background.
func (s *creatingScreen) pending(c *store.Charge, err error) {
	s.id, s.c, s.tempErr = c.ID, c, err
	s.offerResend()
}

// setCharge records a fresher copy of the pending charge.
func (s *creatingScreen) setCharge(c *store.Charge) { s.id, s.c = c.ID, c }

// progress records a progress notice about charge id.
func (s *creatingScreen) progress(id int64, p psp.Progress) {
	if id != 0 {
		s.id = id
	}
	if p.Stage == psp.StageRetrying || p.Attempt > 1 {
		s.retried = true
	}
	s.prog, s.started = p, true
}

// abandon stops waiting: later answers are no longer this screen's.
func (s *creatingScreen) abandon() {
	s.seq, s.id, s.c, s.resending = 0, 0, nil, false
	s.offerResend()
}

// offerResend enables r while the charge waits for the engine's next
// attempt (Create came back pending, or it was found pending) and no call
// of ours is in flight.
func (s *creatingScreen) offerResend() {
	s.env.keys.Resend.SetEnabled(s.id != 0 && (s.tempErr != nil || s.resumed) && !s.resending)
}

// resent records the answer to a resend; the charge itself arrives
// through the root's observe.
func (s *creatingScreen) resent(err error) {
	s.resending = false
	if err != nil {
		s.tempErr = err
	}
	s.offerResend()
}

// spin starts the spinner, unless animations are off (tests).
func (s *creatingScreen) spin(still bool) tea.Cmd {
	if still {
		return nil
	}
	return s.spinner.Tick
}

func (s *creatingScreen) setSize(w, h int) { s.width, s.height = w, h }

func (s *creatingScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch k := s.env.keys; {
		case key.Matches(msg, k.StopWaiting):
			s.env.tell(stopWaitMsg{})
			return nil
		case key.Matches(msg, k.Resend):
			s.resending, s.retried = true, true
			s.offerResend()
			return resendCharge(s.env.ctx, s.env.backend, s.id)
		}
	case spinner.TickMsg:
		var cmd tea.Cmd
		s.spinner, cmd = s.spinner.Update(msg)
		return cmd
	}
	return nil
}

// stage words what the create is doing.
func (s *creatingScreen) stage() string {
	l, p := s.env.lang, s.prog
	if !s.started {
		return l.s(kStageStart)
	}
	switch p.Stage {
	case psp.StageAuthenticating:
		return l.s(kStageAuth)
	case psp.StageSending:
		return l.s(kStageSend, max(1, p.Attempt))
	case psp.StageRetrying:
		return l.s(kStageRetry, max(2, p.Attempt), p.Wait.Round(time.Second))
	}
	return l.s(kStageDone)
}

func (s *creatingScreen) view() string {
	st, l := s.env.styles, s.env.lang
	w := max(20, s.width-2)
	var b strings.Builder
	b.WriteString(st.Title.Render(l.s(kCreatingTitle, s.in.Amount, s.in.Payer.Name)))
	b.WriteString("\n\n")
	b.WriteString(s.spinner.View() + s.stage() + "\n") // Dot frames end in a space
	para := func(style func(...string) string, text string) {
		b.WriteByte('\n')
		b.WriteString(style(wrap(text, w)))
		b.WriteByte('\n')
	}
	if s.prog.Stage == psp.StageRetrying && s.prog.Err != nil {
		para(st.Warn.Render, errText(s.prog.Err))
	}
	if s.retried {
		para(st.Value.Render, l.s(kSameKey))
	}
	if s.tempErr != nil {
		para(st.Warn.Render, l.s(kCreatingTemp, s.tempErr))
		para(st.Value.Render, l.s(kCreatingAuto))
	}
	if s.resumed {
		para(st.Value.Render, l.s(kCreatingResumed))
		para(st.Value.Render, l.s(kCreatingAuto))
	}
	if s.resending {
		para(st.Value.Render, l.s(kCreatingResend))
	}
	para(st.Muted.Render, l.s(kCreatingEsc))
	return b.String()
}

func (s *creatingScreen) ShortHelp() []key.Binding {
	k := s.env.keys
	return []key.Binding{k.Resend, k.StopWaiting, k.Quit}
}

func (s *creatingScreen) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

// shows is the charge being created, once its id is known.
func (s *creatingScreen) shows() int64 { return s.id }

func (s *creatingScreen) captures() bool { return false }

func (s *creatingScreen) typing() bool { return false }

// waiting reports whether the screen waits for a create (its own call, or
// a pending charge the engine resends).
func (s *creatingScreen) waiting() bool { return s.seq != 0 }

// waitsFor reports whether the screen waits for charge id.
func (s *creatingScreen) waitsFor(id int64) bool { return s.seq != 0 && s.id == id }
