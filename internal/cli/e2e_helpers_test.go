package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/pixdesk/pixdesk/internal/termcap"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
	"github.com/pixdesk/pixdesk/ui"
)

// End-to-end tests: the counter console as runConsole builds it (openStack)
// — the real store (SQLite in a temp dir), the real engine, the sandbox
// over HTTP on loopback, webhooks through the stack's receiver — with the
// ui model run
// headless by a Bubble Tea program (teatest) and fed engine notices and
// store changes by ui.Forward, as main does. Nothing is asserted about
// timing: every wait is for a condition, with a generous deadline.

// e2eWait bounds every wait for something to happen.
const e2eWait = 45 * time.Second

// e2eUntil waits for cond, failing the test after e2eWait.
func e2eUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2eWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", e2eWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// e2eBRT is Brasília time, how the screens show times in these tests.
var e2eBRT = time.FixedZone("BRT", -3*3600)

// e2eClock is a fake clock that moves only when told; one instance is
// shared by the sandbox, the journal, the engine and the screen.
type e2eClock struct {
	mu sync.Mutex
	t  time.Time
}

func newE2EClock() *e2eClock {
	return &e2eClock{t: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)}
}

func (c *e2eClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *e2eClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *e2eClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// e2eConfig is a console configuration over the embedded sandbox, with the
// journal and the log in dir.
func e2eConfig(t testing.TB, dir string) *config {
	t.Helper()
	cfg := &config{
		db:        filepath.Join(dir, "pixdesk.db"),
		logPath:   filepath.Join(dir, "pixdesk.log"),
		terminal:  "caixa-01",
		lang:      "en",
		maxAmount: 500000,
		expiry:    15,
		qrStyle:   ui.QRHalfBlocks,
	}
	if err := cfg.check(); err != nil || !cfg.embedded {
		t.Fatalf("config: %v (embedded %v)", err, cfg.embedded)
	}
	return cfg
}

// e2eStack is a running stack: the console's (openStack), plus what the
// test needs to reach behind it.
type e2eStack struct {
	*stack
	t     testing.TB
	dir   string
	ctx   context.Context // the stack's life: ends when it stops
	clock *e2eClock       // nil: real time
	proxy *e2eProxy       // nil: the client talks to the sandbox directly
	once  sync.Once
}

// e2eOpenMain opens the stack exactly as the console does (openStack) on
// the journal and sandbox state in dir, and starts the engine.
func e2eOpenMain(t testing.TB, dir string) *e2eStack {
	t.Helper()
	return e2eOpen(t, dir, e2eConfig(t, dir), nil)
}

// e2eOptions change what e2eAssemble builds.
type e2eOptions struct {
	clock         *e2eClock       // shared fake clock; nil: real time
	creds         psp.Credentials // the sandbox's credentials; zero: its defaults
	tokenLifetime time.Duration   // the sandbox's access-token lifetime; 0: 1 h
	proxy         bool            // reach ConnectPSP through a proxy the test can take down
	client        []psp.Option    // after openStack's
	tune          func(*engine.Config)
	db            string // the journal's DSN; "": SQLite in the test's directory
}

// e2eAssemble opens the console's stack (openStack) with what a test
// chooses besides: a fake clock, the sandbox's credentials, token lifetime
// and quick webhook retries, a proxy in front of ConnectPSP, client and
// engine tuning, another journal.
func e2eAssemble(t testing.TB, dir string, o e2eOptions) *e2eStack {
	t.Helper()
	cfg := e2eConfig(t, dir)
	if o.db != "" {
		cfg.db = o.db
	}
	var px *e2eProxy
	opts := []stackOption{
		withSandbox(func(so *sandbox.Options) {
			so.RetryBase = 50 * time.Millisecond
			so.StatePath = sandboxState(nil, dir) // not the user's, with a PostgreSQL journal
			so.Credentials, so.TokenLifetime = o.creds, o.tokenLifetime
		}),
		withClient(o.client...),
		withEngine(o.tune),
	}
	if o.clock != nil {
		opts = append(opts, withClock(o.clock.Now))
	}
	if o.proxy {
		opts = append(opts, connectVia(func(base string) string {
			px = newE2EProxy(t, base)
			return px.url()
		}))
	}
	st := e2eOpen(t, dir, cfg, &px, opts...)
	st.clock = o.clock
	return st
}

// e2eOpen opens the stack on cfg with opts, starts its engine and stops it
// when the test ends, as runConsole does. px, if set, receives the proxy
// the options made.
func e2eOpen(t testing.TB, dir string, cfg *config, px **e2eProxy, opts ...stackOption) *e2eStack {
	t.Helper()
	s, err := openStack(context.Background(), cfg, opts...)
	if err != nil {
		t.Fatalf("openStack: %v", err)
	}
	st := &e2eStack{stack: s, t: t, dir: dir, ctx: s.life}
	if px != nil {
		st.proxy = *px
	}
	t.Cleanup(st.close)
	s.start()
	return st
}

// close stops the stack as runConsole's return does (stack.stop: the
// receiver, the engine and the sandbox's deliveries stopped and waited
// for before the journal closes), then the proxy.
func (st *e2eStack) close() {
	st.once.Do(func() {
		st.stop(context.Background())
		if st.proxy != nil {
			st.proxy.down()
		}
	})
}

// e2eFastEngine tunes an engine for tests: real time, short intervals, so
// that background work shows at once.
func e2eFastEngine(c *engine.Config) {
	c.PollFast, c.PollSlow = 100*time.Millisecond, 200*time.Millisecond
	c.Tick = 10 * time.Millisecond
	c.HealthEvery = 200 * time.Millisecond
	c.ResumeBase, c.ResumeCap = 50*time.Millisecond, 300*time.Millisecond
	c.PollTimeout = 5 * time.Second
}

// e2eQuickClient gives up on ConnectPSP quickly, so that an outage shows
// on the creating screen within a second rather than after 30 s.
var e2eQuickClient = []psp.Option{
	psp.WithRetry(3, 20*time.Millisecond, 100*time.Millisecond, 5*time.Second),
	psp.WithAttemptTimeout(500 * time.Millisecond),
}

// charges returns every charge in the journal, newest first.
func (st *e2eStack) charges() []*store.Charge {
	st.t.Helper()
	cs, err := st.db.Search(context.Background(), store.Query{Limit: store.MaxLimit})
	if err != nil {
		st.t.Fatalf("search: %v", err)
	}
	return cs
}

// only returns the one charge in the journal.
func (st *e2eStack) only() *store.Charge {
	st.t.Helper()
	cs := st.charges()
	if len(cs) != 1 {
		st.t.Fatalf("%d charges in the journal, want exactly 1", len(cs))
	}
	return cs[0]
}

// timeline returns charge id's history.
func (st *e2eStack) timeline(id int64) []store.Entry {
	st.t.Helper()
	es, err := st.db.Timeline(context.Background(), id)
	if err != nil {
		st.t.Fatalf("timeline: %v", err)
	}
	return es
}

// logText returns the log file's contents.
func (st *e2eStack) logText() string {
	st.t.Helper()
	b, err := os.ReadFile(st.cfg.logPath)
	if err != nil {
		st.t.Fatalf("log: %v", err)
	}
	return string(b)
}

// e2eProxy stands between the client and the sandbox: down() makes
// ConnectPSP unreachable (connections refused), and it notes what crossed.
type e2eProxy struct {
	t      testing.TB
	addr   string
	target *url.URL

	mu      sync.Mutex
	srv     *http.Server
	expired int      // 401 TOKEN_EXPIRED answers passed back
	tokens  []string // access tokens issued
	sigs    []string // DigitalSignature headers sent
}

func newE2EProxy(t testing.TB, target string) *e2eProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &e2eProxy{t: t, target: u}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	return p
}

