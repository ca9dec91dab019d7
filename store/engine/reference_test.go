package engine

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
)

// TestCreateRefusesAnExistingReference: one order, one charge. A second
// Create for an order that has a charge stores and sends nothing, and says
// which charge the order has and whether it is the same order (amount and
// payer document, however the document is written) or another.
func TestCreateRefusesAnExistingReference(t *testing.T) {
	f := setup(t)
	e := New(f.config())
	first := f.create(e, Input{Amount: 1250, Reference: "PED-77"})
	created := f.sb.Stats().CashInsCreated
	other := psp.Payer{Name: "Ana Lima", Document: "529.982.247-25"}
	for _, tc := range []struct {
		what string
		in   Input
		same bool
	}{
		{"the same order", Input{Amount: 1250, Payer: payer, Reference: "PED-77"}, true},
		{"the same order, the document bare", Input{Amount: 1250, Payer: psp.Payer{Name: "M. Souza", Document: "12345678909"}, Reference: "PED-77"}, true},
		{"another amount", Input{Amount: 1251, Payer: payer, Reference: "PED-77"}, false},
		{"another payer", Input{Amount: 1250, Payer: other, Reference: "PED-77"}, false},
	} {
		ch, err := e.Create(f.ctx, tc.in)
		var ie *InputError
		var taken *ReferenceExistsError
		switch {
		case ch != nil:
			t.Errorf("%s: Create returned charge %d (%s), %v; want a refusal", tc.what, ch.ID, ch.Stage, err)
		case !errors.As(err, &ie) || ie.Field != FieldReference || !errors.As(err, &taken):
			t.Errorf("%s: Create: %v; want an *InputError about the reference with a *ReferenceExistsError", tc.what, err)
		case taken.Charge.ID != first.ID || taken.Same != tc.same:
			t.Errorf("%s: refused for charge %d, same %v; want charge %d, same %v", tc.what, taken.Charge.ID, taken.Same, first.ID, tc.same)
		}
	}
	if n := f.sb.Stats().CashInsCreated - created; n != 0 {
		t.Errorf("ConnectPSP made %d more charges, want none", n)
	}
	if n, err := f.db.Count(f.ctx, store.Query{}); err != nil || n != 1 {
		t.Errorf("the journal holds %d charges (%v), want 1", n, err)
	}
}

// freshJournal is a second journal on the same sandbox with the same
// terminal id: a counter reinstalled, or a second counter given the
// first's id. Its reference sequence starts again from 1.
func (f *fixture) freshJournal() (*fixture, *Engine) {
	f.t.Helper()
	g := *f
	g.dbPath = f.dbPath + ".fresh"
	g.db = g.openDB()
	cfg := g.config()
	return &g, New(cfg)
}

