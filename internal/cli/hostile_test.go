package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/internal/safetext/hostiletest"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// hostile is tag followed by every kind of hostile text (13,000 characters
// and more); shown is how its start must read once cleaned.
func hostile(tag string) string { return hostiletest.All(tag + "=") }
func shown(tag string) string   { return tag + "=" + hostiletest.Kinds[0].Seen }

// hostileJournal records, as received, a paid transaction whose every text
// field is hostile, imported from ConnectPSP, and a genuine delivery of an
// event type nobody knows naming it.
func hostileJournal(t *testing.T) (path string, ci *psp.CashIn) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "journal.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	at := time.Date(2026, 3, 10, 14, 20, 0, 0, time.UTC)
	ci = &psp.CashIn{TransactionID: hostile("tx"), InternalCode: hostile("cd"), ExternalReference: hostile("rf"),
		Status: psp.StatusPaid, Amount: 1250, EndToEndID: hostile("ee"), RequestedAt: at, PaidAt: at.Add(time.Minute),
		Payer: psp.Payer{Name: hostile("nm"), Document: hostile("dc"), BankData: &psp.BankData{
			ISPB: hostile("is"), Bank: hostile("bk"), Branch: hostile("ag"), Account: hostile("ac")}}}
	if _, err := db.Import(ctx, ci, hostile("tm")); err != nil {
		t.Fatal(err)
	}
	ev := &psp.Event{Type: hostile("ev"), At: at, Data: *ci}
	body, _ := json.Marshal(ev)
	if err := db.RecordDelivery(ctx, &psp.Delivery{EventID: hostile("id"), Verdict: psp.VerdictGenuine, Body: body,
		ReceivedAt: at.Add(2 * time.Minute), RemoteAddr: "127.0.0.1:1", Event: ev}); err != nil {
		t.Fatal(err)
	}
	return path, ci
}

// txOut runs pixdesk tx with args and returns what it printed.
func txOut(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut strings.Builder
	if code := runTx(args, sysOf(envOf(nil), &out, &errOut)); code != 0 {
		t.Fatalf("tx %v: exit %d: %s", args, code, errOut.String())
	}
	if err := hostiletest.Check(errOut.String()); err != nil {
		t.Errorf("tx %v: stderr: %v", args, err)
	}
	return out.String()
}

// tx prints outside text as data: the text forms show every kind of
// hostile text in its visible form and nothing a terminal would obey;
// JSON escapes what it must and gives a script the values as received;
// CSV is cleaned as the screen is.
func TestTxOutputIsData(t *testing.T) {
	db, ci := hostileJournal(t)
	for _, c := range []struct {
		args  []string
		shows []string
	}{
		{[]string{"list"}, []string{"cd", "rf", "nm"}},
		// The journal keeps only a document's letters and digits: revealed,
		// it shows nothing hostile, but the line must stay clean.
		{[]string{"list", "--reveal"}, []string{"nm"}},
		{[]string{"show", "1"}, []string{"rf", "nm", "tm", "cd", "tx", "ee", "ev"}},
		{[]string{"show", "1", "--reveal"}, []string{"nm"}},
	} {
		out := txOut(t, append(c.args, "--db", db)...)
		if err := hostiletest.Check(out); err != nil {
			t.Errorf("tx %v: %v", c.args, err)
		}
		for _, tag := range c.shows {
			if want := shown(tag); !strings.Contains(out, want) {
				t.Errorf("tx %v does not show %q:\n%.2000s", c.args, want, out)
			}
		}
		if c.args[0] == "show" && len(c.args) == 2 {
			for _, k := range hostiletest.Kinds {
				if !strings.Contains(out, k.Seen) {
					t.Errorf("tx show lacks the visible form %q of %s", k.Seen, k.Name)
				}
			}
		}
	}

	for _, args := range [][]string{{"show", "1", "--json", "--reveal"}, {"list", "--json", "--reveal"}} {
		out := txOut(t, append(args, "--db", db)...)
		if err := hostiletest.Check(out); err != nil {
			t.Errorf("tx %v: %v", args, err)
		}
		if !strings.Contains(out, `\u001b]52`) || !strings.Contains(out, `\u202e`) || !strings.Contains(out, `\u009b`) {
			t.Errorf("tx %v: the escapes are not in the JSON:\n%.600s", args, out)
		}
		var r txRecord
		if args[0] == "list" {
			var rs []txRecord
			if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 {
				t.Fatalf("tx %v: %d records, %v", args, len(rs), err)
			}
			r = rs[0]
		} else if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("tx %v: %v", args, err)
		}
		if r.Payer.Name != ci.Payer.Name || r.TransactionID != ci.TransactionID || r.Payer.BankData == nil ||
			*r.Payer.BankData != *ci.Payer.BankData || r.EndToEndID != ci.EndToEndID || r.InternalCode != ci.InternalCode {
			t.Errorf("tx %v: a script does not get the values as received", args)
		}
	}

	out := txOut(t, "list", "--csv", "--db", db)
	if err := hostiletest.Check(out); err != nil {
		t.Errorf("tx list --csv: %v", err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("tx list --csv: %d rows, %v", len(rows), err)
	}
	line := strings.Join(rows[1], ",")
	for _, tag := range []string{"tm", "cd", "tx", "rf", "nm", "ee"} {
		if !strings.Contains(line, shown(tag)) {
			t.Errorf("tx list --csv does not show %q: %.300s", shown(tag), line)
		}
	}
}

// The console's log file holds what it is told in its visible form, each
// value clipped: a megabyte event id takes a line, not a megabyte.
func TestConsoleLogIsCleanAndBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pixdesk.log")
	log, closeLog, err := openLog(&config{logPath: path, terminal: "C01"})
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat(hostile("id"), 80) // over 1 MB
	log.With("payer", hostile("nm")).Warn("webhook: "+hostile("msg"), "eventId", big, "err", errors.New(hostile("de")),
		slog.Group("bank", "name", hostile("bk")), "ids", []string{hostile("tx")})
	closeLog()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := hostiletest.Check(string(data)); err != nil {
		t.Errorf("log: %v", err)
	}
	if len(data) > 4096 {
		t.Errorf("one line of log is %d bytes", len(data))
	}
	for _, tag := range []string{"msg", "id", "nm", "de", "bk", "tx"} {
		if !strings.Contains(string(data), shown(tag)) {
			t.Errorf("the log lacks %q:\n%s", shown(tag), data)
		}
	}
}

// pixdesk serve refuses forged deliveries whose event id is half a
// megabyte of C1 and bidi controls: its log stays clean and small.
func TestServeLogIsCleanAndBounded(t *testing.T) {
	c := startServeChild(t)
	body := `{"eventType":"` + strings.ReplaceAll(hostile("ev"), `"`, ``) + `","data":{"transactionId":"x"}}`
	for range 3 {
		req, _ := http.NewRequest(http.MethodPost, "http://"+c.addr+engine.WebhookPath, bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		// HTTP refuses ASCII controls in a header; C1 and bidi pass.
		req.Header.Set("X-Event-Id", strings.Repeat("id=\u009b52;c;\u202e\u200b", 30000)) // 480 KB
		req.Header.Set("X-Connect-Signature", "sha256="+strings.Repeat("0", 64))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("a forged delivery was accepted")
		}
	}
	logged := c.terminate(t)
	if err := hostiletest.Check(logged); err != nil {
		t.Errorf("serve log: %v", err)
	}
	if len(logged) > 64<<10 {
		t.Errorf("serve logged %d bytes for three deliveries", len(logged))
	}
}
