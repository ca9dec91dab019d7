package engine

import (
	"bytes"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// refused reports whether the receiver must refuse j: it fails verification.
func (j *stormJob) refused() bool { return j.kind == kindForged || j.kind == kindTampered }

// sameBytes is the deliveries of one body to one charge (or to none): the
// first is recorded, the rest are its replays.
type sameBytes struct {
	jobs          []*stormJob
	firsts, lines int // timeline entries found: the delivery, its replay line
}

// checkJournal checks the store against what was sent. Refused deliveries
// must have left no trace on any charge and be counted exactly; every
// other body sent to a charge is one timeline entry, plus one line for its
// byte-identical replays when it was sent more than once.
func checkJournal(t *testing.T, f *fixture, e *Engine, charges []*stormCharge, jobs []*stormJob) {
	t.Helper()
	type sent struct {
		bodies   map[string]*sameBytes // body → its deliveries
		byID     map[string]*sameBytes // event id → its body's deliveries
		final    psp.Status
		flags    store.Flag
		paid     psp.Amount
		applies  map[psp.Status]bool // statuses a genuine delivery must apply
		namedBad int                 // refused deliveries naming it
	}
	exp := map[*stormCharge]*sent{}
	for _, c := range charges {
		exp[c] = &sent{bodies: map[string]*sameBytes{}, byID: map[string]*sameBytes{},
			final: psp.StatusAwaitingPayment, applies: map[psp.Status]bool{}}
	}
	unmatched := map[string]*sameBytes{}
	refusals := 0
	for _, j := range jobs {
		if j.refused() {
			refusals++
			if j.on != nil {
				exp[j.on].namedBad++
			}
			continue
		}
		if j.unmatched != "" {
			g := unmatched[string(j.body)]
			if g == nil {
				g = &sameBytes{}
				unmatched[string(j.body)] = g
			}
			g.jobs = append(g.jobs, j)
		}
		if j.on == nil {
			continue
		}
		x := exp[j.on]
		g := x.bodies[string(j.body)]
		if g == nil {
			g = &sameBytes{}
			x.bodies[string(j.body)] = g
		}
		g.jobs = append(g.jobs, j)
		x.byID[j.eventID] = g
		if j.kind != kindGenuine {
			continue
		}
		if !j.backwards {
			x.applies[j.status] = true
		}
		switch {
		case j.status == psp.StatusRefunded:
			x.final = psp.StatusRefunded
		case x.final == psp.StatusAwaitingPayment:
			x.final = psp.StatusPaid
		}
		if j.amount != j.on.amount {
			x.flags |= store.FlagAmountMismatch
		}
		if j.backwards {
			x.flags |= store.FlagBackwards
		}
		if j.status == psp.StatusPaid || x.paid == 0 {
			x.paid = j.amount
		}
	}

	var wrongStatus, hostileChanges, problems int
	byFinal := map[psp.Status]int{}
	var replayLines, backwards, namedBad int
	fail := func(format string, args ...any) {
		t.Helper()
		problems++
		if problems <= 30 {
			t.Errorf(format, args...)
		}
	}
	for _, c := range charges {
		x := exp[c]
		namedBad += x.namedBad
		got := f.get(c.id)
		byFinal[got.Status]++
		if got.Status != x.final {
			wrongStatus++
			fail("charge %d (%s): status %s, want %s", c.id, c.group, got.Status, x.final)
		}
		if got.Flags != x.flags {
			fail("charge %d (%s): flags %q, want %q (%d refused deliveries named it)", c.id, c.group, got.Flags, x.flags, x.namedBad)
		}
		if got.Amount != c.amount {
			fail("charge %d (%s): amount %s, want %s unchanged", c.id, c.group, got.Amount, c.amount)
		}
		if x.final == psp.StatusAwaitingPayment {
			// Only hostile deliveries named it: nothing they carried may
			// have landed.
			if got.PaidAmount != 0 || !got.PaidAt.IsZero() || !got.RefundedAt.IsZero() || got.EndToEndID != "" || got.Payer.BankData != nil {
				hostileChanges++
				fail("charge %d (%s): payment details from hostile deliveries: paid %s at %v, refunded %v, e2e %q, bank %v",
					c.id, c.group, got.PaidAmount, got.PaidAt, got.RefundedAt, got.EndToEndID, got.Payer.BankData)
			}
		} else if got.PaidAmount != x.paid || got.PaidAt.IsZero() || got.Payer.BankData == nil {
			fail("charge %d (%s): paid %s at %v (bank %v), want %s", c.id, c.group, got.PaidAmount, got.PaidAt, got.Payer.BankData, x.paid)
		}
		if x.final == psp.StatusRefunded && (got.RefundedAt.IsZero() || !strings.HasPrefix(got.EndToEndID, "D") || !strings.HasPrefix(got.OriginalEndToEndID, "E")) {
			fail("charge %d (%s): refunded at %v, e2e %q, original %q", c.id, c.group, got.RefundedAt, got.EndToEndID, got.OriginalEndToEndID)
		}

		tl, err := f.db.Timeline(f.ctx, c.id)
		if err != nil {
			t.Fatalf("timeline %d: %v", c.id, err)
		}
		statusEntries := map[psp.Status]int{}
		applied := map[psp.Status]int{}
		for _, en := range tl {
			switch en.Kind {
			case store.EntryStatus:
				statusEntries[en.Status]++
			case store.EntryWebhook:
				id := en.Facts.EventID
				g := x.byID[id]
				if g == nil {
					fail("charge %d (%s): timeline has a delivery not sent to it: %+v (%s)", c.id, c.group, en.Facts, en.Outcome)
					continue
				}
				j, out := g.jobs[0], store.Outcome(en.Outcome)
				if en.Facts.Replayed {
					g.lines++
					replayLines++
					if out != store.OutcomeDuplicate || en.TimesSeen != len(g.jobs)-1 {
						fail("charge %d (%s): replay line %+v (%s, ×%d) for %d deliveries of one body", c.id, c.group, en.Facts, out, en.TimesSeen, len(g.jobs))
					}
					continue
				}
				g.firsts++
				switch {
				case j.kind != kindGenuine:
					if out != j.wantOutcome {
						fail("charge %d (%s): %s delivery %s recorded %s, want %s", c.id, c.group, j.kind, id, out, j.wantOutcome)
					}
				case j.backwards:
					if out != store.OutcomeBackwards {
						fail("charge %d (%s): %s after REFUNDED recorded %s, want backwards", c.id, c.group, j.status, out)
					}
					backwards++
				case out == store.OutcomeApplied:
					applied[j.status]++
				default:
					fail("charge %d (%s): %s delivery %s recorded %s, want applied", c.id, c.group, j.status, id, out)
				}
			}
		}
		for _, g := range x.bodies {
			wantLines := 0
			if len(g.jobs) > 1 {
				wantLines = 1
			}
			if g.firsts != 1 || g.lines != wantLines {
				fail("charge %d (%s): %d deliveries of one %s body: %d entries and %d replay lines, want 1 and %d",
					c.id, c.group, len(g.jobs), g.jobs[0].kind, g.firsts, g.lines, wantLines)
			}
		}
		// Every status reached once, along AWAITING → PAID → REFUNDED.
		want := map[psp.Status]int{psp.StatusAwaitingPayment: 1}
		if x.final != psp.StatusAwaitingPayment {
			want[psp.StatusPaid] = 1
		}
		if x.final == psp.StatusRefunded {
			want[psp.StatusRefunded] = 1
		}
		if !maps.Equal(statusEntries, want) {
			fail("charge %d (%s): status entries %v, want %v", c.id, c.group, statusEntries, want)
		}
		// Exactly one delivery applied per status a genuine event carried,
		// except PAID arriving after REFUNDED (backwards).
		wantApplied := map[psp.Status]int{}
		for st := range x.applies {
			wantApplied[st] = 1
		}
		if !maps.Equal(applied, wantApplied) {
			fail("charge %d (%s): deliveries applied %v, want %v", c.id, c.group, applied, wantApplied)
		}
	}
	if wrongStatus > 0 || hostileChanges > 0 {
		t.Errorf("%d charges in a wrong status, %d changed by hostile deliveries", wrongStatus, hostileChanges)
	}

	// Deliveries naming no charge: one row per body.
	um, err := f.db.Unmatched(f.ctx, store.MaxLimit)
	if err != nil {
		t.Fatal(err)
	}
	if len(unmatched) >= store.MaxLimit {
		t.Fatalf("test bug: %d unmatched bodies expected, Unmatched lists at most %d", len(unmatched), store.MaxLimit)
	}
	if len(um) != len(unmatched) {
		fail("%d unmatched deliveries recorded, want one per body: %d", len(um), len(unmatched))
	}
	for _, d := range um {
		g := unmatched[string(d.Body)]
		if g == nil {
			fail("unmatched delivery %s (%s, %s) was not sent as such", d.EventID, d.Verdict, d.Outcome)
			continue
		}
		j := g.jobs[0]
		switch {
		case !slices.ContainsFunc(g.jobs, func(j *stormJob) bool { return j.eventID == d.EventID }):
			fail("unmatched delivery %s is not one of its body's", d.EventID)
		case d.Outcome != j.unmatched:
			fail("unmatched %s delivery %s recorded %s, want %s", j.kind, d.EventID, d.Outcome, j.unmatched)
		case j.kind == kindUnknown && (d.Verdict != psp.VerdictGenuine || !bytes.Equal(d.Body, j.body)):
			fail("unknown-transaction delivery %s: verdict %s, body kept %v", d.EventID, d.Verdict, bytes.Equal(d.Body, j.body))
		}
	}

	// Refusals: counted, each one, and none on a charge.
	var metrics strings.Builder
	if err := e.WriteMetrics(&metrics); err != nil {
		t.Fatal(err)
	}
	if want := "pixdesk_webhook_refused_total " + strconv.Itoa(refusals) + "\n"; !strings.Contains(metrics.String(), want) {
		fail("metrics lack %q", want)
	}
	if n, err := f.db.RefusedSince(f.ctx, f.now().Add(-time.Hour)); err != nil || n != int64(refusals) {
		fail("journal counts %d refusals (%v), want %d", n, err, refusals)
	}
	t.Logf("journal: final statuses %v; %d replay lines, %d backwards; %d refused (%d naming charges), none on a charge; %d unmatched; %d problems",
		byFinal, replayLines, backwards, refusals, namedBad, len(um), problems)
}
