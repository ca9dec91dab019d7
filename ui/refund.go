package ui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// refundDialog returns a paid charge in full: the reason, an optional
// note for the audit trail, a confirmation that shows the amount and the
// payer, then ConnectPSP's answer in plain words. A temporary failure can
// be sent again: the backend stored the refund's idempotency key before
// the first request, so ConnectPSP refunds once.
type refundDialog struct {
	env           *env
	keys          lookupKeys
	width, height int

	c      *store.Charge
	reason int // index in psp.RefundReasons
	// again: a refund was already asked for (its key is stored); the
	// engine sends it again with the same key and reason.
	again bool
	note  textinput.Model
	step  refundStep

	err       error
	temporary bool

	// approval asks a supervisor's PIN when a caixa asked (stepApprove);
	// approver is who approved, authorised that AuthoriseRefund recorded
	// it (a retry sends again without asking again).
	approval   *pinPrompt
	approver   string
	authorised bool
}

// refundStep is where the dialog is.
type refundStep int

const (
	stepReason refundStep = iota
	stepNote
	stepConfirm
	stepApprove
	stepSending
	stepDone
	stepFailed
)

// maxRefundNote bounds the audit note.
const maxRefundNote = 140

func newRefundDialog(e *env, k lookupKeys, c *store.Charge) *refundDialog {
	d := &refundDialog{env: e, keys: k, c: c}
	d.note = newInput(e.styles)
	d.note.CharLimit = maxRefundNote
	d.note.Placeholder = e.lang.s(kRefundNotePlace)
	if c.RefundKey != "" && c.RefundReason.Valid() {
		d.again = true
		for i, r := range psp.RefundReasons {
			if r == c.RefundReason {
				d.reason = i
			}
		}
	}
	return d
}

func (d *refundDialog) setSize(w, h int) {
	d.width, d.height = w, h
	d.note.Width = max(10, min(w-4, 60))
}

func (d *refundDialog) typing() bool { return d.step == stepNote || d.step == stepApprove }

// update passes cursor messages to the note.
func (d *refundDialog) update(msg tea.Msg) tea.Cmd {
	if d.step != stepNote {
		return nil
	}
	var cmd tea.Cmd
	d.note, cmd = d.note.Update(msg)
	return cmd
}

// send asks the backend for the refund: when the shop has operators,
// after recording who asked and who approved.
func (d *refundDialog) send() tea.Cmd {
	d.step, d.err, d.temporary = stepSending, nil, false
	e := d.env
	var rec *refundRecord
	if e.cfg.Authority != nil {
		rec = &refundRecord{a: e.cfg.Authority, at: e.actor(), log: e.cfg.Logger}
		if e.cfg.Operators && !d.authorised {
			rec.asked, rec.approved = rec.at.Operator, d.approver
			d.authorised = true
		}
	}
	return refundCharge(e.ctx, e.backend, rec, d.c.ID, psp.RefundReasons[d.reason], strings.TrimSpace(d.note.Value()))
}

// confirmed goes on from the confirmation: straight to sending when
// whoever is at the console may refund, to a supervisor's PIN when a caixa
// asked.
func (d *refundDialog) confirmed() tea.Cmd {
	e := d.env
	switch {
	case !e.cfg.Operators || d.authorised:
		return d.send()
	case e.authorised():
		d.approver = e.op.Name
		return d.send()
	}
	d.step = stepApprove
	d.approval = newPINPrompt(e, kApproveTitle, purposeApprove, "")
	return nil
}

// approved takes the approving PIN's answer.
func (d *refundDialog) approved(msg pinCheckedMsg) tea.Cmd {
	if d.step != stepApprove || d.approval == nil {
		return nil
	}
	op, ok := d.approval.answered(msg)
	if !ok || op == nil {
		return nil
	}
	if !op.Role.Authorised() {
		d.approval.refuse(d.env.lang.s(kApproverNotAllow, op.Name))
		return d.env.audit(store.AuditRefundRefused, d.c.ID, map[string]string{"approver": op.Name, "reason": "not authorised"})
	}
	d.approver = op.Name
	return d.send()
}

// key handles a key; closed reports that the dialog is done.
func (d *refundDialog) key(msg tea.KeyMsg) (cmd tea.Cmd, closed bool) {
	k := d.keys
	back := key.Matches(msg, k.Cancel)
	switch d.step {
	case stepReason:
		switch {
		case back:
			return nil, true
		case key.Matches(msg, k.Up) && !d.again:
			d.reason = (d.reason + len(psp.RefundReasons) - 1) % len(psp.RefundReasons)
		case key.Matches(msg, k.Down) && !d.again:
			d.reason = (d.reason + 1) % len(psp.RefundReasons)
		case key.Matches(msg, k.Confirm):
			d.step = stepNote
			return d.note.Focus(), false
		}
	case stepNote:
		switch {
		case back:
			d.note.Blur()
			d.step = stepReason
		case key.Matches(msg, k.Confirm):
			d.note.Blur()
			d.step = stepConfirm
		default:
			d.note, cmd = d.note.Update(typed(msg))
			return cmd, false
		}
	case stepConfirm:
		switch {
		case back:
			d.step = stepNote
			return d.note.Focus(), false
		case key.Matches(msg, k.Confirm):
			return d.confirmed(), false
		}
	case stepApprove:
		cmd, cancelled := d.approval.key(msg)
		if cancelled {
			d.step, d.approval = stepConfirm, nil
			return d.env.audit(store.AuditRefundRefused, d.c.ID, map[string]string{"reason": "not approved"}), false
		}
		return cmd, false
	case stepSending:
		// The request is on its way; its answer decides.
	case stepDone:
		return nil, back || key.Matches(msg, k.Confirm)
	case stepFailed:
		switch {
		case d.temporary && key.Matches(msg, k.Retry):
			return d.send(), false
		case back || key.Matches(msg, k.Confirm):
			return nil, true
		}
	}
	return nil, false
}

