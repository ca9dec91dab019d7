package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/pixdesk/pixdesk/internal/safetext/hostiletest"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// The hostile-text suite: every field that reaches the console from
// outside carries, in turn, every kind of text a terminal would obey, and
// every screen that shows it is drawn by the real Model over a fake
// backend. The bytes drawn must hold no control, escape, C1 or bidi
// character — checked by hostiletest.Check, which does not trust
// safetext — and must show
// the field's visible form, so that a field that is simply absent cannot
// pass.

// Outside fields, by the tag their hostile value starts with.
const (
	hfName      = "nm" // payer name
	hfDoc       = "dc" // payer document
	hfRef       = "rf" // order reference (an imported or forged one is outside text)
	hfBank      = "bk" // bank name
	hfISPB      = "is"
	hfBranch    = "ag"
	hfAccount   = "ac"
	hfE2E       = "ee" // endToEndId
	hfTxID      = "tx" // transactionId
	hfCode      = "cd" // internalCode
	hfTerminal  = "tm"
	hfEventType = "ev" // a webhook's eventType, in the history
	hfDetail    = "de" // a ConnectPSP problem's detail, or an error's text
	hfReject    = "rj" // a stored rejection reason
	hfCopyPaste = "cp"
)

var hostileFields = []string{hfName, hfDoc, hfRef, hfBank, hfISPB, hfBranch, hfAccount, hfE2E, hfTxID, hfCode,
	hfTerminal, hfEventType, hfDetail, hfReject, hfCopyPaste}

// hostileWorld is ConnectPSP, the webhook and the journal with one field
// hostile.
type hostileWorld struct {
	field string
	kind  hostiletest.Kind
}

func (w hostileWorld) value(field, normal string) string {
	if w.field == field {
		return field + "=" + w.kind.Raw
	}
	return normal
}

// seen is the visible form of field's hostile value.
func (w hostileWorld) seen(field string) string { return field + "=" + w.kind.Seen }

// dress puts the world's hostile field into c.
func (w hostileWorld) dress(c *store.Charge) *store.Charge {
	c.Payer.Name = w.value(hfName, c.Payer.Name)
	c.Payer.Document = w.value(hfDoc, c.Payer.Document)
	c.ExternalReference = w.value(hfRef, c.ExternalReference)
	c.EndToEndID = w.value(hfE2E, c.EndToEndID)
	c.TransactionID = w.value(hfTxID, c.TransactionID)
	c.InternalCode = w.value(hfCode, c.InternalCode)
	c.Terminal = w.value(hfTerminal, c.Terminal)
	c.RejectReason = w.value(hfReject, c.RejectReason)
	c.CopyAndPaste = w.value(hfCopyPaste, c.CopyAndPaste)
	if bd := c.Payer.BankData; bd != nil {
		c.Payer.BankData = &psp.BankData{ISPB: w.value(hfISPB, bd.ISPB), Bank: w.value(hfBank, bd.Bank),
			Branch: w.value(hfBranch, bd.Branch), Account: w.value(hfAccount, bd.Account)}
	}
	return c
}

func (w hostileWorld) paid() *store.Charge { return w.dress(paid(openCharge(1))) }

// problem is ConnectPSP refusing something in its own words.
func (w hostileWorld) problem(status int) error {
	return &psp.Error{Status: status, Code: "X_REFUSED", Detail: w.value(hfDetail, "recusado pela ConnectPSP")}
}

// cashIn is a paid transaction as ConnectPSP describes one the journal lacks.
func (w hostileWorld) cashIn() *psp.CashIn {
	c := w.paid()
	return &psp.CashIn{TransactionID: c.TransactionID, InternalCode: c.InternalCode, ExternalReference: c.ExternalReference,
		Status: c.Status, Amount: c.Amount, Payer: c.Payer, EndToEndID: c.EndToEndID, RequestedAt: c.RequestedAt, PaidAt: c.PaidAt}
}

// timeline is a history holding a forged delivery (an older entry, its
// English note all it has) and a genuine one (with facts).
func (w hostileWorld) timeline(at time.Time) []store.Entry {
	return []store.Entry{
		{ID: 1, ChargeID: 1, At: at, Kind: store.EntryWebhook, Outcome: "forged",
			Detail: "event 7d3e, forged, " + w.value(hfEventType, "CASHIN_PAID")},
		{ID: 2, ChargeID: 1, At: at.Add(time.Second), Kind: store.EntryWebhook, Status: psp.StatusPaid, Outcome: "applied",
			Facts: store.Facts{EventID: "1a2b", EventType: w.value(hfEventType, "CASHIN_PAID"), Verdict: psp.VerdictGenuine},
			Body:  []byte(`{"eventType":"` + w.value(hfEventType, "CASHIN_PAID") + `"}`)},
	}
}

