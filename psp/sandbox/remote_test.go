package sandbox

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/pixdesk/pixdesk/psp"
)

// PayAt pays through the control endpoint as Pay does in process, and
// reports the sandbox's refusals as *psp.Error.
func TestPayAt(t *testing.T) {
	e := setup(t, Options{})
	ctx := context.Background()
	tok := e.token()
	ci := e.create(tok, "remote-1", "")
	if err := PayAt(ctx, e.hc, e.srv.URL+"/", ci.TransactionID); err != nil {
		t.Fatalf("PayAt: %v", err)
	}
	got := e.do("GET", "/cash-in/"+ci.TransactionID, e.headers(tok), "").cashIn(t, http.StatusOK)
	if got.Status != psp.StatusPaid {
		t.Fatalf("after PayAt the charge is %s, want PAID", got.Status)
	}
	var pe *psp.Error
	if err := PayAt(ctx, e.hc, e.srv.URL, ci.TransactionID); !errors.As(err, &pe) || pe.Status != http.StatusUnprocessableEntity {
		t.Errorf("paying twice: %v, want a 422 problem", err)
	}
	if err := PayAt(ctx, e.hc, e.srv.URL, "no/such"); !errors.As(err, &pe) || pe.Status != http.StatusNotFound {
		t.Errorf("an unknown id: %v, want a 404 problem", err)
	}
	if err := PayAt(ctx, e.hc, e.srv.URL, ".."); err == nil {
		t.Error("an id that is not one path segment was sent")
	}
}