func (p *e2eProxy) url() string { return "http://" + p.addr }

func (p *e2eProxy) serve(ln net.Listener) {
	rp := httputil.NewSingleHostReverseProxy(p.target)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	rp.ModifyResponse = func(r *http.Response) error {
		body, err := io.ReadAll(r.Body)
		r.Body.Close()
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		p.mu.Lock()
		defer p.mu.Unlock()
		if r.StatusCode == http.StatusUnauthorized && bytes.Contains(body, []byte(psp.CodeTokenExpired)) {
			p.expired++
		}
		if r.Request.URL.Path == "/auth/token" && r.StatusCode == http.StatusOK {
			if _, rest, ok := strings.Cut(string(body), `"accessToken":"`); ok {
				if tok, _, ok := strings.Cut(rest, `"`); ok {
					p.tokens = append(p.tokens, tok)
				}
			}
		}
		return nil
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sig := r.Header.Get("DigitalSignature"); sig != "" {
			p.mu.Lock()
			p.sigs = append(p.sigs, sig)
			p.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go srv.Serve(ln)
}

// down closes the listener and every connection: ConnectPSP is unreachable.
func (p *e2eProxy) down() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// up listens again on the same address.
func (p *e2eProxy) up() {
	p.t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

func (p *e2eProxy) expiredAnswers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.expired
}

// secrets returns the access tokens and refund signatures that crossed.
func (p *e2eProxy) secrets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append(append([]string{}, p.tokens...), p.sigs...)
}

// e2eScreen wraps the console's model: it keeps every distinct frame the
// program drew and the error of every notice it received, and can watch
// frames and messages for a benchmark.
type e2eScreen struct {
	inner tea.Model
	keep  bool // keep every frame

	mu      sync.Mutex
	last    string
	frames  []string
	errs    []string
	onMsg   func(tea.Msg)
	onFrame func(string)
}

var _ tea.Model = (*e2eScreen)(nil)

func (s *e2eScreen) Init() tea.Cmd { return s.inner.Init() }

func (s *e2eScreen) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	s.mu.Lock()
	if n, ok := msg.(ui.NoticeMsg); ok && n.Err != nil {
		s.errs = append(s.errs, n.Err.Error())
	}
	hook := s.onMsg
	s.mu.Unlock()
	if hook != nil {
		hook(msg)
	}
	m, cmd := s.inner.Update(msg)
	s.inner = m
	return s, cmd
}

