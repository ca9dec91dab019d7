package ui

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/pixdesk/pixdesk/internal/termcap"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// brt is Brasília time, fixed for the tests.
var brt = time.FixedZone("BRT", -3*3600)

// testNow is the fixed clock of every test.
var testNow = time.Date(2026, 3, 10, 11, 20, 0, 0, brt)

// testPayload is the dynamic BR Code test vector of pix-brcode.md §3.
const testPayload = "00020126740014br.gov.bcb.pix2552payload.psp.com/3ec9d2f9-5f03-4e0e-820d-63a81e769e875204000053039865802BR5914THALES OGLIARI6015SAO MIGUEL DO O62070503***630442C5"

// fakeBackend is an in-memory Backend.
type fakeBackend struct {
	mu        sync.Mutex
	charges   map[int64]*store.Charge
	latest    int64
	health    engine.Health
	create    func(ctx context.Context, in engine.Input) (*store.Charge, error)
	inputs    []engine.Input
	polled    []int64
	resume    func(ctx context.Context, id int64) (*store.Charge, error)
	resumed   []int64
	refreshed []int64
	simulated []int64

	// Lookup.
	searches []store.Query
	search   func(ctx context.Context, q store.Query) ([]*store.Charge, error) // overrides the in-memory search
	remote   map[string]*psp.CashIn
	remoteQ  []string
	timeline map[int64][]store.Entry
	imported []*psp.CashIn
	refund   func(ctx context.Context, id int64, reason psp.RefundReason, note string) (*store.Charge, error)
	refunds  []fakeRefund

	// The day's close: prepared is what PrepareClose answers (nil: an
	// empty day); sealed holds the days sealed; seals counts Seal calls.
	prepared *engine.DayClose
	sealed   map[string]*engine.DayClose
	seals    int
}

// fakeRefund is one Refund call.
type fakeRefund struct {
	id     int64
	reason psp.RefundReason
	note   string
}

var _ Backend = (*fakeBackend)(nil)

func newFake() *fakeBackend {
	return &fakeBackend{
		charges: map[int64]*store.Charge{},
		health:  engine.Health{Reachable: true, TokenValid: true, Pending: 1, LastWebhook: testNow.Add(-3 * time.Minute)},
	}
}

// put stores a copy of c.
func (f *fakeBackend) put(c *store.Charge) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cp := *c
	f.charges[c.ID] = &cp
}

func (f *fakeBackend) get(id int64) *store.Charge {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.charges[id]
	if !ok {
		return nil
	}
	cp := *c
	return &cp
}

func (f *fakeBackend) Create(ctx context.Context, in engine.Input) (*store.Charge, error) {
	f.mu.Lock()
	f.inputs = append(f.inputs, in)
	fn := f.create
	f.mu.Unlock()
	if fn == nil {
		c := openCharge(1)
		c.Amount, c.Payer = in.Amount, in.Payer
		f.put(c)
		return c, nil
	}
	return fn(ctx, in)
}

func (f *fakeBackend) Refresh(_ context.Context, id int64) (*store.Charge, error) {
	f.mu.Lock()
	f.refreshed = append(f.refreshed, id)
	f.mu.Unlock()
	if c := f.get(id); c != nil {
		return c, nil
	}
	return nil, store.ErrNotFound
}

func (f *fakeBackend) Resume(ctx context.Context, id int64) (*store.Charge, error) {
	f.mu.Lock()
	f.resumed = append(f.resumed, id)
	fn := f.resume
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, id)
	}
	if c := f.get(id); c != nil {
		return c, nil
	}
	return nil, store.ErrNotFound
}

func (f *fakeBackend) PollNow(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polled = append(f.polled, id)
}

func (f *fakeBackend) Health() engine.Health {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.health
}

func (f *fakeBackend) Charge(_ context.Context, id int64) (*store.Charge, error) {
	if c := f.get(id); c != nil {
		return c, nil
	}
	return nil, store.ErrNotFound
}

