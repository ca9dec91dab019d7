package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// WebhookPath is where ListenWebhooks serves ConnectPSP's deliveries.
const WebhookPath = "/webhooks/connectpsp"

// Timeouts of the webhook server. ConnectPSP waits 5 s for an answer.
const (
	webhookReadHeaderTimeout = 5 * time.Second
	webhookReadTimeout       = 10 * time.Second
	webhookWriteTimeout      = 10 * time.Second
	webhookIdleTimeout       = 60 * time.Second
	webhookShutdownTimeout   = 5 * time.Second
)

// WebhookHandler returns the receiver for ConnectPSP's webhooks: it verifies
// each delivery with WebhookKey, records it durably in the store (which
// applies a genuine event), and only then answers 200 and notifies.
func (e *Engine) WebhookHandler() http.Handler {
	return &psp.WebhookHandler{Key: e.hookKey, Sink: sink{e}, Logger: e.log, Now: e.now}
}

// sink records deliveries in the store, then tells the engine's listener.
type sink struct{ e *Engine }

var _ psp.WebhookSink = sink{}

// RecordDelivery implements psp.WebhookSink.
func (s sink) RecordDelivery(ctx context.Context, d *psp.Delivery) error {
	e := s.e
	n := Notice{Kind: NoticeWebhook, At: d.ReceivedAt}
	if err := e.db.RecordDelivery(ctx, d); err != nil {
		// The handler answers 500 to a genuine event, so ConnectPSP retries.
		e.metrics.delivery(string(d.Verdict), "error")
		n.Err = fmt.Errorf("engine: recording webhook delivery: %w", err)
		e.notify(n)
		return err
	}
	crashPoint("after-webhook")
	if d.Verdict != psp.VerdictGenuine || d.Event == nil {
		e.metrics.delivery(string(d.Verdict), string(d.Verdict))
		n.Err = fmt.Errorf("engine: webhook delivery %s", d.Verdict)
		e.log.Warn("webhook: rejected delivery", "eventId", d.EventID, "verdict", d.Verdict, "remote", d.RemoteAddr)
		e.notify(n)
		return nil
	}
	e.mu.Lock()
	if d.ReceivedAt.After(e.health.LastWebhook) {
		e.health.LastWebhook = d.ReceivedAt
	}
	e.mu.Unlock()
	if txid := d.Event.Data.TransactionID; txid != "" {
		if ch, err := e.db.Find(ctx, txid); err == nil {
			n.ChargeID = ch.ID
		}
	}
	e.countDelivery(ctx, d, n.ChargeID)
	e.log.Info("webhook: recorded", "eventId", d.EventID, "type", d.Event.Type, "charge", n.ChargeID, "transactionId", d.Event.Data.TransactionID)
	e.notify(n)
	return nil
}

// countDelivery adds a genuine delivery to the metrics with what recording
// it did, as the journal kept it.
func (e *Engine) countDelivery(ctx context.Context, d *psp.Delivery, chargeID int64) {
	outcome := store.OutcomeUnknown
	if chargeID != 0 {
		var err error
		if outcome, err = e.db.DeliveryOutcome(ctx, chargeID, d.EventID); err != nil {
			outcome = "unrecorded"
		}
	}
	e.metrics.delivery(string(d.Verdict), string(outcome))
	if outcome == store.OutcomeApplied {
		e.metrics.status(string(d.Event.Data.Status), "webhook")
	}
}

// ListenWebhooks serves WebhookHandler at WebhookPath on addr (":0" picks a
// free port) and returns the address it is bound to. The server stops
// gracefully when ctx ends.
func (e *Engine) ListenWebhooks(ctx context.Context, addr string) (string, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("engine: listen for webhooks: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(WebhookPath, e.WebhookHandler())
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: webhookReadHeaderTimeout,
		ReadTimeout:       webhookReadTimeout,
		WriteTimeout:      webhookWriteTimeout,
		IdleTimeout:       webhookIdleTimeout,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("webhook: server stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), webhookShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			e.log.Warn("webhook: shutdown", "err", err)
			srv.Close()
		}
	}()
	e.log.Info("webhook: listening", "addr", ln.Addr().String(), "path", WebhookPath)
	return ln.Addr().String(), nil
}
