package ui

import (
	"errors"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/brcode"
	"github.com/pixdesk/pixdesk/store"
)

// The list's columns, in order.
const (
	colTime = iota
	colCode
	colRef
	colName
	colDoc
	colAmount
	colStatus
	colTerminal
	colCount
)

// Column caps and floors, in cells. Every column that holds outside text
// is capped, so that an overlong id cannot push the others off the screen
// (an internal code has 7 characters, a masked CNPJ 18).
var (
	colMax = [colCount]int{colCode: 12, colRef: 18, colName: 28, colDoc: 18, colTerminal: 12}
	colMin = [colCount]int{colRef: 6, colName: 8, colDoc: 14, colTerminal: 6}
)

const markerWidth = 2 // "▸ " before the selected row

// listTime is a row's time: the time of day today, the day and time this
// year, the date before.
func listTime(t, now time.Time, loc *time.Location) string {
	t, now = t.In(loc), now.In(loc)
	switch {
	case t.IsZero():
		return "—"
	case t.Year() != now.Year():
		return t.Format("02/01/2006")
	case t.YearDay() == now.YearDay():
		return t.Format("15:04:05")
	}
	return t.Format("02/01 15:04")
}

// cells are a charge's list cells, plain text.
func (s *lookupScreen) cells(c *store.Charge) [colCount]string {
	e := s.env
	return [colCount]string{
		listTime(c.CreatedAt, e.now, e.cfg.Location), orDash(c.InternalCode), c.ExternalReference, c.Payer.Name,
		psp.MaskDocument(c.Payer.Document), bare(c.Amount), shortStatus(e.lang, c), c.Terminal,
	}
}

// remoteCells are the cells of a transaction known only to ConnectPSP.
func (s *lookupScreen) remoteCells(ci *psp.CashIn) [colCount]string {
	e, ci := s.env, shownCashIn(ci)
	return [colCount]string{
		listTime(ci.RequestedAt, e.now, e.cfg.Location), orDash(ci.InternalCode), ci.ExternalReference, ci.Payer.Name,
		psp.MaskDocument(ci.Payer.Document), bare(ci.Amount), shortStatus(e.lang, &store.Charge{Status: ci.Status}), "—",
	}
}

