package ui

import (
	"context"
	"io"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/internal/export"
	"github.com/pixdesk/pixdesk/store"
)

// The lookup's export to CSV: the format and the paging are
// internal/export's, shared with tx list; these are its commands.

// defaultExportPath is ./pixdesk-AAAA-MM-DD.csv for today.
func defaultExportPath(now time.Time, loc *time.Location) string {
	return "./pixdesk-" + now.In(loc).Format("2006-01-02") + ".csv"
}

// exportQuery exports the lookup's search.
func exportQuery(ctx context.Context, b Backend, path string, q store.Query, opt export.Options) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, exportTimeout)
		defer cancel()
		n, err := export.File(ctx, path, b.Search, q, opt)
		return exportedMsg{path, n, err}
	}
}

// exportRows exports rows already held (a BR Code's match).
func exportRows(path string, rows []*store.Charge, opt export.Options) tea.Cmd {
	return func() tea.Msg {
		err := export.WriteFileAtomic(path, func(w io.Writer) error { return export.WriteCSV(w, rows, opt) })
		if err != nil {
			return exportedMsg{path: path, err: err}
		}
		return exportedMsg{path, len(rows), nil}
	}
}
