package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// scene is one screen to capture: setup prepares the fake before the
// program starts, drive sends what leads to the screen, and the capture is
// taken once every marker has appeared in the output.
type scene struct {
	name   string
	cfg    func(*Config)
	setup  func(t *testing.T, f *fakeBackend)
	drive  func(t *testing.T, tm *teatest.TestModel, f *fakeBackend)
	marker []string
}

// healthy is in every capture: the engine's health arrived.
const healthy = "ConnectPSP ok"

var scenes = []scene{
	{name: "form", marker: []string{"Nova cobrança PIX"}},
	{
		name:   "form_production",
		cfg:    func(c *Config) { c.Env, c.Sandbox = EnvProduction, false },
		marker: []string{"PRODUÇÃO"},
	},
	{
		name: "form_errors",
		drive: func(t *testing.T, tm *teatest.TestModel, _ *fakeBackend) {
			tm.Type("12a")
			sendKeys(tm, tea.KeyEnter)
			tm.Type("Maria")
			sendKeys(tm, tea.KeyEnter)
			tm.Type("12345678900")
			sendKeys(tm, tea.KeyEnter)
			tm.Type("PED 1")
			sendKeys(tm, tea.KeyEnter)
			sendKeys(tm, tea.KeyBackspace, tea.KeyBackspace)
			tm.Type("0")
			sendKeys(tm, tea.KeyEnter)
		},
		marker: []string{"dígito verificador", "entre 1 e 1440", "só letras"},
	},
	{
		// The open-charges strip on the form: one charge awaiting payment,
		// one paid while the cashier typed the next.
		name: "form_open",
		setup: func(_ *testing.T, f *fakeBackend) {
			f.put(openCharge(1))
			c := openCharge(2)
			c.Amount, c.ExternalReference = 4990, "PD-000043"
			c.CreatedAt = c.CreatedAt.Add(time.Minute)
			c.ExpiresAt = testNow.Add(50 * time.Second)
			f.put(c)
		},
		drive: func(t *testing.T, tm *teatest.TestModel, f *fakeBackend) {
			waitFor(t, tm, "Em aberto")
			tm.Type("800")
			f.put(paid(openCharge(1)))
			tm.Send(ChangeMsg{store.Change{ChargeID: 1, Version: 2}})
		},
		marker: []string{"PAGO", "R$\u00a08,00"},
	},
	{
		// The question about a matching charge still awaiting payment.
		name:  "form_same",
		setup: func(_ *testing.T, f *fakeBackend) { f.put(openCharge(7)) },
		drive: func(t *testing.T, tm *teatest.TestModel, _ *fakeBackend) {
			tm.Type("1250")
			sendKeys(tm, tea.KeyTab)
			tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("João da Silva")}) // Type sends bytes
			sendKeys(tm, tea.KeyTab)
			tm.Type("12345678909")
			sendKeys(tm, tea.KeyTab, tea.KeyTab, tea.KeyEnter)
		},
		marker: []string{"Já existe uma cobrança igual"},
	},
	{
		name: "creating",
		setup: func(t *testing.T, f *fakeBackend) {
			done := make(chan struct{})
			t.Cleanup(func() { close(done) })
			f.create = func(ctx context.Context, _ engine.Input) (*store.Charge, error) {
				select {
				case <-ctx.Done():
				case <-done:
				}
				return nil, context.Canceled
			}
		},
		drive: func(t *testing.T, tm *teatest.TestModel, _ *fakeBackend) {
			tm.Send(submitMsg{engine.Input{Amount: 1250, Payer: psp.Payer{Name: "João da Silva", Document: "12345678909"}, ExpiresInMinutes: 15}})
			tm.Send(NoticeMsg{engine.Notice{Kind: engine.NoticeProgress, ChargeID: 3, Progress: psp.Progress{Stage: psp.StageSending, Attempt: 1}}})
			tm.Send(NoticeMsg{engine.Notice{Kind: engine.NoticeProgress, ChargeID: 3, Progress: psp.Progress{
				Stage: psp.StageRetrying, Attempt: 2, Wait: 2 * time.Second, Err: errors.New("connectpsp: read tcp: connection reset by peer")}}})
		},
		marker: []string{"nova tentativa 2"},
	},
	{
		name:   "charge",
		setup:  func(_ *testing.T, f *fakeBackend) { f.put(openCharge(1)); f.latest = 1 },
		marker: []string{"12:30"},
	},
	{
		// The strip on the charge screen, the one on screen marked.
		name: "charge_open",
		setup: func(_ *testing.T, f *fakeBackend) {
			f.put(openCharge(1))
			c := openCharge(2)
			c.Amount, c.CreatedAt = 4990, c.CreatedAt.Add(time.Minute)
			f.put(c)
			f.latest = 1
		},
		marker: []string{"12:30", "Em aberto", "R$\u00a049,90"},
	},
	{
		name:   "charge_sextants",
		cfg:    func(c *Config) { c.QRStyle = QRSextants },
		setup:  func(_ *testing.T, f *fakeBackend) { f.put(openCharge(1)); f.latest = 1 },
		marker: []string{"12:30"},
	},
	{
		// A terminal with sixel graphics: the image's box beside the
		// details, even at 80×24.
		name:   "charge_sixel",
		cfg:    func(c *Config) { c.Caps = sixel8x16 },
		setup:  func(_ *testing.T, f *fakeBackend) { f.put(openCharge(1)); f.latest = 1 },
		marker: []string{"12:30"},
	},
	{
		name: "charge_badcrc",
		setup: func(_ *testing.T, f *fakeBackend) {
			c := openCharge(1)
			c.CopyAndPaste = testPayload[:len(testPayload)-1] + "X"
			f.put(c)
			f.latest = 1
		},
		marker: []string{"12:30"},
	},
	{
		name:  "charge_full",
		setup: func(_ *testing.T, f *fakeBackend) { f.put(openCharge(1)); f.latest = 1 },
		drive: func(t *testing.T, tm *teatest.TestModel, _ *fakeBackend) {
			// The full-window QR hides the status bar: the health must
			// be drawn before it, or the capture waits for it in vain.
			waitFor(t, tm, healthy, "12:30")
			tm.Type("f")
		},
		marker: []string{"Escaneie para pagar"},
	},
	{
		name:  "paid",
		setup: func(_ *testing.T, f *fakeBackend) { f.put(openCharge(1)); f.latest = 1 },
		drive: func(t *testing.T, tm *teatest.TestModel, f *fakeBackend) {
			waitFor(t, tm, "12:30")
			f.put(paid(openCharge(1)))
			tm.Send(ChangeMsg{store.Change{ChargeID: 1, Version: 2}})
		},
		marker: []string{"Banco do Brasil"},
	},
	{
		name: "paid_warning",
		setup: func(_ *testing.T, f *fakeBackend) {
			c := paid(openCharge(1))
			c.PaidAmount = 125
			c.PaidAt = c.ExpiresAt.Add(40 * time.Second)
			c.Flags = store.FlagAmountMismatch | store.FlagPaidAfterExpiry
			f.put(c)
			f.latest = 1
		},
		marker: []string{"Banco do Brasil", "VENCIMENTO"},
	},
	{
		name: "expired",
		setup: func(_ *testing.T, f *fakeBackend) {
			c := openCharge(1)
			c.Status, c.ExpiredAt = psp.StatusExpired, c.ExpiresAt
			f.put(c)
			f.latest = 1
		},
		marker: []string{"Expirou em"},
	},
	{
		name: "cancelled",
		setup: func(_ *testing.T, f *fakeBackend) {
			c := openCharge(1)
			c.Status = psp.StatusCancelled
			f.put(c)
			f.latest = 1
		},
		marker: []string{"refazer com os mesmos dados"},
	},
}

