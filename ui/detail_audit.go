package ui

import (
	"context"
	"sort"
	"strconv"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/store"
)

// auditMsg carries a charge's entries in the audit trail.
type auditMsg struct {
	id      int64
	entries []store.AuditEntry
	err     error
}

// loadAudit reads charge id's audit entries; nil without an authority.
func loadAudit(ctx context.Context, a Authority, id int64) tea.Cmd {
	if a == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		es, err := a.AuditTrail(ctx, store.AuditQuery{ChargeID: id})
		return auditMsg{id, es, err}
	}
}

// auditLines is the detail's audit section: who did what to the charge.
func (s *detailScreen) auditLines() []string {
	if s.env.cfg.Authority == nil || (len(s.audit) == 0 && s.auditErr == nil) {
		return nil
	}
	st, l, e := s.env.styles, s.env.lang, s.env
	out := []string{"", st.Title.Render(l.s(kAuditTitle))}
	if s.auditErr != nil {
		return append(out, st.Error.Render(truncate(l.s(kAuditFailed, errText(s.auditErr)), s.width)))
	}
	for _, a := range s.audit {
		who := a.Operator
		if who == "" {
			who = "-"
		}
		parts := []string{st.Muted.Render(clock(a.At, e.now, e.cfg.Location)), safetext.String(who),
			l.or(msgKey("audit."+string(a.Action)), string(a.Action))}
		if d := detailWords(a.DetailMap()); d != "" {
			parts = append(parts, st.Muted.Render(d))
		}
		out = append(out, truncate(strings.Join(parts, "  "), s.width))
	}
	return out
}

// detailWords is an audit entry's detail as "k=v", keys sorted, cleaned.
func detailWords(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = safetext.String(k + "=" + m[k])
	}
	return strings.Join(parts, " ")
}

// toggleReveal shows or masks the payer's document. Showing it needs a
// supervisor's or suporte's authority, and is audited either way.
func (s *detailScreen) toggleReveal() tea.Cmd {
	if s.reveal {
		s.reveal = false
		return nil
	}
	id := int64(0)
	if s.c != nil {
		id = s.c.ID
	}
	if !s.env.authorised() {
		s.note, s.noteBad = s.env.lang.s(kNeedAuthority), true
		return s.env.audit(store.AuditReveal, id, map[string]string{"outcome": "refused"})
	}
	s.reveal = true
	if s.c == nil {
		return nil // a transaction not recorded here: no charge to file it under
	}
	return s.env.audit(store.AuditReveal, id, map[string]string{"outcome": "shown"})
}

// audited reads the charge's audit entries again when one was added to it.
func (s *detailScreen) audited(msg auditedMsg) tea.Cmd {
	if s.c == nil || s.c.ID != msg.chargeID {
		return nil
	}
	return loadAudit(s.reads.context(s.env.ctx), s.env.cfg.Authority, s.c.ID)
}

// exportDetail is what the audit trail keeps of an export.
func exportDetail(msg exportedMsg) map[string]string {
	d := map[string]string{"outcome": "written", "rows": strconv.Itoa(msg.n), "path": msg.path}
	if msg.err != nil {
		d["outcome"] = "failed"
	}
	return d
}
