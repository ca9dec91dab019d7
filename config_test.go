package main

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

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
		{"QR style", nil, []string{"--qr-style", "tiny"}, "half or sextant"},
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
	if code := run([]string{"bogus"}); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code := run([]string{"tx"}); code != 2 {
		t.Errorf("tx without a subcommand: exit %d, want 2", code)
	}
	if code := run([]string{"sandbox", "--listen", "nope"}); code != 2 {
		t.Errorf("sandbox with a bad address: exit %d, want 2", code)
	}
}

// Without ConnectPSP settings the console journals into the sandbox file;
// tx reads the same file, so a script sees what the cashier just did.
func TestTxReadsTheConsolesJournal(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	ctx := context.Background()
	dsn, _, err := storeDSN(&config{embedded: true})
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
	if code := runTx([]string{"show", "C01-000001"}, envOf(nil), &out, &errOut); code != 0 {
		t.Fatalf("tx show: exit %d: %s", code, errOut.String())
	}
	if code := runTx([]string{"show", "C01-000001"}, envOf(fullCreds), &out, &errOut); code != 1 {
		t.Errorf("with ConnectPSP configured tx reads the real journal: exit %d, want 1 (not found)", code)
	}
}
