package psp

import (
	"errors"
	"fmt"
	"regexp"
)

// Problem codes ConnectPSP documents (API digest §3, §6, §8).
const (
	CodeInvalidCredentials      = "INVALID_CREDENTIALS"
	CodeTokenExpired            = "TOKEN_EXPIRED"
	CodeInvalidApplicationToken = "INVALID_APPLICATION_TOKEN"
	CodeInvalidSignature        = "INVALID_SIGNATURE"
	CodeCashInNotPaid           = "CASH_IN_NOT_PAID"
	CodeCashInAlreadyRefunded   = "CASH_IN_ALREADY_REFUNDED"
	CodeCashInExpired           = "CASH_IN_EXPIRED"
	CodeCashInCancelled         = "CASH_IN_CANCELLED"
	CodeMissingEndToEndID       = "MISSING_END_TO_END_ID"
	CodeDuplicateReference      = "DUPLICATE_EXTERNAL_REFERENCE"
	CodeIdempotencyMismatch     = "IDEMPOTENCY_KEY_REUSED"
	CodeNotFound                = "NOT_FOUND"
	CodeValidation              = "VALIDATION_ERROR"
	CodeInternal                = "INTERNAL_ERROR"
)

// ErrDuplicateReference reports that the order reference already has a charge
// at ConnectPSP (409, or 422 with CodeDuplicateReference). Look the charge up
// instead of creating another.
var ErrDuplicateReference = errors.New("psp: external reference already used")

// ErrNotFound reports a 404: the id is unknown to this application.
var ErrNotFound = errors.New("psp: cash-in not found")

// Error is an RFC 7807 problem returned by ConnectPSP, or the best reading of
// a non-JSON error body.
type Error struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Type   string `json:"type"`
	// Body holds the start of a body that was not problem+json.
	Body string `json:"-"`
}

// Error implements error.
func (e *Error) Error() string {
	switch {
	case e.Code != "" && e.Detail != "":
		return fmt.Sprintf("connectpsp: %d %s: %s", e.Status, e.Code, e.Detail)
	case e.Code != "":
		return fmt.Sprintf("connectpsp: %d %s", e.Status, e.Code)
	case e.Body != "":
		return fmt.Sprintf("connectpsp: %d: %q", e.Status, e.Body)
	default:
		return fmt.Sprintf("connectpsp: status %d", e.Status)
	}
}

// Unwrap lets errors.Is match ErrDuplicateReference and ErrNotFound.
func (e *Error) Unwrap() error {
	switch {
	case e.Status == 409 || e.Code == CodeDuplicateReference:
		return ErrDuplicateReference
	case e.Status == 404:
		return ErrNotFound
	}
	return nil
}

// Temporary reports whether the same request may succeed later (5xx, 429).
func (e *Error) Temporary() bool { return e.Status >= 500 || e.Status == 429 }

// cpfInText finds what may be a CPF inside a sentence: 11 digits, bare or
// punctuated ("12345678909", "123.456.789-09"). maskDocuments checks that
// no digit touches it on either side, which regexp cannot say.
var cpfInText = regexp.MustCompile(`[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}`)

// maskDocuments masks every CPF in s as MaskDocument does
// ("***.456.789-**"). ConnectPSP's problems echo the payer's document
// ("payer.document 123.456.789-09 is not valid"), and their text is shown
// to the cashier, stored as a rejection reason and logged. Longer runs of
// digits (an endToEndId, a CNPJ) are left alone.
func maskDocuments(s string) string {
	locs := cpfInText.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	digit := func(i int) bool { return i >= 0 && i < len(s) && s[i] >= '0' && s[i] <= '9' }
	out, last := make([]byte, 0, len(s)), 0
	for _, l := range locs {
		if digit(l[0]-1) || digit(l[1]) {
			continue
		}
		out = append(out, s[last:l[0]]...)
		out = append(out, MaskDocument(s[l[0]:l[1]])...)
		last = l[1]
	}
	return string(append(out, s[last:]...))
}

// maskProblem masks the CPFs a problem's words may carry (maskDocuments).
func (e *Error) maskProblem() {
	e.Title, e.Detail, e.Body = maskDocuments(e.Title), maskDocuments(e.Detail), maskDocuments(e.Body)
}

// tokenError marks a call that failed getting its access token: the call
// itself was not sent, and whatever /auth/token answered is no answer to it.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// Refused reports whether err is ConnectPSP's own refusal of the call that
// returned it: a 4xx answer from the endpoint called, which judged the
// request and made nothing of it. Only such an answer settles a create
// whose outcome was unknown. Anything else leaves the outcome as it was:
// a failure getting the token (the call was never sent), a network error
// or timeout, a 5xx or 429, a redirect (3xx: an answer from whatever sits
// in front of ConnectPSP, not from it), and 401, 403, 407 and 408, which
// refuse the credentials or the connection, not the request.
func Refused(err error) bool {
	var (
		pe *Error
		te *tokenError
	)
	if errors.As(err, &te) || !errors.As(err, &pe) {
		return false
	}
	switch pe.Status {
	case 401, 403, 407, 408, 429:
		return false
	}
	return pe.Status >= 400 && pe.Status < 500
}
