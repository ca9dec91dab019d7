package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// The root's side of tracking: every fresh copy of a charge goes to the
// tracker, and to the screen that shows it; a charge off screen is news
// (created, paid, ended) told in the flash line and the open-charges strip.

// owns reports whether the active screen shows charge id.
func (m *Model) owns(id int64) bool { return id != 0 && m.active.shows() == id }

// interested reports whether a hint about charge id concerns the console.
func (m *Model) interested(id int64) bool {
	return id != 0 && (m.track.has(id) || m.owns(id) || m.creating.waitsFor(id))
}

// observe takes a fresh copy of a charge: the tracker records it (add:
// start tracking it if it is open and new), and the screen showing it, if
// any, is given it.
func (m *Model) observe(c *store.Charge, add bool) tea.Cmd {
	if c == nil {
		return nil
	}
	ev, tracked := m.track.observe(c, add || m.owns(c.ID))
	switch {
	case ev == evStale:
		// A reload that answered after a newer copy: nothing to show.
		return nil
	case m.active == m.creating && m.creating.id == c.ID:
		if c.Stage == store.StagePending {
			m.creating.setCharge(c)
			return nil
		}
		m.creating.abandon()
		if c.Stage == store.StageRejected {
			m.form.unlock()
			m.form.setNotice(m.env.lang.s(kFormRejected, m.env.lang.rejection(c, nil)), true)
			return m.switchTo(m.form)
		}
		m.form.reset()
		cmd := m.show(c)
		m.noteMoved(c)
		return cmd
	case m.active == m.charge && m.owns(c.ID):
		if c.Stage == store.StageCreated && c.Status != psp.StatusAwaitingPayment && c.Status != "" {
			return m.show(c)
		}
		m.charge.set(c)
		return nil
	case m.active == m.result && m.owns(c.ID):
		m.track.seen(c.ID)
		m.result.set(c)
		return nil
	}
	if !tracked && ev == evNone {
		return nil
	}
	return m.news(c, ev)
}

// news tells the cashier what happened to a charge that is not on screen.
func (m *Model) news(c *store.Charge, ev event) tea.Cmd {
	l := m.env.lang
	switch ev {
	case evRejected:
		m.setFlash(l.s(kBgRejected, c.ExternalReference, l.rejection(c, nil)), true)
	case evPaid:
		m.setFlash(l.s(kBgPaid, paidAmount(c), truncate(c.Payer.Name, maxFlashName), c.ExternalReference), false)
		m.flashOK = true
		if m.track.ring(c.ID) {
			return ring(m.env.cfg.Output)
		}
	case evEnded:
		m.setFlash(l.s(kBgFinal, c.ExternalReference, statusWord(l, c.Status)), false)
	case evCreated:
		if m.active == m.form && m.form.pristine() {
			return m.show(c)
		}
		m.setFlash(l.s(kBgCreated, c.ExternalReference), false)
	}
	return nil
}

// maxFlashName is as much of a payer's name as the flash line gives it,
// so that the order after it still shows.
const maxFlashName = 40

// counterScreen reports whether the active screen is one the open-charges
// key cycles from (not the creating screen, which waits for its answer,
// nor the lookup).
func (m *Model) counterScreen() bool {
	return m.active == m.form || m.active == m.charge || m.active == m.result
}

// cycle shows the next open charge after the one on screen, and after the
// last one goes back to the form as it was left.
func (m *Model) cycle() tea.Cmd {
	if !m.counterScreen() {
		return nil
	}
	if c := m.track.next(m.active.shows()); c != nil {
		return m.show(c)
	}
	if m.active != m.form {
		return m.switchTo(m.form)
	}
	return nil
}

// notice handles an engine hint.
func (m *Model) notice(n engine.Notice) tea.Cmd {
	switch n.Kind {
	case engine.NoticeProgress:
		if m.creating.waiting() && (m.creating.id == n.ChargeID || m.creating.id == 0 && !m.track.has(n.ChargeID)) {
			m.creating.progress(n.ChargeID, n.Progress)
		}
		return nil
	case engine.NoticeHealth:
		return checkHealth(m.env.backend)
	}
	cmds := []tea.Cmd{checkHealth(m.env.backend)}
	if m.interested(n.ChargeID) {
		cmds = append(cmds, reloadCharge(m.env.ctx, m.env.backend, n.ChargeID))
	}
	return tea.Batch(cmds...)
}

// tracked takes in the open charges found at start, quietly: they are
// this counter's, not news.
func (m *Model) tracked(cs []*store.Charge) {
	for _, c := range cs {
		if !m.owns(c.ID) && (c.ExpiresAt.IsZero() || c.ExpiresAt.After(m.env.now)) {
			m.track.observe(c, true)
		}
	}
}
