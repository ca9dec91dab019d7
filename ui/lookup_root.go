package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
)

// The root model's side of the lookup: opening and closing it, and routing
// its results to the lookup and detail screens whether or not they are in
// focus.

// openLookup leaves the counter screen for the lookup (esc comes back).
func (m *Model) openLookup() tea.Cmd {
	if m.active != m.lookup && m.active != m.detail {
		m.back = m.active
	}
	cmd := m.switchTo(m.lookup)
	return tea.Batch(cmd, m.lookup.start())
}

// closeLookup goes back to the counter screen the lookup was opened from.
func (m *Model) closeLookup() tea.Cmd {
	if m.lookupOnly {
		return nil
	}
	m.lookup.reads.end() // its search and the detail's loads: nobody waits for them
	m.detail.reads.end()
	back := m.back
	if back == nil || back == m.lookup || back == m.detail {
		back = m.form
	}
	m.back = nil
	return m.switchTo(back)
}

// lookupChanged hands a store change to the lookup and the detail.
func (m *Model) lookupChanged(id int64) tea.Cmd {
	return tea.Batch(m.lookup.changed(id), m.detail.changed(id))
}

// routeLookup delivers the lookup's messages; ok is false for others.
func (m *Model) routeLookup(msg tea.Msg) (cmd tea.Cmd, ok bool) {
	switch msg := msg.(type) {
	case searchDueMsg, pageMsg, countMsg, remoteMsg, rowMsg, exportedMsg:
		return m.lookup.update(msg), true
	case auditedMsg:
		return m.detail.audited(msg), true
	case detailMsg, timelineMsg, importedMsg, refundedMsg, auditMsg:
		cmd := m.detail.update(msg)
		if r, isRow := msg.(detailMsg); isRow && r.c != nil {
			m.lookup.replace(r.c)
		}
		if r, isRefund := msg.(refundedMsg); isRefund && r.c != nil {
			m.lookup.replace(r.c)
		}
		return cmd, true
	case openDetailMsg:
		if m.active != m.lookup {
			return nil, true // the cashier left the lookup before its answer came
		}
		var cmd tea.Cmd
		if msg.c != nil {
			cmd = m.detail.show(msg.c)
		} else {
			cmd = m.detail.showRemote(msg.ci)
		}
		return tea.Batch(m.switchTo(m.detail), cmd), true
	case closeDetailMsg:
		m.detail.reads.end()
		return tea.Batch(m.switchTo(m.lookup), m.lookup.start()), true
	case reopenQRMsg:
		if msg.c.Status != psp.StatusAwaitingPayment {
			return nil, true
		}
		return m.show(msg.c), true
	case closeLookupMsg:
		return m.closeLookup(), true
	}
	return nil, false
}
