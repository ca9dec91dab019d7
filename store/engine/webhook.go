package engine

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// WebhookPath is where ConnectPSP's deliveries are served (the console's
// listener and serve mount WebhookHandler there).
const WebhookPath = "/webhooks/connectpsp"

// Timeouts of the webhook server. ConnectPSP waits 5 s for an answer.
const (
	webhookReadHeaderTimeout = 5 * time.Second
	webhookReadTimeout       = 10 * time.Second
	webhookWriteTimeout      = 10 * time.Second
	webhookIdleTimeout       = 60 * time.Second
	webhookShutdownTimeout   = 5 * time.Second
)

// WebhookMaxHeaderBytes caps a webhook request's headers (net/http's
// default is 1 MiB): ConnectPSP sends a few short ones.
const WebhookMaxHeaderBytes = 16 << 10

// NewWebhookServer returns the HTTP server that receives ConnectPSP's
// webhooks with h, in the console and in serve alike: its
// timeouts bound a slow or stalled client, its headers are capped at
// WebhookMaxHeaderBytes, and net/http's own complaints (a failed TLS
// handshake, a handler's panic) go to log at warning level, never through
// the log package to stderr, which is the console's screen. A nil log
// discards them.
func NewWebhookServer(h http.Handler, log *slog.Logger) *http.Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &http.Server{
		Handler:           h,
		MaxHeaderBytes:    WebhookMaxHeaderBytes,
		ReadHeaderTimeout: webhookReadHeaderTimeout,
		ReadTimeout:       webhookReadTimeout,
		WriteTimeout:      webhookWriteTimeout,
		IdleTimeout:       webhookIdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// WebhookHandler returns the receiver for ConnectPSP's webhooks: it verifies
// each delivery with WebhookKey, makes it durable in the store's inbox, and
// only then answers 200; the store applies it a moment later and the
// engine notifies (applied). A delivery that fails verification is
// refused: counted, logged at a bounded rate, sampled by the store, and no
// charge hears of it. The engine starts applying the inbox here: a
// process that receives webhooks applies them.
func (e *Engine) WebhookHandler() http.Handler {
	e.db.StartInbox(e.applied)
	return &psp.WebhookHandler{Key: e.hookKey, Sink: sink{e}, Logger: e.log, Now: e.now}
}

// sink records deliveries in the store's inbox.
type sink struct{ e *Engine }

var _ psp.WebhookSink = sink{}

// logHeaderMax is how much of a header a log line keeps.
const logHeaderMax = 64

// RecordDelivery implements psp.WebhookSink.
func (s sink) RecordDelivery(ctx context.Context, d *psp.Delivery) error {
	e := s.e
	if d.Verdict == psp.VerdictForged {
		e.refuse(d)
		return nil
	}
	if err := e.db.Accept(ctx, d); err != nil {
		// The handler answers 500 to a genuine event, so ConnectPSP retries.
		e.metrics.delivery(string(d.Verdict), "error")
		e.notify(Notice{Kind: NoticeWebhook, At: d.ReceivedAt, Err: fmt.Errorf("engine: recording webhook delivery: %w", err)})
		return err
	}
	crashPoint("after-webhook")
	if d.Verdict == psp.VerdictGenuine && d.Event != nil {
		e.mu.Lock()
		if d.ReceivedAt.After(e.health.LastWebhook) {
			e.health.LastWebhook = d.ReceivedAt
		}
		e.mu.Unlock()
	}
	return nil
}

// applied is told by the store of each delivery it applied from the inbox:
// it counts, logs and notifies what the delivery did.
func (e *Engine) applied(d *psp.Delivery, r store.Receipt, err error) {
	n := Notice{Kind: NoticeWebhook, At: d.ReceivedAt}
	if err != nil {
		// It stays in the inbox, and is tried again.
		e.metrics.delivery(string(d.Verdict), "error")
		n.Err = fmt.Errorf("engine: applying webhook delivery: %w", err)
		e.notify(n)
		return
	}
	n.ChargeID = r.ChargeID
	e.metrics.delivery(string(d.Verdict), string(r.Outcome))
	if d.Verdict != psp.VerdictGenuine || d.Event == nil {
		n.Err = fmt.Errorf("engine: webhook delivery %s", d.Verdict)
		e.log.Warn("webhook: unreadable delivery", "eventId", safetext.Clip(d.EventID, logHeaderMax),
			"verdict", d.Verdict, "outcome", r.Outcome, "remote", d.RemoteAddr, "bytes", len(d.Body))
		e.notify(n)
		return
	}
	if r.Outcome == store.OutcomeApplied {
		e.metrics.status(string(d.Event.Data.Status), "webhook")
	}
	if r.Outcome == store.OutcomeMismatch {
		// The event is another transaction's: ask ConnectPSP about this one.
		e.log.Warn("webhook: event names another transaction", "charge", r.ChargeID,
			"transactionId", safetext.Clip(d.Event.Data.TransactionID, logHeaderMax))
		e.PollNow(r.ChargeID)
	}
	e.log.Info("webhook: recorded", "eventId", safetext.Clip(d.EventID, logHeaderMax), "type", safetext.Clip(d.Event.Type, logHeaderMax),
		"charge", r.ChargeID, "outcome", r.Outcome, "transactionId", safetext.Clip(d.Event.Data.TransactionID, logHeaderMax))
	e.notify(n)
}
