package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// detailScreen shows everything known about one transaction: its fields,
// the flags a person must look at, the payer's bank, and the timeline
// (creation, every webhook delivery with its signature verdict, polls,
// status changes, refund). The payer's document is masked until revealed.
// A transaction found only at ConnectPSP is shown as such and can be
// recorded.
type detailScreen struct {
	env           *env
	keys          lookupKeys
	width, height int
	reads         scope // this charge's loads, cancelled when it is left

	c  *store.Charge
	ci *psp.CashIn // not recorded here (c is nil)

	entries  []store.Entry
	tlErr    error
	tlLoaded bool

	reveal  bool
	offset  int // first body line shown
	busy    string
	note    string
	noteBad bool

	refund *refundDialog // open while a refund is being asked for

	// audit is the charge's entries in the audit trail (nil without an
	// Authority).
	audit    []store.AuditEntry
	auditErr error
}

var _ screen = (*detailScreen)(nil)

func newDetail(e *env) *detailScreen { return &detailScreen{env: e, keys: newLookupKeys(e.lang)} }

// show opens a recorded charge and reads its timeline.
func (s *detailScreen) show(c *store.Charge) tea.Cmd {
	s.reset()
	s.c = c
	ctx := s.reads.renew(s.env.ctx)
	return tea.Batch(loadTimeline(ctx, s.env.backend, c.ID), loadAudit(ctx, s.env.cfg.Authority, c.ID))
}

// showRemote opens a transaction found only at ConnectPSP.
func (s *detailScreen) showRemote(ci *psp.CashIn) tea.Cmd {
	s.reset()
	s.ci = ci
	return nil
}

func (s *detailScreen) reset() {
	s.reads.end() // what the detail showed before is not read any more
	*s = detailScreen{env: s.env, keys: s.keys, width: s.width, height: s.height}
}

func (s *detailScreen) setSize(w, h int) {
	s.width, s.height = w, h
	if s.refund != nil {
		s.refund.setSize(w, h)
	}
}

// typing: the refund note takes letters.
func (s *detailScreen) typing() bool { return s.refund != nil && s.refund.typing() }

// shows: the detail is the lookup's, not a counter screen.
func (s *detailScreen) shows() int64 { return 0 }

// captures: the refund dialog keeps its keys until it is closed.
func (s *detailScreen) captures() bool { return s.refund != nil }

// keysNow is the bindings with only the actions that make sense for the
// status, and for the time (a QR can be reopened until it expires).
func (s *detailScreen) keysNow() lookupKeys {
	k, c := s.keys, s.c
	local := c != nil
	k.Refresh.SetEnabled(local && c.Stage == store.StageCreated && c.TransactionID != "")
	k.Reopen.SetEnabled(local && c.Stage == store.StageCreated && c.Status == psp.StatusAwaitingPayment &&
		c.CopyAndPaste != "" && c.ExpiresAt.After(s.env.now))
	k.Refund.SetEnabled(local && c.Status == psp.StatusPaid)
	k.Reveal.SetEnabled(s.document() != "")
	k.Import.SetEnabled(!local && s.ci != nil)
	return k
}

// document is the payer's document, unmasked.
func (s *detailScreen) document() string {
	switch {
	case s.c != nil:
		return s.c.Payer.Document
	case s.ci != nil:
		return s.ci.Payer.Document
	}
	return ""
}

// changed reloads the charge on screen after a store change.
func (s *detailScreen) changed(id int64) tea.Cmd {
	if s.c == nil || s.c.ID != id {
		return nil
	}
	return tea.Batch(loadDetail(s.reads.context(s.env.ctx), s.env.backend, id, false), loadTimeline(s.reads.context(s.env.ctx), s.env.backend, id))
}

