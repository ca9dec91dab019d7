package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/store"
)

// Keyset paging of the lookup's list: pages are read as the selection
// nears either end of what is held, and far pages are dropped.

// gotPage puts a page where it belongs, if it answers the current search.
func (s *lookupScreen) gotPage(msg pageMsg) tea.Cmd {
	if msg.seq != s.seq {
		return nil // stale: the text changed since
	}
	if msg.dir == s.loading {
		s.loading = pageNone
	}
	if msg.err != nil {
		s.err = s.env.lang.s(kSearchFailed, errText(msg.err))
		if msg.dir == pageFirst {
			// The rows on screen are older: Enter searches again, and
			// opens nothing before that.
			s.asked, s.opening = -1, false
		}
		return nil
	}
	s.err = ""
	switch msg.dir {
	case pageFirst:
		s.clear()
		s.searched, s.shown = true, msg.seq
		s.pages = []page{{rows: msg.rows}}
		s.more = msg.limit > 0 && len(msg.rows) == msg.limit
		if s.plan.kind == inBRCode {
			s.total, s.counted = len(msg.rows), true
		}
		if len(msg.rows) == 0 && s.plan.remote != "" {
			s.remoteBusy = true // a pending open waits for ConnectPSP's answer
			return askRemote(s.reads.context(s.env.ctx), s.env.backend, s.seq, s.plan.remote)
		}
		if s.opening && s.openSeq == msg.seq {
			s.opening = false
			if len(msg.rows) > 0 {
				s.env.tell(openDetailMsg{c: msg.rows[0]})
			}
		}
	case pageNext:
		if len(s.pages) == 0 || msg.after != s.lastCursor() {
			return nil
		}
		s.pages = append(s.pages, page{after: msg.after, rows: msg.rows})
		s.more = len(msg.rows) == msg.limit
		for len(s.pages) > maxHeldPages {
			s.dropped = append(s.dropped, s.pages[0].after)
			s.base += len(s.pages[0].rows)
			s.pages = s.pages[1:]
		}
	case pagePrev:
		if len(s.dropped) == 0 || msg.after != s.dropped[len(s.dropped)-1] || len(s.pages) == 0 {
			return nil
		}
		s.dropped = s.dropped[:len(s.dropped)-1]
		first := s.row(s.base)
		var rows []*store.Charge
		for _, c := range msg.rows {
			if first == nil || c.Cursor().Newer(first.Cursor()) { // rows inserted since are not counted twice
				rows = append(rows, c)
			}
		}
		s.pages = append([]page{{after: msg.after, rows: rows}}, s.pages...)
		s.base -= len(rows)
		if len(s.dropped) == 0 && s.base != 0 || s.base < 0 {
			s.sel, s.top, s.base = s.sel-s.base, s.top-s.base, 0
		}
		for len(s.pages) > maxHeldPages {
			s.pages, s.more = s.pages[:len(s.pages)-1], true
		}
	case pageTop:
		s.gotTop(msg.rows, msg.limit)
	}
	s.scrollTo(s.sel)
	if s.topAgain && s.base == 0 {
		s.topAgain = false
		return s.reloadTop()
	}
	return s.prefetch()
}

// gotTop replaces what is held (the list was at its top) with a fresh read,
// keeping the selection on the same charge.
func (s *lookupScreen) gotTop(rows []*store.Charge, limit int) {
	var id int64
	if c := s.selected(); c != nil {
		id = c.ID
	}
	// The selection keeps its place on screen, except at the very top,
	// where new rows show above it.
	off, atTop := s.sel-s.top, s.top == 0
	s.pages, s.dropped, s.base = []page{{rows: rows}}, nil, 0
	s.sel = min(max(s.sel, 0), max(0, len(rows)-1))
	for i, c := range rows {
		if c.ID == id {
			s.sel, s.top = i, max(0, i-off)
			if atTop {
				s.top = 0
			}
			break
		}
	}
	s.top = min(s.top, s.sel)
	s.more = len(rows) == limit
}

// reloadTop reads the rows from the top again, as many as are held.
func (s *lookupScreen) reloadTop() tea.Cmd {
	if s.loading != pageNone {
		s.topAgain = true
		return nil
	}
	s.loading = pageTop
	n := min(max(s.held(), s.pageSize()), store.MaxLimit)
	return fetchPage(s.reads.context(s.env.ctx), s.env.backend, s.seq, pageTop, s.plan.q, store.Cursor{}, n)
}

// changed is a store change: a held row is read again; otherwise, at the
// top of the list, the top is read again (a new charge may belong there).
func (s *lookupScreen) changed(id int64) tea.Cmd {
	for _, p := range s.pages {
		for _, c := range p.rows {
			if c.ID == id {
				return reloadRow(s.reads.context(s.env.ctx), s.env.backend, id)
			}
		}
	}
	if s.plan.kind == inBRCode || s.plan.kind == inBad || !s.searched {
		return nil
	}
	var cmds []tea.Cmd
	if s.base == 0 {
		cmds = append(cmds, s.reloadTop())
	}
	return tea.Batch(append(cmds, s.recount())...)
}

// replace puts a reloaded charge in place of its row.
func (s *lookupScreen) replace(c *store.Charge) {
	for _, p := range s.pages {
		for i, r := range p.rows {
			if r.ID == c.ID {
				p.rows[i] = c
				return
			}
		}
	}
}

// lastCursor is where the next page starts.
func (s *lookupScreen) lastCursor() store.Cursor {
	p := s.pages[len(s.pages)-1]
	if len(p.rows) == 0 {
		return p.after
	}
	return p.rows[len(p.rows)-1].Cursor()
}

// move shifts the selection within the rows held (the next page is read
// before the selection reaches the end).
func (s *lookupScreen) move(d int) tea.Cmd {
	end := s.base + s.held()
	if end == s.base {
		return nil
	}
	s.sel = min(max(s.sel+d, s.base), end-1)
	s.scrollTo(s.sel)
	return s.prefetch()
}

// scrollTo keeps row i on screen.
func (s *lookupScreen) scrollTo(i int) {
	v := s.visible()
	if i < s.top {
		s.top = i
	}
	if i >= s.top+v {
		s.top = i - v + 1
	}
	s.top = max(s.top, s.base)
}

// prefetch reads the page the selection is heading to, one at a time.
func (s *lookupScreen) prefetch() tea.Cmd {
	if s.loading != pageNone || len(s.pages) == 0 {
		return nil
	}
	margin := s.visible()
	b := s.env.backend
	switch {
	case s.more && s.sel >= s.base+s.held()-margin:
		s.loading = pageNext
		return fetchPage(s.reads.context(s.env.ctx), b, s.seq, pageNext, s.plan.q, s.lastCursor(), s.pageSize())
	case len(s.dropped) > 0 && s.top < s.base+margin:
		s.loading = pagePrev
		return fetchPage(s.reads.context(s.env.ctx), b, s.seq, pagePrev, s.plan.q, s.dropped[len(s.dropped)-1], s.pageSize())
	}
	return nil
}
