package ui

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// A day's close in words: the rows of its report, its reconciliation and
// its seal, for the close screen and for pixdesk close alike.

// closeRow is one line of a report: a label, a count ("" when the line
// counts nothing) and an amount ("" when it sums nothing). alarm marks a
// line a person must look at (a mismatch, a late payment).
type closeRow struct {
	label, count, amount string
	alarm                bool
}

// closeRows words t: one row per status, the day's total, then what was
// received and what needs a look.
func closeRows(l lang, t store.Totals) []closeRow {
	var rows []closeRow
	for _, s := range t.ByStatus {
		rows = append(rows, closeRow{label: shortStatus(l, &store.Charge{Stage: s.Stage, Status: s.Status}),
			count: strconv.Itoa(s.Count), amount: s.Amount.String()})
	}
	tally := func(k msgKey, y store.Tally, alarm bool) closeRow {
		return closeRow{label: l.s(k), count: strconv.Itoa(y.Count), amount: y.Amount.String(), alarm: alarm && y.Count > 0}
	}
	rows = append(rows,
		closeRow{label: l.s(kCloseTotal), count: strconv.Itoa(t.Charges), amount: t.Amount.String()},
		closeRow{label: l.s(kCloseReceived), amount: t.Received.String()},
		tally(kCloseRefunds, t.Refunds, false))
	if t.RefundsPending.Count > 0 {
		rows = append(rows, tally(kCloseRefundsPending, t.RefundsPending, true))
	}
	return append(rows,
		closeRow{label: l.s(kCloseNet), amount: t.Net.String()},
		tally(kCloseMismatch, t.Mismatches, true),
		tally(kCloseLate, t.Late, true),
		tally(kCloseOpen, t.Open, false))
}

// closeTotalsRow is the index of the day's total in closeRows' answer.
func closeTotalsRow(t store.Totals) int { return len(t.ByStatus) }

// closeTable lays rows out in columns, the header first; style, when
// set, draws each row (its index) and the header (-1).
func closeTable(l lang, rows []closeRow, style func(i int, s string) string) []string {
	lw, cw, aw := 0, lipgloss.Width(l.s(kCloseCount)), lipgloss.Width(l.s(kCloseAmount))
	for _, r := range rows {
		lw = max(lw, lipgloss.Width(r.label))
		cw = max(cw, lipgloss.Width(r.count))
		aw = max(aw, lipgloss.Width(r.amount))
	}
	pad := func(s string, w int) string { return strings.Repeat(" ", max(0, w-lipgloss.Width(s))) + s }
	line := func(a, b, c string) string {
		return a + strings.Repeat(" ", lw-lipgloss.Width(a)) + "  " + pad(b, cw) + "  " + pad(c, aw)
	}
	if style == nil {
		style = func(_ int, s string) string { return s }
	}
	out := []string{style(-1, line("", l.s(kCloseCount), l.s(kCloseAmount)))}
	for i, r := range rows {
		out = append(out, style(i, line(r.label, r.count, r.amount)))
	}
	return out
}

// closeTitle is the heading of c: terminal, day in the language's form,
// zone.
func closeTitle(l lang, c *engine.DayClose) string {
	day := c.Day
	if d, err := time.Parse(time.DateOnly, c.Day); err == nil {
		day = d.Format(l.s(kCloseDayLayout))
	}
	return l.s(kCloseTitle, c.Terminal, day, c.Zone)
}

// operatorTitle names the operator of a breakdown.
func operatorTitle(l lang, op string) string {
	if op == "" {
		return l.s(kCloseNoOperator)
	}
	return l.s(kCloseOperator, op)
}

// reconcileLines words what the reconciliation asked and found.
func reconcileLines(l lang, r engine.Reconciliation) []string {
	changed := l.s(kCloseUnchanged)
	if len(r.Changed) > 0 {
		changed = l.n(kCloseChanged, len(r.Changed), len(r.Changed))
	}
	out := []string{l.s(kCloseReconcile) + ": " + l.n(kCloseAsked, r.Asked, r.Asked) + "; " + changed}
	word := func(s psp.Status) string { return shortStatus(l, &store.Charge{Stage: store.StageCreated, Status: s}) }
	for _, c := range r.Changed {
		out = append(out, "  "+l.s(kCloseChange, c.Reference, c.Amount, word(c.From), word(c.To)))
	}
	for _, c := range r.Failed {
		out = append(out, "  "+l.s(kCloseFailed, c.Reference, c.Amount, c.Err))
	}
	if len(r.Failed) > 0 {
		out = append(out, l.s(kCloseFailedNote))
	}
	return out
}

// sealLine says when c was sealed, and its hash's first characters.
func sealLine(l lang, c *engine.DayClose, loc *time.Location) string {
	if c.SealedAt.IsZero() {
		return ""
	}
	return l.s(kCloseSealed, c.SealedAt.In(loc).Format("02/01/2006 15:04:05"), shortHash(c.Hash))
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}

// closeOperators is the breakdown to show: every operator's, or only
// operator's when one is named ("" names charges without one only when
// only is set).
func closeOperators(c *engine.DayClose, operator string, only bool) []store.Totals {
	if !only {
		return c.Operators
	}
	var out []store.Totals
	for _, t := range c.Operators {
		if t.Operator == operator {
			out = append(out, t)
		}
	}
	return out
}

// WriteClose writes the day's close c as text for a person (pixdesk
// close) in language lang, times in loc: the heading, the day's total,
// each operator's when there are several (or only operator's when only
// is set), the reconciliation and the seal. A sealed report whose hash no
// longer matches is written with broken set: it says so first.
func WriteClose(w io.Writer, c *engine.DayClose, lang string, loc *time.Location, operator string, only, broken bool) error {
	l := langOf(lang)
	c = shownClose(c)
	var b strings.Builder
	if broken {
		b.WriteString(l.s(kCloseBroken) + "\n")
	}
	b.WriteString(closeTitle(l, c) + "\n\n")
	ops := closeOperators(c, operator, only)
	if !only && c.Total.Charges == 0 {
		b.WriteString(l.s(kCloseNone) + "\n")
	}
	if !only && c.Total.Charges > 0 {
		for _, line := range closeTable(l, closeRows(l, c.Total), nil) {
			b.WriteString(line + "\n")
		}
	}
	if only && len(ops) == 0 {
		b.WriteString("\n" + operatorTitle(l, operator) + "\n" + l.s(kCloseNone) + "\n")
	}
	if only || len(ops) > 1 || len(ops) == 1 && ops[0].Operator != "" {
		for _, t := range ops {
			b.WriteString("\n" + operatorTitle(l, t.Operator) + "\n")
			for _, line := range closeTable(l, closeRows(l, t), nil) {
				b.WriteString(line + "\n")
			}
		}
	}
	if len(c.Hours) > 0 {
		b.WriteString("\n" + l.s(kCloseChart) + "\n")
		for _, h := range c.Hours {
			fmt.Fprintf(&b, "  %02dh  %3d  %s\n", h.Hour, h.Count, h.Amount)
		}
	}
	b.WriteString("\n")
	for _, line := range reconcileLines(l, c.Reconciliation) {
		b.WriteString(line + "\n")
	}
	if s := sealLine(l, c, loc); s != "" {
		b.WriteString(s + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
