package cli

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
)

// Sentinel credentials: distinctive, so that any trace of them is found.
var e2eSentinels = psp.Credentials{
	ClientID:         "7770001",
	ClientSecret:     "SENTINEL-clientSecret-4f0c9a31",
	ApplicationToken: "SENTINEL-ApplicationToken-b7e2d158",
	CryptoToken:      "SENTINEL-CryptoToken-93ad6e04",
}

// e2eCPF is a valid CPF that appears in no other test.
const (
	e2eCPF          = "39053344705"
	e2eCPFFormatted = "390.533.447-05"
	e2eCPFMasked    = "***.533.447-**"
)

// A whole flow — create, pay (webhook), refund, lookup with the detail and
// the document revealed — with sentinel credentials and a sentinel CPF:
// no secret (nor an access token or refund signature derived from them)
// reaches the log, an error or a screen; the full CPF reaches no log line
// and no screen but the form it is typed into and the lookup detail after
// the reveal key.
func TestSecretsStayOut(t *testing.T) {
	if _, doc, err := psp.ParseDocument(e2eCPF); err != nil || doc != e2eCPF {
		t.Fatalf("sentinel CPF %s: %v", e2eCPF, err)
	}
	st := e2eAssemble(t, t.TempDir(), e2eOptions{creds: e2eSentinels, proxy: true, tune: e2eFastEngine})
	ctx := e2eBackground(t)
	var errs []string
	note := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}

	// The counter: create and pay.
	c := st.console(false, nil)
	c.sell(e2eSale{amount: "31415", name: "Sentinela Souza", doc: e2eCPF, ref: "SEC-1"})
	c.waitFor("the charge screen", e2eOnCharge, "SEC-1", e2eCPFMasked)
	c.typeText("p")
	c.waitPaid("SEC-1")
	c.stop()
	ch := st.only()

	// The refund, as the lookup's refund dialog sends it; then the same
	// again (an error from ConnectPSP) and a refund of an unknown charge.
	res, err := st.engine.Refund(ctx, ch.ID, psp.RefundCustomerRequest, "devolução a pedido")
	if err != nil || res.Status != psp.StatusRefunded {
		t.Fatalf("refund: %v, %v", res, err)
	}
	_, err = st.engine.Refund(ctx, ch.ID, psp.RefundCustomerRequest, "devolução a pedido")
	note(err)
	_, err = st.engine.Refund(ctx, ch.ID+1000, psp.RefundFraud, "")
	note(err)
	_, err = st.client.RefundCashIn(ctx, ch.TransactionID, psp.RefundFraud, "", "5b0c7a9e-0000-4000-8000-00000000cafe")
	note(err) // 422 CASH_IN_ALREADY_REFUNDED, from ConnectPSP
	// Errors the client makes from the credentials themselves: the wrong
	// secret refused, and a refund signed with no CryptoToken.
	wrong := e2eSentinels
	wrong.ClientSecret += "-wrong"
	if bad, err := psp.NewClient(st.client.BaseURL(), wrong); err == nil {
		perr := bad.Ping(ctx)
		if perr == nil {
			t.Error("a wrong clientSecret was accepted")
		}
		note(perr)
		_, perr = bad.GetCashIn(ctx, ch.TransactionID)
		note(perr)
	} else {
		note(err)
	}
	noCrypto := e2eSentinels
	noCrypto.CryptoToken = ""
	if nc, err := psp.NewClient(st.client.BaseURL(), noCrypto); err == nil {
		_, rerr := nc.RefundCashIn(ctx, ch.TransactionID, psp.RefundFraud, "", "5b0c7a9e-0000-4000-8000-00000000beef")
		note(rerr)
	}
	if len(errs) < 5 {
		t.Fatalf("expected at least 5 errors to inspect, got %q", errs)
	}

	// The support lookup: find the charge, open it, reveal the document.
	l := st.console(true, nil)
	l.waitFor("the lookup", "Search")
	l.typeText("SEC-1")
	l.waitFor("the refunded charge in the list", "SEC-1", e2eCPFMasked, "REFUNDED")
	l.press(tea.KeyEnter)
	v := l.waitFor("the detail, masked", "Transaction ", e2eCPFMasked, "v: show")
	if strings.Contains(v, e2eCPFFormatted) || strings.Contains(v, e2eCPF) {
		t.Fatalf("the detail shows the full CPF before the reveal key:\n%s", v)
	}
	revealAt := len(l.scr.allFrames())
	l.typeText("v")
	l.waitFor("the detail, revealed", e2eCPFFormatted)
	l.stop()

	secrets := []string{e2eSentinels.ClientSecret.Reveal(), e2eSentinels.ApplicationToken.Reveal(), e2eSentinels.CryptoToken.Reveal()}
	derived := st.proxy.secrets()
	if len(derived) < 2 {
		t.Fatalf("the proxy saw %d access tokens and signatures, want at least a token and a refund signature", len(derived))
	}
	secrets = append(secrets, derived...)
	check := func(where, text string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("a secret (%.12s…) appears in %s", s, where)
			}
		}
	}

	logText := st.logText()
	if !strings.Contains(logText, "charge: created") {
		t.Fatalf("the log does not look like the console's:\n%s", logText)
	}
	check("the log file", logText)
	for i, line := range strings.Split(logText, "\n") {
		if strings.Contains(line, e2eCPF) || strings.Contains(line, e2eCPFFormatted) {
			t.Errorf("log line %d holds the full CPF: %s", i+1, line)
		}
	}

	errs = append(errs, c.scr.noticeErrs()...)
	errs = append(errs, l.scr.noticeErrs()...)
	if h := st.engine.Health(); h.LastErr != "" {
		errs = append(errs, h.LastErr)
	}
	for _, e := range errs {
		check("the error "+e, e)
		if strings.Contains(e, e2eCPF) || strings.Contains(e, e2eCPFFormatted) {
			t.Errorf("an error holds the full CPF: %s", e)
		}
	}

	formTitle := "New PIX charge"
	for _, f := range c.scr.allFrames() {
		check("a counter screen", f)
		if (strings.Contains(f, e2eCPF) || strings.Contains(f, e2eCPFFormatted)) && !strings.Contains(f, formTitle) {
			t.Errorf("a counter screen other than the form shows the full CPF:\n%s", f)
		}
	}
	for i, f := range l.scr.allFrames() {
		check("a lookup screen", f)
		if i < revealAt && (strings.Contains(f, e2eCPF) || strings.Contains(f, e2eCPFFormatted)) {
			t.Errorf("a lookup screen before the reveal key shows the full CPF:\n%s", f)
		}
	}
}
