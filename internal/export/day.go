package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// dayHeaders are the columns of a day's close as CSV.
var dayHeaders = map[string][]string{
	"pt-BR": {"operador", "linha", "status", "qtd", "valor"},
	"en":    {"operator", "line", "status", "count", "amount"},
}

// DayTotalOperator is what the operator column of a day's CSV holds on the
// rows of the day's total, every operator together.
const DayTotalOperator = "*"

// WriteDayCSV writes a day's close report as CSV (pixdesk close --csv): a
// header in opt.Lang, then for the day's total (operator "*") and for each
// operator's breakdown one row per status, one per sum (charges, received,
// refunds, refunds_pending, net, mismatches, late, open) and, for the
// total, one per hour with payments ("hour", its local hour). ops is the
// breakdown to write: nil for none (a day with no operator recorded has
// only its total). Amounts are decimals with a dot, as in every export;
// outside text (an operator's name) is made a safe cell.
func WriteDayCSV(w io.Writer, r *store.DayReport, ops []store.Totals, withTotal bool, opt Options) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(dayHeaders[langKey(opt.Lang)]); err != nil {
		return err
	}
	row := func(op, line, status string, count int, a psp.Amount, counted bool) error {
		n := ""
		if counted {
			n = strconv.Itoa(count)
		}
		return cw.Write([]string{op, line, status, n, a.Decimal()})
	}
	totals := func(op string, t store.Totals) error {
		op = cell(op)
		for _, s := range t.ByStatus {
			st := string(s.Status)
			if st == "" {
				st = string(s.Stage)
			}
			if err := row(op, "status", cell(st), s.Count, s.Amount, true); err != nil {
				return err
			}
		}
		for _, x := range []struct {
			line    string
			n       int
			a       psp.Amount
			counted bool
		}{
			{"charges", t.Charges, t.Amount, true}, {"received", 0, t.Received, false},
			{"refunds", t.Refunds.Count, t.Refunds.Amount, true},
			{"refunds_pending", t.RefundsPending.Count, t.RefundsPending.Amount, true},
			{"net", 0, t.Net, false}, {"mismatches", t.Mismatches.Count, t.Mismatches.Amount, true},
			{"late", t.Late.Count, t.Late.Amount, true}, {"open", t.Open.Count, t.Open.Amount, true},
		} {
			if err := row(op, x.line, "", x.n, x.a, x.counted); err != nil {
				return err
			}
		}
		return nil
	}
	if withTotal {
		if err := totals(DayTotalOperator, r.Total); err != nil {
			return err
		}
		for _, hr := range r.Hours {
			if err := row(DayTotalOperator, "hour", fmt.Sprintf("%02d", hr.Hour), hr.Count, hr.Amount, true); err != nil {
				return err
			}
		}
	}
	for _, t := range ops {
		if err := totals(t.Operator, t); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
