package sandbox

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// Request headers of the Cash-In endpoints.
const (
	headerIdempotencyKey   = "X-Idempotency-Key"
	headerDigitalSignature = "DigitalSignature"
)

const (
	defaultExpirationMinutes = 1440
	// idempotencyTTL is how long a key is honoured (API digest §9.2).
	idempotencyTTL = 24 * time.Hour
	// codeAlreadyPaid is a sandbox-only code: /_sandbox pay on a paid charge.
	codeAlreadyPaid = "CASH_IN_ALREADY_PAID"
)

// charge is a Cash-In and what the sandbox keeps beside it.
type charge struct {
	ci         psp.CashIn // PixData set: the create response carries it
	expiresAt  time.Time
	webhookURL string
	queue      []job // events waiting for this charge's delivery goroutine
	held       []job // events held back by WebhookMode.OutOfOrder
	sending    bool  // a delivery goroutine is draining queue
}

// view is the GET /cash-in/{id} object: the documented fields, no pixData.
func (c *charge) view() psp.CashIn {
	v := c.ci
	v.PixData = nil
	if v.Payer.BankData != nil {
		bd := *v.Payer.BankData
		v.Payer.BankData = &bd
	}
	return v
}

// expireLocked applies the clock: an unpaid charge past its validity is EXPIRED.
func (c *charge) expireLocked(now time.Time) {
	if c.ci.Status == psp.StatusAwaitingPayment && !now.Before(c.expiresAt) {
		c.ci.Status = psp.StatusExpired
		c.ci.ExpiredAt = c.expiresAt.In(brasilia)
	}
}

// stateProblem is the 422 for an operation the charge's status forbids.
func stateProblem(st psp.Status) *psp.Error {
	switch st {
	case psp.StatusAwaitingPayment:
		return newProblem(http.StatusUnprocessableEntity, psp.CodeCashInNotPaid, "the cash-in has not been paid")
	case psp.StatusPaid:
		return newProblem(http.StatusUnprocessableEntity, codeAlreadyPaid, "the cash-in is already paid")
	case psp.StatusRefunded:
		return newProblem(http.StatusUnprocessableEntity, psp.CodeCashInAlreadyRefunded, "the cash-in has already been refunded")
	case psp.StatusExpired:
		return newProblem(http.StatusUnprocessableEntity, psp.CodeCashInExpired, "the cash-in has expired")
	default:
		return newProblem(http.StatusUnprocessableEntity, psp.CodeCashInCancelled, "the cash-in was cancelled")
	}
}