// TestGolden captures every screen at 80×24 and 120×40 with an ASCII
// profile and a fixed clock. Refresh with: go test ./ui -run TestGolden -update
func TestGolden(t *testing.T) {
	for _, sc := range scenes {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s/%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				capture(t, sc, size[0], size[1])
			})
		}
	}
	t.Run("too_small/59x19", func(t *testing.T) {
		capture(t, scene{marker: []string{"pelo menos"}}, 59, 19)
	})
}

func capture(t *testing.T, sc scene, w, h int) {
	var out bytes.Buffer
	cfg := testConfig(&out)
	if sc.cfg != nil {
		sc.cfg(&cfg)
	}
	f := newFake()
	if sc.setup != nil {
		sc.setup(t, f)
	}
	m := New(cfg, f)
	m.still = true
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h))
	if sc.drive != nil {
		sc.drive(t, tm, f)
	}
	markers := sc.marker
	if w >= MinWidth && h >= MinHeight {
		markers = append([]string{healthy}, markers...)
	}
	waitFor(t, tm, markers...)
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*Model)
	teatest.RequireEqualOutput(t, []byte(final.View()))
}

// seen keeps each test program's output, so that a marker drawn before one
// wait still counts for the next.
var seen sync.Map // *teatest.TestModel → *bytes.Buffer

// waitFor waits until every marker has been drawn since the start.
func waitFor(t *testing.T, tm *teatest.TestModel, markers ...string) {
	t.Helper()
	v, _ := seen.LoadOrStore(tm, new(bytes.Buffer))
	buf := v.(*bytes.Buffer)
	teatest.WaitFor(t, io.TeeReader(tm.Output(), buf), func([]byte) bool {
		for _, mk := range markers {
			if !bytes.Contains(buf.Bytes(), []byte(mk)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func sendKeys(tm *teatest.TestModel, keys ...tea.KeyType) {
	for _, k := range keys {
		tm.Send(tea.KeyMsg{Type: k})
	}
}

func TestForwardDeliversHints(t *testing.T) {
	var out bytes.Buffer
	f := newFake()
	f.put(openCharge(1))
	f.latest = 1
	m := New(testConfig(&out), f)
	m.still = true
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	waitFor(t, tm, "12:30")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	notices, changes := make(chan engine.Notice, 1), make(chan store.Change, 1)
	done := make(chan struct{})
	go func() { Forward(ctx, tm.GetProgram(), notices, changes); close(done) }()
	f.put(paid(openCharge(1)))
	changes <- store.Change{ChargeID: 1, Version: 2}
	waitFor(t, tm, "Banco do Brasil")
	notices <- engine.Notice{Kind: engine.NoticeHealth}
	close(notices)
	close(changes)
	<-done // both channels closed: Forward returns
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}
