package cli

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// sysOf is a process's system with getenv and the standard files given.
func sysOf(getenv func(string) string, stdout, stderr io.Writer) system {
	return system{getenv: getenv, stdout: stdout, stderr: stderr}
}

func envOf(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

var fullCreds = map[string]string{
	"CONNECTPSP_BASE_URL":          "https://api.homologacao.connectpsp.com",
	"CONNECTPSP_CLIENT_ID":         "123",
	"CONNECTPSP_CLIENT_SECRET":     "s",
	"CONNECTPSP_APPLICATION_TOKEN": "a",
	"CONNECTPSP_CRYPTO_TOKEN":      "c",
}

func with(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestConfigEnvironments(t *testing.T) {
	for _, tt := range []struct {
		name     string
		env      map[string]string
		want     environment
		embedded bool
	}{
		{"nothing set: built-in sandbox", nil, envSandbox, true},
		{"staging", fullCreds, envStaging, false},
		{"production", with(fullCreds, "CONNECTPSP_BASE_URL", "https://api.connectpsp.com"), envProduction, false},
		{"unknown host is treated as production", with(fullCreds, "CONNECTPSP_BASE_URL", "https://psp.example"), envProduction, false},
		{"standalone sandbox on loopback", with(fullCreds, "CONNECTPSP_BASE_URL", "http://127.0.0.1:8080"), envSandbox, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig("pixdesk", nil, envOf(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if c.env != tt.want || c.embedded != tt.embedded {
				t.Errorf("env %q embedded %v, want %q %v", c.env, c.embedded, tt.want, tt.embedded)
			}
		})
	}
}

// Each missing or contradictory setting is one sentence naming the fix,
// never a stack trace, and never echoes a secret.
func TestConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"partial credentials", map[string]string{"CONNECTPSP_CLIENT_ID": "1"}, nil, "credentials are incomplete"},
		{"URL without credentials", map[string]string{"CONNECTPSP_BASE_URL": "https://api.connectpsp.com"}, nil, "no credentials are"},
		{"credentials without URL", with(fullCreds, "CONNECTPSP_BASE_URL", ""), nil, "CONNECTPSP_BASE_URL is not"},
		{"plain http outside loopback", with(fullCreds, "CONNECTPSP_BASE_URL", "http://api.connectpsp.com"), nil, "must use https"},
		{"not a URL", with(fullCreds, "CONNECTPSP_BASE_URL", "api.connectpsp.com"), nil, "not an http(s) URL"},
		{"language", nil, []string{"--lang", "fr"}, "use pt-BR or en"},
		{"expiry not a number", nil, []string{"--expiry", "abc"}, "whole number of minutes"},
		{"expiry out of range", map[string]string{"PIXDESK_EXPIRY_MINUTES": "1441"}, nil, "1 to 1440"},
		{"max amount", nil, []string{"--max-amount", "dez"}, "not an amount"},
		{"terminal", nil, []string{"--terminal", "a b"}, "--terminal"},
		{"listen address", map[string]string{"PIXDESK_WEBHOOK_LISTEN": "8443"}, nil, "not host:port"},
		{"webhook URL", map[string]string{"PIXDESK_WEBHOOK_URL": "hook"}, nil, "not an http(s) URL"},
		{"QR style", nil, []string{"--qr-style", "tiny"}, "--qr-style \"tiny\": use auto, graphics, sextant, half or text"},
		{"QR style from the environment", map[string]string{"PIXDESK_QR_STYLE": "tiny"}, nil, "PIXDESK_QR_STYLE \"tiny\""},
		{"stray argument", nil, []string{"oops"}, "unexpected argument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig("pixdesk", tt.args, envOf(tt.env), io.Discard)
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %q, want one line containing %q", err, tt.want)
			}
			for _, secret := range []string{`"s"`, `"a"`, `"c"`} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("err %q shows a secret", err)
				}
			}
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	if code := run([]string{"bogus"}, sysOf(envOf(nil), io.Discard, io.Discard)); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code := run([]string{"tx"}, sysOf(envOf(nil), io.Discard, io.Discard)); code != 2 {
		t.Errorf("tx without a subcommand: exit %d, want 2", code)
	}
	if code := run([]string{"sandbox", "--listen", "nope"}, sysOf(envOf(nil), io.Discard, io.Discard)); code != 2 {
		t.Errorf("sandbox with a bad address: exit %d, want 2", code)
	}
	// A duration below the least it may be names the flag and an example,
	// before anything opens the journal.
	for _, args := range [][]string{{"display", "--hold", "0s"}, {"display", "--hold", "soon"}, {"serve", "--lease-ttl", "500ms", "--webhook-listen", "127.0.0.1:0"}} {
		var stderr strings.Builder
		env := envOf(map[string]string{"XDG_DATA_HOME": t.TempDir()})
		if code := run(args, sysOf(env, io.Discard, &stderr)); code != 2 || !strings.Contains(stderr.String(), "--"+strings.TrimPrefix(args[1], "--")+" ") || !strings.Contains(stderr.String(), "e.g. 10s") {
			t.Errorf("%q: exit %d, %q", args, code, stderr.String())
		}
	}
}

