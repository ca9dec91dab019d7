package ui

import (
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// lookupScreen is the support lookup: a search box that accepts whatever
// the customer has, filters, and the matching transactions newest first.
//
// The list never holds more than a few pages: rows are read with keyset
// paging (store.Query.After) as the selection nears either end of what is
// held, and pages far from it are dropped, so a million rows scroll in
// constant memory. The cursors of dropped leading pages are kept (a few
// bytes each) to read them again when scrolling back.
type lookupScreen struct {
	env           *env
	keys          lookupKeys
	width, height int
	reads         scope // the current search's reads, cancelled when it is superseded

	input textinput.Model
	// prompt asks for a period, a terminal or an export path.
	prompt     textinput.Model
	promptKind promptKind
	promptErr  string

	f        filters
	plan     plan
	seq      int // of the latest search; older answers are dropped
	asked    int // the latest search sent (a debounce due after it is moot)
	shown    int // the search whose first page is on screen
	typed    string
	debounce time.Duration // tests set 0 to search at once
	// opening: Enter was pressed while the rows on screen answered older
	// text; the first row of search openSeq is opened when it arrives.
	opening bool
	openSeq int

	// The rows held: contiguous pages, pages[0] starting at index base.
	pages    []page
	base     int
	dropped  []store.Cursor // after-cursors of the pages dropped in front
	more     bool           // older rows exist past the last page
	loading  pageDir        // a page in flight
	sel      int            // selected row, absolute index
	top      int            // first visible row, absolute index
	searched bool           // the current plan's first page arrived

	total      int
	counted    bool
	countBusy  bool
	countAgain bool
	topAgain   bool // a change arrived while the top was being read

	remote     *psp.CashIn
	remoteErr  error
	remoteBusy bool

	err       string // the last failure, shown under the list
	note      string // the last export's outcome
	noteBad   bool
	exporting bool
}

var _ screen = (*lookupScreen)(nil)

// page is one keyset page: the rows read after the cursor after.
type page struct {
	after store.Cursor
	rows  []*store.Charge
}

// promptKind is what the prompt line asks for.
type promptKind int

const (
	promptNone promptKind = iota
	promptRange
	promptTerminal
	promptExport
)

// maxHeldPages bounds the rows in memory to a few pages.
const maxHeldPages = 4

func newLookup(e *env) *lookupScreen {
	s := &lookupScreen{env: e, keys: newLookupKeys(e.lang), debounce: searchDebounce}
	s.input = newInput(e.styles)
	s.input.Placeholder = e.lang.s(kSearchPlaceholder)
	s.input.CharLimit = 600 // a BR Code is at most 512
	s.prompt = newInput(e.styles)
	return s
}

// newInput returns a text input in the console's style.
func newInput(st Styles) textinput.Model {
	ti := textinput.New()
	ti.Prompt = ""
	ti.PromptStyle = st.r.NewStyle()
	ti.TextStyle = st.r.NewStyle()
	ti.PlaceholderStyle = st.Muted
	ti.CompletionStyle = st.Muted
	ti.Cursor.Style = st.r.NewStyle().Reverse(true)
	ti.Cursor.TextStyle = st.r.NewStyle()
	// A steady cursor: a blinking one redraws the screen twice a second
	// for nothing.
	ti.Cursor.SetMode(cursor.CursorStatic)
	return ti
}

// typed is a key for one of the lookup's text inputs, without the
// invisible runes (bidi controls, zero-width characters) bubbles' input
// keeps — it drops only controls — and would draw as they are. What the
// cashier pastes there (an id, a BR Code, a path) never needs them.
func typed(msg tea.KeyMsg) tea.KeyMsg {
	if msg.Type != tea.KeyRunes || safetext.Visible(string(msg.Runes)) {
		return msg
	}
	keep := make([]rune, 0, len(msg.Runes))
	for _, r := range msg.Runes {
		if !safetext.Unsafe(r) {
			keep = append(keep, r)
		}
	}
	msg.Runes = keep
	return msg
}

// start focuses the search box and lists the newest transactions.
func (s *lookupScreen) start() tea.Cmd {
	focus := s.input.Focus()
	if s.searched || s.loading == pageFirst {
		return focus
	}
	return tea.Batch(focus, s.search())
}

func (s *lookupScreen) setSize(w, h int) {
	s.width, s.height = w, h
	s.input.Width = max(10, w-lipgloss.Width(s.env.lang.s(kSearchLabel))-3)
	s.prompt.Width = max(10, w/2)
	s.scrollTo(s.sel)
}

// typing reports whether keys go to a text input (help stays a letter).
func (s *lookupScreen) typing() bool { return true }

func (s *lookupScreen) shows() int64 { return 0 }

func (s *lookupScreen) captures() bool { return false }

// visible is how many rows the list shows.
func (s *lookupScreen) visible() int { return max(1, s.height-lookupChrome) }

// lookupChrome: search, filters, hint, column header and footer lines.
const lookupChrome = 5

// pageSize is a window of rows and a margin.
func (s *lookupScreen) pageSize() int { return min(max(s.visible()+20, 20), store.MaxLimit) }

// held is how many rows are in memory.
func (s *lookupScreen) held() int {
	n := 0
	for _, p := range s.pages {
		n += len(p.rows)
	}
	return n
}

// row returns the row at absolute index i, or nil.
func (s *lookupScreen) row(i int) *store.Charge {
	i -= s.base
	for _, p := range s.pages {
		if i < 0 {
			return nil
		}
		if i < len(p.rows) {
			return p.rows[i]
		}
		i -= len(p.rows)
	}
	return nil
}

// selected is the row under the selection.
func (s *lookupScreen) selected() *store.Charge { return s.row(s.sel) }

func (s *lookupScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return s.key(msg)
	case searchDueMsg:
		if msg.seq == s.seq && s.asked != s.seq {
			return s.search()
		}
		return nil
	case pageMsg:
		return s.gotPage(msg)
	case countMsg:
		if msg.seq == s.seq {
			s.countBusy = false
			if msg.err == nil {
				s.total, s.counted = msg.n, true
			}
			if s.countAgain {
				s.countAgain = false
				return s.recount()
			}
		}
		return nil
	case remoteMsg:
		if msg.seq != s.seq {
			return nil
		}
		s.remoteBusy, s.remote, s.remoteErr = false, msg.ci, msg.err
		if s.opening && s.openSeq == msg.seq {
			s.opening = false
			if msg.ci != nil {
				s.env.tell(openDetailMsg{ci: msg.ci})
				return nil
			}
		}
		return nil
	case rowMsg:
		if msg.err == nil && msg.c != nil {
			s.replace(msg.c)
		}
		return nil
	case exportedMsg:
		s.exporting = false
		if msg.err != nil {
			s.note, s.noteBad = s.env.lang.s(kExportFailed, errText(msg.err)), true
		} else {
			s.note, s.noteBad = s.env.lang.n(kExported, msg.n, thousands(s.env.lang, msg.n), msg.path), false
		}
		return s.env.audit(store.AuditExport, 0, exportDetail(msg))
	}
	var cmd tea.Cmd
	if s.promptKind != promptNone {
		s.prompt, cmd = s.prompt.Update(msg)
	} else {
		s.input, cmd = s.input.Update(msg)
	}
	return cmd
}