func (f *fakeBackend) LatestOpen(context.Context) (*store.Charge, error) {
	f.mu.Lock()
	id := f.latest
	f.mu.Unlock()
	if id == 0 {
		return nil, store.ErrNotFound
	}
	return f.get(id), nil
}

func (f *fakeBackend) SimulatePay(_ context.Context, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.simulated = append(f.simulated, id)
	return nil
}

// openCharge returns a charge awaiting payment, 12:30 before it expires.
func openCharge(id int64) *store.Charge {
	req := testNow.Add(-150 * time.Second)
	return &store.Charge{
		ID:                id,
		Terminal:          "caixa-01",
		ExternalReference: "PD-000042",
		Amount:            1250,
		Payer:             psp.Payer{Name: "João da Silva", Document: "12345678909"},
		ExpiresInMinutes:  15,
		CreatedAt:         req,
		Stage:             store.StageCreated,
		TransactionID:     "kk6g232xel65a0daee4dd13kk2912714964",
		InternalCode:      "US7B1JQ",
		CopyAndPaste:      testPayload,
		RequestedAt:       req,
		ExpiresAt:         req.Add(15 * time.Minute),
		Status:            psp.StatusAwaitingPayment,
		Version:           1,
	}
}

// paid returns c paid by a bank transfer at the fixed clock.
func paid(c *store.Charge) *store.Charge {
	cp := *c
	cp.Status = psp.StatusPaid
	cp.PaidAmount = cp.Amount
	cp.PaidAt = testNow.Add(-5 * time.Second)
	cp.EndToEndID = "E00416968202603101422cemeFscF6AG"
	cp.Payer.BankData = &psp.BankData{ISPB: "00000000", Bank: "Banco do Brasil S.A.", Branch: "0001", Account: "123456"}
	cp.Version++
	return &cp
}

// testRenderer draws without colour, as golden files need.
func testRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	r.SetHasDarkBackground(true)
	return r
}

// testConfig is the configuration of the tests; out receives the bell
// and the OSC 52 sequences.
func testConfig(out *bytes.Buffer) Config {
	return Config{
		Terminal:    "caixa-01",
		Env:         EnvSandbox,
		Sandbox:     true,
		MaxAmount:   500000,
		WebhookAddr: ":8080",
		Store:       "sqlite /var/lib/pixdesk/pixdesk.db",
		Renderer:    testRenderer(),
		Output:      out,
		Now:         func() time.Time { return testNow },
		Location:    brt,
		// A terminal that answered the probe: a dark background, no
		// graphics (the tests that want them say so).
		Caps: termcap.Caps{Answered: true, BackgroundKnown: true, Dark: true},
	}
}

// newTestModel returns a console over a fresh fake, sized w×h, with the
// animations off.
func newTestModel(t testing.TB, cfg Config, w, h int) (*Model, *fakeBackend) {
	t.Helper()
	f := newFake()
	m := New(cfg, f)
	m.still = true
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m, f
}

// bubble runs test in a synctest bubble, where drain can tell a command
// that waits on the clock from one that is merely slow. When test ends,
// the bubble's clock runs on past every timer and timeout in ui, so that
// the commands drain dropped (ticks, hints, debounces) finish too.
func bubble(t *testing.T, test func(t *testing.T)) {
	t.Helper()
	synctest.Test(t, func(t *testing.T) {
		defer time.Sleep(time.Hour) // deferred: runs after t.Fatal as well
		test(t)
	})
}

// run feeds msg to m and then, recursively, the messages its commands
// produce, skipping the timed ones (ticks, debounces, hints) that would
// wait. It must run inside a synctest bubble (see drain).
func run(m *Model, msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 && len(queue) < 1000 {
		msg, queue = queue[0], queue[1:]
		_, cmd := m.Update(msg)
		queue = append(queue, drain(cmd)...)
	}
}

