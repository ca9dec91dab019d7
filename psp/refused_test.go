package psp

import (
	"context"
	"net"
	"net/http"
	"testing"
)

// TestRefused: only the create endpoint's own 4xx refuses a create; the
// token endpoint, the network, redirects and the auth layer leave its
// outcome unknown.
func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		auth    func(w http.ResponseWriter) // nil: a token is issued
		create  func(w http.ResponseWriter, r *http.Request)
		refused bool
	}{
		{"validation error", nil, func(w http.ResponseWriter, _ *http.Request) { problem(w, 422, CodeValidation, "payer.document") }, true},
		{"duplicate reference", nil, func(w http.ResponseWriter, _ *http.Request) { problem(w, 409, CodeDuplicateReference, "taken") }, true},
		{"bad request", nil, func(w http.ResponseWriter, _ *http.Request) { problem(w, 400, CodeValidation, "amount") }, true},
		{"token endpoint refuses the credentials", func(w http.ResponseWriter) { problem(w, 401, CodeInvalidCredentials, "no") }, nil, false},
		{"token endpoint says 400", func(w http.ResponseWriter) { problem(w, 400, CodeValidation, "no") }, nil, false},
		{"token endpoint redirects", func(w http.ResponseWriter) {
			w.Header().Set("Location", "https://elsewhere.invalid/")
			w.WriteHeader(http.StatusFound)
		}, nil, false},
		{"redirect", nil, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://portal.invalid/login", http.StatusSeeOther)
		}, false},
		{"application token refused", nil, func(w http.ResponseWriter, _ *http.Request) {
			problem(w, 401, CodeInvalidApplicationToken, "no")
		}, false},
		{"forbidden", nil, func(w http.ResponseWriter, _ *http.Request) { problem(w, 403, "FORBIDDEN", "waf") }, false},
		{"server error", nil, func(w http.ResponseWriter, _ *http.Request) { problem(w, 500, CodeInternal, "oops") }, false},
		{"connection cut", nil, func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f := setup(t, WithRetry(2, 1, 1, 1<<40))
			if tc.auth != nil {
				f.setAuthHook(func(w http.ResponseWriter, _ *http.Request, _ int) bool { tc.auth(w); return true })
			}
			create := tc.create
			if create == nil {
				create = func(w http.ResponseWriter, _ *http.Request) { t.Error("cash-in reached without a token") }
			}
			f.handle("POST /cash-in", func(w http.ResponseWriter, r *http.Request, _ int) { create(w, r) })
			_, err := c.CreateCashIn(context.Background(), testParams, "k1")
			if err == nil {
				t.Fatal("no error")
			}
			if got := Refused(err); got != tc.refused {
				t.Errorf("Refused(%v) = %v, want %v", err, got, tc.refused)
			}
		})
	}
	if Refused(&net.OpError{Op: "dial", Err: net.UnknownNetworkError("x")}) || Refused(nil) {
		t.Error("Refused of a bare network error or nil")
	}
}
