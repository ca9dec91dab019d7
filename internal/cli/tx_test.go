package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// pagedJournal answers searches over n charges, newest first, made up as
// they are asked for, and counts the pages read.
type pagedJournal struct{ n, calls int }

func (j *pagedJournal) search(_ context.Context, q store.Query) ([]*store.Charge, error) {
	j.calls++
	next := j.n
	if q.After.ID != 0 {
		next = int(q.After.ID) - 1
	}
	var rows []*store.Charge
	for id := next; id >= 1 && len(rows) < q.Limit; id-- {
		rows = append(rows, &store.Charge{ID: int64(id), Terminal: "C01", ExternalReference: fmt.Sprintf("C01-%06d", id),
			Stage: store.StageCreated, Status: psp.StatusAwaitingPayment, Amount: 1250,
			Payer:     psp.Payer{Name: "Maria Souza", Document: "52998224725"},
			CreatedAt: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC).Add(time.Duration(id) * time.Second)})
	}
	return rows, nil
}

// firstWrite notes how many pages had been read when output first came.
type firstWrite struct {
	j     *pagedJournal
	at    int
	bytes int
}

func (w *firstWrite) Write(p []byte) (int, error) {
	if w.bytes == 0 {
		w.at = w.j.calls
	}
	w.bytes += len(p)
	return len(p), nil
}

// tx list writes as it reads: its first row is out after the first page,
// in every format, long before the last page is read, and the whole list
// is there at the end.
func TestTxListStreams(t *testing.T) {
	for _, format := range []string{"text", "json", "csv"} {
		j := &pagedJournal{n: 4*store.MaxLimit + 3}
		w := &firstWrite{j: j}
		var out strings.Builder
		code := txList(context.Background(), j.search, store.Query{}, 0, format == "json", format == "csv", false, "en",
			io.MultiWriter(w, &out), io.Discard)
		if code != 0 {
			t.Fatalf("%s: exit %d", format, code)
		}
		if j.calls != 5 || w.at != 1 {
			t.Errorf("%s: first output after %d of %d pages, want after the first", format, w.at, j.calls)
		}
		lines := strings.Count(out.String(), "\n")
		switch format {
		case "json":
			var rows []txRecord
			if err := json.Unmarshal([]byte(out.String()), &rows); err != nil || len(rows) != j.n {
				t.Errorf("json: %d rows, %v", len(rows), err)
			}
		case "csv":
			if lines != j.n+1 {
				t.Errorf("csv: %d lines, want %d and a header", lines, j.n)
			}
		default:
			if lines != j.n {
				t.Errorf("text: %d lines, want %d", lines, j.n)
			}
		}
	}
}