// shot is what one scene wrote: screen or file bytes, and the fields
// whose visible form they must show.
type shot struct {
	where string
	text  string
	shows []string
}

// hostileScene drives the console to a screen in world w.
type hostileScene struct {
	name string
	draw func(t *testing.T, w hostileWorld, cfg Config) []shot
}

// remoteFake is the fake with ConnectPSP failing lookups.
type remoteFake struct {
	*fakeBackend
	err error
}

func (r remoteFake) Remote(context.Context, string) (*psp.CashIn, error) { return nil, r.err }

// hostileTxID is a transaction id the journal lacks.
const hostileTxID = "zz6g232xel65a0daee4dd13kk2912714999"

func hostileConsole(t *testing.T, cfg Config, f Backend, w, h int) *Model {
	m := New(cfg, f)
	m.still = true
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	runCmd(m, m.Init())
	return m
}

func hostileLookup(t *testing.T, cfg Config, f Backend) *Model {
	m := NewLookup(cfg, f)
	m.still = true
	m.lookup.debounce = 0
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	runCmd(m, m.lookup.start())
	return m
}

// onLatest starts the console on charge c, found open at start.
func onLatest(t *testing.T, cfg Config, c *store.Charge) (*Model, *fakeBackend) {
	f := newFake()
	f.put(c)
	f.latest = c.ID
	return hostileConsole(t, cfg, f, 120, 40), f
}

func view(m *Model, where string, shows ...string) shot { return shot{where, m.View(), shows} }

