package export

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// testNow is the fixed clock of these tests, as the ui's.
var testNow = time.Date(2026, 3, 10, 14, 17, 35, 0, time.UTC)

// paidCharge is a charge paid by a bank transfer at the fixed clock.
func paidCharge(id int64) *store.Charge {
	req := testNow.Add(-150 * time.Second)
	return &store.Charge{
		ID: id, Terminal: "caixa-01", ExternalReference: "PD-000042", Amount: 1250, PaidAmount: 1250,
		Payer:     psp.Payer{Name: "João da Silva", Document: "12345678909"},
		CreatedAt: req, Stage: store.StageCreated, Status: psp.StatusPaid,
		TransactionID: "kk6g232xel65a0daee4dd13kk2912714964", InternalCode: "US7B1JQ",
		PaidAt: testNow.Add(-5 * time.Second), EndToEndID: "E00416968202603101422cemeFscF6AG",
	}
}

func TestWriteFileAtomicLeavesNothingOnFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.csv")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteFileAtomic(path, func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("file is %q", b)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("left %v", left)
	}
}

func TestWriteCSVReveal(t *testing.T) {
	var b bytes.Buffer
	c := paidCharge(1)
	if err := WriteCSV(&b, []*store.Charge{c}, Options{Lang: "en", Reveal: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "created_at,terminal,id,") || !strings.Contains(b.String(), ",12345678909,") ||
		!strings.Contains(b.String(), "2026-03-10T14:17:30Z") {
		t.Errorf("csv:\n%s", b.String())
	}
}

// journal is a search over n charges, newest first, made up as they are
// asked for: it holds none of them, and counts the pages read.
type journal struct {
	n, calls int
}

func (j *journal) search(_ context.Context, q store.Query) ([]*store.Charge, error) {
	j.calls++
	next := j.n // the id of the newest charge not yet listed
	if q.After.ID != 0 {
		next = int(q.After.ID) - 1
	}
	var rows []*store.Charge
	for id := next; id >= 1 && len(rows) < q.Limit; id-- {
		c := paidCharge(int64(id))
		c.CreatedAt = testNow.Add(time.Duration(id) * time.Second)
		c.InternalCode = fmt.Sprintf("C%06d", id)
		rows = append(rows, c)
	}
	return rows, nil
}

// Pages reads page by page and hands each over before it reads the next,
// so that a writer has rows long before the last page is read; with a
// limit it reads no further than it needs.
func TestPagesStreams(t *testing.T) {
	j := &journal{n: 3*store.MaxLimit + 7}
	var seen, callsAtFirst int
	n, err := Pages(context.Background(), j.search, store.Query{}, 0, func(rows []*store.Charge) error {
		if seen == 0 {
			callsAtFirst = j.calls
		}
		if len(rows) > store.MaxLimit {
			t.Fatalf("a page of %d rows", len(rows))
		}
		seen += len(rows)
		return nil
	})
	if err != nil || n != j.n || seen != j.n {
		t.Fatalf("n %d, seen %d, %v; want %d", n, seen, err, j.n)
	}
	if callsAtFirst != 1 || j.calls != 4 {
		t.Errorf("the first rows were handed over after %d reads of %d; want after the first", callsAtFirst, j.calls)
	}

	j = &journal{n: 3 * store.MaxLimit}
	n, _ = Pages(context.Background(), j.search, store.Query{}, store.MaxLimit+1, func([]*store.Charge) error { return nil })
	if n != store.MaxLimit+1 || j.calls != 2 {
		t.Errorf("limit %d: %d rows in %d reads", store.MaxLimit+1, n, j.calls)
	}
}

// The streamed array is byte for byte what WriteJSON writes of the slice,
// indented or on one line, empty or not, C1 and bidi escaped alike.
func TestJSONArrayIsWriteJSON(t *testing.T) {
	type rec struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	for _, rows := range [][]rec{{}, {{1, "Ana"}}, {{1, "Ana\u202e"}, {2, "Bia\u0085"}, {3, "Caio"}}} {
		for _, indent := range []string{"", "  "} {
			var whole, streamed bytes.Buffer
			if err := WriteJSON(&whole, rows, indent); err != nil {
				t.Fatal(err)
			}
			a := NewJSONArray(&streamed, indent)
			for _, r := range rows {
				if err := a.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			if whole.String() != streamed.String() {
				t.Errorf("%d rows, indent %q:\nwhole    %q\nstreamed %q", len(rows), indent, whole.String(), streamed.String())
			}
			var back []rec
			if err := json.Unmarshal(streamed.Bytes(), &back); err != nil || len(back) != len(rows) {
				t.Errorf("streamed array does not read back: %v", err)
			}
		}
	}
}
