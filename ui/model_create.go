package ui

import (
	"errors"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// The root's side of a create: the form has locked itself and checked for
// a matching open charge; the root sends the create and puts its answer on
// the screen its state calls for.

// startCreate moves to the creating screen and sends the create.
func (m *Model) startCreate(in engine.Input) tea.Cmd {
	in.Operator = m.env.actor().Operator
	seq, ctx := m.track.create(m.env.ctx)
	m.creating.start(seq, in)
	return tea.Batch(m.switchTo(m.creating), createCharge(ctx, m.env.backend, seq, in))
}

// stopWaiting leaves the creating screen. The create call is cancelled; the
// engine keeps the charge pending and sends it again with the same key, and
// the tracker keeps it.
func (m *Model) stopWaiting() tea.Cmd {
	m.track.done(m.creating.seq)
	if c := m.creating.c; c != nil {
		m.track.observe(c, true)
	} else if id := m.creating.id; id != 0 {
		in := m.creating.in
		m.track.observe(&store.Charge{ID: id, Stage: store.StagePending, Amount: in.Amount, Payer: in.Payer,
			ExternalReference: in.Reference, CreatedAt: m.env.now}, true)
	}
	m.creating.abandon()
	m.form.released()
	m.form.setNotice(m.env.lang.s(kFormBackground), false)
	return m.switchTo(m.form)
}

// created handles Create's answer.
func (m *Model) created(msg createdMsg) tea.Cmd {
	m.track.done(msg.seq)
	c, err := msg.c, msg.err
	if msg.seq != m.creating.seq {
		// The cashier stopped waiting: whatever came of it is tracked.
		if c != nil {
			return m.observe(c, true)
		}
		return nil
	}
	l := m.env.lang
	var pe *psp.Error
	switch {
	case c != nil && c.Stage == store.StageCreated:
		m.creating.abandon()
		m.form.reset()
		cmd := m.show(c)
		m.noteMoved(c)
		return cmd
	case c != nil && c.Stage == store.StagePending:
		m.creating.pending(c, err)
		return nil
	case c != nil && c.Stage == store.StageRejected, errors.As(err, &pe) && !psp.IsTemporary(err):
		m.creating.abandon()
		m.form.unlock()
		m.form.setNotice(l.s(kFormRejected, l.rejection(c, err)), true)
		return m.switchTo(m.form)
	default:
		// Nothing was stored (validation or store failure): back to the
		// form with every value kept.
		m.creating.abandon()
		m.form.unlock()
		if cmd, ok := m.form.refused(err); ok {
			return tea.Batch(m.switchTo(m.form), cmd)
		}
		m.form.setNotice(l.s(kFormFailed, errText(err)), true)
		return m.switchTo(m.form)
	}
}

// refusalWords is why ConnectPSP refused a create, in ConnectPSP's words.
func refusalWords(c *store.Charge, err error) string {
	var pe *psp.Error
	switch {
	case errors.As(err, &pe) && pe.Detail != "":
		return safetext.String(pe.Detail)
	case errors.As(err, &pe) && pe.Code != "":
		return safetext.String(pe.Code)
	case c != nil && c.RejectReason != "":
		return c.RejectReason
	}
	return errText(err)
}

// errText is an error's text for the screen: ConnectPSP's details and
// the ids in them are outside text.
func errText(err error) string {
	if err == nil {
		return "?"
	}
	return safetext.String(err.Error())
}

// show opens c on the screen its state calls for; an open charge is
// tracked from then on.
func (m *Model) show(c *store.Charge) tea.Cmd {
	m.track.observe(c, true)
	switch {
	case c.Stage == store.StagePending:
		m.creating.resume(c)
		return m.switchTo(m.creating)
	case c.Stage == store.StageRejected:
		m.form.fill(c)
		m.form.setNotice(m.env.lang.s(kFormRejected, m.env.lang.rejection(c, nil)), true)
		return m.switchTo(m.form)
	case c.Status == psp.StatusAwaitingPayment || c.Status == "":
		m.charge.set(c)
		return tea.Batch(m.switchTo(m.charge), m.charge.tick())
	}
	m.result.set(c)
	cmd := m.switchTo(m.result)
	if c.Status == psp.StatusPaid && m.track.ring(c.ID) {
		cmd = tea.Batch(cmd, ring(m.env.cfg.Output))
	}
	return cmd
}
