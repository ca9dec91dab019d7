// Package engine is the background machinery of a pixdesk counter: it creates
// charges at ConnectPSP without ever creating one twice, keeps retrying creates
// that got no answer, polls open charges until ConnectPSP reports them final,
// receives webhooks and sends refunds. Both the console and the headless
// `pixdesk serve` drive it; it knows nothing about the screen.
package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// Defaults for the zero values of Config's tuning fields.
const (
	DefaultPollFast    = 2 * time.Second
	DefaultPollSlow    = 15 * time.Second
	DefaultFastWindow  = time.Minute
	DefaultPollTimeout = 10 * time.Second
	DefaultWorkers     = 4
	DefaultResumeBase  = 2 * time.Second
	DefaultResumeCap   = time.Minute
	DefaultTick        = 250 * time.Millisecond
	DefaultRescan      = 30 * time.Second
	DefaultHealthEvery = 30 * time.Second
)

// Config is what an Engine needs. DB and Client are required; every other
// field has a usable zero value.
type Config struct {
	DB         *store.DB
	Client     *psp.Client
	Terminal   string     // this counter's id
	WebhookURL string     // sent as webhookUrl on create ("" = none)
	WebhookKey psp.Secret // CryptoToken, verifies deliveries
	Logger     *slog.Logger
	Now        func() time.Time
	// Notify is called from engine goroutines with hints about what changed.
	// It must not block for long (the console wraps program.Send).
	Notify func(Notice)
	// PollAll makes Run poll every terminal's open charges, not only
	// Terminal's (serve mode). Pending creates are resumed only for Terminal.
	PollAll bool

	// PollFast is the poll interval during FastWindow after a charge's
	// creation and after its local expiry (default 2 s).
	PollFast time.Duration
	// PollSlow is the poll interval once FastWindow has passed (default 15 s).
	PollSlow time.Duration
	// FastWindow is how long after creation a charge is polled at PollFast
	// (default 1 min).
	FastWindow time.Duration
	// PollTimeout bounds each GET /cash-in made by the poller (default 10 s).
	PollTimeout time.Duration
	// Workers is how many polls or create retries run at once (default 4).
	Workers int
	// ResumeBase and ResumeCap bound the backoff between background retries
	// of a create that got no answer (defaults 2 s and 1 min).
	ResumeBase, ResumeCap time.Duration
	// Tick is how often Run checks the schedule (default 250 ms). The
	// schedule itself is read with Now, so a fake clock drives it.
	Tick time.Duration
	// Rescan is how often Run reloads open charges and pending creates from
	// the store, to pick up those written by other processes (default 30 s).
	Rescan time.Duration
	// HealthEvery is how long Run lets pass without any answer from
	// ConnectPSP before it pings it (default 30 s).
	HealthEvery time.Duration

	// LeaseTTL, when set, makes Run take its polls from the schedule shared
	// in the store (store.DB.LeaseDue) instead of keeping its own: each
	// charge awaiting payment is then polled by one process at a time, and
	// a process that dies delays a charge's polls by at most LeaseTTL. Set
	// it on every process sharing a PostgreSQL journal; keep it well above
	// PollTimeout (DefaultLeaseTTL is 30 s).
	LeaseTTL time.Duration
	// LeaseOwner names this process in the shared schedule (default: host,
	// pid and a random suffix). It must differ between processes.
	LeaseOwner string
}

// NoticeKind says what a Notice is about.
type NoticeKind int

// Kinds of notices.
const (
	// NoticeProgress: a create or refund call is authenticating, sending or
	// retrying; Progress says which.
	NoticeProgress NoticeKind = iota
	// NoticeChanged: the charge changed in the store; reload it.
	NoticeChanged
	// NoticeWebhook: a webhook delivery was recorded; ChargeID is set when
	// it named a known charge.
	NoticeWebhook
	// NoticePoll: a poll finished; Outcome or Err says how.
	NoticePoll
	// NoticeHealth: ConnectPSP became reachable or unreachable; see Health.
	NoticeHealth
)

