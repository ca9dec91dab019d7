package psp

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/pixdesk/pixdesk/internal/safetext"
)

// MaxWebhookBody is the largest webhook body the receiver reads.
const MaxWebhookBody = 64 << 10

// Webhook headers (API digest §7).
const (
	HeaderSignature = "X-Connect-Signature"
	HeaderEventID   = "X-Event-Id"
)

// Sign returns the lowercase hex HMAC-SHA256 of body under key: the value of
// X-Connect-Signature, and of DigitalSignature when body is an access token.
func Sign(body []byte, key Secret) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether signature is the hex HMAC-SHA256 of body under key,
// comparing in constant time.
func Verify(body []byte, signature string, key Secret) bool {
	got, err := hex.DecodeString(signature)
	if err != nil || len(got) != sha256.Size || key == "" {
		return false
	}
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// Verdict is what the receiver concluded about one delivery.
type Verdict string

// Verdicts of a delivery.
const (
	VerdictGenuine   Verdict = "genuine"   // signature valid, JSON decoded
	VerdictForged    Verdict = "forged"    // signature missing or wrong: not parsed
	VerdictMalformed Verdict = "malformed" // signature valid, JSON not decodable
)

// Delivery is one webhook request as received, handed to the sink whatever
// its verdict. EventID and Signature are the headers as sent, unbounded
// but by the server's header limit: clip them before logging.
type Delivery struct {
	EventID    string
	Signature  string
	Verdict    Verdict
	Body       []byte
	ReceivedAt time.Time
	RemoteAddr string
	// Event is set only when Verdict is VerdictGenuine.
	Event *Event
}

// WebhookSink records deliveries. For a signed delivery, RecordDelivery
// must return only after the delivery (and, for a genuine event, its
// effect) is durably stored: the receiver answers 200 only then. A forged
// one (VerdictForged) is answered 401 whatever the sink does; it must
// change nothing, and it should cost the sink little and wait for nothing.
type WebhookSink interface {
	RecordDelivery(ctx context.Context, d *Delivery) error
}

// WebhookHandler receives ConnectPSP webhooks: it caps the body, verifies the
// signature over the raw bytes before parsing, hands the delivery to the sink
// and answers 200 only once the sink has recorded it.
type WebhookHandler struct {
	Key    Secret
	Sink   WebhookSink
	Logger *slog.Logger
	Now    func() time.Time
}

var _ http.Handler = (*WebhookHandler)(nil)

// ServeHTTP implements http.Handler.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "could not read body", http.StatusBadRequest)
		return
	}
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	d := &Delivery{
		EventID:    r.Header.Get(HeaderEventID),
		Signature:  r.Header.Get(HeaderSignature),
		Body:       body,
		ReceivedAt: now(),
		RemoteAddr: r.RemoteAddr,
	}
	status := http.StatusOK
	switch {
	case !Verify(body, d.Signature, h.Key):
		d.Verdict, status = VerdictForged, http.StatusUnauthorized
	default:
		if ev, err := ParseEvent(body); err != nil {
			d.Verdict, status = VerdictMalformed, http.StatusBadRequest
		} else {
			d.Verdict, d.Event = VerdictGenuine, ev
		}
	}
	if err := h.Sink.RecordDelivery(r.Context(), d); err != nil {
		h.logger().Error("webhook: recording failed", "eventId", safetext.Clip(d.EventID, 64), "verdict", d.Verdict, "err", err)
		if d.Verdict == VerdictGenuine {
			// ConnectPSP retries anything but 200: the event is not lost.
			http.Error(w, "could not record the event", http.StatusInternalServerError)
			return
		}
	}
	if status != http.StatusOK {
		http.Error(w, string(d.Verdict), status)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *WebhookHandler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}