// done takes the backend's answer.
func (d *refundDialog) done(msg refundedMsg) {
	if msg.c != nil {
		d.c = msg.c
	}
	if msg.err != nil {
		d.step, d.err, d.temporary = stepFailed, msg.err, psp.IsTemporary(msg.err)
		return
	}
	d.step = stepDone
}

func (d *refundDialog) view() string {
	st, l, c := d.env.styles, d.env.lang, d.c
	w := max(10, d.width)
	var out []string
	add := func(s ...string) { out = append(out, s...) }
	para := func(s string) { add(strings.Split(wrap(s, w), "\n")...) }
	add(st.Title.Render(truncate(l.s(kRefundTitle, c.Amount, c.Payer.Name), w)), "")
	switch d.step {
	case stepReason:
		add(st.Label.Render(l.s(kRefundReason)))
		for i, r := range psp.RefundReasons {
			mark, label := "  ", reasonLabel(l, r)
			if i == d.reason {
				mark, label = st.LabelFocus.Render("▸ "), st.LabelFocus.Render(label)
			} else if d.again {
				continue
			}
			add(mark + label)
		}
		if d.again {
			add("")
			para(st.Warn.Render(l.s(kRefundAgain, c.RefundKey)))
		}
	case stepNote:
		add(st.Label.Render(l.s(kRefundReason))+" "+reasonLabel(l, psp.RefundReasons[d.reason]), "")
		add(st.LabelFocus.Render(l.s(kRefundNote)), d.note.View())
		para(st.Muted.Render(l.s(kRefundNoteHint)))
	case stepConfirm:
		add(d.summary()...)
		add("")
		para(st.Warn.Render(l.s(kRefundWarn)))
		add("", st.Title.Render(l.s(kRefundConfirm)))
	case stepApprove:
		add(d.summary()...)
		add("", d.approval.view(w), "")
		para(st.Muted.Render(l.s(kApproveHint)))
	case stepSending:
		add(d.summary()...)
		add("", st.Muted.Render(l.s(kRefundSending)))
	case stepDone:
		if d.approver != "" && d.env.op != nil && d.approver != d.env.op.Name {
			para(st.Muted.Render(l.s(kApprovedBy, d.approver)))
		}
		if c.Status == psp.StatusRefunded {
			para(st.OK.Render(l.s(kRefundOK, c.Amount, c.Payer.Name)))
			if c.EndToEndID != "" {
				add(st.Label.Render(l.s(kLabelRefundID)) + " " + c.EndToEndID)
			}
		} else {
			para(st.Warn.Render(l.s(kRefundAccepted, shortStatus(l, c))))
		}
	case stepFailed:
		para(st.Error.Render(refundError(l, d.err)))
		if d.temporary {
			add("")
			para(st.Warn.Render(l.s(kRefundRetry)))
		}
	}
	return strings.Join(out, "\n")
}

// summary is what the confirmation shows: amount, payer, reason, note.
func (d *refundDialog) summary() []string {
	st, l, c := d.env.styles, d.env.lang, d.c
	lw := 0
	for _, k := range []msgKey{kLabelAmount, kLabelPayer, kRefundReason, kRefundNote} {
		lw = max(lw, lipgloss.Width(l.s(k)))
	}
	row := func(k msgKey, v string) string {
		label := l.s(k)
		return truncate(st.Label.Render(label)+strings.Repeat(" ", lw+2-lipgloss.Width(label))+v, max(10, d.width))
	}
	lines := []string{
		row(kLabelAmount, st.Amount.Render(paidAmount(c).String())),
		row(kLabelPayer, withTail(c.Payer.Name, "  "+psp.MaskDocument(c.Payer.Document), max(10, d.width)-lw-2)),
		row(kRefundReason, reasonLabel(l, psp.RefundReasons[d.reason])),
	}
	if n := strings.TrimSpace(d.note.Value()); n != "" {
		lines = append(lines, row(kRefundNote, n))
	}
	return lines
}

// refundError words a failed refund for support staff.
func refundError(l lang, err error) string {
	var pe *psp.Error
	switch {
	case errors.As(err, &pe) && pe.Code != "" && l.has(msgKey("refund.err."+pe.Code)):
		return l.s(msgKey("refund.err." + pe.Code))
	case psp.IsTemporary(err):
		return l.s(kRefundTemp, errText(err))
	case errors.Is(err, store.ErrConflict):
		return l.s(kRefundNotPaidHere)
	case errors.As(err, &pe) && pe.Detail != "":
		return l.s(kRefundRefused, pe.Detail)
	}
	return l.s(kRefundFailed, errText(err))
}

// reasonLabel names a refund reason in the user's language.
func reasonLabel(l lang, r psp.RefundReason) string {
	return l.or(msgKey("reason."+string(r)), string(r))
}

func (d *refundDialog) ShortHelp() []key.Binding {
	k := d.keys
	switch d.step {
	case stepReason:
		if d.again {
			return []key.Binding{k.Confirm, k.Cancel}
		}
		return []key.Binding{k.Choose, k.Confirm, k.Cancel}
	case stepNote:
		return []key.Binding{k.Confirm, k.Cancel}
	case stepConfirm:
		return []key.Binding{k.Send, k.Cancel}
	case stepApprove:
		return d.approval.ShortHelp()
	case stepFailed:
		if d.temporary {
			return []key.Binding{k.Retry, k.Cancel}
		}
		return []key.Binding{k.Cancel}
	case stepDone:
		return []key.Binding{k.Back} // the same key: nothing is left to cancel
	}
	return []key.Binding{k.Quit}
}
