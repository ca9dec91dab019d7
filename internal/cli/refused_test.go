package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// tx refused shows the count and the sample; what a sender wrote reaches
// the terminal only in visible form, and --json carries the bytes exactly.
func TestTxRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	var out, errOut strings.Builder
	if code := runTx([]string{"refused", "--db", path}, sysOf(envOf(nil), &out, &errOut)); code != 1 {
		t.Fatalf("empty journal: exit %d, want 1: %s", code, errOut.String())
	}
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("{\"eventType\":\"CASHIN_PAID\x1b]52;c;cm0gLXJmIH4=\x07\u202e\",\"data\":{\"externalReference\":\"C01-000004\"}}")
	for _, id := range []string{"evt-1", "evt-2\x1b[2J"} {
		db.Refuse(&psp.Delivery{EventID: id, Signature: "", Verdict: psp.VerdictForged, Body: body, RemoteAddr: "203.0.113.7:4040"})
	}
	db.Close() // writes the sample

	out.Reset()
	if code := runTx([]string{"refused", "--db", path}, sysOf(envOf(nil), &out, &errOut)); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	text := out.String()
	for _, want := range []string{"2 in the last hour", "203.0.113.7:4040", "no signature", "C01-000004", "^[", "<U+202E>"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.ContainsAny(text, "\x1b\x07\u202e") {
		t.Errorf("output carries raw control or bidi characters:\n%q", text)
	}

	out.Reset()
	if code := runTx([]string{"refused", "--json", "--db", path}, sysOf(envOf(nil), &out, &errOut)); code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errOut.String())
	}
	if strings.ContainsAny(out.String(), "\x1b\x07\u202e") {
		t.Errorf("JSON carries raw control or bidi characters:\n%q", out.String())
	}
	var rep refusedReport
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.LastHour != 2 || len(rep.Sample) != 2 || !bytes.Equal(rep.Sample[0].Head, body) ||
		rep.Sample[0].EventID != "evt-2\x1b[2J" || rep.Sample[0].Size != len(body) {
		t.Errorf("report = %+v", rep)
	}
	if code := runTx([]string{"refused", "--limit", "0", "--db", path}, sysOf(envOf(nil), &out, &errOut)); code != 2 {
		t.Errorf("--limit 0: exit %d, want 2", code)
	}
}