var hostileScenes = []hostileScene{
	{"form: refused create", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		f := newFake()
		f.create = func(context.Context, engine.Input) (*store.Charge, error) {
			c := w.dress(openCharge(7))
			c.Stage, c.Status = store.StageRejected, ""
			return c, w.problem(422)
		}
		m := hostileConsole(t, cfg, f, 120, 40)
		fillValid(t, m)
		press(m, tea.KeyEnter)
		return []shot{view(m, "form notice", hfDetail)}
	}},
	{"form: rejected charge at start", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		c := w.dress(openCharge(7))
		c.Stage, c.Status, c.RejectReason = store.StageRejected, "", w.value(hfReject, "VALIDATION_ERROR")
		m, _ := onLatest(t, cfg, c)
		return []shot{view(m, "form with the refused charge", hfReject)}
	}},
	{"creating: retrying, then a resend fails", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		c := w.dress(openCharge(9))
		c.Stage, c.Status, c.CopyAndPaste = store.StagePending, "", ""
		m, f := onLatest(t, cfg, c)
		run(m, NoticeMsg{engine.Notice{Kind: engine.NoticeProgress, ChargeID: 9,
			Progress: psp.Progress{Stage: psp.StageRetrying, Attempt: 2, Wait: time.Second, Err: w.problem(503)}}})
		retrying := view(m, "creating, retrying", hfName, hfDetail)
		f.resume = func(context.Context, int64) (*store.Charge, error) { return f.get(9), w.problem(503) }
		run(m, runes("r"))
		return []shot{retrying, view(m, "creating, resend failed", hfName, hfDetail)}
	}},
	{"charge: awaiting payment", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		m, _ := onLatest(t, cfg, w.dress(openCharge(1)))
		s := view(m, "charge", hfName, hfRef, hfCode)
		// The QR block is pixdesk's own drawing of the code's matrix (its
		// reverse video or colours included), not outside text.
		for _, line := range m.charge.block.Lines {
			s.text = strings.Replace(s.text, line, "", 1)
		}
		// A hostile copy-and-paste fails its CRC: neither drawn nor
		// shown, and the screen says so (issue 10).
		if w.field == hfCopyPaste && (m.charge.qr != nil || !strings.Contains(s.text, "falhou na verificação (CRC)") || strings.Contains(s.text, w.seen(hfCopyPaste))) {
			t.Errorf("a hostile copy-and-paste is drawn or shown, or the CRC is not named:\n%s", s.text)
		}
		return []shot{s}
	}},
	{"result: PAGO", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		m, _ := onLatest(t, cfg, w.paid())
		return []shot{view(m, "PAGO", hfName, hfRef, hfCode, hfBank, hfBranch, hfAccount, hfE2E)}
	}},
	{"result: EXPIRADA", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		c := w.dress(openCharge(1))
		c.Status, c.ExpiredAt = psp.StatusExpired, testNow
		m, _ := onLatest(t, cfg, c)
		return []shot{view(m, "EXPIRADA", hfName, hfRef, hfCode)}
	}},
	{"status bar", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		f := newFake()
		f.health = engine.Health{LastErr: w.value(hfDetail, "dial tcp: connection refused")}
		return []shot{view(hostileConsole(t, cfg, f, 120, 40), "status bar", hfDetail)}
	}},
	{"flash: a background charge is paid", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		m, f := onLatest(t, cfg, w.dress(openCharge(1)))
		run(m, runes("n"))
		f.put(w.paid())
		run(m, ChangeMsg{store.Change{ChargeID: 1, Version: 2}})
		return []shot{view(m, "flash", hfName, hfRef)}
	}},
	{"lookup: list, detail, reveal", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		f := newFake()
		c := w.paid()
		f.put(c)
		f.timeline = map[int64][]store.Entry{1: w.timeline(c.CreatedAt)}
		m := hostileLookup(t, cfg, f)
		list := view(m, "lookup list", hfCode, hfRef, hfName, hfTerminal)
		// An overlong field is cut to its column: the others stay.
		for _, keep := range []string{"João da Silva", "12,50", "PAGO"} {
			if w.field != hfName && !strings.Contains(list.text, keep) {
				t.Errorf("lookup list with a hostile %s lost %q:\n%s", w.field, keep, list.text)
			}
		}
		press(m, tea.KeyEnter)
		if m.active != m.detail {
			t.Fatal("enter does not open the detail")
		}
		detail := view(m, "lookup detail", hfName, hfBank, hfISPB, hfBranch, hfAccount, hfRef, hfCode, hfTxID, hfE2E, hfTerminal, hfEventType)
		run(m, runes("v"))
		revealed := view(m, "lookup detail, document revealed", hfDoc)
		// The document is shown formatted: upper case, without . - /.
		revealed.text = strings.NewReplacer(".", "", "-", "", "/", "").Replace(revealed.text)
		return []shot{list, detail, revealed}
	}},
	{"lookup: refund dialog", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		f := newFake()
		f.put(w.paid())
		m := hostileLookup(t, cfg, f)
		press(m, tea.KeyEnter)
		run(m, runes("e"))
		asking := view(m, "refund dialog", hfName)
		press(m, tea.KeyEnter)
		press(m, tea.KeyEnter)
		confirm := view(m, "refund confirmation", hfName)
		f.refund = func(context.Context, int64, psp.RefundReason, string) (*store.Charge, error) {
			return nil, w.problem(422)
		}
		press(m, tea.KeyEnter)
		failed := view(m, "refund refused", hfDetail)
		f.refund = nil
		press(m, tea.KeyEsc)
		run(m, runes("e"))
		press(m, tea.KeyEnter)
		press(m, tea.KeyEnter)
		press(m, tea.KeyEnter)
		return []shot{asking, confirm, failed, view(m, "refund done", hfName)}
	}},
	{"lookup: a transaction only ConnectPSP has", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		f := newFake()
		ci := w.cashIn()
		f.remote = map[string]*psp.CashIn{hostileTxID: ci}
		m := hostileLookup(t, cfg, f)
		search(m, hostileTxID)
		row := view(m, "lookup remote row", hfCode, hfRef, hfName)
		press(m, tea.KeyEnter)
		detail := view(m, "remote detail", hfName, hfBank, hfISPB, hfBranch, hfAccount, hfRef, hfCode, hfTxID, hfE2E)
		run(m, runes("i"))
		// The journal is evidence: Import records what ConnectPSP sent.
		if len(f.imported) != 1 || f.imported[0].Payer != ci.Payer || f.imported[0].InternalCode != ci.InternalCode ||
			f.imported[0].TransactionID != ci.TransactionID || f.imported[0].EndToEndID != ci.EndToEndID ||
			f.imported[0].ExternalReference != ci.ExternalReference {
			t.Errorf("%s: Import did not get the transaction as sent: %+v", w.field, f.imported)
		}
		return []shot{row, detail}
	}},
	{"lookup: ConnectPSP and the store fail", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		m := hostileLookup(t, cfg, remoteFake{newFake(), w.problem(500)})
		search(m, hostileTxID)
		remote := view(m, "remote lookup failed", hfDetail)
		f := newFake()
		f.search = func(context.Context, store.Query) ([]*store.Charge, error) {
			return nil, errors.New("store: " + w.value(hfDetail, "disk I/O error"))
		}
		return []shot{remote, view(hostileLookup(t, cfg, f), "search failed", hfDetail)}
	}},
	{"lookup: CSV export", func(t *testing.T, w hostileWorld, cfg Config) []shot {
		f := newFake()
		f.put(w.paid())
		m := hostileLookup(t, cfg, f)
		path := filepath.Join(t.TempDir(), "export.csv")
		run(m, tea.KeyMsg{Type: tea.KeyCtrlE})
		m.lookup.prompt.SetValue(path)
		press(m, tea.KeyEnter)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: export: %v", w.field, err)
		}
		if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("the export's mode is %v, want 0600 (%v)", fi.Mode().Perm(), err)
		}
		return []shot{view(m, "lookup after export"), {"export file", string(data), []string{hfName, hfRef, hfCode, hfTxID, hfE2E, hfTerminal}}}
	}},
}

