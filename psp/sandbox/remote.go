package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/pixdesk/pixdesk/psp"
)

// maxRemoteAnswer bounds what PayAt reads of the sandbox's answer.
const maxRemoteAnswer = 64 << 10

// PayAt asks the sandbox serving the API at base — a `pixdesk sandbox` in
// another process — to pay charge id in full, through its control endpoint
// POST /_sandbox/cash-in/{id}/pay, as Pay does in process. Its error is a
// *psp.Error when the sandbox answered one (422 for a charge already paid,
// 404 for an unknown id).
func PayAt(ctx context.Context, hc *http.Client, base, id string) error {
	if id == "" || id == "." || id == ".." {
		return fmt.Errorf("sandbox: charge id %q", id)
	}
	u := strings.TrimRight(base, "/") + "/_sandbox/cash-in/" + url.PathEscape(id) + "/pay"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox: paying: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRemoteAnswer))
	if err != nil {
		return fmt.Errorf("sandbox: reading its answer: %w", err)
	}
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	e := &psp.Error{}
	if json.Unmarshal(body, e) != nil || e.Code == "" {
		e = &psp.Error{Body: strings.ToValidUTF8(string(body[:min(len(body), 200)]), "")}
	}
	e.Status = resp.StatusCode
	return e
}
