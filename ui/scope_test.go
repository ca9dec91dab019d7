package ui

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/store"
)

// Work the cashier has moved on from stops: the search of the text before
// is cancelled by the next keystroke, and its answer is dropped rather
// than shown as a failure; a detail left cancels its loads; quitting
// cancels every command still running.
func TestSupersededWorkIsCancelled(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		f := newFake()
		manyCharges(f, 30)
		var (
			mu   sync.Mutex
			asks []context.Context
		)
		f.search = func(ctx context.Context, q store.Query) ([]*store.Charge, error) {
			mu.Lock()
			asks = append(asks, ctx)
			mu.Unlock()
			<-ctx.Done() // a store that takes its time
			return nil, ctx.Err()
		}
		m := NewLookup(testConfig(&out), f)
		m.lookup.debounce = 0
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		runCmd(m, m.lookup.start())
		paste(m, "maria")
		mu.Lock()
		n := len(asks)
		mu.Unlock()
		if n == 0 {
			t.Fatal("no search was asked")
		}
		first := asks[n-1]
		if first.Err() != nil {
			t.Fatal("the search was cancelled before anything replaced it")
		}
		m.lookup.debounce = time.Second // the next search waits: only the keystroke itself cancels
		typeText(m, "x")
		synctest.Wait()
		if !errors.Is(first.Err(), context.Canceled) {
			t.Errorf("the search of %q runs on after the next keystroke: %v", "maria", first.Err())
		}
		if m.lookup.err != "" {
			t.Errorf("a superseded search shows as a failure: %q", m.lookup.err)
		}

		c := f.charges[3]
		m.detail.show(c)
		loads := m.detail.reads.ctx
		m.detail.show(f.charges[4])
		if loads.Err() == nil {
			t.Error("a detail's loads run on when it shows another charge")
		}
		loads = m.detail.reads.ctx
		run(m, closeDetailMsg{})
		if loads.Err() == nil {
			t.Error("a detail's loads run on after it was left")
		}

		f.search = nil
		run(m, tea.KeyMsg{Type: tea.KeyCtrlC})
		if m.env.ctx.Err() == nil {
			t.Error("quitting leaves the commands' context running")
		}
	})
}

// A read whose scope ended yields nothing: no failure to show.
func TestSupersededAnswerDropped(t *testing.T) {
	bubble(t, func(t *testing.T) {
		f := newFake()
		var sc scope
		ctx := sc.renew(context.Background())
		sc.end()
		if msgs := drain(fetchPage(ctx, f, 1, pageFirst, store.Query{}, store.Cursor{}, 10)); len(msgs) != 0 {
			t.Errorf("a cancelled read answered %v", msgs)
		}
	})
}
