package store

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
)

// TestWrkFixture prepares a wrk run against a real `pixdesk serve`
// (docs/load.md): it loads PIXDESK_WRK_ROWS (default 20,000) AWAITING
// charges into the journal PIXDESK_WRK_DB (a SQLite file or a postgres://
// DSN, empty) and writes PIXDESK_WRK_LINES (default 150,000) signed
// deliveries to PIXDESK_WRK_OUT, one per line — X-Event-Id,
// X-Connect-Signature and body, tab-separated — signed with
// PIXDESK_WRK_KEY (serve's CONNECTPSP_CRYPTO_TOKEN). One line in ten
// repeats an earlier one byte for byte (a replay); of the others the first
// PIXDESK_WRK_ROWS pay one charge each, and the rest are CASHIN_PAID events
// sent again with a new body (a duplicate, recorded and applied as such).
// Serve polls the charges it finds open, so the fewer they are the less
// the poller runs beside the receiver. testdata/wrk_deliveries.lua sends
// the lines.
func TestWrkFixture(t *testing.T) {
	dsn, out, key := os.Getenv("PIXDESK_WRK_DB"), os.Getenv("PIXDESK_WRK_OUT"), os.Getenv("PIXDESK_WRK_KEY")
	if dsn == "" || out == "" || key == "" {
		t.Skip("set PIXDESK_WRK_DB, PIXDESK_WRK_OUT and PIXDESK_WRK_KEY to prepare a wrk run")
	}
	rows, lines := 20_000, 150_000
	for _, v := range []struct {
		name string
		n    *int
	}{{"PIXDESK_WRK_ROWS", &rows}, {"PIXDESK_WRK_LINES", &lines}} {
		if s := os.Getenv(v.name); s != "" {
			var err error
			if *v.n, err = strconv.Atoi(s); err != nil || *v.n <= 0 {
				t.Fatalf("%s=%q", v.name, s)
			}
		}
	}
	db, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	awaiting := psp.StatusAwaitingPayment
	bulkLoad(t, db, 0, rows, &awaiting)
	if db.postgres {
		if _, err := db.sql.Exec("ANALYZE"); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	var kept []string
	for i := 1; i <= lines; i++ {
		if i%10 == 0 {
			fmt.Fprintln(w, kept[i*7919%len(kept)])
			continue
		}
		d := benchDelivery((i - 1 - i/10) % rows)
		line := fmt.Sprintf("evt-wrk-%d\t%s\t%s", i, psp.Sign(d.Body, psp.Secret(key)), d.Body)
		if len(kept) < 10_000 {
			kept = append(kept, line)
		}
		fmt.Fprintln(w, line)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWrkBare serves the bare net/http handler TestWebhookLoad compares
// with on PIXDESK_WRK_BARE (host:port) for PIXDESK_WRK_BARE_FOR (default
// 60s), for wrk's baseline in the same run.
func TestWrkBare(t *testing.T) {
	addr := os.Getenv("PIXDESK_WRK_BARE")
	if addr == "" {
		t.Skip("set PIXDESK_WRK_BARE=host:port to serve the bare handler for wrk")
	}
	d := time.Minute
	if s := os.Getenv("PIXDESK_WRK_BARE_FOR"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatal(err)
		}
	}
	srv := &http.Server{Addr: addr, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusOK)
		})}
	go func() {
		time.Sleep(d)
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		t.Fatal(err)
	}
}
