package engine

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
)

// faultProxy stands between the client and the sandbox: it forwards
// everything, except that fault, when set, may answer a request itself.
type faultProxy struct {
	*httptest.Server
	mu    sync.Mutex
	fault func(w http.ResponseWriter, r *http.Request) bool // true: answered
}

func newFaultProxy(t *testing.T, base string) *faultProxy {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) {
		hangUp(w) // the sandbox dropped the answer: so does the proxy
	}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		fault := p.fault
		p.mu.Unlock()
		if fault != nil && fault(w, r) {
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.Close)
	return p
}

// hangUp closes the connection without an answer.
func hangUp(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
	}
}

func (p *faultProxy) set(fault func(w http.ResponseWriter, r *http.Request) bool) {
	p.mu.Lock()
	p.fault = fault
	p.mu.Unlock()
}

// TestResendWithUnknownOutcomeStaysPending: a create whose answer was lost
// may exist at ConnectPSP. Resent, it fails getting a token, on the
// network, or with a redirect: none of these is ConnectPSP's answer to the
// create, so the charge stays pending — never rejected — and the next
// resend finds the charge the first request made.
func TestResendWithUnknownOutcomeStaysPending(t *testing.T) {
	for name, fault := range map[string]func(w http.ResponseWriter, r *http.Request) bool{
		"token refused": func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/auth/token" {
				return false
			}
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"status":401,"code":"INVALID_CREDENTIALS","title":"Unauthorized","detail":"bad credentials"}`))
			return true
		},
		"network": func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/cash-in" {
				return false
			}
			hangUp(w)
			return true
		},
		"redirect": func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/cash-in" {
				return false
			}
			http.Redirect(w, r, "http://127.0.0.1:1/login", http.StatusFound)
			return true
		},
		"application token refused": func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/cash-in" {
				return false
			}
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"status":401,"code":"INVALID_APPLICATION_TOKEN"}`))
			return true
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := setup(t)
			proxy := newFaultProxy(t, f.base)
			cfg := f.config()
			cfg.Client = f.client(proxy.URL, 2)
			e := New(cfg)
			if err := cfg.Client.Ping(f.ctx); err != nil { // so the drops hit POST /cash-in
				t.Fatal(err)
			}
			// The first create reaches ConnectPSP; every answer is lost.
			f.sb.SetFaults(sandbox.Faults{DropNext: 1000})
			ch, err := e.Create(f.ctx, Input{Amount: 4200, Payer: payer})
			if err == nil || ch == nil || ch.Stage != store.StagePending {
				t.Fatalf("Create: %v, %+v; want pending with an error", err, ch)
			}
			f.sb.SetFaults(sandbox.Faults{})
			if n := f.sb.Stats().CashInsCreated; n != 1 {
				t.Fatalf("sandbox created %d, want 1", n)
			}

			// Restarted (a new client: it needs a token), the resend fails.
			proxy.set(fault)
			cfg.Client = f.client(proxy.URL, 2)
			e = New(cfg)
			got, err := e.Resume(f.ctx, ch.ID)
			if err == nil {
				t.Fatal("Resume succeeded through the fault")
			}
			if psp.Refused(err) {
				t.Errorf("psp.Refused(%v) = true", err)
			}
			if got == nil || got.Stage != store.StagePending {
				t.Fatalf("after the failed resend: %+v, want pending", got)
			}
			stored := f.get(ch.ID)
			if stored.Stage != store.StagePending || stored.RejectReason != "" {
				t.Fatalf("stored: stage %s, reject reason %q", stored.Stage, stored.RejectReason)
			}
			tl, err := f.db.Timeline(f.ctx, ch.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range tl {
				if en.Kind == store.EntryCreateRejected {
					t.Fatalf("timeline has a rejection: %+v", en)
				}
			}
			if h := e.Health(); h.Creating != 1 {
				t.Errorf("health %+v: want the create waiting to be resent", h)
			}

			// The fault gone, the resend gets the charge the first one made.
			proxy.set(nil)
			created, err := e.Resume(f.ctx, ch.ID)
			if err != nil || created.Stage != store.StageCreated || created.TransactionID == "" {
				t.Fatalf("Resume: %v, %+v", err, created)
			}
			st := f.sb.Stats()
			if st.CashInsCreated != 1 || st.IdempotentReplays == 0 {
				t.Errorf("sandbox created %d, replayed %d; want 1 and some", st.CashInsCreated, st.IdempotentReplays)
			}
		})
	}
}