// String names the kind for logs.
func (k NoticeKind) String() string {
	switch k {
	case NoticeProgress:
		return "progress"
	case NoticeChanged:
		return "changed"
	case NoticeWebhook:
		return "webhook"
	case NoticePoll:
		return "poll"
	case NoticeHealth:
		return "health"
	}
	return "unknown"
}

// Notice is a hint from the engine: the store stays the truth, so a receiver
// reloads the charge rather than trusting the notice.
type Notice struct {
	Kind     NoticeKind
	ChargeID int64
	Progress psp.Progress
	Outcome  store.Outcome
	Err      error
	At       time.Time
}

// Health is how the link to ConnectPSP looks from this engine.
type Health struct {
	// Reachable is false after a network error, timeout or 5xx and until
	// ConnectPSP answers again.
	Reachable bool
	// TokenValid reports whether the client holds an unexpired access token.
	TokenValid bool
	// LastWebhook is when the last genuine webhook was recorded.
	LastWebhook time.Time
	// Pending counts the charges being polled: those in this engine's
	// schedule, or with leases, those it holds a lease on right now.
	Pending int
	// Creating counts the creates waiting to be retried in the background.
	Creating int
	// LastErr is the last failure talking to ConnectPSP ("" if none yet).
	LastErr string
	// LastContact is when ConnectPSP last answered anything.
	LastContact time.Time
	// RefusedLastHour counts the webhook deliveries refused in the last
	// hour (failed verification) by every process sharing the journal,
	// read from it every few seconds while Run runs.
	RefusedLastHour int
	// Stopped is why Run ended with an error ("" while it runs or after it
	// ended cleanly): nothing polls or retries creates any more, which the
	// cashier must be told.
	Stopped string
}

// Engine runs charges against ConnectPSP for one counter. Its methods are
// safe for concurrent use.
type Engine struct {
	db       *store.DB
	client   *psp.Client
	terminal string
	hookURL  string
	hookKey  psp.Secret
	log      *slog.Logger
	now      func() time.Time
	notifyFn func(Notice)
	pollAll  bool
	metrics  *metrics
	lease    leaseState
	// refusalLog bounds the log lines refused deliveries cause.
	refusalLog *logLimiter

	pollFast, pollSlow, fastWindow time.Duration
	pollTimeout                    time.Duration
	resumeBase, resumeCap          time.Duration
	tick, rescan, healthEvery      time.Duration

	sem   chan struct{} // worker slots
	wake  chan struct{} // nudges Run's loop
	locks keyLock       // one create/refund call per charge at a time

	mu    sync.Mutex
	sched map[int64]*job
	// pollFails counts each charge's failed polls in a row (pollfail.go).
	pollFails map[int64]int
	running   bool
	health    Health
}

