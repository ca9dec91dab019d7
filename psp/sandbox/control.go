package sandbox

import (
	"net/http"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// The Go-side controls below are also served, without authentication, under
// /_sandbox/. Their errors are *psp.Error values (404 NOT_FOUND, 422 with the
// status's code, 400 VALIDATION_ERROR).

// Pay pays the charge named by id (transactionId, internalCode or
// endToEndId) as the banking network would: status PAID, an E… endToEndId,
// paidAt and the payer's bankData; CASHIN_PAID is posted to its webhookUrl.
// amount 0 pays the charge's amount. Another amount models a payment that
// differs from the charge (which a dynamic code forbids, so a console must
// flag it): the charge then reports the amount actually paid.
func (s *Sandbox) Pay(id string, amount psp.Amount) (*psp.CashIn, error) {
	if amount < 0 || amount > psp.MaxAmount {
		return nil, newProblem(http.StatusBadRequest, psp.CodeValidation, "amount out of range")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lookupLocked(id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	c.expireLocked(now)
	if c.ci.Status != psp.StatusAwaitingPayment {
		return nil, stateProblem(c.ci.Status)
	}
	if amount != 0 {
		c.ci.Amount = amount
	}
	bd := randomBankData()
	c.ci.Status = psp.StatusPaid
	c.ci.EndToEndID = endToEndID('E', bd.ISPB, now)
	c.ci.PaidAt = now.Truncate(time.Second).In(brasilia)
	c.ci.Payer.BankData = bd
	s.ids[c.ci.EndToEndID] = c
	s.stats.Payments++
	s.log.Info("sandbox: cash-in paid", "transactionId", c.ci.TransactionID, "amount", c.ci.Amount.Decimal())
	s.enqueueLocked(c, psp.EventCashInPaid, now)
	s.persistLocked()
	v := c.view()
	return &v, nil
}

// Expire ends an unpaid charge's validity now (status EXPIRED, expiredAt).
// Expiring an expired charge does nothing. No event exists for it.
func (s *Sandbox) Expire(id string) error {
	_, err := s.end(id, psp.StatusExpired)
	return err
}

// Cancel cancels an unpaid charge (status CANCELLED), a status no API call
// causes. Cancelling a cancelled charge does nothing. No event exists for it.
func (s *Sandbox) Cancel(id string) error {
	_, err := s.end(id, psp.StatusCancelled)
	return err
}

// end moves an unpaid charge to EXPIRED or CANCELLED.
func (s *Sandbox) end(id string, to psp.Status) (*psp.CashIn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.lookupLocked(id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	c.expireLocked(now)
	switch c.ci.Status {
	case to:
	case psp.StatusAwaitingPayment:
		c.ci.Status = to
		if to == psp.StatusExpired {
			c.ci.ExpiredAt = now.Truncate(time.Second).In(brasilia)
		}
		s.log.Info("sandbox: cash-in ended", "transactionId", c.ci.TransactionID, "status", to)
		s.persistLocked()
	default:
		return nil, stateProblem(c.ci.Status)
	}
	v := c.view()
	return &v, nil
}

// SetFaults replaces the injected faults.
func (s *Sandbox) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// SetWebhookMode changes how later events are delivered. Switching
// OutOfOrder off releases held events in their original order.
func (s *Sandbox) SetWebhookMode(m WebhookMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = m
	if m.OutOfOrder {
		return
	}
	for _, c := range s.charges {
		if len(c.held) > 0 {
			c.queue = append(c.queue, c.held...)
			c.held = nil
			s.startLocked(c)
		}
	}
}

// Deliveries returns every webhook attempt made so far, oldest first.
func (s *Sandbox) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery{}, s.deliveries...)
}

// payRequest is the optional body of POST /_sandbox/cash-in/{id}/pay.
type payRequest struct {
	Amount psp.Amount `json:"amount"`
}

func (s *Sandbox) handlePay(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		writeErr(w, err)
		return
	}
	var q payRequest
	if len(body) > 0 {
		if err := decodeJSON(body, &q); err != nil {
			writeErr(w, err)
			return
		}
	}
	ci, err := s.Pay(r.PathValue("id"), q.Amount)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ci)
}

func (s *Sandbox) handleExpire(w http.ResponseWriter, r *http.Request) {
	s.handleEnd(w, r, psp.StatusExpired)
}

func (s *Sandbox) handleCancel(w http.ResponseWriter, r *http.Request) {
	s.handleEnd(w, r, psp.StatusCancelled)
}

func (s *Sandbox) handleEnd(w http.ResponseWriter, r *http.Request, to psp.Status) {
	ci, err := s.end(r.PathValue("id"), to)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ci)
}

func (s *Sandbox) handleDeliveries(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Deliveries())
}

// faultsWire is Faults as JSON, with the latency as a Go duration string.
type faultsWire struct {
	FailNext int    `json:"failNext"`
	DropNext int    `json:"dropNext"`
	Latency  string `json:"latency,omitempty"` // "250ms", "2s"
}

func (s *Sandbox) handleFaults(w http.ResponseWriter, r *http.Request) {
	var q faultsWire
	if !readJSON(w, r, &q) {
		return
	}
	f := Faults{FailNext: q.FailNext, DropNext: q.DropNext}
	if q.Latency != "" {
		var err error
		if f.Latency, err = time.ParseDuration(q.Latency); err != nil || f.Latency < 0 {
			writeProblem(w, http.StatusBadRequest, psp.CodeValidation, `latency must be a duration such as "250ms"`)
			return
		}
	}
	if f.FailNext < 0 || f.DropNext < 0 {
		writeProblem(w, http.StatusBadRequest, psp.CodeValidation, "failNext and dropNext must not be negative")
		return
	}
	s.SetFaults(f)
	writeJSON(w, http.StatusOK, faultsWire{FailNext: f.FailNext, DropNext: f.DropNext, Latency: f.Latency.String()})
}

func (s *Sandbox) handleWebhookMode(w http.ResponseWriter, r *http.Request) {
	var m WebhookMode
	if !readJSON(w, r, &m) {
		return
	}
	s.SetWebhookMode(m)
	writeJSON(w, http.StatusOK, m)
}

func (s *Sandbox) handleStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}
