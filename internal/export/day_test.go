package export

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// A day's close as CSV: its total, each operator's breakdown, the hours;
// an operator's name that a spreadsheet would run is defused.
func TestWriteDayCSV(t *testing.T) {
	tot := store.Totals{Charges: 2, Amount: 1550, Received: 1250, Net: 1250,
		ByStatus: []store.StatusTotal{
			{Stage: store.StageCreated, Status: psp.StatusPaid, Count: 1, Amount: 1250, Paid: 1250},
			{Stage: store.StagePending, Count: 1, Amount: 300},
		},
		Open: store.Tally{Count: 1, Amount: 300}}
	op := tot
	op.Operator = "=HYPERLINK(\"x\")"
	r := &store.DayReport{Total: tot, Hours: []store.HourTotal{{Hour: 9, Count: 1, Amount: 1250}}}
	var b bytes.Buffer
	if err := WriteDayCSV(&b, r, []store.Totals{op}, true, Options{Lang: "en"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"operator,line,status,count,amount\n",
		"*,status,PAID,1,12.50\n",
		"*,status,pending,1,3.00\n",
		"*,charges,,2,15.50\n",
		"*,received,,,12.50\n",
		"*,open,,1,3.00\n",
		"*,hour,09,1,12.50\n",
		"\"'=HYPERLINK(\"\"x\"\")\",net,,,12.50\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	b.Reset()
	if err := WriteDayCSV(&b, r, nil, true, Options{}); err != nil || !strings.HasPrefix(b.String(), "operador,linha,status,qtd,valor\n") {
		t.Errorf("pt-BR header: %q, %v", b.String(), err)
	}
}
