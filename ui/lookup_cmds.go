package ui

import (
	"context"
	"errors"
	"log/slog"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/brcode"
	"github.com/pixdesk/pixdesk/store"
)

// Lookup timing.
const (
	// searchDebounce is how long typing must pause before a search: long
	// enough to skip the searches of a fast typist's intermediate letters,
	// short enough that rows follow a keystroke within 50 ms (an indexed
	// search takes about 1 ms at a million rows; stale answers are dropped
	// by sequence number).
	searchDebounce = 25 * time.Millisecond
	searchTimeout  = 10 * time.Second
	refundTimeout  = 60 * time.Second
	exportTimeout  = 10 * time.Minute
)

// pageDir says where a fetched page goes in the list.
type pageDir int

const (
	pageNone  pageDir = iota
	pageFirst         // a new search: the list starts over
	pageNext          // older rows, after the last one held
	pagePrev          // newer rows, before the first one held (scrolling back)
	pageTop           // the rows from the top again, after a change
)

// Lookup messages: results of commands, delivered to the lookup or detail
// screen even when it is not in focus.
type (
	// searchDueMsg: typing paused; search if seq is still the latest.
	searchDueMsg struct{ seq int }
	// pageMsg is a page of the list for search seq.
	pageMsg struct {
		seq   int
		dir   pageDir
		after store.Cursor
		limit int
		rows  []*store.Charge
		err   error
	}
	// countMsg is how many charges search seq matches.
	countMsg struct {
		seq int
		n   int
		err error
	}
	// remoteMsg is ConnectPSP's answer about an id the store lacks.
	remoteMsg struct {
		seq int
		ci  *psp.CashIn
		err error
	}
	// rowMsg is one listed charge reloaded after a change.
	rowMsg struct {
		id  int64
		c   *store.Charge
		err error
	}
	// detailMsg is the charge on the detail screen, reloaded or refreshed.
	detailMsg struct {
		id      int64
		c       *store.Charge
		err     error
		refresh bool
	}
	// timelineMsg is a charge's history.
	timelineMsg struct {
		id      int64
		entries []store.Entry
		err     error
	}
	// importedMsg answers the import of a remote transaction.
	importedMsg struct {
		c   *store.Charge
		err error
	}
	// refundedMsg answers a refund request.
	refundedMsg struct {
		id  int64
		c   *store.Charge
		err error
	}
	// exportedMsg reports a CSV export.
	exportedMsg struct {
		path string
		n    int
		err  error
	}

	// Navigation between the lookup, the detail and the counter.
	openDetailMsg struct {
		c  *store.Charge
		ci *psp.CashIn // a transaction not recorded here
	}
	closeDetailMsg struct{}
	reopenQRMsg    struct{ c *store.Charge }
	closeLookupMsg struct{}
)

// searchLater fires searchDueMsg{seq} once typing pauses.
func searchLater(seq int, d time.Duration) tea.Cmd {
	if d <= 0 {
		return emit(searchDueMsg{seq})
	}
	return tea.Tick(d, func(time.Time) tea.Msg { return searchDueMsg{seq} })
}

// fetchPage reads a page of q after the cursor.
func fetchPage(ctx context.Context, b Backend, seq int, dir pageDir, q store.Query, after store.Cursor, limit int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, searchTimeout)
		defer cancel()
		q.After, q.Limit = after, limit
		rows, err := b.Search(ctx, q)
		if superseded(ctx) {
			return nil
		}
		return pageMsg{seq: seq, dir: dir, after: after, limit: limit, rows: rows, err: err}
	}
}

// countCharges counts what q matches.
func countCharges(ctx context.Context, b Backend, seq int, q store.Query) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, searchTimeout)
		defer cancel()
		n, err := b.Count(ctx, q)
		if superseded(ctx) {
			return nil
		}
		return countMsg{seq, n, err}
	}
}