// Without ConnectPSP settings the console journals into the sandbox file;
// tx reads the same file, so a script sees what the cashier just did.
func TestTxReadsTheConsolesJournal(t *testing.T) {
	env := map[string]string{"XDG_DATA_HOME": t.TempDir()}
	ctx := context.Background()
	dsn, _, err := storeDSN(&config{embedded: true, getenv: envOf(env)})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateIntent(ctx, store.NewCharge{Terminal: "C01", ExternalReference: "C01-000001",
		IdempotencyKey: "k1", Amount: 1250, Payer: psp.Payer{Name: "Ana", Document: "23858488135"}, ExpiresInMinutes: 15}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var out, errOut strings.Builder
	if !strings.HasPrefix(dsn, env["XDG_DATA_HOME"]) {
		t.Fatalf("the journal %s is not in the command's XDG_DATA_HOME", dsn)
	}
	if code := runTx([]string{"show", "C01-000001"}, sysOf(envOf(env), &out, &errOut)); code != 0 {
		t.Fatalf("tx show: exit %d: %s", code, errOut.String())
	}
	if code := runTx([]string{"show", "C01-000001"}, sysOf(envOf(with(fullCreds, "XDG_DATA_HOME", env["XDG_DATA_HOME"])), &out, &errOut)); code != 1 {
		t.Errorf("with ConnectPSP configured tx reads the real journal: exit %d, want 1 (not found)", code)
	}
}

// The display needs no credentials, whatever the environment holds, and
// follows the journal the console of that environment uses.
func TestDisplayConfig(t *testing.T) {
	data := t.TempDir()
	for _, tt := range []struct {
		name string
		env  map[string]string
		db   string // the default journal's file name
	}{
		{"nothing set: the sandbox's journal", nil, "pixdesk-sandbox.db"},
		{"ConnectPSP without secrets on the display", map[string]string{"CONNECTPSP_BASE_URL": "https://api.connectpsp.com"}, "pixdesk.db"},
		{"incomplete credentials", map[string]string{"CONNECTPSP_BASE_URL": "https://api.connectpsp.com", "CONNECTPSP_CLIENT_ID": "123"}, "pixdesk.db"},
		{"full credentials", fullCreds, "pixdesk.db"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var shop string
			env := with(with(tt.env, "PIXDESK_SHOP_NAME", "Padaria"), "XDG_DATA_HOME", data)
			c, err := loadConfig("pixdesk display", []string{"--terminal", "C02"}, envOf(env), io.Discard, displayFlags(&shop, new(string)))
			if err != nil {
				t.Fatal(err)
			}
			dsn, _, err := storeDSN(c)
			if err != nil {
				t.Fatal(err)
			}
			if dsn != filepath.Join(data, "pixdesk", tt.db) || c.terminal != "C02" || shop != "Padaria" {
				t.Errorf("journal %s, terminal %s, shop %q", dsn, c.terminal, shop)
			}
		})
	}
	var shop string
	if _, err := loadConfig("pixdesk display", []string{"--shop-name", "Bar do Zé", "--lang", "xx"}, envOf(nil), io.Discard, displayFlags(&shop, new(string))); err == nil {
		t.Error("--lang xx accepted")
	}
	if shop != "Bar do Zé" {
		t.Errorf("--shop-name read as %q", shop)
	}
}