// bare is an amount without "R$ " (the column header says R$).
func bare(a psp.Amount) string {
	s := a.String()
	s = strings.TrimPrefix(s, "R$")
	return strings.TrimLeft(s, " \u00a0")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// nameFloor is the width the payer's name keeps on a narrow screen (a
// first name and most of a surname): the other columns give way to it.
const nameFloor = 10

// widths fits the columns to the screen from what they hold. The payer's
// name stays, cut with "…" where it must: support searches by it. To make
// room the other columns give way, least missed first: the document
// shrinks to a masked CPF's width (a CNPJ is cut), the terminal goes (the
// filter line names the one filtered, the detail shows it), the order
// reference shrinks, and last the time goes. At 80 columns only the first
// two are needed.
func (s *lookupScreen) widths(rows [][colCount]string, head [colCount]string) [colCount]int {
	var w [colCount]int
	for i := range w {
		w[i] = lipgloss.Width(head[i])
	}
	for _, r := range rows {
		for i := range r {
			w[i] = max(w[i], lipgloss.Width(r[i]))
		}
	}
	for i, m := range colMax {
		if m > 0 {
			w[i] = min(w[i], m)
		}
	}
	name := w[colName]
	w[colName] = 0
	// room is what is left for the name, after the space before it.
	room := func() int {
		n := markerWidth
		for _, x := range w {
			if x > 0 {
				n += x + 1
			}
		}
		return s.width - n
	}
	want := min(name, nameFloor)
	shrink := func(i int) {
		for room() < want && w[i] > colMin[i] {
			w[i]--
		}
	}
	hide := func(i int) {
		if room() < want {
			w[i] = 0
		}
	}
	shrink(colDoc)
	hide(colTerminal)
	shrink(colRef)
	hide(colTime)
	if r := room(); r >= colMin[colName] || r >= name {
		w[colName] = min(name, r)
	}
	return w
}

// line joins a row's cells at the given widths; status is coloured.
func (s *lookupScreen) line(cells [colCount]string, w [colCount]int, status psp.Status, head bool) string {
	st := s.env.styles
	var b strings.Builder
	for i, cell := range cells {
		if w[i] == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		text := truncate(cell, w[i])
		pad := strings.Repeat(" ", max(0, w[i]-lipgloss.Width(text)))
		if i == colAmount {
			text = pad + text
		} else {
			text += pad
		}
		if i == colStatus && !head {
			text = statusStyle(st, status).Render(text)
		}
		b.WriteString(text)
	}
	return b.String()
}

func (s *lookupScreen) header() [colCount]string {
	l := s.env.lang
	return [colCount]string{l.s(kColTime), l.s(kColCode), l.s(kColRef), l.s(kColName), l.s(kColDoc),
		l.s(kColAmount), l.s(kColStatus), l.s(kColTerminal)}
}

func (s *lookupScreen) view() string {
	st, l := s.env.styles, s.env.lang
	var b strings.Builder
	b.WriteString(st.LabelFocus.Render(l.s(kSearchLabel)) + " " + s.input.View() + "\n")
	b.WriteString(truncate(s.filterLine(), s.width) + "\n")
	b.WriteString(truncate(s.hintLine(), s.width) + "\n")

	v := s.visible()
	var rows [][colCount]string
	var stats []psp.Status
	for i := s.top; i < s.top+v; i++ {
		c := s.row(i)
		if c == nil {
			break
		}
		rows = append(rows, s.cells(c))
		stats = append(stats, c.Status)
	}
	remote := len(rows) == 0 && s.remote != nil
	if remote {
		rows = append(rows, s.remoteCells(s.remote))
	}
	head := s.header()
	w := s.widths(rows, head)
	b.WriteString(strings.Repeat(" ", markerWidth) + st.Label.Render(s.line(head, w, "", true)) + "\n")

	body := 0
	switch {
	case remote:
		b.WriteString(st.Warn.Render(truncate(l.s(kNotHereRemote), s.width)) + "\n")
		b.WriteString("▸ " + s.line(rows[0], w, s.remote.Status, false) + "\n")
		b.WriteString(st.Muted.Render(truncate(l.s(kNotHereKeys), s.width)) + "\n")
		body = 3
	case len(rows) == 0:
		b.WriteString(s.emptyLine() + "\n")
		body = 1
	default:
		for i, r := range rows {
			idx := s.top + i
			if idx == s.sel {
				b.WriteString(st.LabelFocus.Render("▸") + " " + s.line(r, w, stats[i], false) + "\n")
			} else {
				b.WriteString("  " + s.line(r, w, stats[i], false) + "\n")
			}
		}
		body = len(rows)
	}
	for ; body < v; body++ {
		b.WriteByte('\n')
	}
	b.WriteString(truncate(s.footer(), s.width))
	return b.String()
}

// filterLine shows the filters and the count.
func (s *lookupScreen) filterLine() string {
	st, l := s.env.styles, s.env.lang
	status := l.s(kAll)
	if s.f.status > 0 {
		status = shortStatus(l, &store.Charge{Status: psp.Statuses[s.f.status-1]})
	}
	var per string
	switch s.f.period {
	case periodToday:
		per = l.s(kPeriodToday)
	case period7Days:
		per = l.s(kPeriod7Days)
	case periodCustom:
		per = l.s(kPeriodUnset) // asked for on the prompt line, not typed yet
		if !s.f.from.IsZero() {
			per = s.f.from.Format("02/01/2006") + "–" + s.f.to.AddDate(0, 0, -1).Format("02/01/2006")
		}
	default:
		per = l.s(kPeriodAll)
	}
	term := s.f.terminal
	if term == "" {
		term = l.s(kAll)
	}
	sep := st.Muted.Render(" · ")
	line := st.Label.Render(l.s(kFilterStatus)+" ") + status + sep + st.Label.Render(l.s(kFilterPeriod)+" ") + per +
		sep + st.Label.Render(l.s(kFilterTerminal)+" ") + term
	count := st.Muted.Render(l.s(kCounting))
	if s.countShown() {
		count = st.Amount.Render(l.n(kCount, s.total, thousands(l, s.total)))
	}
	if gap := s.width - lipgloss.Width(line) - lipgloss.Width(count); gap >= 2 {
		return line + strings.Repeat(" ", gap) + count
	}
	return line + sep + count
}

// countShown reports whether the count goes on screen. A new search's
// count waits for its first page: the rows of the last search stay until
// then, and the count would be read as theirs.
func (s *lookupScreen) countShown() bool { return s.counted && s.loading != pageFirst }

// hintLine says how the text is read, or holds the prompt.
func (s *lookupScreen) hintLine() string {
	st, l, p := s.env.styles, s.env.lang, s.plan
	if s.promptKind != promptNone {
		label := map[promptKind]msgKey{promptRange: kPromptRange, promptTerminal: kPromptTerminal, promptExport: kPromptExport}[s.promptKind]
		line := st.LabelFocus.Render(l.s(label)) + " " + s.prompt.View()
		if s.promptErr != "" {
			line += " " + st.Error.Render(s.promptErr)
		}
		return line
	}
	m := func(k msgKey, args ...any) string { return st.Hint.Render(l.s(k, args...)) }
	switch p.kind {
	case inCode:
		return m(kAsCode, p.remote)
	case inTxID:
		return m(kAsTxID)
	case inE2E:
		return m(kAsE2E)
	case inDocument:
		return m(kAsDocument, p.doc)
	case inAmount:
		return m(kAsAmount, p.q.Amount)
	case inText:
		return m(kAsText, p.q.Text)
	case inBRCode:
		return st.OK.Render(l.s(kAsBRCode, p.code.CRC, brKind(l, p.code), p.code.MerchantName))
	case inBad:
		switch {
		case errors.Is(p.codeErr, brcode.ErrCRC):
			return st.Error.Render(l.s(kBRBadCRC))
		case p.codeErr != nil:
			return st.Error.Render(l.s(kBRBad, p.codeErr))
		}
		return st.Error.Render(l.s(kAmountBad))
	}
	return st.Muted.Render(l.s(kSearchHint))
}

// brKind words what a pasted code asks of the payer: a static or dynamic
// payment, a PIX Automático recurrence alone, or a payment that also asks
// for a recurrence.
func brKind(l lang, c *brcode.Code) string {
	kind := l.s(kBRStatic)
	switch {
	case c.Recurring() && c.Key == "" && c.URL == "":
		return l.s(kBRRecurring)
	case c.Dynamic():
		kind = l.s(kBRDynamic)
	}
	if c.Recurring() {
		return l.s(kBRWithRecurrence, kind)
	}
	return kind
}

// emptyLine explains an empty list.
func (s *lookupScreen) emptyLine() string {
	st, l := s.env.styles, s.env.lang
	switch {
	case s.loading == pageFirst || !s.searched:
		return st.Muted.Render(l.s(kSearching))
	case s.plan.kind == inBad:
		return ""
	case s.remoteBusy:
		return st.Muted.Render(l.s(kAskingRemote))
	case s.remoteErr != nil && errors.Is(s.remoteErr, psp.ErrNotFound):
		return st.Warn.Render(l.s(kNowhere))
	case s.remoteErr != nil:
		return st.Error.Render(l.s(kRemoteFailed, errText(s.remoteErr)))
	}
	return st.Muted.Render(l.s(kNothing))
}

// footer: a failure, the export's outcome, or where the selection is.
func (s *lookupScreen) footer() string {
	st, l := s.env.styles, s.env.lang
	switch {
	case s.err != "":
		return st.Error.Render(s.err)
	case s.opening:
		return st.Muted.Render(l.s(kLookupOpening))
	case s.exporting:
		return st.Muted.Render(l.s(kExporting))
	case s.note != "" && s.noteBad:
		return st.Error.Render(s.note)
	case s.note != "":
		return st.OK.Render(s.note)
	case s.held() > 0:
		pos := l.s(kPosition, thousands(l, s.sel+1))
		if s.countShown() {
			pos = l.s(kPositionOf, thousands(l, s.sel+1), thousands(l, s.total))
		}
		if s.loading == pageNext || s.loading == pagePrev {
			pos += st.Muted.Render(" · " + l.s(kLoadingMore))
		}
		return st.Muted.Render(pos)
	}
	return ""
}

func (s *lookupScreen) ShortHelp() []key.Binding {
	k := s.keys
	if s.promptKind != promptNone {
		return []key.Binding{k.Accept, k.Cancel, k.Quit}
	}
	return []key.Binding{k.Open, k.Status, k.Period, k.Terminal, k.Export, k.Clear, k.Quit}
}

func (s *lookupScreen) FullHelp() [][]key.Binding {
	k := s.keys
	return [][]key.Binding{{k.Up, k.Down, k.PgUp, k.PgDown}, {k.Open, k.Clear}, {k.Status, k.Period, k.Terminal}, {k.Export, k.Quit}}
}