func (s *e2eScreen) View() string {
	v := s.inner.View()
	s.mu.Lock()
	if v != s.last && s.keep {
		s.frames = append(s.frames, v)
	}
	s.last = v
	hook := s.onFrame
	s.mu.Unlock()
	if hook != nil {
		hook(v)
	}
	return v
}

// view is the frame drawn last.
func (s *e2eScreen) view() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// allFrames returns every distinct frame drawn so far.
func (s *e2eScreen) allFrames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.frames...)
}

// ever reports whether any frame drawn so far contains text.
func (s *e2eScreen) ever(text string) bool {
	for _, f := range s.allFrames() {
		if strings.Contains(f, text) {
			return true
		}
	}
	return false
}

func (s *e2eScreen) noticeErrs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, s.errs...)
}

// e2eBuffer is a goroutine-safe bytes.Buffer: the console's bell and OSC 52.
type e2eBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *e2eBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *e2eBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// e2eConsole is a console program running headless on a stack.
type e2eConsole struct {
	t      testing.TB
	st     *e2eStack
	scr    *e2eScreen
	tm     *teatest.TestModel
	out    *e2eBuffer
	cancel context.CancelFunc
	fwd    chan struct{}
	once   sync.Once
}

// e2eRenderer draws without colour, so that frames read as text.
func e2eRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	r.SetHasDarkBackground(true)
	return r
}

// uiConfig is runConsole's ui configuration, drawn as plain text.
func (st *e2eStack) uiConfig() ui.Config {
	c := uiConfig(st.cfg, st.stack, system{getenv: func(string) string { return "" }}, termcap.Caps{})
	c.Renderer = e2eRenderer()
	c.Location = e2eBRT
	if st.clock != nil {
		c.Now = st.clock.Now
	}
	return c
}

// console starts the counter console (or, with lookup, pixdesk lookup) on
// st as runConsole does, in a 120×40 window; now, if set, is its clock.
func (st *e2eStack) console(lookup bool, now func() time.Time) *e2eConsole {
	st.t.Helper()
	cfg := st.uiConfig()
	out := &e2eBuffer{}
	cfg.Output = out
	if now != nil {
		cfg.Now = now
	}
	b := &backend{Engine: st.engine, db: st.db, client: st.client, pay: st.pay, terminal: st.cfg.terminal}
	var m tea.Model = ui.New(cfg, b)
	if lookup {
		m = ui.NewLookup(cfg, b)
	}
	return st.run(m, out, true)
}

// run runs m in a program fed by ui.Forward.
func (st *e2eStack) run(m tea.Model, out *e2eBuffer, keep bool) *e2eConsole {
	scr := &e2eScreen{inner: m, keep: keep}
	tm := teatest.NewTestModel(st.t, scr, teatest.WithInitialTermSize(120, 40))
	ctx, cancel := context.WithCancel(st.ctx)
	c := &e2eConsole{t: st.t, st: st, scr: scr, tm: tm, out: out, cancel: cancel, fwd: make(chan struct{})}
	changes := st.db.Subscribe(ctx)
	go func() {
		defer close(c.fwd)
		ui.Forward(ctx, tm.GetProgram(), st.notices, changes)
	}()
	st.t.Cleanup(c.stop)
	return c
}

// stop quits the program and its forwarding.
func (c *e2eConsole) stop() {
	c.once.Do(func() {
		c.tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
		c.tm.WaitFinished(c.t, teatest.WithFinalTimeout(e2eWait))
		c.cancel()
		<-c.fwd
	})
}

