package sandbox

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

func TestToken(t *testing.T) {
	e := setup(t, Options{})
	c := e.sb.Credentials()
	if c != DefaultCredentials() {
		t.Fatalf("zero Options.Credentials should give the defaults")
	}
	r := e.do("POST", "/auth/token", nil, `{"clientId":"`+c.ClientID+`","clientSecret":"`+c.ClientSecret.Reveal()+`"}`)
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var tr struct {
		AccessToken string
		TokenType   string
		ExpiresIn   int
		IssuedAt    time.Time
	}
	if err := json.Unmarshal(r.body, &tr); err != nil {
		t.Fatal(err)
	}
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 3600 || !tr.IssuedAt.Equal(e.clock.Now()) || strings.Count(tr.AccessToken, ".") != 2 {
		t.Errorf("token response %s", r.body)
	}
	if !strings.HasSuffix(string(r.body), `"issuedAt":"2026-03-10T14:20:00Z"}`) {
		t.Errorf("issuedAt not UTC: %s", r.body)
	}
	if e.token() == tr.AccessToken {
		t.Error("two tokens are equal")
	}
	if got := e.sb.Stats().TokensIssued; got != 2 {
		t.Errorf("TokensIssued = %d", got)
	}

	e.do("POST", "/auth/token", nil, `{"clientId":"`+c.ClientID+`","clientSecret":"nope"}`).problem(t, 401, psp.CodeInvalidCredentials)
	e.do("POST", "/auth/token", nil, `{"clientId":"1","clientSecret":"`+c.ClientSecret.Reveal()+`"}`).problem(t, 401, psp.CodeInvalidCredentials)
	e.do("POST", "/auth/token", nil, `{"clientId":`).problem(t, 400, psp.CodeValidation)
}

func TestCustomCredentialsAndLifetime(t *testing.T) {
	e := setup(t, Options{Credentials: psp.Credentials{ClientID: "42", ClientSecret: "s"}, TokenLifetime: 5 * time.Minute})
	c := e.sb.Credentials()
	if c.ClientID != "42" || c.ApplicationToken != DefaultCredentials().ApplicationToken {
		t.Fatalf("credentials not merged with defaults")
	}
	r := e.do("POST", "/auth/token", nil, `{"clientId":"42","clientSecret":"s"}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"expiresIn":300`) {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestAuthErrors(t *testing.T) {
	e := setup(t, Options{})
	tok := e.token()
	app := e.sb.Credentials().ApplicationToken.Reveal()
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		code string
	}{
		{"no authorization", map[string]string{"ApplicationToken": app}, CodeInvalidToken},
		{"not bearer", map[string]string{"Authorization": "Basic " + tok, "ApplicationToken": app}, CodeInvalidToken},
		{"unknown token", map[string]string{"Authorization": "Bearer x.y.z", "ApplicationToken": app}, CodeInvalidToken},
		{"no application token", map[string]string{"Authorization": "Bearer " + tok}, psp.CodeInvalidApplicationToken},
		{"wrong application token", map[string]string{"Authorization": "Bearer " + tok, "ApplicationToken": app + "x"}, psp.CodeInvalidApplicationToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.do("GET", "/cash-in/whatever", tc.hdr, "").problem(t, 401, tc.code)
			e.do("POST", "/cash-in", tc.hdr, createBody("r1", "")).problem(t, 401, tc.code)
		})
	}
	if n := e.sb.Stats().CashInsCreated; n != 0 {
		t.Fatalf("unauthenticated create made %d charges", n)
	}

	// A token works until the clock reaches its expiry.
	e.clock.Add(time.Hour - time.Second)
	e.do("GET", "/cash-in/whatever", e.headers(tok), "").problem(t, 404, psp.CodeNotFound)
	e.clock.Add(time.Second)
	e.do("GET", "/cash-in/whatever", e.headers(tok), "").problem(t, 401, psp.CodeTokenExpired)
	e.do("GET", "/cash-in/whatever", e.headers(e.token()), "").problem(t, 404, psp.CodeNotFound)
}

func TestUnknownRoute(t *testing.T) {
	e := setup(t, Options{})
	e.do("GET", "/cash-out", nil, "").problem(t, 404, psp.CodeNotFound)
	e.do("DELETE", "/auth/token", nil, "").problem(t, 404, psp.CodeNotFound)
}