func (s *detailScreen) update(msg tea.Msg) tea.Cmd {
	l := s.env.lang
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return s.key(msg)
	case detailMsg:
		if s.c == nil || s.c.ID != msg.id {
			return nil
		}
		if msg.refresh {
			s.busy = ""
		}
		if msg.err != nil {
			if msg.refresh {
				s.note, s.noteBad = l.s(kRefreshFailed, errText(msg.err)), true
			}
			return nil
		}
		if msg.c != nil {
			s.c = msg.c
		}
		if msg.refresh {
			s.note, s.noteBad = l.s(kRefreshed, shortStatus(l, s.c)), false
			return loadTimeline(s.reads.context(s.env.ctx), s.env.backend, msg.id)
		}
		return nil
	case timelineMsg:
		if s.c != nil && s.c.ID == msg.id {
			s.entries, s.tlErr, s.tlLoaded = msg.entries, msg.err, true
		}
		return nil
	case importedMsg:
		s.busy = ""
		if msg.err != nil {
			s.note, s.noteBad = l.s(kImportFailed, errText(msg.err)), true
			return nil
		}
		cmd := s.show(msg.c)
		s.note = l.s(kImported)
		return cmd
	case refundedMsg:
		if s.c == nil || s.c.ID != msg.id {
			return nil
		}
		if msg.c != nil {
			s.c = msg.c
		}
		if s.refund != nil {
			s.refund.done(msg)
		}
		ctx := s.reads.context(s.env.ctx)
		return tea.Batch(loadTimeline(ctx, s.env.backend, msg.id), loadAudit(ctx, s.env.cfg.Authority, msg.id))
	case auditMsg:
		if s.c != nil && s.c.ID == msg.id {
			s.audit, s.auditErr = msg.entries, msg.err
		}
		return nil
	}
	if s.refund != nil {
		return s.refund.update(msg)
	}
	return nil
}

func (s *detailScreen) key(msg tea.KeyMsg) tea.Cmd {
	if s.refund != nil {
		cmd, closed := s.refund.key(msg)
		if closed {
			s.refund = nil
		}
		return cmd
	}
	k, b := s.keysNow(), s.env.backend
	switch {
	case key.Matches(msg, k.Back):
		s.env.tell(closeDetailMsg{})
		return nil
	case key.Matches(msg, k.Refresh):
		s.busy, s.note = s.env.lang.s(kAsking), ""
		return loadDetail(s.reads.context(s.env.ctx), b, s.c.ID, true)
	case key.Matches(msg, k.Reopen):
		s.env.tell(reopenQRMsg{s.c})
		return nil
	case key.Matches(msg, k.Refund):
		s.note = ""
		s.refund = newRefundDialog(s.env, s.keys, s.c)
		s.refund.setSize(s.width, s.height)
		return nil
	case key.Matches(msg, k.Reveal):
		return s.toggleReveal()
	case key.Matches(msg, k.Import):
		s.busy, s.note = s.env.lang.s(kImporting), ""
		return importRemote(s.env.ctx, b, s.ci)
	case key.Matches(msg, k.Up):
		s.scroll(-1)
	case key.Matches(msg, k.Down):
		s.scroll(1)
	case key.Matches(msg, k.PgUp):
		s.scroll(-s.height / 2)
	case key.Matches(msg, k.PgDown):
		s.scroll(s.height / 2)
	}
	return nil
}

// detailHead is how many lines stay on top: the title and the line under it.
const detailHead = 2

// room is how many of the scrolling lines fit above the footer.
func (s *detailScreen) room() int { return max(1, s.height-detailHead-1) }

// scroll moves the body by d lines, within what there is to show.
func (s *detailScreen) scroll(d int) {
	last := max(0, len(s.lines())-detailHead-s.room())
	s.offset = min(max(0, min(s.offset, last)+d), last)
}

