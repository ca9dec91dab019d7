package ui

import (
	"errors"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/internal/export"
	"github.com/pixdesk/pixdesk/store"
)

// The lookup's prompt line: a custom period, a terminal, an export path.

// openPrompt asks for a value on the prompt line.
func (s *lookupScreen) openPrompt(k promptKind, value string) tea.Cmd {
	s.promptKind, s.promptErr = k, ""
	s.prompt.SetValue(value)
	s.prompt.CursorEnd()
	s.input.Blur()
	return s.prompt.Focus()
}

func (s *lookupScreen) closePrompt() {
	s.promptKind, s.promptErr = promptNone, ""
	s.prompt.Blur()
}

// acceptPrompt applies what was typed on the prompt line.
func (s *lookupScreen) acceptPrompt() tea.Cmd {
	v := strings.TrimSpace(s.prompt.Value())
	l := s.env.lang
	switch s.promptKind {
	case promptRange:
		from, to, err := parseRange(v, s.env.cfg.Location)
		if err != nil {
			s.promptErr = l.s(kRangeBad)
			return nil
		}
		s.f.from, s.f.to = from, to
	case promptTerminal:
		s.f.terminal = v
	case promptExport:
		if v == "" {
			s.promptErr = l.s(kExportNoPath)
			return nil
		}
		s.closePrompt()
		s.exporting, s.note = true, ""
		return tea.Batch(s.input.Focus(), s.export(v))
	}
	s.closePrompt()
	return tea.Batch(s.input.Focus(), s.refilter())
}

// export writes the search of the text typed to path — that text's, even
// when its debounced search has not run yet: the file holds what the
// cashier asked for, not the rows of the text before.
func (s *lookupScreen) export(path string) tea.Cmd {
	opt := export.Options{Lang: string(s.env.lang), Location: s.env.cfg.Location}
	p := s.plan
	if s.asked != s.seq {
		p = makePlan(s.input.Value(), s.f, s.env.now, s.env.cfg.Location)
	}
	switch p.kind {
	case inBRCode:
		var rows []*store.Charge
		for _, pg := range s.pages {
			rows = append(rows, pg.rows...)
		}
		if s.shown != s.seq {
			rows = nil // the rows held answer other text
		}
		return exportRows(path, rows, opt)
	case inBad:
		return emit(exportedMsg{path: path, err: errors.New(s.env.lang.s(kExportNothing))})
	}
	return exportQuery(s.env.ctx, s.env.backend, path, p.q, opt)
}
