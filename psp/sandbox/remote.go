package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/pixdesk/pixdesk/psp"
)

// PayAt asks the sandbox serving the API at base — a `pixdesk sandbox` in
// another process — to pay charge id in full, through its control endpoint
// POST /_sandbox/cash-in/{id}/pay, as Pay does in process. Its error is a
// *psp.Error when the sandbox answered one (422 for a charge already paid,
// 404 for an unknown id), read as the client reads ConnectPSP's.
func PayAt(ctx context.Context, hc *http.Client, base, id string) error {
	seg, err := psp.PathSegment(id)
	if err != nil {
		return err
	}
	u := strings.TrimRight(base, "/") + "/_sandbox/cash-in/" + seg + "/pay"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox: paying: %w", err)
	}
	_, err = psp.CheckResponse(resp)
	return err
}
