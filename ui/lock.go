package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/store"
)

// The console's lock: when the shop has operators (Config.Operators), the
// sign-in (a pinPrompt) stands over every screen until an operator's PIN
// is typed, and comes back after Config.IdleLock without a key. Only keys
// stop at it: the charges on screen and off it keep being tracked, a
// payment still rings and moves its screen on, underneath.

// locked reports whether the sign-in stands over the console.
func (m *Model) locked() bool { return m.gate != nil }

// lock signs the operator out and puts the sign-in up; reason ("idle")
// goes in the audit trail.
func (m *Model) lock(reason string) tea.Cmd {
	cmd := m.env.audit(store.AuditLocked, 0, map[string]string{"reason": reason}) // as the operator leaving
	m.env.op = nil
	m.gate = newPINPrompt(m.env, kSignInTitle, purposeSignIn, m.env.cfg.Operator)
	m.full = false
	m.env.help.ShowAll = false
	if m.width > 0 {
		m.resize()
	}
	return cmd
}

// signIn opens the console to op.
func (m *Model) signIn(op *store.Operator) tea.Cmd {
	m.env.op, m.gate, m.lastKey = op, nil, m.env.now
	if m.width > 0 {
		m.resize()
	}
	return tea.Batch(m.env.audit(store.AuditSignedIn, 0, map[string]string{"role": string(op.Role)}), m.refocus())
}

// refocus gives the screen under the sign-in its cursor back.
func (m *Model) refocus() tea.Cmd {
	if m.active == m.form {
		return m.form.setFocus(m.form.focus)
	}
	return nil
}

// lockedKey gives a key to the sign-in; esc clears it.
func (m *Model) lockedKey(msg tea.KeyMsg) tea.Cmd {
	cmd, _ := m.gate.key(msg)
	return cmd
}

// checkIdle locks the console once IdleLock has passed since the last key.
func (m *Model) checkIdle() tea.Cmd {
	cfg := m.env.cfg
	if !cfg.Operators || m.gate != nil || cfg.IdleLock < 0 || m.env.now.Sub(m.lastKey) < cfg.IdleLock {
		return nil
	}
	return m.lock("idle")
}

// pinChecked takes a PIN check's answer: the sign-in's, or a refund
// approval's in the lookup.
func (m *Model) pinChecked(msg pinCheckedMsg) tea.Cmd {
	if m.gate != nil {
		if op, ok := m.gate.answered(msg); ok {
			if op != nil {
				return m.signIn(op)
			}
			return nil
		}
	}
	return m.approvalChecked(msg)
}

// operatorBadge is the status bar's word on who is at the counter: the
// operator signed in, the lock, or that the shop has no operators.
func (s statusBar) operatorBadge() string {
	st, l, e := s.env.styles, s.env.lang, s.env
	switch {
	case !e.cfg.Operators:
		return st.Muted.Render(l.s(kNoOperators))
	case e.op == nil:
		return st.Warn.Render(l.s(kLockedBadge))
	}
	return l.s(kOperatorBadge, e.op.Name, roleLabel(l, e.op.Role))
}

// roleLabel names a role in the user's language.
func roleLabel(l lang, r store.Role) string { return l.or(msgKey("role."+string(r)), string(r)) }

// approvalChecked takes a PIN check's answer for a refund's approval, if
// one is open.
func (m *Model) approvalChecked(msg pinCheckedMsg) tea.Cmd {
	if m.detail.refund == nil {
		return nil
	}
	return m.detail.refund.approved(msg)
}
