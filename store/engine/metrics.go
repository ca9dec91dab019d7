package engine

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// latencyBuckets are the upper bounds, in seconds, of the latency
// histograms: ConnectPSP answers in tens to hundreds of milliseconds, and
// the client gives up after 10 s.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics counts what an engine did, for the Prometheus text format (see
// Engine.WriteMetrics). It is safe for concurrent use.
type metrics struct {
	mu         sync.Mutex
	deliveries map[[2]string]uint64 // {verdict, outcome}
	polls      map[string]uint64    // result: a store outcome or "error"
	statuses   map[[2]string]uint64 // {status, source}
	leases     map[string]uint64    // claimed, renewed, released, lost
	create     histogram
	poll       histogram
}

func newMetrics() *metrics {
	return &metrics{
		deliveries: map[[2]string]uint64{},
		polls:      map[string]uint64{},
		statuses:   map[[2]string]uint64{},
		leases:     map[string]uint64{},
		create:     newHistogram(),
		poll:       newHistogram(),
	}
}

// histogram is a cumulative-bucket latency histogram.
type histogram struct {
	counts []uint64 // per bucket, not cumulative; one more for +Inf
	sum    float64
	n      uint64
}

func newHistogram() histogram { return histogram{counts: make([]uint64, len(latencyBuckets)+1)} }

func (h *histogram) observe(d time.Duration) {
	s := d.Seconds()
	i, _ := slices.BinarySearch(latencyBuckets, s)
	h.counts[i]++
	h.sum += s
	h.n++
}

func (m *metrics) delivery(verdict, outcome string) {
	m.mu.Lock()
	m.deliveries[[2]string{verdict, outcome}]++
	m.mu.Unlock()
}

func (m *metrics) polled(result string, took time.Duration) {
	m.mu.Lock()
	m.polls[result]++
	m.poll.observe(took)
	m.mu.Unlock()
}

func (m *metrics) created(took time.Duration) {
	m.mu.Lock()
	m.create.observe(took)
	m.mu.Unlock()
}

func (m *metrics) status(status, source string) {
	m.mu.Lock()
	m.statuses[[2]string{status, source}]++
	m.mu.Unlock()
}

func (m *metrics) lease(event string, n int) {
	m.mu.Lock()
	m.leases[event] += uint64(n)
	m.mu.Unlock()
}

// WriteMetrics writes the counters in the Prometheus text exposition format
// (version 0.0.4), with the engine's health as gauges.
func (e *Engine) WriteMetrics(w io.Writer) error {
	if err := e.metrics.write(w); err != nil {
		return err
	}
	h := e.Health()
	b := bufio.NewWriter(w)
	gauge(b, "pixdesk_connectpsp_up", "1 if ConnectPSP answered the last call.", boolFloat(h.Reachable))
	gauge(b, "pixdesk_connectpsp_token_valid", "1 if the client holds an unexpired access token.", boolFloat(h.TokenValid))
	gauge(b, "pixdesk_polls_scheduled", "Charges this engine is polling or holds a lease on.", float64(h.Pending))
	gauge(b, "pixdesk_creates_pending", "Creates waiting to be sent again.", float64(h.Creating))
	if !h.LastWebhook.IsZero() {
		gauge(b, "pixdesk_last_webhook_timestamp_seconds", "When the last genuine webhook was recorded.",
			float64(h.LastWebhook.UnixMilli())/1000)
	}
	return b.Flush()
}

// MetricsHandler serves WriteMetrics at GET, for /metrics.
func (e *Engine) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		if err := e.WriteMetrics(w); err != nil {
			e.log.Debug("metrics: write", "err", err)
		}
	})
}

func (m *metrics) write(w io.Writer) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b := bufio.NewWriter(w)
	header(b, "pixdesk_webhook_deliveries_total", "counter", "Webhook deliveries received, by verdict and by what recording them did.")
	for _, k := range sortedKeys(m.deliveries, func(k [2]string) string { return k[0] + "\x00" + k[1] }) {
		fmt.Fprintf(b, "pixdesk_webhook_deliveries_total{verdict=%s,outcome=%s} %d\n", quote(k[0]), quote(k[1]), m.deliveries[k])
	}
	header(b, "pixdesk_polls_total", "counter", "GET /cash-in polls, by result: what applying the answer did, or error.")
	for _, k := range sortedKeys(m.polls, func(k string) string { return k }) {
		fmt.Fprintf(b, "pixdesk_polls_total{result=%s} %d\n", quote(k), m.polls[k])
	}
	header(b, "pixdesk_status_changes_total", "counter", "Status changes this engine recorded, by status reached and what brought it.")
	for _, k := range sortedKeys(m.statuses, func(k [2]string) string { return k[0] + "\x00" + k[1] }) {
		fmt.Fprintf(b, "pixdesk_status_changes_total{status=%s,source=%s} %d\n", quote(k[0]), quote(k[1]), m.statuses[k])
	}
	header(b, "pixdesk_poll_leases_total", "counter", "Poll leases, by event: claimed, renewed, released, lost.")
	for _, k := range sortedKeys(m.leases, func(k string) string { return k }) {
		fmt.Fprintf(b, "pixdesk_poll_leases_total{event=%s} %d\n", quote(k), m.leases[k])
	}
	m.create.write(b, "pixdesk_create_duration_seconds", "Time to POST /cash-in, retries included.")
	m.poll.write(b, "pixdesk_poll_duration_seconds", "Time to GET /cash-in.")
	return b.Flush()
}

func (h *histogram) write(b *bufio.Writer, name, help string) {
	header(b, name, "histogram", help)
	var cum uint64
	for i, le := range latencyBuckets {
		cum += h.counts[i]
		fmt.Fprintf(b, "%s_bucket{le=%q} %d\n", name, strconv.FormatFloat(le, 'g', -1, 64), cum)
	}
	fmt.Fprintf(b, "%s_bucket{le=\"+Inf\"} %d\n", name, h.n)
	fmt.Fprintf(b, "%s_sum %s\n", name, strconv.FormatFloat(h.sum, 'g', -1, 64))
	fmt.Fprintf(b, "%s_count %d\n", name, h.n)
}

func header(b *bufio.Writer, name, typ, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func gauge(b *bufio.Writer, name, help string, v float64) {
	header(b, name, "gauge", help)
	fmt.Fprintf(b, "%s %s\n", name, strconv.FormatFloat(v, 'g', -1, 64))
}

func boolFloat(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// quote writes a label value as the text format wants it: in double quotes,
// with backslash, quote and newline escaped.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func sortedKeys[K comparable, V any](m map[K]V, key func(K) string) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b K) int { return strings.Compare(key(a), key(b)) })
	return ks
}