// New returns an engine for cfg. It starts nothing: call Run for the poller
// and resumer, and mount WebhookHandler (in NewWebhookServer) for webhooks.
func New(cfg Config) *Engine {
	e := &Engine{
		db:          cfg.DB,
		client:      cfg.Client,
		terminal:    cfg.Terminal,
		hookURL:     cfg.WebhookURL,
		hookKey:     cfg.WebhookKey,
		log:         cfg.Logger,
		now:         cfg.Now,
		notifyFn:    cfg.Notify,
		pollAll:     cfg.PollAll,
		pollFast:    orDefault(cfg.PollFast, DefaultPollFast),
		pollSlow:    orDefault(cfg.PollSlow, DefaultPollSlow),
		fastWindow:  orDefault(cfg.FastWindow, DefaultFastWindow),
		pollTimeout: orDefault(cfg.PollTimeout, DefaultPollTimeout),
		resumeBase:  orDefault(cfg.ResumeBase, DefaultResumeBase),
		resumeCap:   orDefault(cfg.ResumeCap, DefaultResumeCap),
		tick:        orDefault(cfg.Tick, DefaultTick),
		rescan:      orDefault(cfg.Rescan, DefaultRescan),
		healthEvery: orDefault(cfg.HealthEvery, DefaultHealthEvery),
		wake:        make(chan struct{}, 1),
		locks:       keyLock{held: map[int64]chan struct{}{}},
		sched:       map[int64]*job{},
		lease:       leaseState{ttl: cfg.LeaseTTL, owner: cfg.LeaseOwner},
	}
	e.metrics = newMetrics(e.Health, e.db.InboxDepth)
	if e.lease.ttl > 0 && e.lease.owner == "" {
		e.lease.owner = defaultLeaseOwner()
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.refusalLog = &logLimiter{log: func(held int) {
		e.log.Warn("webhook: more refused deliveries, not logged one by one", "count", held, "window", refusalLogWindow)
	}}
	if e.now == nil {
		e.now = time.Now
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = DefaultWorkers
	}
	e.sem = make(chan struct{}, workers)
	return e
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// SetWebhookURL sets the webhookUrl sent with charges created from now on.
// The console learns it only once its listener is bound, after New.
func (e *Engine) SetWebhookURL(u string) {
	e.mu.Lock()
	e.hookURL = u
	e.mu.Unlock()
}

func (e *Engine) webhookURL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hookURL
}

// Health returns a snapshot of the link to ConnectPSP and of the schedule.
func (e *Engine) Health() Health {
	e.mu.Lock()
	h := e.health
	for _, j := range e.sched {
		if j.kind == jobCreate {
			h.Creating++
		} else {
			h.Pending++
		}
	}
	h.Pending += e.lease.held
	e.mu.Unlock()
	if e.client != nil {
		h.TokenValid = e.client.TokenValid()
	}
	return h
}

// notify sends n to Config.Notify, stamping its time.
func (e *Engine) notify(n Notice) {
	if e.notifyFn == nil {
		return
	}
	if n.At.IsZero() {
		n.At = e.now()
	}
	e.notifyFn(n)
}

// progressCtx makes the client report its progress on charge id as notices.
func (e *Engine) progressCtx(ctx context.Context, id int64) context.Context {
	return psp.WithProgress(ctx, func(p psp.Progress) {
		e.notify(Notice{Kind: NoticeProgress, ChargeID: id, Progress: p})
	})
}

// observe folds the result of one call to ConnectPSP into Health. A
// cancellation by our side says nothing about ConnectPSP and is ignored.
func (e *Engine) observe(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	now := e.now()
	answered := err == nil
	var pe *psp.Error
	if errors.As(err, &pe) && !pe.Temporary() {
		answered = true // a 4xx is an answer: the link works
	}
	e.mu.Lock()
	was := e.health.Reachable
	if answered {
		e.health.Reachable = true
		e.health.LastContact = now
	} else {
		e.health.Reachable = false
	}
	if err != nil {
		e.health.LastErr = err.Error()
	}
	changed := was != e.health.Reachable
	e.mu.Unlock()
	if changed {
		e.notify(Notice{Kind: NoticeHealth, Err: err, At: now})
	}
}

// errAttr logs an error from ConnectPSP by status and code only: a problem's
// detail is for people and may echo what was sent, such as a document.
func errAttr(err error) slog.Attr {
	var pe *psp.Error
	if errors.As(err, &pe) {
		return slog.Group("err", slog.Int("status", pe.Status), slog.String("code", pe.Code))
	}
	return slog.Any("err", err)
}

// sinceContact reports how long ago ConnectPSP last answered.
func (e *Engine) sinceContact() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.health.LastContact.IsZero() {
		return time.Duration(1<<63 - 1)
	}
	return e.now().Sub(e.health.LastContact)
}

// keyLock serialises calls to ConnectPSP about one charge, so that a
// cashier's retry and the background resumer never send the same key at
// the same time.
type keyLock struct {
	mu   sync.Mutex
	held map[int64]chan struct{}
}

// lock waits for charge id to be free, or for ctx to end.
func (k *keyLock) lock(ctx context.Context, id int64) (unlock func(), err error) {
	for {
		unlock, busy := k.try(id)
		if unlock != nil {
			return unlock, nil
		}
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// try takes charge id if it is free; otherwise it returns a channel closed
// when the holder lets go.
func (k *keyLock) try(id int64) (unlock func(), busy <-chan struct{}) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if ch, ok := k.held[id]; ok {
		return nil, ch
	}
	ch := make(chan struct{})
	k.held[id] = ch
	return func() {
		k.mu.Lock()
		delete(k.held, id)
		k.mu.Unlock()
		close(ch)
	}, nil
}
