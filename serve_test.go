package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store/engine"
)

// testWait bounds every wait for something to happen.
const testWait = 20 * time.Second

func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	waitUntilFor(t, what, testWait, cond)
}

// waitUntilFor is waitUntil with its own bound, for the big tests that share
// two cores with the rest of the suite under the race detector.
func waitUntilFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fastEngine tunes serve's engine for tests: real time, short intervals.
func fastEngine(c *engine.Config) {
	c.PollFast, c.PollSlow = 50*time.Millisecond, 100*time.Millisecond
	c.Tick = 10 * time.Millisecond
	c.HealthEvery = 50 * time.Millisecond
	c.ResumeBase, c.ResumeCap = 10*time.Millisecond, 100*time.Millisecond
	c.PollTimeout = 5 * time.Second
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// getJSON fetches url and decodes its JSON body into v; it returns the status.
func getJSON(t testing.TB, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode
}

func getText(t testing.TB, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestServeFlags(t *testing.T) {
	rest, o, err := serveFlags([]string{"--db", "x.db", "--tls-cert=c.pem", "-tls-key", "k.pem", "--terminal", "S1"},
		env(map[string]string{"PIXDESK_TLS_CERT": "env.pem"}))
	if err != nil || o.tlsCert != "c.pem" || o.tlsKey != "k.pem" || strings.Join(rest, " ") != "--db x.db --terminal S1" {
		t.Fatalf("rest %q, options %+v, %v", rest, o, err)
	}
	if _, _, err := serveFlags([]string{"--tls-key"}, env(nil)); err == nil {
		t.Error("--tls-key without a value accepted")
	}
	var stderr strings.Builder
	if code := runServe(nil, env(map[string]string{"PIXDESK_DB": filepath.Join(t.TempDir(), "j.db")}), &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "PIXDESK_WEBHOOK_LISTEN") {
		t.Errorf("without a listen address: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	code := runServe([]string{"--webhook-listen", "127.0.0.1:0", "--tls-cert", "c.pem"},
		env(map[string]string{"PIXDESK_DB": filepath.Join(t.TempDir(), "j.db")}), &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "--tls-key") {
		t.Errorf("certificate without key: exit %d, %q", code, stderr.String())
	}
}

// Sandbox mode on SQLite: serve runs the embedded sandbox, records a paid
// webhook, counts it in /metrics and reports its health.
func TestServeEmbeddedSandbox(t *testing.T) {
	dir := t.TempDir()
	cfg, err := loadConfig("pixdesk serve", []string{"--terminal", "SERVE"}, env(map[string]string{
		"PIXDESK_DB": filepath.Join(dir, "journal.db"), "PIXDESK_WEBHOOK_LISTEN": "127.0.0.1:0",
	}), io.Discard)
	if err != nil || !cfg.embedded {
		t.Fatalf("config: %+v, %v", cfg, err)
	}
	s, err := startServe(context.Background(), cfg, serveOptions{tune: fastEngine})
	if err != nil {
		t.Fatal(err)
	}
	defer s.shutdown(context.Background())
	base := "http://" + s.addr
	var health map[string]string
	waitUntil(t, "healthy", func() bool { return getJSON(t, base+"/healthz", &health) == http.StatusOK })
	if health["store"] != "ok" || health["connectpsp"] != "ok" {
		t.Fatalf("healthz = %v", health)
	}

	ch, err := s.engine.Create(context.Background(), engine.Input{Amount: 1050, Payer: psp.Payer{Name: "Maria Souza", Document: "123.456.789-09"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ch.ExternalReference, "SERVE-") || ch.WebhookURL != base+engine.WebhookPath {
		t.Fatalf("charge reference %q, webhook URL %q", ch.ExternalReference, ch.WebhookURL)
	}
	if _, err := s.sandbox.Pay(ch.TransactionID, 0); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "paid", func() bool {
		c, err := s.db.Get(context.Background(), ch.ID)
		return err == nil && c.Status == psp.StatusPaid
	})
	var metrics string
	waitUntil(t, "delivery counted", func() bool {
		metrics = getText(t, base+"/metrics")
		return strings.Contains(metrics, `pixdesk_webhook_deliveries_total{verdict="genuine",outcome=`)
	})
	for _, want := range []string{
		"# TYPE pixdesk_poll_duration_seconds histogram",
		`pixdesk_create_duration_seconds_bucket{le="+Inf"} 1`,
		`pixdesk_status_changes_total{status="AWAITING_PAYMENT",source="create"} 1`,
		"pixdesk_connectpsp_up 1",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
	if !regexp.MustCompile(`pixdesk_status_changes_total\{status="PAID",source="(webhook|poll)"\} 1`).MatchString(metrics) {
		t.Errorf("PAID not counted once:\n%s", metrics)
	}

	// A forged delivery is refused and counted.
	resp, err := http.Post(base+engine.WebhookPath, "application/json", strings.NewReader(`{"eventType":"CASHIN_PAID"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("forged delivery: %d", resp.StatusCode)
	}
	if m := getText(t, base+"/metrics"); !strings.Contains(m, `pixdesk_webhook_deliveries_total{verdict="forged",outcome="forged"} 1`) {
		t.Errorf("forged delivery not counted:\n%s", m)
	}

	// ConnectPSP failing: 503, naming it.
	s.sandbox.SetFaults(sandbox.Faults{FailNext: 1 << 30})
	waitUntil(t, "unhealthy", func() bool { return getJSON(t, base+"/healthz", &health) == http.StatusServiceUnavailable })
	if health["store"] != "ok" || health["connectpsp"] != "unreachable" {
		t.Errorf("healthz = %v", health)
	}
	s.sandbox.SetFaults(sandbox.Faults{})
}

// TestServeHelperProcess is the child of TestServeSIGTERM: `pixdesk serve`
// itself, in sandbox mode.
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv("PIXDESK_SERVE_CHILD") == "" {
		return
	}
	os.Exit(runServe([]string{"--webhook-listen", "127.0.0.1:0"}, os.Getenv, os.Stderr))
}

// SIGTERM: serve stops accepting, stops its engine and exits 0.
func TestServeSIGTERM(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "PIXDESK_SERVE_CHILD=1", "XDG_DATA_HOME="+dir,
		"PIXDESK_DB="+filepath.Join(dir, "journal.db"), "PIXDESK_WEBHOOK_URL=", "PIXDESK_TLS_CERT=", "PIXDESK_TLS_KEY=",
		"CONNECTPSP_BASE_URL=", "CONNECTPSP_CLIENT_ID=", "CONNECTPSP_CLIENT_SECRET=",
		"CONNECTPSP_APPLICATION_TOKEN=", "CONNECTPSP_CRYPTO_TOKEN=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// Whatever happens, the child does not outlive the test's patience.
	stopChild := time.AfterFunc(testWait, func() { cmd.Process.Kill() })
	defer stopChild.Stop()
	lines := bufio.NewScanner(stderr)
	addr, logged := "", &strings.Builder{}
	for addr == "" && lines.Scan() {
		logged.WriteString(lines.Text() + "\n")
		if m := regexp.MustCompile(`msg="serve: listening" .*\baddr=(\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("serve never listened:\n%s", logged)
	}
	var health map[string]string
	waitUntil(t, "healthy", func() bool { return getJSON(t, "http://"+addr+"/healthz", &health) == http.StatusOK })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(stderr)
	logged.Write(rest)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, logged)
	}
	if !strings.Contains(logged.String(), "serve: stopped") {
		t.Errorf("no orderly stop in the log:\n%s", logged)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("still accepting after SIGTERM")
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key as
// PEM files in dir, and returns their paths and the certificate.
func writeCert(t *testing.T, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pixdesk test"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	return certFile, keyFile, cert
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, cert := writeCert(t, dir)
	cfg, err := loadConfig("pixdesk serve", nil, env(map[string]string{
		"PIXDESK_DB": filepath.Join(dir, "journal.db"), "PIXDESK_WEBHOOK_LISTEN": "127.0.0.1:0",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := startServe(context.Background(), cfg, serveOptions{tlsCert: filepath.Join(dir, "missing.pem"), tlsKey: keyFile}); err == nil {
		t.Fatal("started with a missing certificate")
	}
	s, err := startServe(context.Background(), cfg, serveOptions{tlsCert: certFile, tlsKey: keyFile, tune: fastEngine})
	if err != nil {
		t.Fatal(err)
	}
	defer s.shutdown(context.Background())
	if !strings.HasPrefix(s.hookURL, "https://") {
		t.Errorf("webhook URL %q", s.hookURL)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	waitUntil(t, "healthy over TLS", func() bool {
		resp, err := client.Get("https://" + s.addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}
