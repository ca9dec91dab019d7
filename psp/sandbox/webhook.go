package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/pixdesk/pixdesk/psp"
)

// Delivery is one webhook attempt the sandbox made.
type Delivery struct {
	EventType     string `json:"eventType"`
	TransactionID string `json:"transactionId"`
	// EventID is the attempt's X-Event-Id: new on every attempt.
	EventID string `json:"eventId"`
	URL     string `json:"url"`
	// Attempt counts from 1 within one delivery of the event.
	Attempt int `json:"attempt"`
	// StatusCode is the receiver's answer; 0 when the request failed.
	StatusCode int       `json:"statusCode,omitempty"`
	Err        string    `json:"error,omitempty"`
	At         time.Time `json:"at"`
}

// job is one event to deliver, with its body fixed when it was raised.
type job struct {
	eventType string
	txID      string
	url       string
	body      []byte
	copies    int // 2 in Duplicate mode
}

// enqueueLocked raises an event for c and schedules its delivery.
func (s *Sandbox) enqueueLocked(c *charge, eventType string, now time.Time) {
	if c.webhookURL == "" || s.mode.Disabled || s.closed {
		return
	}
	body, err := json.Marshal(psp.Event{Type: eventType, At: now.UTC().Truncate(time.Second), Data: c.view()})
	if err != nil {
		s.log.Error("sandbox: encoding event", "transactionId", c.ci.TransactionID, "err", err)
		return
	}
	j := job{eventType: eventType, txID: c.ci.TransactionID, url: c.webhookURL, body: body, copies: 1}
	if s.mode.Duplicate {
		j.copies = 2
	}
	if s.mode.OutOfOrder {
		c.held = append(c.held, j)
		if len(c.held) < 2 {
			return
		}
		slices.Reverse(c.held)
		c.queue = append(c.queue, c.held...)
		c.held = nil
	} else {
		c.queue = append(c.queue, j)
	}
	s.startLocked(c)
}

// startLocked starts c's delivery goroutine unless one is running. One
// goroutine per charge keeps a charge's events in the order queued.
func (s *Sandbox) startLocked(c *charge) {
	if c.sending || len(c.queue) == 0 || s.closed {
		return
	}
	c.sending = true
	s.wg.Add(1)
	go s.drain(c)
}

// drain delivers c's queued events one after another.
func (s *Sandbox) drain(c *charge) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(c.queue) == 0 || s.closed {
			c.sending = false
			s.mu.Unlock()
			return
		}
		j := c.queue[0]
		c.queue = c.queue[1:]
		s.mu.Unlock()
		for range j.copies {
			s.deliver(j)
		}
	}
}

// deliver posts j until the receiver answers 200, WebhookAttempts run out
// or the sandbox closes. Every attempt carries a new X-Event-Id.
func (s *Sandbox) deliver(j job) {
	for attempt := 1; attempt <= WebhookAttempts; attempt++ {
		d := s.attempt(j, attempt)
		s.mu.Lock()
		s.deliveries = append(s.deliveries, d)
		s.stats.WebhookAttempts++
		s.mu.Unlock()
		if d.StatusCode == http.StatusOK {
			return
		}
		s.log.Info("sandbox: webhook attempt failed", "transactionId", j.txID, "eventType", j.eventType,
			"attempt", attempt, "status", d.StatusCode, "err", d.Err)
		if attempt == WebhookAttempts || psp.Sleep(s.ctx, s.backoff(attempt)) != nil {
			return
		}
	}
}

// backoff is the wait after failed attempt n: RetryBase·2^(n-1), capped.
func (s *Sandbox) backoff(n int) time.Duration {
	return s.retryBase << min(n-1, 6)
}

// attempt makes one POST of j.
func (s *Sandbox) attempt(j job, n int) Delivery {
	d := Delivery{EventType: j.eventType, TransactionID: j.txID, EventID: uuid.NewString(), URL: j.url, Attempt: n, At: s.now()}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, j.url, bytes.NewReader(j.body))
	if err != nil {
		d.Err = err.Error()
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ConnectPSP-Sandbox-Webhook/1.0")
	req.Header.Set(psp.HeaderSignature, psp.Sign(j.body, s.creds.CryptoToken))
	req.Header.Set(psp.HeaderEventID, d.EventID)
	resp, err := s.webhookClient.Do(req)
	if err != nil {
		d.Err = err.Error()
		return d
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	d.StatusCode = resp.StatusCode
	return d
}