func (s *lookupScreen) key(msg tea.KeyMsg) tea.Cmd {
	k := s.keys
	if s.promptKind != promptNone {
		switch {
		case key.Matches(msg, k.Accept):
			return s.acceptPrompt()
		case key.Matches(msg, k.Cancel):
			if s.promptKind == promptRange && s.f.from.IsZero() {
				s.f.period = periodAll // no dates were given: nothing filters by them
			}
			s.closePrompt()
			return s.input.Focus()
		}
		var cmd tea.Cmd
		s.prompt, cmd = s.prompt.Update(typed(msg))
		s.promptErr = ""
		return cmd
	}
	if s.opening && key.Matches(msg, k.Up, k.Down, k.PgUp, k.PgDown) {
		// The cashier moves instead: the pending open no longer says
		// which row is meant.
		s.opening = false
	}
	switch {
	case key.Matches(msg, k.Up):
		return s.move(-1)
	case key.Matches(msg, k.Down):
		return s.move(1)
	case key.Matches(msg, k.PgUp):
		return s.move(-s.visible())
	case key.Matches(msg, k.PgDown):
		return s.move(s.visible())
	case key.Matches(msg, k.Open):
		return s.open()
	case key.Matches(msg, k.Status):
		n := len(psp.Statuses) + 1
		if msg.String() == "shift+tab" {
			s.f.status = (s.f.status + n - 1) % n
		} else {
			s.f.status = (s.f.status + 1) % n
		}
		return s.refilter()
	case key.Matches(msg, k.Period):
		s.f.period = (s.f.period + 1) % periodCount
		if s.f.period == periodCustom {
			return s.openPrompt(promptRange, "")
		}
		return s.refilter()
	case key.Matches(msg, k.Terminal):
		return s.openPrompt(promptTerminal, s.f.terminal)
	case key.Matches(msg, k.Export):
		if s.exporting {
			return nil
		}
		if !s.env.authorised() {
			s.note, s.noteBad = s.env.lang.s(kNeedAuthority), true
			return s.env.audit(store.AuditExport, 0, map[string]string{"outcome": "refused"})
		}
		return s.openPrompt(promptExport, defaultExportPath(s.env.now, s.env.cfg.Location))
	case key.Matches(msg, k.Clear):
		if s.input.Value() != "" {
			s.input.SetValue("")
			return s.refilter()
		}
		s.env.tell(closeLookupMsg{})
		return nil
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(typed(msg))
	if v := s.input.Value(); v != s.typed {
		s.typed = v
		s.seq++
		s.reads.end() // the search of the text before is moot
		return tea.Batch(cmd, searchLater(s.seq, s.debounce))
	}
	return cmd
}

// open opens the selected row. Rows that answer older text than what is
// typed are not what the cashier is looking at in their mind: the search
// for the text is run now (skipping its debounce) and its first row is
// opened when it arrives — or nothing, if nothing matches.
func (s *lookupScreen) open() tea.Cmd {
	if s.shown != s.seq {
		s.opening, s.openSeq = true, s.seq
		if s.asked != s.seq {
			return s.search()
		}
		return nil
	}
	if c := s.selected(); c != nil {
		s.env.tell(openDetailMsg{c: c})
		return nil
	}
	if s.remote != nil {
		s.env.tell(openDetailMsg{ci: s.remote})
		return nil
	}
	return nil
}

// refilter searches at once (a filter changed: no typing to wait for).
func (s *lookupScreen) refilter() tea.Cmd {
	s.typed = s.input.Value()
	s.seq++
	return s.search()
}

// search starts the current text and filters over: the first page, the
// count, or the lookup of a pasted BR Code. The rows shown stay until the
// answer replaces them.
func (s *lookupScreen) search() tea.Cmd {
	s.plan = makePlan(s.input.Value(), s.f, s.env.now, s.env.cfg.Location)
	s.asked = s.seq
	s.remote, s.remoteErr, s.remoteBusy, s.err = nil, nil, false, ""
	s.counted, s.countBusy, s.countAgain, s.topAgain = false, false, false, false
	b, seq, ctx := s.env.backend, s.seq, s.reads.renew(s.env.ctx)
	switch s.plan.kind {
	case inBad:
		s.clear()
		s.searched, s.total, s.counted, s.shown = true, 0, true, s.seq
		s.opening = false // nothing to open: the hint line says why
		return nil
	case inBRCode:
		s.loading = pageFirst
		return findCode(ctx, b, seq, s.plan.code, s.plan.q)
	}
	s.loading, s.countBusy = pageFirst, true
	return tea.Batch(fetchPage(ctx, b, seq, pageFirst, s.plan.q, store.Cursor{}, s.pageSize()), countCharges(ctx, b, seq, s.plan.q))
}

// clear empties the list.
func (s *lookupScreen) clear() {
	s.pages, s.dropped, s.base, s.sel, s.top, s.more, s.loading = nil, nil, 0, 0, 0, false, pageNone
}

// recount counts again after a change, one count at a time.
func (s *lookupScreen) recount() tea.Cmd {
	if s.plan.kind == inBRCode || s.plan.kind == inBad {
		return nil
	}
	if s.countBusy {
		s.countAgain = true
		return nil
	}
	s.countBusy = true
	return countCharges(s.reads.context(s.env.ctx), s.env.backend, s.seq, s.plan.q)
}
