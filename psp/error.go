package psp

import (
	"errors"
	"fmt"
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
