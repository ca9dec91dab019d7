package psp

import (
	"encoding/json"
	"errors"
	"time"
)

// The domain types below carry JSON tags because ConnectPSP's wire format is
// exactly their shape: the only conversions (money and times) are done by
// Amount and time.Time themselves, so a second set of wire structs would only
// copy fields.

// Payer is the person or company paying a charge.
type Payer struct {
	Name     string    `json:"name"`
	Document string    `json:"document"`
	BankData *BankData `json:"bankData,omitempty"`
}

// BankData identifies the account a payment came from; set once paid.
type BankData struct {
	ISPB    string `json:"ispb"`
	Bank    string `json:"bank"`
	Branch  string `json:"branch"`
	Account string `json:"account"`
}

// PixData is what the payer scans or pastes.
type PixData struct {
	// CopyAndPaste is the EMV BR Code; a QR of exactly this text is what the payer scans.
	CopyAndPaste string `json:"copyAndPaste"`
	// QRCodeImageBase64 is a PNG of the same code, base64 without a data: prefix.
	QRCodeImageBase64 string `json:"qrCodeImageBase64,omitempty"`
}

// CashIn is a PIX charge as ConnectPSP describes it (GET /cash-in/{id}).
type CashIn struct {
	TransactionID      string    `json:"transactionId"`
	InternalCode       string    `json:"internalCode"`
	ExternalReference  string    `json:"externalReference"`
	Status             Status    `json:"status"`
	Amount             Amount    `json:"amount"`
	Payer              Payer     `json:"payer"`
	PixData            *PixData  `json:"pixData,omitempty"`
	EndToEndID         string    `json:"endToEndId,omitempty"`
	OriginalEndToEndID string    `json:"originalEndToEndId,omitempty"`
	RequestedAt        time.Time `json:"requestedAt,omitzero"`
	PaidAt             time.Time `json:"paidAt,omitzero"`
	RefundedAt         time.Time `json:"refundedAt,omitzero"`
	ExpiredAt          time.Time `json:"expiredAt,omitzero"`
}

// CreateParams is the body of POST /cash-in.
type CreateParams struct {
	Amount              Amount `json:"amount"`
	ExternalReference   string `json:"externalReference"`
	ExpirationInMinutes int    `json:"expirationInMinutes,omitempty"`
	WebhookURL          string `json:"webhookUrl,omitempty"`
	Payer               Payer  `json:"payer"`
}

// RefundReason is why a paid charge is returned.
type RefundReason string

// The refund reasons ConnectPSP accepts.
const (
	RefundFraud             RefundReason = "FRAUD"
	RefundDuplicatedPayment RefundReason = "DUPLICATED_PAYMENT"
	RefundCustomerRequest   RefundReason = "CUSTOMER_REQUEST"
	RefundMerchantError     RefundReason = "MERCHANT_ERROR"
)

// RefundReasons lists the reasons in the order a person chooses from.
var RefundReasons = []RefundReason{RefundCustomerRequest, RefundDuplicatedPayment, RefundMerchantError, RefundFraud}

// Valid reports whether r is a reason ConnectPSP accepts.
func (r RefundReason) Valid() bool {
	for _, k := range RefundReasons {
		if r == k {
			return true
		}
	}
	return false
}

// Event types ConnectPSP posts to a charge's webhookUrl.
const (
	EventCashInPaid     = "CASHIN_PAID"
	EventCashInRefunded = "CASHIN_REFUNDED"
)

// Event is a webhook envelope. Data is exactly the GET /cash-in/{id} object.
type Event struct {
	Type string    `json:"eventType"`
	At   time.Time `json:"eventAt,omitzero"`
	Data CashIn    `json:"data"`
}

// ParseEvent reads a webhook body as an Event: one with no eventType is not
// an event. The receiver verifies the signature first, and the store reads
// its inbox with this again.
func ParseEvent(body []byte) (*Event, error) {
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, err
	}
	if ev.Type == "" {
		return nil, errors.New("psp: webhook body has no eventType")
	}
	return &ev, nil
}