// sgr matches the colour and weight sequences lipgloss writes itself.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// checkClean fails t if out holds anything a terminal would obey.
func checkClean(t *testing.T, label, out string) {
	t.Helper()
	if err := hostiletest.Check(out); err != nil {
		t.Errorf("%s: %v", label, err)
	}
}

// hostileConfig is the tests' configuration with colour or without.
func hostileConfig(out *bytes.Buffer, colour bool) Config {
	cfg := testConfig(out)
	if colour {
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.TrueColor)
		r.SetHasDarkBackground(true)
		cfg.Renderer = r
	}
	return cfg
}

func TestHostileTextIsShownNeverObeyed(t *testing.T) {
	for _, kind := range hostiletest.Kinds {
		t.Run(kind.Name, func(t *testing.T) {
			for _, sc := range hostileScenes {
				t.Run(sc.name, func(t *testing.T) {
					bubble(t, func(t *testing.T) { runHostileScene(t, sc, kind) })
				})
			}
		})
	}
}

func runHostileScene(t *testing.T, sc hostileScene, kind hostiletest.Kind) {
	profiles := []bool{false}
	if kind.Name == "long" {
		// Drawn in colour too, with the kind that holds every other but
		// the line feed: lipgloss's styles must not change what is written.
		profiles = append(profiles, true)
	}
	for _, colour := range profiles {
		for _, field := range hostileFields {
			w := hostileWorld{field: field, kind: kind}
			var out bytes.Buffer
			shots := sc.draw(t, w, hostileConfig(&out, colour))
			for _, s := range shots {
				label := fmt.Sprintf("%s with a hostile %s", s.where, field)
				text := s.text
				if colour {
					// lipgloss's own colours are fine; nothing else is.
					if !sgr.MatchString(text) && s.where != "export file" {
						t.Fatalf("%s: the colour renderer drew no colour: the check would prove nothing", label)
					}
					text = sgr.ReplaceAllString(text, "")
				}
				checkClean(t, label, text)
				for _, f := range s.shows {
					if f == field && !colour && !strings.Contains(text, w.seen(field)) &&
						!(field == hfDoc && strings.Contains(text, strings.ToUpper(w.seen(field)))) {
						t.Errorf("%s: %q is not shown:\n%s", label, w.seen(field), text)
					}
				}
			}
			// Only the bell may reach the terminal beside the screen.
			if bad := strings.ReplaceAll(out.String(), "\a", ""); bad != "" {
				t.Errorf("%s with a hostile %s: %q written to the terminal", sc.name, field, bad)
			}
		}
	}
}

// What the cashier pastes into the lookup's inputs — the search box, the
// prompt line, the refund note — is drawn without anything a terminal
// would obey: bubbles drops the controls, typed the invisible runes.
func TestLookupInputsDropInvisibleRunes(t *testing.T) {
	for _, kind := range hostiletest.Kinds {
		bubble(t, func(t *testing.T) {
			var out bytes.Buffer
			f := newFake()
			f.put(paid(openCharge(1)))
			m := hostileLookup(t, hostileConfig(&out, false), f)
			m.lookup.input.CharLimit = 0
			paste(m, "PD"+kind.Raw)
			checkClean(t, kind.Name+" pasted into the search", m.View())
			if v := m.lookup.input.Value(); !strings.HasPrefix(v, "PD") {
				t.Errorf("%s: the search holds %q", kind.Name, v)
			}
			m.lookup.input.SetValue("")
			run(m, tea.KeyMsg{Type: tea.KeyCtrlE})
			paste(m, kind.Raw)
			checkClean(t, kind.Name+" pasted into the prompt", m.View())
			m = hostileLookup(t, hostileConfig(&out, false), f)
			press(m, tea.KeyEnter)
			run(m, runes("e"))
			press(m, tea.KeyEnter)
			paste(m, kind.Raw)
			if m.detail.refund == nil || m.detail.refund.step != stepNote {
				t.Fatalf("%s: the refund note is not open", kind.Name)
			}
			checkClean(t, kind.Name+" pasted into the refund note", m.View())
		})
	}
}
