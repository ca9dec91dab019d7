package psp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// renewAhead is how long before expiry a token is renewed, so a call never
// starts with a token about to run out.
const renewAhead = 60 * time.Second

// token is an access token and when it stops being usable.
type token struct {
	access  Secret
	expires time.Time // as announced by expiresIn, from when it was requested
	renewAt time.Time // renew from this moment on
}

// tokenFlight is one renewal that concurrent callers share.
type tokenFlight struct {
	done chan struct{}
	tok  *token
	err  error
	// abandoned is set when the leader's own context ended: its error says
	// nothing about the server, so waiting callers try again themselves.
	abandoned bool
}

// token returns a usable access token, renewing it when none is cached,
// renewal time has come, or force is set. Concurrent callers share one
// renewal.
func (c *Client) token(ctx context.Context, force bool) (*token, error) {
	for {
		c.mu.Lock()
		if t := c.tok; !force && t != nil && c.now().Before(t.renewAt) {
			c.mu.Unlock()
			return t, nil
		}
		if f := c.flight; f != nil {
			c.mu.Unlock()
			report(ctx, Progress{Stage: StageAuthenticating})
			select {
			case <-f.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if f.abandoned && ctx.Err() == nil {
				continue
			}
			return f.tok, f.err
		}
		f := &tokenFlight{done: make(chan struct{})}
		c.flight = f
		c.mu.Unlock()
		report(ctx, Progress{Stage: StageAuthenticating})

		f.tok, f.err = c.fetchToken(ctx)
		f.abandoned = f.err != nil && ctx.Err() != nil
		c.mu.Lock()
		if f.err == nil {
			c.tok = f.tok
		}
		c.flight = nil
		c.mu.Unlock()
		close(f.done)
		return f.tok, f.err
	}
}

// dropToken forgets t if it is still the cached token.
func (c *Client) dropToken(t *token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok == t {
		c.tok = nil
	}
}

// fetchToken makes one POST /auth/token exchange.
func (c *Client) fetchToken(ctx context.Context) (*token, error) {
	body, err := json.Marshal(struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
	}{c.creds.ClientID, c.creds.ClientSecret.Reveal()})
	if err != nil {
		return nil, errors.New("psp: encoding credentials failed")
	}
	actx, cancel := context.WithTimeout(ctx, c.attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.base+"/auth/token", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("psp: building request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	start := c.now()
	resp, rb, err := c.exchange(req)
	c.logExchange(http.MethodPost, "/auth/token", "", 1, start, resp, err)
	if err != nil {
		return nil, c.scrub(err)
	}
	var tr struct {
		AccessToken string `json:"accessToken"`
		TokenType   string `json:"tokenType"`
		ExpiresIn   int64  `json:"expiresIn"`
	}
	if err := json.Unmarshal(rb, &tr); err != nil {
		return nil, errors.New("psp: token response is not valid json")
	}
	switch {
	case tr.AccessToken == "":
		return nil, errors.New("psp: token response has no access token")
	case tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "Bearer"):
		return nil, fmt.Errorf("psp: unsupported token type %.20q", tr.TokenType)
	}
	life := time.Duration(min(max(tr.ExpiresIn, 0), int64(24*time.Hour/time.Second))) * time.Second
	t := &token{access: Secret(tr.AccessToken), expires: start.Add(life)}
	t.renewAt = t.expires.Add(-min(renewAhead, life/2))
	return t, nil
}

// TokenValid reports whether a cached access token is valid now, for a
// status bar. It makes no request.
func (c *Client) TokenValid() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tok != nil && c.now().Before(c.tok.expires)
}

// Ping asks ConnectPSP for a new access token (or joins a renewal already
// in flight): nil means the API is reachable and the credentials are good.
// It makes one attempt and does not retry; IsTemporary tells a network
// failure from rejected credentials.
func (c *Client) Ping(ctx context.Context) (err error) {
	defer func() { report(ctx, Progress{Stage: StageDone, Err: err}) }()
	_, err = c.token(ctx, true)
	return err
}
