package engine

import (
	"testing"

	"github.com/pixdesk/pixdesk/store"
)

// The change feed says whose a charge is and whether it is still open, and
// the engine believes it: a change that says closed, or another counter's
// when the engine watches only its own, is passed over without reading the
// charge — here an open one, which a read would schedule. A change that
// says nothing (from a pixdesk before the feed said it) is read.
func TestConsiderPassesOverWhatTheFeedRulesOut(t *testing.T) {
	f := setup(t)
	ch := f.create(New(f.config()), Input{}) // T1's, awaiting payment
	for _, tc := range []struct {
		name    string
		change  store.Change
		pollAll bool
		want    bool
	}{
		{"closed", store.Change{ChargeID: ch.ID, Version: ch.Version, Terminal: "T1"}, false, false},
		{"another counter's", store.Change{ChargeID: ch.ID, Version: ch.Version, Terminal: "T2", Open: true}, false, false},
		{"another counter's, polling all", store.Change{ChargeID: ch.ID, Version: ch.Version, Terminal: "T2", Open: true}, true, true},
		{"open, ours", store.Change{ChargeID: ch.ID, Version: ch.Version, Terminal: "T1", Open: true}, false, true},
		{"says nothing", store.Change{ChargeID: ch.ID, Version: ch.Version}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.config()
			cfg.PollAll = tc.pollAll
			e := New(cfg)
			e.consider(f.ctx, tc.change)
			e.mu.Lock()
			_, scheduled := e.sched[ch.ID]
			e.mu.Unlock()
			if scheduled != tc.want {
				t.Errorf("scheduled %v, want %v", scheduled, tc.want)
			}
		})
	}
}
