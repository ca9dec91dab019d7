package sandbox

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// CodeInvalidToken answers a missing, malformed or unknown access token. The
// API digest names no code for this case; clients should treat any 401 other
// than INVALID_APPLICATION_TOKEN as "get a new token".
const CodeInvalidToken = "INVALID_TOKEN"

// tokenRetention is how long an expired token is still recognised as
// expired (TOKEN_EXPIRED) rather than unknown.
const tokenRetention = 24 * time.Hour

type tokenRequest struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

type tokenResponse struct {
	AccessToken string    `json:"accessToken"`
	TokenType   string    `json:"tokenType"`
	ExpiresIn   int64     `json:"expiresIn"`
	IssuedAt    time.Time `json:"issuedAt"`
}

func (s *Sandbox) handleToken(w http.ResponseWriter, r *http.Request) {
	var req tokenRequest
	if !readJSON(w, r, &req) {
		return
	}
	if !equal(req.ClientID, s.creds.ClientID) || !equal(req.ClientSecret, s.creds.ClientSecret.Reveal()) {
		s.log.Info("sandbox: token refused", "clientId", req.ClientID)
		writeProblem(w, http.StatusUnauthorized, psp.CodeInvalidCredentials, "clientId or clientSecret is wrong")
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	exp := now.Add(s.tokenLifetime)
	tok := s.newToken(now, exp)

	s.mu.Lock()
	for t, e := range s.tokens {
		if now.Sub(e) > tokenRetention {
			delete(s.tokens, t)
		}
	}
	s.tokens[tok] = exp
	s.stats.TokensIssued++
	s.mu.Unlock()

	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: tok,
		TokenType:   "Bearer",
		ExpiresIn:   int64(s.tokenLifetime / time.Second),
		IssuedAt:    now,
	})
}

// newToken returns an opaque, JWT-shaped token. Only the sandbox's token
// table gives it meaning; the claims are for people reading logs of tests.
func (s *Sandbox) newToken(iat, exp time.Time) string {
	enc := base64.RawURLEncoding
	jti := make([]byte, 16)
	rand.Read(jti)
	claims, _ := json.Marshal(map[string]any{
		"iss": "connectpsp-sandbox",
		"sub": s.creds.ClientID,
		"iat": iat.Unix(),
		"exp": exp.Unix(),
		"jti": enc.EncodeToString(jti),
	})
	msg := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(claims)
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(msg))
	return msg + "." + enc.EncodeToString(m.Sum(nil))
}

// authedHandler is an API handler that receives the caller's access token.
type authedHandler func(w http.ResponseWriter, r *http.Request, token string)

// authed checks Authorization and ApplicationToken before calling h.
func (s *Sandbox) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		tok = strings.TrimSpace(tok)
		if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			writeProblem(w, http.StatusUnauthorized, CodeInvalidToken, "missing bearer access token")
			return
		}
		s.mu.Lock()
		exp, known := s.tokens[tok]
		s.mu.Unlock()
		switch {
		case !known:
			writeProblem(w, http.StatusUnauthorized, CodeInvalidToken, "unknown access token")
			return
		case !s.now().Before(exp):
			writeProblem(w, http.StatusUnauthorized, psp.CodeTokenExpired, "the access token has expired; request a new one at /auth/token")
			return
		}
		if !equal(r.Header.Get("ApplicationToken"), s.creds.ApplicationToken.Reveal()) {
			writeProblem(w, http.StatusUnauthorized, psp.CodeInvalidApplicationToken, "missing or wrong ApplicationToken header")
			return
		}
		h(w, r, tok)
	}
}

// equal compares secrets in constant time.
func equal(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
