package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// Tracking: every fresh copy of a charge goes to the screen that shows it,
// or, for a charge off screen (the cashier moved on, or stopped waiting for
// its creation), to the background list, which tells the cashier when it
// is created, paid or ends.

// owns reports whether the active screen shows charge id.
func (m *Model) owns(id int64) bool {
	switch m.active {
	case m.creating:
		return m.creating.id == id
	case m.charge:
		return m.charge.c != nil && m.charge.c.ID == id
	case m.result:
		return m.result.c != nil && m.result.c.ID == id
	}
	return false
}

// interested reports whether a hint about charge id concerns the console.
func (m *Model) interested(id int64) bool {
	_, bg := m.background[id]
	return id != 0 && (bg || m.owns(id) || m.creating.seq != 0 && m.creating.id == id)
}

// observe takes a fresh copy of a charge and hands it to its owner: the
// active screen, or the background list (track: start tracking it if new).
func (m *Model) observe(c *store.Charge, track bool) tea.Cmd {
	if c == nil {
		return nil
	}
	switch {
	case m.active == m.creating && m.creating.id == c.ID:
		if c.Stage == store.StagePending {
			m.creating.setCharge(c)
			return nil
		}
		m.creating.abandon()
		if c.Stage == store.StageRejected {
			m.form.setNotice(m.env.lang.s(kFormRejected, rejection(c, nil)), true)
			return m.switchTo(m.form)
		}
		m.form.reset()
		return m.show(c)
	case m.active == m.charge && m.charge.c != nil && m.charge.c.ID == c.ID:
		if c.Stage == store.StageCreated && c.Status != psp.StatusAwaitingPayment && c.Status != "" {
			return m.show(c)
		}
		m.charge.set(c)
		return nil
	case m.active == m.result && m.result.c != nil && m.result.c.ID == c.ID:
		m.result.set(c)
		return nil
	}
	if _, ok := m.background[c.ID]; ok || track {
		return m.backgroundUpdate(c)
	}
	return nil
}

// backgroundUpdate tells the cashier what happened to a charge that is not
// on screen.
func (m *Model) backgroundUpdate(c *store.Charge) tea.Cmd {
	l := m.env.lang
	old := m.background[c.ID]
	m.background[c.ID] = c
	changed := old == nil || old.Stage != c.Stage || old.Status != c.Status
	if !changed {
		return nil
	}
	defer func() { m.env.keys.Open.SetEnabled(m.openable != 0) }()
	switch {
	case c.Stage == store.StageRejected:
		delete(m.background, c.ID)
		m.setFlash(l.s(kBgRejected, c.ExternalReference, rejection(c, nil)), true)
	case c.Stage == store.StagePending:
	case c.Status == psp.StatusPaid:
		delete(m.background, c.ID)
		m.openable = c.ID
		m.background[c.ID] = c // kept so that ctrl+o can show it
		m.setFlash(l.s(kBgPaid, paidAmount(c), c.Payer.Name, c.ExternalReference), false)
		if !m.rang[c.ID] {
			m.rang[c.ID] = true
			return ring(m.env.cfg.Output)
		}
	case c.Status.Final():
		delete(m.background, c.ID)
		m.setFlash(l.s(kBgFinal, c.ExternalReference, statusWord(l, c.Status)), false)
	case c.Stage == store.StageCreated && (old == nil || old.Stage != store.StageCreated):
		if m.active == m.form && m.form.pristine() {
			return m.show(c)
		}
		m.openable = c.ID
		m.setFlash(l.s(kBgCreated, c.ExternalReference), false)
	}
	return nil
}

// open shows the charge offered by ctrl+o.
func (m *Model) open() tea.Cmd {
	c := m.background[m.openable]
	m.openable = 0
	if c == nil {
		m.env.keys.Open.SetEnabled(false)
		return nil
	}
	if m.active == m.charge && m.charge.c != nil && !m.charge.c.Status.Final() {
		m.background[m.charge.c.ID] = m.charge.c
	}
	return m.show(c)
}

// notice handles an engine hint.
func (m *Model) notice(n engine.Notice) tea.Cmd {
	switch n.Kind {
	case engine.NoticeProgress:
		if m.creating.seq != 0 && (m.creating.id == n.ChargeID || m.creating.id == 0 && m.background[n.ChargeID] == nil) {
			m.creating.progress(n.ChargeID, n.Progress)
		}
		return nil
	case engine.NoticeHealth:
		return checkHealth(m.env.backend)
	}
	cmds := []tea.Cmd{checkHealth(m.env.backend)}
	if m.interested(n.ChargeID) {
		cmds = append(cmds, reloadCharge(m.env.backend, n.ChargeID))
	}
	return tea.Batch(cmds...)
}