// lookupLocked finds a charge by transactionId, internalCode or endToEndId.
func (s *Sandbox) lookupLocked(id string) (*charge, error) {
	if c := s.ids[id]; c != nil {
		return c, nil
	}
	return nil, newProblem(http.StatusNotFound, psp.CodeNotFound, "no cash-in with id "+truncate(id, 64))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// idemEntry is a remembered answer to an idempotent request.
type idemEntry struct {
	fingerprint [32]byte
	status      int
	body        []byte
	expires     time.Time
}

// fingerprint identifies a request's intent: method, path and the body as
// JSON values, so re-encoding with other whitespace or key order is "the
// same body" while any changed value is not.
func fingerprint(r *http.Request, body []byte) [32]byte {
	canon := body
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	return sha256.Sum256([]byte(r.Method + " " + r.URL.Path + "\n" + string(canon)))
}

// idempotent runs do under the lock and answers its result, unless the
// request's X-Idempotency-Key names an earlier identical request: then the
// remembered answer is replayed byte for byte and nothing runs. A key seen
// with a different request is 422 IDEMPOTENCY_KEY_REUSED. Only successes are
// remembered: a refused request may be corrected and retried with its key.
func (s *Sandbox) idempotent(w http.ResponseWriter, r *http.Request, body []byte, status int, do func(now time.Time) (any, error)) {
	key := r.Header.Get(headerIdempotencyKey)
	fp := fingerprint(r, body)

	s.mu.Lock()
	now := s.now()
	var (
		resp     []byte
		err      error
		replayed bool
	)
	e, ok := s.idem[key]
	if ok && !now.Before(e.expires) {
		delete(s.idem, key)
		ok = false
	}
	switch {
	case key != "" && ok && e.fingerprint != fp:
		err = newProblem(http.StatusUnprocessableEntity, psp.CodeIdempotencyMismatch, "this X-Idempotency-Key was used with a different request")
	case key != "" && ok:
		status, resp, replayed = e.status, e.body, true
		s.stats.IdempotentReplays++
	default:
		var v any
		if v, err = do(now); err == nil {
			if resp, err = json.Marshal(v); err == nil && key != "" {
				s.idem[key] = &idemEntry{fingerprint: fp, status: status, body: resp, expires: now.Add(idempotencyTTL)}
			}
			s.persistLocked() // do changed the state (it commits only on success)
		}
	}
	s.mu.Unlock()

	if err != nil {
		writeErr(w, err)
		return
	}
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeRaw(w, status, resp)
}

// createRequest is the body of POST /cash-in; pointers tell "absent" apart.
type createRequest struct {
	Amount              *psp.Amount `json:"amount"`
	ExternalReference   string      `json:"externalReference"`
	ExpirationInMinutes *int        `json:"expirationInMinutes"`
	WebhookURL          string      `json:"webhookUrl"`
	Payer               *struct {
		Name     string `json:"name"`
		Document string `json:"document"`
	} `json:"payer"`
}

func (q *createRequest) validate() error {
	bad := func(detail string) error { return newProblem(http.StatusBadRequest, psp.CodeValidation, detail) }
	switch {
	case q.Amount == nil || *q.Amount <= 0:
		return bad("amount is required and must be greater than zero")
	case strings.TrimSpace(q.ExternalReference) == "":
		return bad("externalReference is required")
	case len(q.ExternalReference) > 255:
		return bad("externalReference is longer than 255 characters")
	case q.Payer == nil || strings.TrimSpace(q.Payer.Name) == "":
		return bad("payer.name is required")
	case !validDocument(q.Payer.Document):
		return bad("payer.document must be a valid CPF (11 digits) or CNPJ (14 characters), without punctuation")
	case q.ExpirationInMinutes != nil && *q.ExpirationInMinutes < 1:
		return bad("expirationInMinutes must be at least 1")
	}
	if q.WebhookURL != "" {
		u, err := url.Parse(q.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return bad("webhookUrl must be an absolute http or https URL")
		}
	}
	return nil
}

func (s *Sandbox) handleCreate(w http.ResponseWriter, r *http.Request, _ string) {
	body, err := readBody(w, r)
	if err != nil {
		writeErr(w, err)
		return
	}
	s.idempotent(w, r, body, http.StatusCreated, func(now time.Time) (any, error) {
		return s.createLocked(body, now)
	})
}

func (s *Sandbox) createLocked(body []byte, now time.Time) (*psp.CashIn, error) {
	var q createRequest
	if err := decodeJSON(body, &q); err != nil {
		return nil, err
	}
	if err := q.validate(); err != nil {
		return nil, err
	}
	if c := s.refs[q.ExternalReference]; c != nil {
		return nil, newProblem(http.StatusConflict, psp.CodeDuplicateReference,
			fmt.Sprintf("externalReference %q already has cash-in %s", q.ExternalReference, c.ci.TransactionID))
	}
	pix, err := s.pixData()
	if err != nil {
		s.log.Error("sandbox: building pix data", "err", err)
		return nil, newProblem(http.StatusInternalServerError, psp.CodeInternal, "could not build the pix code")
	}
	minutes := defaultExpirationMinutes
	if q.ExpirationInMinutes != nil {
		minutes = *q.ExpirationInMinutes
	}
	requested := now.Truncate(time.Second).In(brasilia)
	c := &charge{
		ci: psp.CashIn{
			TransactionID:     s.uniqueID(lowerAlnum, 35),
			InternalCode:      s.uniqueID(upperAlnum, 7),
			ExternalReference: q.ExternalReference,
			Status:            psp.StatusAwaitingPayment,
			Amount:            *q.Amount,
			Payer:             psp.Payer{Name: q.Payer.Name, Document: q.Payer.Document},
			PixData:           pix,
			RequestedAt:       requested,
		},
		expiresAt:  requested.Add(time.Duration(minutes) * time.Minute),
		webhookURL: q.WebhookURL,
	}
	s.charges = append(s.charges, c)
	s.ids[c.ci.TransactionID] = c
	s.ids[c.ci.InternalCode] = c
	s.refs[c.ci.ExternalReference] = c
	s.stats.CashInsCreated++
	s.log.Info("sandbox: cash-in created", "transactionId", c.ci.TransactionID,
		"externalReference", c.ci.ExternalReference, "amount", c.ci.Amount.Decimal())
	ci := c.ci
	return &ci, nil
}

// uniqueID returns a random id not yet indexing a charge.
func (s *Sandbox) uniqueID(alphabet string, n int) string {
	for {
		id := randomString(alphabet, n)
		if s.ids[id] == nil {
			return id
		}
	}
}

func (s *Sandbox) handleGet(w http.ResponseWriter, r *http.Request, _ string) {
	s.mu.Lock()
	c, err := s.lookupLocked(r.PathValue("id"))
	var v psp.CashIn
	if err == nil {
		c.expireLocked(s.now())
		v = c.view()
	}
	s.mu.Unlock()
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

type refundRequest struct {
	Reason      psp.RefundReason `json:"reason"`
	Description string           `json:"description"`
}

func (s *Sandbox) handleRefund(w http.ResponseWriter, r *http.Request, token string) {
	body, err := readBody(w, r)
	if err != nil {
		writeErr(w, err)
		return
	}
	if !psp.Verify([]byte(token), r.Header.Get(headerDigitalSignature), s.creds.CryptoToken) {
		writeProblem(w, http.StatusUnprocessableEntity, psp.CodeInvalidSignature,
			"DigitalSignature must be the hex HMAC-SHA256 of the access token under the CryptoToken")
		return
	}
	if r.Header.Get(headerIdempotencyKey) == "" {
		writeProblem(w, http.StatusBadRequest, psp.CodeValidation, "the X-Idempotency-Key header is required")
		return
	}
	id := r.PathValue("id")
	s.idempotent(w, r, body, http.StatusAccepted, func(now time.Time) (any, error) {
		return s.refundLocked(id, body, now)
	})
}

func (s *Sandbox) refundLocked(id string, body []byte, now time.Time) (*psp.CashIn, error) {
	var q refundRequest
	if err := decodeJSON(body, &q); err != nil {
		return nil, err
	}
	if !q.Reason.Valid() {
		return nil, newProblem(http.StatusBadRequest, psp.CodeValidation,
			"reason must be one of FRAUD, DUPLICATED_PAYMENT, CUSTOMER_REQUEST, MERCHANT_ERROR")
	}
	c, err := s.lookupLocked(id)
	if err != nil {
		return nil, err
	}
	c.expireLocked(now)
	if c.ci.Status != psp.StatusPaid {
		return nil, stateProblem(c.ci.Status)
	}
	if c.ci.EndToEndID == "" {
		return nil, newProblem(http.StatusUnprocessableEntity, psp.CodeMissingEndToEndID, "the cash-in has no endToEndId")
	}
	c.ci.Status = psp.StatusRefunded
	c.ci.OriginalEndToEndID = c.ci.EndToEndID
	c.ci.EndToEndID = endToEndID('D', connectISPB, now)
	c.ci.RefundedAt = now.Truncate(time.Second).In(brasilia)
	s.ids[c.ci.EndToEndID] = c
	s.stats.Refunds++
	s.log.Info("sandbox: cash-in refunded", "transactionId", c.ci.TransactionID, "reason", q.Reason)
	s.enqueueLocked(c, psp.EventCashInRefunded, now)
	v := c.view()
	return &v, nil
}
