package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
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
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

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

// metricValue returns the value of the first sample of the counter or
// gauge name in text (Prometheus's text format) whose labels include the
// name, value pairs given, whatever order the text writes them in; ok is
// false when there is none.
func metricValue(t testing.TB, text, name string, labels ...string) (v float64, ok bool) {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("metrics do not parse: %v\n%s", err, text)
	}
next:
	for _, m := range fams[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		if c := m.GetCounter(); c != nil {
			return c.GetValue(), true
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

func TestServeFlags(t *testing.T) {
	var o serveOptions
	cfg, err := loadConfig("pixdesk serve", []string{"--db", "x.db", "--tls-cert=c.pem", "-tls-key", "k.pem", "--terminal", "S1"},
		env(map[string]string{"PIXDESK_TLS_CERT": "env.pem"}), io.Discard, serveFlags(&o))
	if err != nil || o.tlsCert != "c.pem" || o.tlsKey != "k.pem" || cfg.db+" "+cfg.terminal != "x.db S1" {
		t.Fatalf("config %+v, options %+v, %v", cfg, o, err)
	}
	if _, err := loadConfig("pixdesk serve", []string{"--tls-key"}, env(nil), io.Discard, serveFlags(new(serveOptions))); err == nil {
		t.Error("--tls-key without a value accepted")
	}
	var stderr strings.Builder
	if code := runServe(nil, sysOf(env(map[string]string{"PIXDESK_DB": filepath.Join(t.TempDir(), "j.db")}), io.Discard, &stderr)); code != 2 ||
		!strings.Contains(stderr.String(), "PIXDESK_WEBHOOK_LISTEN") {
		t.Errorf("without a listen address: exit %d, %q", code, stderr.String())
	}
	stderr.Reset()
	code := runServe([]string{"--webhook-listen", "127.0.0.1:0", "--tls-cert", "c.pem"},
		sysOf(env(map[string]string{"PIXDESK_DB": filepath.Join(t.TempDir(), "j.db")}), io.Discard, &stderr))
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
		_, ok := metricValue(t, metrics, "pixdesk_webhook_deliveries_total", "verdict", "genuine")
		return ok
	})
	for _, want := range []string{
		"# TYPE pixdesk_poll_duration_seconds histogram",
		`pixdesk_create_duration_seconds_bucket{le="+Inf"} 1`,
		"pixdesk_connectpsp_up 1",
		"# TYPE go_goroutines gauge",               // the Go runtime's collector
		"# TYPE process_cpu_seconds_total counter", // the process's
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
	if v, _ := metricValue(t, metrics, "pixdesk_status_changes_total", "status", "AWAITING_PAYMENT", "source", "create"); v != 1 {
		t.Errorf("AWAITING_PAYMENT counted %v times from create, want 1:\n%s", v, metrics)
	}
	byWebhook, _ := metricValue(t, metrics, "pixdesk_status_changes_total", "status", "PAID", "source", "webhook")
	byPoll, _ := metricValue(t, metrics, "pixdesk_status_changes_total", "status", "PAID", "source", "poll")
	if byWebhook != 1 && byPoll != 1 {
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
	m := getText(t, base+"/metrics")
	if v, _ := metricValue(t, m, "pixdesk_webhook_deliveries_total", "verdict", "forged", "outcome", "forged"); v != 1 {
		t.Errorf("forged delivery not counted:\n%s", m)
	}

	if m := getText(t, base+"/metrics"); !strings.Contains(m, "pixdesk_webhook_refused_total 1\n") {
		t.Errorf("refusal not counted:\n%s", m)
	}

	// The journal locked by another writer: 503, "not writable", within
	// the health check's own deadline; then healthy again.
	unlock := lockSQLite(t, filepath.Join(dir, "journal.db"))
	asked := time.Now()
	if code := getJSON(t, base+"/healthz", &health); code != http.StatusServiceUnavailable || health["store"] != "not writable" {
		t.Errorf("healthz with the journal locked = %d %v", code, health)
	}
	if took := time.Since(asked); took > healthTimeout+3*time.Second {
		t.Errorf("healthz took %v with the journal locked, deadline %v", took, healthTimeout)
	}
	unlock()
	waitUntil(t, "writable again", func() bool { return getJSON(t, base+"/healthz", &health) == http.StatusOK })

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
	os.Exit(runServe([]string{"--webhook-listen", "127.0.0.1:0"}, sysOf(os.Getenv, os.Stdout, os.Stderr)))
}

// serveChild is `pixdesk serve` itself (TestServeHelperProcess) in a
// child process, in sandbox mode, listening on addr.
type serveChild struct {
	cmd    *exec.Cmd
	addr   string
	logged strings.Builder // up to the line saying where it listens
	rest   chan []byte     // the rest of its log, read as it comes so that it never blocks
	stop   *time.Timer
}

// startServeChild starts serve in a child process and waits until it is
// healthy.
func startServeChild(t *testing.T) *serveChild {
	t.Helper()
	dir := t.TempDir()
	c := &serveChild{cmd: exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$", "-test.count=1")}
	c.cmd.Env = append(os.Environ(), "PIXDESK_SERVE_CHILD=1", "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir,
		"PIXDESK_DB="+filepath.Join(dir, "journal.db"), "PIXDESK_WEBHOOK_URL=", "PIXDESK_TLS_CERT=", "PIXDESK_TLS_KEY=",
		"CONNECTPSP_BASE_URL=", "CONNECTPSP_CLIENT_ID=", "CONNECTPSP_CLIENT_SECRET=",
		"CONNECTPSP_APPLICATION_TOKEN=", "CONNECTPSP_CRYPTO_TOKEN=")
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.cmd.Process.Kill() })
	// Whatever happens, the child does not outlive the test's patience.
	c.stop = time.AfterFunc(testWait, func() { c.cmd.Process.Kill() })
	t.Cleanup(func() { c.stop.Stop() })
	lines := bufio.NewScanner(stderr)
	lines.Buffer(nil, 4<<20)
	for c.addr == "" && lines.Scan() {
		c.logged.WriteString(lines.Text() + "\n")
		if m := regexp.MustCompile(`msg="serve: listening" .*\baddr=(\S+)`).FindStringSubmatch(lines.Text()); m != nil {
			c.addr = m[1]
		}
	}
	if c.addr == "" {
		t.Fatalf("serve never listened:\n%s", c.logged.String())
	}
	c.rest = make(chan []byte, 1)
	go func() {
		var b bytes.Buffer
		for lines.Scan() {
			b.Write(lines.Bytes())
			b.WriteByte('\n')
		}
		io.Copy(&b, stderr) // a line too long to scan
		c.rest <- b.Bytes()
	}()
	var health map[string]string
	waitUntil(t, "healthy", func() bool { return getJSON(t, "http://"+c.addr+"/healthz", &health) == http.StatusOK })
	return c
}

// terminate sends SIGTERM, waits for the child to exit and returns its
// whole log.
func (c *serveChild) terminate(t *testing.T) string {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.logged.Write(<-c.rest)
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("exit: %v\n%s", err, c.logged.String())
	}
	return c.logged.String()
}

// SIGTERM: serve stops accepting, stops its engine and exits 0.
func TestServeSIGTERM(t *testing.T) {
	c := startServeChild(t)
	logged := c.terminate(t)
	if !strings.Contains(logged, "serve: stopped") {
		t.Errorf("no orderly stop in the log:\n%s", logged)
	}
	if _, err := http.Get("http://" + c.addr + "/healthz"); err == nil {
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

// lockSQLite holds the write lock of the SQLite journal at path from a
// connection of its own, as another process would, until unlock.
func lockSQLite(t *testing.T, path string) (unlock func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)") // waits for serve's own writes
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	}
}

// TestTuneGC: serve raises the collector target to serveGCPercent, and a
// GOGC in the environment is left to the runtime.
func TestTuneGC(t *testing.T) {
	was := debug.SetGCPercent(100)
	defer debug.SetGCPercent(was)
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Errorf("without GOGC the target is %d, want %d", got, serveGCPercent)
	}
	tuneGC(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, serve changed the target to %d", got)
	}
}