// drain runs cmd and returns the messages it yields. A command that waits
// on the clock (a tick, a debounce, a hint's expiry) or on a channel is
// dropped; every other command is run to the end however slow the machine.
//
// That line is drawn by synctest, not by a timeout: inside a bubble, time
// stands still while the test runs, and synctest.Wait returns once the
// command has either answered or is durably blocked. A wall-clock limit
// here would drop a page read that happened to be slow under load and
// leave the screen waiting for it (TestLookupKeysetPaging stopped short).
// Tests that use drain, run or press therefore run inside bubble;
// synctest.Wait panics outside one.
func drain(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	synctest.Wait()
	var msg tea.Msg
	select {
	case msg = <-ch:
	default:
		return nil // it waits on a timer or a channel: never fires here
	}
	switch msg := msg.(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, drain(c)...)
		}
		return out
	case nil:
		return nil
	}
	return []tea.Msg{msg}
}

// typeText sends s one rune at a time. Typing yields only timed commands
// (hints), which are not run.
func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// paste sends s as one bracketed paste.
func paste(m *Model, s string) {
	run(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: true})
}

func press(m *Model, k tea.KeyType) { run(m, tea.KeyMsg{Type: k}) }

// chargeShown returns a console sized w×h over a fresh fake, started on
// openCharge(1) as edit changes it (nil: as it is), and the fake and the
// charge.
func chargeShown(t testing.TB, cfg Config, w, h int, edit func(*store.Charge)) (*Model, *fakeBackend, *store.Charge) {
	t.Helper()
	m, f := newTestModel(t, cfg, w, h)
	c := openCharge(1)
	if edit != nil {
		edit(c)
	}
	f.put(c)
	run(m, latestMsg{c: c})
	return m, f, c
}

// submitForm presses Enter on the form and runs the check for a matching
// open charge; the submit it leads to is handled in the same Update, and
// the create command it yields is returned without being run.
func submitForm(t *testing.T, m *Model) tea.Cmd {
	t.Helper()
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	for _, msg := range drain(cmd) {
		if same, ok := msg.(sameMsg); ok {
			_, create := m.Update(same)
			return create
		}
	}
	t.Fatal("the form did not submit")
	return nil
}

func (f *fakeBackend) Search(ctx context.Context, q store.Query) ([]*store.Charge, error) {
	f.mu.Lock()
	f.searches = append(f.searches, q)
	fn := f.search
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, q)
	}
	all := f.matching(q)
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	limit = min(limit, store.MaxLimit)
	var out []*store.Charge
	for _, c := range all {
		if q.After.ID != 0 && !(c.CreatedAt.Before(q.After.CreatedAt) || c.CreatedAt.Equal(q.After.CreatedAt) && c.ID < q.After.ID) {
			continue
		}
		if len(out) == limit {
			break
		}
		out = append(out, c)
	}
	return out, nil
}

func (f *fakeBackend) Count(_ context.Context, q store.Query) (int, error) {
	return len(f.matching(q)), nil
}