// findCode finds the charge a pasted BR Code belongs to: its stored
// copy-and-paste text, else the txid a static code carries.
func findCode(ctx context.Context, b Backend, seq int, code *brcode.Code, q store.Query) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, searchTimeout)
		defer cancel()
		c, err := b.FindByCopyAndPaste(ctx, code.Raw)
		if superseded(ctx) {
			return nil
		}
		switch {
		case err == nil && c != nil:
			return pageMsg{seq: seq, dir: pageFirst, rows: []*store.Charge{c}}
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return pageMsg{seq: seq, dir: pageFirst, err: err}
		}
		if code.TxID != "" && code.TxID != "***" {
			q.Text, q.Limit = code.TxID, 1
			rows, err := b.Search(ctx, q)
			return pageMsg{seq: seq, dir: pageFirst, rows: rows, err: err}
		}
		return pageMsg{seq: seq, dir: pageFirst}
	}
}

// askRemote asks ConnectPSP about an id the store does not hold.
func askRemote(ctx context.Context, b Backend, seq int, id string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
		defer cancel()
		ci, err := b.Remote(ctx, id)
		if superseded(ctx) {
			return nil
		}
		return remoteMsg{seq, ci, err}
	}
}

// reloadRow reads a listed charge again after a change.
func reloadRow(ctx context.Context, b Backend, id int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		c, err := b.Charge(ctx, id)
		if superseded(ctx) {
			return nil
		}
		return rowMsg{id, c, err}
	}
}

// loadDetail reads the charge on the detail screen; refresh asks
// ConnectPSP first (Backend.Refresh), which records what it says.
func loadDetail(ctx context.Context, b Backend, id int64, refresh bool) tea.Cmd {
	return func() tea.Msg {
		var (
			c   *store.Charge
			err error
		)
		if refresh {
			ctx, cancel := context.WithTimeout(ctx, refreshTimeout)
			defer cancel()
			c, err = b.Refresh(ctx, id)
		} else {
			ctx, cancel := context.WithTimeout(ctx, loadTimeout)
			defer cancel()
			c, err = b.Charge(ctx, id)
		}
		if superseded(ctx) { // the detail was left or shows another charge
			return nil
		}
		return detailMsg{id: id, c: c, err: err, refresh: refresh}
	}
}

// loadTimeline reads a charge's history.
func loadTimeline(ctx context.Context, b Backend, id int64) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		es, err := b.Timeline(ctx, id)
		if superseded(ctx) {
			return nil
		}
		return timelineMsg{id, es, err}
	}
}

// importRemote records a transaction found at ConnectPSP.
func importRemote(ctx context.Context, b Backend, ci *psp.CashIn) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		defer cancel()
		c, err := b.Import(ctx, ci)
		return importedMsg{c, err}
	}
}

// refundCharge sends the refund; the backend stores the key first, so
// sending again after a temporary error refunds once.
func refundCharge(ctx context.Context, b Backend, rec *refundRecord, id int64, reason psp.RefundReason, note string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, refundTimeout)
		defer cancel()
		if rec != nil && rec.approved != "" {
			if err := rec.a.AuthoriseRefund(ctx, rec.at, id, rec.asked, rec.approved); err != nil {
				return refundedMsg{id, nil, err}
			}
		}
		c, err := b.Refund(ctx, id, reason, note)
		if rec != nil {
			d := map[string]string{"reason": string(reason)}
			switch {
			case err != nil:
				d["outcome"], d["error"] = "failed", errText(err)
			case c != nil:
				d["outcome"] = string(c.Status)
			}
			// Before the answer, so that the detail reads the trail with it.
			if _, aerr := rec.a.Audit(ctx, store.NewAudit{Actor: rec.at, Action: store.AuditRefundSent, ChargeID: id, Detail: d}); aerr != nil {
				rec.log.Error("audit", "action", string(store.AuditRefundSent), "charge", id, "err", aerr)
			}
		}
		return refundedMsg{id, c, err}
	}
}

// refundRecord is what the audit trail keeps of a refund: where and by
// whom it is sent, and, the first time it is sent when the shop has
// operators, who asked for it and who approved it (recorded before it is
// sent).
type refundRecord struct {
	a               Authority
	at              store.Actor
	asked, approved string
	log             *slog.Logger
}