// typeText types s one rune at a time.
func (c *e2eConsole) typeText(s string) {
	for _, r := range s {
		c.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// paste sends s as one bracketed paste.
func (c *e2eConsole) paste(s string) {
	c.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: true})
}

func (c *e2eConsole) press(k tea.KeyType) { c.tm.Send(tea.KeyMsg{Type: k}) }

// waitFor waits until the frame on screen contains every one of texts.
func (c *e2eConsole) waitFor(what string, texts ...string) string {
	c.t.Helper()
	var v string
	e2eUntil(c.t, what+" "+strings.Join(texts, " · "), func() bool {
		v = c.scr.view()
		for _, s := range texts {
			if !strings.Contains(v, s) {
				return false
			}
		}
		return true
	})
	return v
}

// waitFrame waits until the frame on screen passes ok; the last frame is
// in the failure message.
func (c *e2eConsole) waitFrame(what string, ok func(string) bool) string {
	c.t.Helper()
	deadline := time.Now().Add(e2eWait)
	for {
		v := c.scr.view()
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out after %s waiting for %s; screen:\n%s", e2eWait, what, v)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// e2eSale is what the cashier types into the form.
type e2eSale struct {
	amount string // digits, shifted in from the right: "1250" is R$ 12,50
	name   string
	doc    string
	ref    string // "" takes the next reference
	expiry string // minutes; "" keeps the default
}

// sell types s into the form and submits it.
func (c *e2eConsole) sell(s e2eSale) {
	c.t.Helper()
	c.waitFor("the new-charge form", "New PIX charge")
	c.typeText(s.amount)
	c.press(tea.KeyEnter)
	c.typeText(s.name)
	c.press(tea.KeyEnter)
	c.typeText(s.doc)
	c.press(tea.KeyEnter)
	c.typeText(s.ref)
	c.press(tea.KeyEnter)
	if s.expiry != "" {
		c.press(tea.KeyBackspace)
		c.press(tea.KeyBackspace)
		c.press(tea.KeyBackspace)
		c.press(tea.KeyBackspace)
		c.typeText(s.expiry)
	}
	c.press(tea.KeyEnter)
}

// Texts the screens show (Config.Lang "en").
const (
	e2eOnCharge   = "PIX copy and paste"         // the charge screen (the form has no such label)
	e2eOnPaid     = "Paid at"                    // the result screen of a paid charge
	e2eNextCharge = "Enter: next charge"         // the result screen's next step
	e2eConfirming = "confirming with ConnectPSP" // countdown at zero
	e2eNoAnswer   = "ConnectPSP did not answer"  // a create still pending
	e2eAutoResend = "sent again automatically with the same key"
	e2eLinkDown   = "ConnectPSP unreachable"
	e2eLinkUp     = "ConnectPSP ok"
)

// The top rows of the result screen's block-letter banners.
const (
	e2ePaidBanner    = "████   ███  █████ ████"
	e2eExpiredBanner = "█████ █   █ ████  █████ ████  █████ ████"
)

// e2ePaidOnScreen reports whether v is the result screen of a paid charge.
func e2ePaidOnScreen(v string) bool {
	return strings.Contains(v, e2ePaidBanner) && strings.Contains(v, e2eOnPaid) && strings.Contains(v, e2eNextCharge)
}

// waitPaid waits for the PAID result screen of ref.
func (c *e2eConsole) waitPaid(ref string) string {
	c.t.Helper()
	v := c.waitFrame("PAID on screen for "+ref, func(v string) bool {
		return e2ePaidOnScreen(v) && strings.Contains(v, ref)
	})
	return v
}

// paidDelivery is ConnectPSP's signed CASHIN_PAID for c, the i-th of a
// run (its end-to-end and event ids), posted to url.
func paidDelivery(url string, key psp.Secret, c *store.Charge, i int) *http.Request {
	body, _ := json.Marshal(psp.Event{Type: psp.EventCashInPaid, At: time.Now().UTC(), Data: psp.CashIn{
		TransactionID: c.TransactionID, InternalCode: c.InternalCode, ExternalReference: c.ExternalReference,
		Status: psp.StatusPaid, Amount: c.Amount, EndToEndID: fmt.Sprintf("E00416968202603101827%011d", i),
		Payer: psp.Payer{Name: c.Payer.Name, Document: c.Payer.Document}, PaidAt: time.Now()}})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(psp.HeaderSignature, psp.Sign(body, key))
	req.Header.Set(psp.HeaderEventID, fmt.Sprintf("bench-%d", i))
	return req
}