// matching returns copies of the charges q matches, newest first, reading
// q.Text as store.DB.Search does.
func (f *fakeBackend) matching(q store.Query) []*store.Charge {
	f.mu.Lock()
	defer f.mu.Unlock()
	text := strings.TrimSpace(q.Text)
	byRef := false
	for _, c := range f.charges {
		if text != "" && c.ExternalReference == text {
			byRef = true
		}
	}
	var out []*store.Charge
	for _, c := range f.charges {
		if text != "" {
			doc := psp.NormalizeDocument(text)
			ok := c.Payer.Document == doc || c.InternalCode == strings.ToUpper(text) || c.TransactionID == text ||
				c.EndToEndID == text || c.OriginalEndToEndID == text
			if byRef {
				ok = ok || c.ExternalReference == text
			} else {
				ok = ok || store.NameMatches(c.Payer.Name, text)
			}
			if !ok {
				continue
			}
		}
		if len(q.Statuses) > 0 && !slices.Contains(q.Statuses, c.Status) {
			continue
		}
		if !q.From.IsZero() && c.CreatedAt.Before(q.From) || !q.To.IsZero() && !c.CreatedAt.Before(q.To) {
			continue
		}
		if q.Amount != 0 && c.Amount != q.Amount || q.Terminal != "" && c.Terminal != q.Terminal {
			continue
		}
		cp := *c
		out = append(out, &cp)
	}
	slices.SortFunc(out, func(a, b *store.Charge) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out
}

func (f *fakeBackend) Timeline(_ context.Context, id int64) ([]store.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.charges[id]; !ok {
		return nil, store.ErrNotFound
	}
	return f.timeline[id], nil
}

func (f *fakeBackend) FindByCopyAndPaste(_ context.Context, code string) (*store.Charge, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.charges {
		if c.CopyAndPaste == code {
			cp := *c
			return &cp, nil
		}
	}
	return nil, store.ErrNotFound
}

func (f *fakeBackend) Remote(_ context.Context, id string) (*psp.CashIn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.remoteQ = append(f.remoteQ, id)
	if ci, ok := f.remote[id]; ok {
		cp := *ci
		return &cp, nil
	}
	return nil, &psp.Error{Status: 404, Code: psp.CodeNotFound}
}

func (f *fakeBackend) Import(_ context.Context, ci *psp.CashIn) (*store.Charge, error) {
	f.mu.Lock()
	f.imported = append(f.imported, ci)
	id := int64(len(f.charges) + 100)
	f.mu.Unlock()
	c := &store.Charge{
		ID: id, ExternalReference: ci.ExternalReference, Amount: ci.Amount, Payer: ci.Payer,
		CreatedAt: testNow, Stage: store.StageCreated, TransactionID: ci.TransactionID,
		InternalCode: ci.InternalCode, RequestedAt: ci.RequestedAt, Status: ci.Status,
		EndToEndID: ci.EndToEndID, PaidAt: ci.PaidAt, Version: 1,
	}
	f.put(c)
	return c, nil
}

func (f *fakeBackend) Refund(ctx context.Context, id int64, reason psp.RefundReason, note string) (*store.Charge, error) {
	f.mu.Lock()
	f.refunds = append(f.refunds, fakeRefund{id, reason, note})
	fn := f.refund
	f.mu.Unlock()
	if fn != nil {
		return fn(ctx, id, reason, note)
	}
	c := f.get(id)
	if c == nil {
		return nil, store.ErrNotFound
	}
	c.Status, c.RefundedAt = psp.StatusRefunded, testNow
	c.OriginalEndToEndID, c.EndToEndID = c.EndToEndID, "D00416968202603101425refundXYZ01"
	c.RefundKey, c.RefundReason = "5b0c7a9e-0000-4000-8000-000000000001", reason
	c.Version++
	f.put(c)
	return c, nil
}

func (f *fakeBackend) PrepareClose(_ context.Context, day string, loc *time.Location) (*engine.DayClose, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sealed[day] != nil {
		return nil, store.ErrDayClosed
	}
	if f.prepared != nil {
		c := *f.prepared
		return &c, nil
	}
	from, to, err := store.DayBounds(day, loc)
	if err != nil {
		return nil, err
	}
	return &engine.DayClose{DayReport: &store.DayReport{Terminal: "C01", Day: day, Zone: loc.String(), From: from, To: to}}, nil
}

func (f *fakeBackend) Seal(_ context.Context, c *engine.DayClose) (*engine.DayClose, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seals++
	if f.sealed[c.Day] != nil {
		return nil, store.ErrDayClosed
	}
	if f.sealed == nil {
		f.sealed = map[string]*engine.DayClose{}
	}
	s := *c
	s.SealedAt, s.Hash = testNow, "3f9a0c1e5b7d2468ace13579bdf02468ace13579bdf02468ace13579bdf02468"
	f.sealed[c.Day] = &s
	return &s, nil
}

func (f *fakeBackend) Reprint(_ context.Context, day string) (*engine.DayClose, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.sealed[day]; c != nil {
		s := *c
		return &s, nil
	}
	return nil, store.ErrNotFound
}
