package engine

import (
	"context"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// messages is a slog.Handler that hands each record's message to the test.
type messages chan string

func (m messages) Enabled(context.Context, slog.Level) bool { return true }
func (m messages) WithAttrs([]slog.Attr) slog.Handler       { return m }
func (m messages) WithGroup(string) slog.Handler            { return m }
func (m messages) Handle(_ context.Context, r slog.Record) error {
	select {
	case m <- r.Level.String() + " " + r.Message:
	default:
	}
	return nil
}

// TestWebhookServerLogsThroughItsLogger: net/http's own complaints about a
// request reach the logger the server was built with, and nothing reaches
// the log package's output (the console's screen, when it is stderr).
func TestWebhookServerLogsThroughItsLogger(t *testing.T) {
	global := &countingWriter{}
	prev := log.Writer()
	log.SetOutput(global)
	t.Cleanup(func() { log.SetOutput(prev) })

	got := make(messages, 8)
	srv := NewWebhookServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.WriteHeader(http.StatusTeapot) // net/http logs a superfluous call
	}), slog.New(got))
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 ||
		srv.MaxHeaderBytes != WebhookMaxHeaderBytes {
		t.Errorf("server settings %+v: want every timeout set and headers capped", srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	resp, err := http.Get("http://" + ln.Addr().String() + WebhookPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	select {
	case m := <-got:
		if !strings.HasPrefix(m, "WARN ") || !strings.Contains(m, "superfluous response.WriteHeader") {
			t.Errorf("logged %q, want net/http's complaint at warning level", m)
		}
	case <-time.After(waitLimit):
		t.Fatal("net/http's complaint never reached the server's logger")
	}
	if n := global.n.Load(); n != 0 {
		t.Errorf("%d bytes went to the log package's output", n)
	}
}
