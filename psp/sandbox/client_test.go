package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// TestWithClient drives the sandbox through the real psp.Client, faults included.
func TestWithClient(t *testing.T) {
	e := setup(t, Options{})
	noSleep := func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	c, err := psp.NewClient(e.srv.URL, e.sb.Credentials(), psp.WithHTTPClient(e.hc), psp.WithSleep(noSleep), psp.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	params := psp.CreateParams{Amount: 2990, ExternalReference: "order-1", Payer: psp.Payer{Name: "Ana", Document: "23858488135"}}

	e.sb.SetFaults(Faults{FailNext: 1, DropNext: 1})
	ci, err := c.CreateCashIn(ctx, params, "key-1")
	if err != nil {
		t.Fatalf("create through faults: %v", err)
	}
	if st := e.sb.Stats(); st.CashInsCreated != 1 || ci.Amount != 2990 || ci.PixData == nil {
		t.Fatalf("stats %+v, cash-in %+v", st, ci)
	}

	if _, err := c.CreateCashIn(ctx, params, "key-2"); !errors.Is(err, psp.ErrDuplicateReference) {
		t.Fatalf("duplicate reference: %v", err)
	}
	if _, err := c.GetCashIn(ctx, "nope"); !errors.Is(err, psp.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}

	paid, err := e.sb.Pay(ci.TransactionID, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Hour) // the client's token has expired
	got, err := c.GetCashIn(ctx, paid.EndToEndID)
	if err != nil || got.Status != psp.StatusPaid {
		t.Fatalf("get after token expiry: %v %+v", err, got)
	}
	ref, err := c.RefundCashIn(ctx, ci.InternalCode, psp.RefundCustomerRequest, "", "key-3")
	if err != nil || ref.Status != psp.StatusRefunded || ref.OriginalEndToEndID != paid.EndToEndID {
		t.Fatalf("refund: %v %+v", err, ref)
	}
	var pe *psp.Error
	if _, err := c.RefundCashIn(ctx, ci.InternalCode, psp.RefundCustomerRequest, "", "key-4"); !errors.As(err, &pe) || pe.Code != psp.CodeCashInAlreadyRefunded {
		t.Fatalf("second refund: %v", err)
	}
}
