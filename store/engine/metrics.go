package engine

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// latencyBuckets are the upper bounds, in seconds, of the latency
// histograms: ConnectPSP answers in tens to hundreds of milliseconds, and
// the client gives up after 10 s.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics counts what an engine did, in a registry of its own (no global
// one: two engines in a process, as in tests, count apart) that also holds
// the Go runtime's and the process's collectors. It is safe for concurrent
// use.
type metrics struct {
	reg *prometheus.Registry

	// refusals counts deliveries that failed verification, exactly; forged
	// is their series among the deliveries, looked up once, so that a
	// flood of them costs two atomic adds and takes no lock.
	refusals, forged prometheus.Counter

	deliveries *prometheus.CounterVec // verdict, outcome
	polls      *prometheus.CounterVec // result: a store outcome or "error"
	statuses   *prometheus.CounterVec // status, source
	leases     *prometheus.CounterVec // event: claimed, renewed, released, lost
	create     prometheus.Histogram
	poll       prometheus.Histogram
}

// newMetrics registers the engine's metrics, with health read at each
// scrape for the gauges.
func newMetrics(health func() Health, inbox func(context.Context) (int64, error)) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		refusals: prometheus.NewCounter(prometheus.CounterOpts{Name: "pixdesk_webhook_refused_total",
			Help: "Webhook deliveries refused: signature missing or wrong. Exact; the journal keeps a sample."}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pixdesk_webhook_deliveries_total",
			Help: "Webhook deliveries received, by verdict and by what recording them did."}, []string{"verdict", "outcome"}),
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pixdesk_polls_total",
			Help: "GET /cash-in polls, by result: what applying the answer did, or error."}, []string{"result"}),
		statuses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pixdesk_status_changes_total",
			Help: "Status changes this engine recorded, by status reached and what brought it."}, []string{"status", "source"}),
		leases: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pixdesk_poll_leases_total",
			Help: "Poll leases, by event: claimed, renewed, released, lost."}, []string{"event"}),
		create: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pixdesk_create_duration_seconds",
			Help: "Time to POST /cash-in, retries included.", Buckets: latencyBuckets}),
		poll: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pixdesk_poll_duration_seconds",
			Help: "Time to GET /cash-in.", Buckets: latencyBuckets}),
	}
	m.forged = m.deliveries.WithLabelValues("forged", "forged")
	m.reg.MustRegister(m.refusals, m.deliveries, m.polls, m.statuses, m.leases, m.create, m.poll,
		healthCollector(health), inboxCollector(inbox),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) delivery(verdict, outcome string) {
	m.deliveries.WithLabelValues(verdict, outcome).Inc()
}

func (m *metrics) refused() {
	m.refusals.Inc()
	m.forged.Inc()
}

func (m *metrics) polled(result string, took time.Duration) {
	m.polls.WithLabelValues(result).Inc()
	m.poll.Observe(took.Seconds())
}

func (m *metrics) created(took time.Duration) { m.create.Observe(took.Seconds()) }

func (m *metrics) status(status, source string) { m.statuses.WithLabelValues(status, source).Inc() }

func (m *metrics) lease(event string, n int) { m.leases.WithLabelValues(event).Add(float64(n)) }

// healthCollector reports an engine's Health as gauges, read once a scrape.
type healthCollector func() Health

var (
	descUp          = prometheus.NewDesc("pixdesk_connectpsp_up", "1 if ConnectPSP answered the last call.", nil, nil)
	descTokenValid  = prometheus.NewDesc("pixdesk_connectpsp_token_valid", "1 if the client holds an unexpired access token.", nil, nil)
	descScheduled   = prometheus.NewDesc("pixdesk_polls_scheduled", "Charges this engine is polling or holds a lease on.", nil, nil)
	descCreating    = prometheus.NewDesc("pixdesk_creates_pending", "Creates waiting to be sent again.", nil, nil)
	descLastWebhook = prometheus.NewDesc("pixdesk_last_webhook_timestamp_seconds", "When the last genuine webhook was recorded.", nil, nil)
)

var _ prometheus.Collector = healthCollector(nil)

// Describe implements prometheus.Collector.
func (h healthCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descTokenValid, descScheduled, descCreating, descLastWebhook} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. The last webhook's time is left
// out until there is one: a zero would read as 1970.
func (h healthCollector) Collect(ch chan<- prometheus.Metric) {
	s := h()
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	gauge(descUp, boolFloat(s.Reachable))
	gauge(descTokenValid, boolFloat(s.TokenValid))
	gauge(descScheduled, float64(s.Pending))
	gauge(descCreating, float64(s.Creating))
	if !s.LastWebhook.IsZero() {
		gauge(descLastWebhook, float64(s.LastWebhook.UnixMilli())/1000)
	}
}

// inboxCollector reports the journal's inbox depth, counted at each scrape.
type inboxCollector func(context.Context) (int64, error)

var _ prometheus.Collector = inboxCollector(nil)

var descInbox = prometheus.NewDesc("pixdesk_webhook_inbox",
	"Webhook deliveries answered and not yet applied, in the whole journal: a backlog that grows says the appliers are behind.", nil, nil)

// inboxScrape bounds the count a scrape waits for.
const inboxScrape = time.Second

// Describe implements prometheus.Collector.
func (c inboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- descInbox }

// Collect implements prometheus.Collector; a journal that does not answer
// in time leaves the gauge out of that scrape.
func (c inboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), inboxScrape)
	defer cancel()
	if n, err := c(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(descInbox, prometheus.GaugeValue, float64(n))
	}
}

func boolFloat(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// WriteMetrics writes the engine's metrics, the engine's health as gauges,
// and the Go runtime's and the process's, in the Prometheus text
// exposition format.
func (e *Engine) WriteMetrics(w io.Writer) error {
	fams, err := e.metrics.reg.Gather()
	if err != nil {
		return err
	}
	for _, f := range fams {
		if _, err := expfmt.MetricFamilyToText(w, f); err != nil {
			return err
		}
	}
	return nil
}

// MetricsHandler serves the engine's metrics at GET and HEAD, for /metrics,
// in whichever exposition format the scraper asks for.
func (e *Engine) MetricsHandler() http.Handler {
	h := promhttp.HandlerFor(e.metrics.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(e.log.Handler(), slog.LevelWarn),
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.ServeHTTP(w, r)
	})
}