func (s *detailScreen) view() string {
	if s.refund != nil {
		return s.refund.view()
	}
	if s.c == nil && s.ci == nil {
		return ""
	}
	lines := s.lines()
	// The title and the line under it stay; the rest scrolls.
	head, rest := lines[:detailHead], lines[detailHead:]
	room := s.room()
	rest = rest[min(s.offset, max(0, len(rest)-room)):]
	if len(rest) > room {
		rest = rest[:room]
	}
	foot := ""
	st := s.env.styles
	switch {
	case s.busy != "":
		foot = st.Muted.Render(s.busy)
	case s.note != "" && s.noteBad:
		foot = st.Error.Render(s.note)
	case s.note != "":
		foot = st.OK.Render(s.note)
	}
	out := append(append(head, rest...), make([]string, room-len(rest))...)
	return strings.Join(append(out, truncate(foot, s.width)), "\n")
}

// lines is the whole body, before scrolling.
func (s *detailScreen) lines() []string {
	st, l, e := s.env.styles, s.env.lang, s.env
	loc, now := e.cfg.Location, e.now
	var v detailView
	if s.c != nil {
		v = viewOfCharge(s.c)
	} else {
		v = viewOfCashIn(s.ci)
	}
	var out []string
	status := statusStyle(st, v.status).Render(shortStatus(l, &store.Charge{Status: v.status, Stage: v.stage, Flags: v.flags}))
	if s.c != nil {
		out = append(out, st.Title.Render(l.s(kDetailTitle, s.c.ID))+"  "+status)
	} else {
		out = append(out, st.Warn.Render(l.s(kRemoteTitle))+"  "+status)
	}
	out = append(out, "")
	for _, w := range s.flags() {
		out = append(out, st.Error.Render(truncate("! "+w, s.width)))
	}

	lw := 0
	for _, k := range detailLabels {
		lw = max(lw, lipgloss.Width(l.s(k)))
	}
	lw += 2
	row := func(k msgKey, val string) {
		if val == "" {
			return
		}
		label := l.s(k)
		out = append(out, truncate(st.Label.Render(label)+strings.Repeat(" ", lw-lipgloss.Width(label))+val, s.width))
	}
	amount := st.Amount.Render(v.amount.String())
	if v.paid != 0 && v.paid != v.amount {
		amount += st.Error.Render("  " + l.s(kPaidOther, v.paid))
	}
	row(kLabelAmount, amount)
	row(kLabelPayer, v.payer.Name)
	doc := psp.MaskDocument(v.payer.Document)
	if s.reveal {
		doc = psp.FormatDocument(v.payer.Document)
	} else if v.payer.Document != "" {
		doc += st.Muted.Render("  " + l.s(kRevealHint))
	}
	row(kLabelDocument, doc)
	if bd := v.payer.BankData; bd != nil {
		row(kLabelBank, l.s(kBankLine, bd.Bank, bd.ISPB, bd.Branch, bd.Account))
	}
	row(kLabelReference, v.ref)
	row(kLabelCode, v.code)
	row(kLabelTxID, v.txid)
	row(kLabelE2E, v.e2e)
	row(kLabelOrigE2E, v.origE2E)
	row(kLabelTerminal, v.terminal)
	if s.c != nil {
		row(kLabelOperator, s.c.Operator)
		row(kLabelCreated, clock(s.c.CreatedAt, now, loc))
		if s.c.Status == psp.StatusAwaitingPayment && !s.c.ExpiresAt.IsZero() {
			row(kLabelExpires, clock(s.c.ExpiresAt, now, loc)+st.Muted.Render("  "+l.s(kLeft, mmss(s.c.ExpiresAt.Sub(now)))))
		}
	} else {
		row(kLabelCreated, clock(v.requested, now, loc))
	}
	if !v.paidAt.IsZero() {
		row(kLabelPaidAt, clock(v.paidAt, now, loc))
	}
	if !v.refundedAt.IsZero() {
		row(kLabelRefundedAt, clock(v.refundedAt, now, loc))
	}
	if !v.expiredAt.IsZero() {
		row(kLabelExpiredAt, clock(v.expiredAt, now, loc))
	}
	if s.c != nil && s.c.RefundKey != "" {
		row(kLabelRefund, l.s(kRefundIntent, reasonLabel(l, s.c.RefundReason), s.c.RefundKey))
	}
	if s.c != nil && s.c.RejectReason != "" {
		row(kLabelRejected, s.c.RejectReason)
	}
	if s.c == nil {
		out = append(out, "", st.Warn.Render(truncate(l.s(kRemoteImportHint), s.width)))
		return out
	}
	out = append(out, "", st.Title.Render(l.s(kTimeline, len(s.entries))))
	switch {
	case s.tlErr != nil:
		out = append(out, st.Error.Render(l.s(kTimelineFailed, errText(s.tlErr))))
	case !s.tlLoaded:
		out = append(out, st.Muted.Render(l.s(kSearching)))
	}
	hs := make([]historyLine, len(s.entries))
	ew := 0
	for i, en := range s.entries {
		hs[i] = historyOf(l, en, now, loc)
		ew = max(ew, lipgloss.Width(s.entryWhat(hs[i])))
	}
	for i, en := range s.entries {
		out = append(out, truncate(s.entryLine(en, hs[i], min(ew, 34)), s.width))
	}
	return append(out, s.auditLines()...)
}

