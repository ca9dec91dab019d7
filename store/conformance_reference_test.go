package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pixdesk/pixdesk/psp"
)

// testFindByReference: FindByReference reads its argument as an order
// reference and as nothing else, exactly. References shaped like another
// charge's local id, internal code or transactionId, or like a payer's
// name, name their own charge. (The lookup it replaced, Find then a text
// Search, returned ErrNotFound for the code- and transactionId-shaped
// ones: Search took them for what they look like.)
func testFindByReference(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	cs, is := searchFixture(t, db)
	withRef := func(ref string) *Charge {
		c, _ := newCharge(t, db, func(n *NewCharge) { n.ExternalReference = ref })
		return c
	}
	want := map[string]int64{cs[0].ExternalReference: cs[0].ID}
	for _, ref := range []string{fmt.Sprint(cs[1].ID), is[2].code, is[0].tx, is[3].e2e, "Maria", "23858488135"} {
		want[ref] = withRef(ref).ID
	}
	for ref, id := range want {
		if c, err := db.FindByReference(ctx, ref); err != nil || c.ID != id || c.ExternalReference != ref {
			t.Errorf("FindByReference(%q) = %+v, %v; want charge %d", ref, c, err, id)
		}
	}
	for _, ref := range []string{"", " " + cs[0].ExternalReference, strings.ToUpper(cs[0].ExternalReference),
		cs[0].ExternalReference[:4], "maria", fmt.Sprint(cs[2].ID), is[1].code} {
		if c, err := db.FindByReference(ctx, ref); !errors.Is(err, ErrNotFound) {
			t.Errorf("FindByReference(%q) = %+v, %v; want ErrNotFound", ref, c, err)
		}
	}
	if !db.postgres { // PostgreSQL plans a table this small by a scan
		plan := planOf(t, db, "SELECT "+chargeCols+" FROM charges WHERE "+referenceWhere, cs[0].ExternalReference)
		if !strings.Contains(plan, "charges_reference") {
			t.Errorf("FindByReference does not use charges_reference:\n%s", plan)
		}
	}
}

// testReplaceReference: a pending charge whose reference ConnectPSP already
// had takes its terminal's next free reference and a new key, stored at
// once; the key the refused request carried must still be the charge's, so
// of two replacers racing on one refusal exactly one wins, and a charge
// that is no longer pending is never moved.
func testReplaceReference(t *testing.T, o *opener) {
	ctx := context.Background()
	db := o.open(t)
	intent := func(ref string) *Charge {
		t.Helper()
		c, err := db.CreateIntent(ctx, NewCharge{Terminal: "R01", ExternalReference: ref, Amount: 700,
			Payer: psp.Payer{Name: "Ana Lima", Document: "12345678909"}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := intent("R01-000001")
	intent("R01-000002") // in the journal already: skipped
	oldKey := c.IdempotencyKey
	got, err := db.ReplaceReference(ctx, c.ID, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if got.ExternalReference != "R01-000003" || got.ReplacedReference != "R01-000001" ||
		got.IdempotencyKey == oldKey || got.IdempotencyKey == "" || got.Stage != StagePending {
		t.Fatalf("after ReplaceReference: ref %q replaced %q key %q (old %q) stage %s",
			got.ExternalReference, got.ReplacedReference, got.IdempotencyKey, oldKey, got.Stage)
	}
	if stored := mustGet(t, db, c.ID); stored.ExternalReference != got.ExternalReference ||
		stored.IdempotencyKey != got.IdempotencyKey || stored.ReplacedReference != "R01-000001" || stored.Version <= c.Version {
		t.Fatalf("stored charge %+v, want what ReplaceReference returned", stored)
	}
	if _, err := db.FindByReference(ctx, "R01-000001"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the given-up reference still names a charge: %v", err)
	}
	es := timeline(t, db, c.ID)
	last := es[len(es)-1]
	if last.Kind != EntryReferenceReplaced || last.Facts.Reference != "R01-000003" || last.Facts.Replaced != "R01-000001" ||
		last.Facts.IdempotencyKey != got.IdempotencyKey {
		t.Errorf("last entry %+v", last)
	}
	// The refused key is no longer the charge's: a second replacer of the
	// same refusal changes nothing.
	if _, err := db.ReplaceReference(ctx, c.ID, oldKey); !errors.Is(err, ErrConflict) {
		t.Errorf("replacing with a stale key: %v, want ErrConflict", err)
	}
	// Moving on again keeps the first reference as the one replaced.
	again, err := db.ReplaceReference(ctx, c.ID, got.IdempotencyKey)
	if err != nil || again.ExternalReference != "R01-000004" || again.ReplacedReference != "R01-000001" {
		t.Fatalf("second replacement: %+v, %v", again, err)
	}
	// Racing replacers of one refusal: exactly one wins.
	race := intent("R01-000009")
	var (
		wg   sync.WaitGroup
		wins atomic.Int32
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := db.ReplaceReference(ctx, race.ID, race.IdempotencyKey)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, ErrConflict):
				t.Errorf("racing ReplaceReference: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d racing replacements won, want 1", wins.Load())
	}
	// A charge ConnectPSP created, or refused, keeps its reference.
	created, _ := newCharge(t, db)
	if _, err := db.ReplaceReference(ctx, created.ID, created.IdempotencyKey); !errors.Is(err, ErrConflict) {
		t.Errorf("replacing a created charge's reference: %v, want ErrConflict", err)
	}
	rejected := intent("R01-000020")
	if _, err := db.RecordRejected(ctx, rejected.ID, psp.CodeDuplicateReference, "taken"); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, db, rejected.ID); got.RejectCode != psp.CodeDuplicateReference || got.RejectReason != "taken" {
		t.Errorf("rejected charge keeps code %q, reason %q", got.RejectCode, got.RejectReason)
	}
	if _, err := db.ReplaceReference(ctx, rejected.ID, rejected.IdempotencyKey); !errors.Is(err, ErrConflict) {
		t.Errorf("replacing a rejected charge's reference: %v, want ErrConflict", err)
	}
}

func TestIsSequenceReference(t *testing.T) {
	for _, tc := range []struct {
		terminal, ref string
		want          bool
	}{
		{"C01", "C01-000123", true},
		{"C01", "C01-1234567", true},
		{"caixa3-k7pq2m", "caixa3-k7pq2m-000001", true},
		{"", "PIX-000001", true},
		{"C01", "C02-000123", false},
		{"C01", "C01-00012", false},
		{"C01", "C01-00012a", false},
		{"C01", "C01-+00012", false},
		{"C01", "PEDIDO-55", false},
		{"C01", "C01000123", false},
	} {
		if got := IsSequenceReference(tc.terminal, tc.ref); got != tc.want {
			t.Errorf("IsSequenceReference(%q, %q) = %v, want %v", tc.terminal, tc.ref, got, tc.want)
		}
	}
}