// TestTakenReferencesMoveOn: a fresh journal reusing a terminal id whose
// references ConnectPSP already has ends with exactly one charge per
// intent. The first charge skips every taken reference, each with a new
// key stored before it is sent, and keeps the first as ReplacedReference;
// the next ones go on from where the sequence got to. An order reference
// the cashier typed is never moved.
func TestTakenReferencesMoveOn(t *testing.T) {
	f := setup(t)
	old := New(f.config())
	const taken = 5
	for range taken {
		f.create(old, Input{})
	}
	g, e := f.freshJournal()
	var made []*store.Charge
	for i := range 3 {
		ch, err := e.Create(f.ctx, Input{Amount: psp.Amount(2000 + i), Payer: payer})
		if err != nil || ch.Stage != store.StageCreated {
			t.Fatalf("Create %d: stage %v, %v", i, ch, err)
		}
		made = append(made, ch)
	}
	if got, want := f.sb.Stats().CashInsCreated, taken+len(made); got != want {
		t.Errorf("sandbox created %d cash-ins, want %d (one per intent)", got, want)
	}
	for i, ch := range made {
		wantRef := fmt.Sprintf("T1-%06d", taken+1+i)
		wantReplaced := ""
		if i == 0 {
			wantReplaced = "T1-000001"
		}
		if ch.ExternalReference != wantRef || ch.ReplacedReference != wantReplaced {
			t.Errorf("charge %d: reference %q (replaced %q), want %q (replaced %q)", i, ch.ExternalReference, ch.ReplacedReference, wantRef, wantReplaced)
		}
		// ConnectPSP's cash-in is this intent's: its reference, amount and
		// the charge's current key.
		ci, err := g.client(f.base, 1).GetCashIn(f.ctx, ch.TransactionID)
		if err != nil || ci.ExternalReference != ch.ExternalReference || ci.Amount != ch.Amount {
			t.Errorf("charge %d at ConnectPSP: %+v, %v", i, ci, err)
		}
	}
	// Every move is on the timeline, each with its own key.
	keys := map[string]bool{}
	moves := 0
	es, err := g.db.Timeline(f.ctx, made[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range es {
		if en.Kind == store.EntryReferenceReplaced {
			moves++
			if keys[en.Facts.IdempotencyKey] {
				t.Errorf("key %s used for two references", en.Facts.IdempotencyKey)
			}
			keys[en.Facts.IdempotencyKey] = true
		}
	}
	if moves != taken {
		t.Errorf("%d moves on the timeline, want %d", moves, taken)
	}
	// A typed order reference that ConnectPSP has is refused, not moved.
	dup, err := e.Create(f.ctx, Input{Amount: 100, Payer: payer, Reference: "T1-000002-X"})
	if err != nil || dup.Stage != store.StageCreated {
		t.Fatalf("a fresh typed reference: %v, %v", dup, err)
	}
}

// TestTypedReferenceTakenIsRefused: a reference the cashier typed names a
// real order; ConnectPSP having it is recorded as a refusal and nothing is
// moved or made.
func TestTypedReferenceTakenIsRefused(t *testing.T) {
	f := setup(t)
	f.create(New(f.config()), Input{Reference: "PEDIDO-55"})
	_, e := f.freshJournal()
	ch, err := e.Create(f.ctx, Input{Amount: 1050, Payer: payer, Reference: "PEDIDO-55"})
	if !errors.Is(err, psp.ErrDuplicateReference) || ch == nil || ch.Stage != store.StageRejected ||
		ch.ExternalReference != "PEDIDO-55" || ch.ReplacedReference != "" {
		t.Fatalf("typed reference taken: %+v, %v; want it rejected as it was", ch, err)
	}
	if n := f.sb.Stats().CashInsCreated; n != 1 {
		t.Errorf("sandbox created %d, want 1", n)
	}
}

// loseAnswer is a transport that delivers every request but loses the
// answer to the nth POST /cash-in (counting from 1), as a connection cut
// after ConnectPSP committed.
type loseAnswer struct {
	n, seen int
	mu      sync.Mutex
}

func (l *loseAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if r.Method != http.MethodPost || r.URL.Path != "/cash-in" {
		return resp, err
	}
	l.mu.Lock()
	l.seen++
	lose := l.seen == l.n
	l.mu.Unlock()
	if lose && err == nil {
		resp.Body.Close()
		return nil, errors.New("connection reset after the request was committed")
	}
	return resp, err
}

// TestMovedReferenceSurvivesALostAnswer: the request under the new
// reference is committed at ConnectPSP but its answer is lost; sending it
// again, with the key stored before it went, makes nothing new.
func TestMovedReferenceSurvivesALostAnswer(t *testing.T) {
	f := setup(t)
	f.create(New(f.config()), Input{})
	g := *f
	g.dbPath = f.dbPath + ".fresh"
	g.db = g.openDB()
	cfg := g.config()
	// The first POST (T1-000001, taken) is refused; the second (T1-000002)
	// is made and its answer lost.
	c, err := psp.NewClient(f.base, f.sb.Credentials(),
		psp.WithHTTPClient(&http.Client{Transport: &loseAnswer{n: 2}}),
		psp.WithRetry(1, time.Millisecond, time.Millisecond, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Client = c
	e := New(cfg)
	ch, err := e.Create(f.ctx, Input{Amount: 990, Payer: payer})
	if ch == nil || ch.Stage != store.StagePending || ch.ExternalReference != "T1-000002" {
		t.Fatalf("Create with the answer lost: %+v, %v; want pending under T1-000002", ch, err)
	}
	if ch, err = e.Resume(f.ctx, ch.ID); err != nil {
		t.Fatalf("Resume: %v", err)
	}
	if ch.Stage != store.StageCreated || ch.ExternalReference != "T1-000002" || ch.ReplacedReference != "T1-000001" {
		t.Fatalf("after the lost answer: stage %s, reference %q (replaced %q)", ch.Stage, ch.ExternalReference, ch.ReplacedReference)
	}
	if st := f.sb.Stats(); st.CashInsCreated != 2 || st.IdempotentReplays != 1 {
		t.Errorf("sandbox created %d, replayed %d; want 2 (one per intent), the lost one replayed once", st.CashInsCreated, st.IdempotentReplays)
	}
}

// TestOldIntentNotMoved: past the key window a refusal of the charge's
// reference may be this very intent's earlier request, sent under a key
// ConnectPSP has forgotten; the charge is not moved (which could make a
// second charge) and the refusal is recorded.
func TestOldIntentNotMoved(t *testing.T) {
	clk := newClock()
	f := setup(t, withClocks(clk.Now, clk.Remote))
	f.create(New(f.config()), Input{})
	_, e := f.freshJournal()
	f.sb.SetFaults(sandbox.Faults{FailNext: 1000})
	ch, _ := e.Create(f.ctx, Input{Amount: 990, Payer: payer})
	if ch == nil || ch.Stage != store.StagePending {
		t.Fatalf("Create while the sandbox fails: %+v", ch)
	}
	f.sb.SetFaults(sandbox.Faults{})
	clk.Advance(keyWindow + time.Minute)
	ch, err := e.Resume(f.ctx, ch.ID)
	if !errors.Is(err, psp.ErrDuplicateReference) || ch.Stage != store.StageRejected || ch.ExternalReference != "T1-000001" {
		t.Fatalf("resent past the key window: %+v, %v; want rejected under its own reference", ch, err)
	}
	if n := f.sb.Stats().CashInsCreated; n != 1 {
		t.Errorf("sandbox created %d, want 1", n)
	}
}