// detailLabels are the labels of the detail rows, to align them.
var detailLabels = []msgKey{kLabelAmount, kLabelPayer, kLabelDocument, kLabelBank, kLabelReference, kLabelCode,
	kLabelTxID, kLabelE2E, kLabelOrigE2E, kLabelTerminal, kLabelCreated, kLabelExpires, kLabelPaidAt,
	kLabelRefundedAt, kLabelExpiredAt, kLabelRefund, kLabelRejected, kLabelOperator}

// flags lists what a person must look at.
func (s *detailScreen) flags() []string {
	if s.c == nil {
		return nil
	}
	l, f := s.env.lang, s.c.Flags
	var out []string
	if f&store.FlagAmountMismatch != 0 {
		out = append(out, l.s(kFlagMismatch, s.c.Amount, paidAmount(s.c)))
	}
	if f&store.FlagPaidAfterExpiry != 0 {
		out = append(out, l.s(kFlagLate))
	}
	if f&store.FlagForged != 0 {
		out = append(out, l.s(kFlagForged))
	}
	if f&store.FlagBackwards != 0 {
		out = append(out, l.s(kFlagBackwards))
	}
	if f&store.FlagTxidMismatch != 0 {
		out = append(out, l.s(kFlagTxid))
	}
	if s.c.UnknownStatus != "" {
		out = append(out, unknownStatus(l, s.c))
	}
	return out
}

// entryWhat names a timeline entry; a webhook delivery with its verdict.
func (s *detailScreen) entryWhat(h historyLine) string {
	st := s.env.styles
	switch h.sig {
	case "":
		return h.kind
	case psp.VerdictForged:
		return h.kind + " · " + st.Error.Render(h.verdict)
	case psp.VerdictMalformed:
		return h.kind + " · " + st.Warn.Render(h.verdict)
	}
	return h.kind + " · " + h.verdict
}

// entryLine is timeline entry en, worded as h, its name padded to w cells.
func (s *detailScreen) entryLine(en store.Entry, h historyLine, w int) string {
	st := s.env.styles
	at := clock(en.At, s.env.now, s.env.cfg.Location)
	what := s.entryWhat(h)
	what += strings.Repeat(" ", max(0, w-lipgloss.Width(what)))
	parts := []string{st.Muted.Render(at), what}
	if h.status != "" {
		parts = append(parts, statusStyle(st, en.Status).Render(h.status))
	}
	for _, p := range []string{h.outcome, h.note} {
		if p != "" {
			parts = append(parts, st.Muted.Render(p))
		}
	}
	return strings.Join(parts, "  ")
}

func (s *detailScreen) ShortHelp() []key.Binding {
	if s.refund != nil {
		return s.refund.ShortHelp()
	}
	k := s.keysNow()
	return []key.Binding{k.Back, k.Refresh, k.Reopen, k.Refund, k.Reveal, k.Import, k.Scroll, k.Quit}
}

func (s *detailScreen) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }
