package ui

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/pixdesk/pixdesk/internal/safetext/hostiletest"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// testDisplay is a customer display over a fake store, with a clock the
// test moves.
type testDisplay struct {
	*Display
	f   *fakeBackend
	now time.Time
}

func newTestDisplay(t testing.TB, w, h int, opts ...func(*DisplayConfig)) *testDisplay {
	t.Helper()
	td := &testDisplay{f: newFake(), now: testNow}
	cfg := DisplayConfig{
		Terminal: "caixa-01",
		ShopName: "Padaria Pão Quente",
		Renderer: testRenderer(),
		Now:      func() time.Time { return td.now },
		Caps:     testConfig(nil).Caps, // a dark background, as testRenderer's
	}
	for _, o := range opts {
		o(&cfg)
	}
	td.Display = NewDisplay(cfg, td.f)
	td.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return td
}

// store puts c in the fake store and announces it as the change feed does.
func (td *testDisplay) store(c *store.Charge) {
	td.f.put(c)
	td.send(ChangeMsg{store.Change{ChargeID: c.ID, Version: c.Version}})
}

// send feeds msg and what its commands yield, but for the clock's ticks.
func (td *testDisplay) send(msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		msg, queue = queue[0], queue[1:]
		_, cmd := td.Update(msg)
		queue = append(queue, drain(cmd)...)
	}
}

// at moves the clock to t and ticks.
func (td *testDisplay) at(t time.Time) {
	td.now = t
	td.send(tickMsg(t))
}

// text is the screen without escape sequences.
func (td *testDisplay) text() string { return ansi.Strip(td.View()) }

// showsBig reports whether word is on screen in block letters of any size.
func showsBig(screen, word string) bool {
	for _, s := range bigScales {
		first, _, _ := strings.Cut(bigDraw(word, s), "\n")
		if strings.Contains(screen, first) {
			return true
		}
	}
	return false
}

func TestDisplayFollowsTheCounter(t *testing.T) {
	bubble(t, func(t *testing.T) {
		td := newTestDisplay(t, 120, 40)
		td.send(latestMsg{})
		idle := td.text()
		if !showsBig(idle, "PAGUE") || !strings.Contains(idle, "Aguardando a próxima cobrança") ||
			!strings.Contains(idle, "Padaria Pão Quente") || !strings.Contains(idle, "Caixa caixa-01") {
			t.Fatalf("idle screen:\n%s", idle)
		}

		c := openCharge(7)
		td.store(c)
		on := td.text()
		if td.cur == nil || !td.lay.qr.OK || !strings.Contains(on, "Expira em 12:30") || !strings.Contains(on, "Escaneie") {
			t.Fatalf("charge screen (layout %+v):\n%s", td.lay, on)
		}
		td.at(testNow.Add(10 * time.Second))
		if !strings.Contains(td.text(), "Expira em 12:20") {
			t.Errorf("the countdown did not move:\n%s", td.text())
		}

		td.store(paid(c))
		done := td.text()
		if !showsBig(done, "PAGO") || !showsBig(done, "OBRIGADO!") || !strings.Contains(done, "R$\u00a012,50") {
			t.Fatalf("paid screen:\n%s", done)
		}
		td.at(td.endedAt.Add(DefaultHold - time.Second))
		if !showsBig(td.text(), "PAGO") {
			t.Fatalf("PAGO gone before the hold ended:\n%s", td.text())
		}
		td.at(td.endedAt.Add(DefaultHold))
		if !showsBig(td.text(), "PAGUE") {
			t.Fatalf("not idle after the hold:\n%s", td.text())
		}
	})
}

func TestDisplayEndings(t *testing.T) {
	for _, tc := range []struct {
		name  string
		end   func(c *store.Charge)
		big   []string
		plain string
	}{
		{"expired", func(c *store.Charge) { c.Status = psp.StatusExpired }, []string{"EXPIRADA"}, "Peça uma nova cobrança ao caixa"},
		{"cancelled", func(c *store.Charge) { c.Status = psp.StatusCancelled }, []string{"CANCELADA"}, "Peça uma nova cobrança ao caixa"},
		{"paid less", func(c *store.Charge) { c.Status, c.PaidAmount = psp.StatusPaid, 1000 }, []string{"RECEBIDO"}, "Aguarde o caixa"},
		{"paid late", func(c *store.Charge) { c.Status, c.Flags = psp.StatusPaid, store.FlagPaidAfterExpiry }, []string{"RECEBIDO"}, "Aguarde o caixa"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				td := newTestDisplay(t, 80, 24)
				c := openCharge(3)
				td.store(c)
				ended := *c
				tc.end(&ended)
				ended.Version++
				td.store(&ended)
				screen := td.text()
				for _, w := range tc.big {
					if !showsBig(screen, w) {
						t.Errorf("no %s in block letters", w)
					}
				}
				if !strings.Contains(screen, tc.plain) || showsBig(screen, "OBRIGADO!") {
					t.Errorf("want %q and no thanks:\n%s", tc.plain, screen)
				}
			})
		})
	}
}

// A display follows its own terminal only, and the newest open charge of
// it: an older one that changes does not take the screen, and once the
// current one ends the display goes idle rather than back to an older
// open charge, which would show a customer a stale code.
func TestDisplayChoosesTheCounterCharge(t *testing.T) {
	bubble(t, func(t *testing.T) {
		td := newTestDisplay(t, 120, 40)
		other := openCharge(1)
		other.Terminal = "caixa-02"
		td.store(other)
		if td.cur != nil {
			t.Fatal("another terminal's charge is shown")
		}
		_, cmd := td.Update(ChangeMsg{store.Change{ChargeID: 1, Version: 2}})
		if cmd != nil {
			t.Error("another terminal's charge is read again on every change")
		}
		// A charge the display never saw is not read when the change says
		// it is another counter's.
		if _, cmd := td.Update(ChangeMsg{store.Change{ChargeID: 9, Version: 1, Terminal: "caixa-02", Open: true}}); cmd != nil {
			t.Error("another counter's new charge is read")
		}

		older, newer := openCharge(2), openCharge(3)
		newer.CreatedAt = older.CreatedAt.Add(time.Minute)
		td.store(newer)
		older.Version = 5
		td.store(older)
		if td.cur == nil || td.cur.ID != 3 {
			t.Fatalf("showing %+v, want the newest open charge", td.cur)
		}
		stale := *newer
		td.send(chargeMsg{id: 3, c: &stale})
		fresh := *newer
		fresh.Version = 9
		fresh.Amount = 4990
		td.send(chargeMsg{id: 3, c: &fresh})
		td.send(chargeMsg{id: 3, c: &stale}) // a slower, older read
		if td.cur.Version != 9 {
			t.Errorf("an older read replaced a newer one: version %d", td.cur.Version)
		}

		td.f.latest = 2 // what LatestOpen answers once 3 has ended
		ended := paid(&fresh)
		td.store(ended)
		td.at(td.endedAt.Add(DefaultHold))
		for range displayRecheck {
			td.at(td.now.Add(time.Second))
		}
		if td.cur != nil {
			t.Fatalf("back to charge %d after the current one ended", td.cur.ID)
		}
	})
}

func TestDisplayWithoutCodeOrTime(t *testing.T) {
	bubble(t, func(t *testing.T) {
		td := newTestDisplay(t, 120, 40)
		c := openCharge(4)
		c.Stage, c.Status, c.CopyAndPaste, c.ExpiresAt = store.StagePending, "", "", time.Time{}
		td.store(c)
		if s := td.text(); !strings.Contains(s, "Gerando o QR Code") || td.lay.qr.OK {
			t.Fatalf("pending charge:\n%s", s)
		}
		created := openCharge(4)
		created.Version = 2
		td.store(created)
		if !td.lay.qr.OK {
			t.Fatal("no QR once created")
		}
		td.at(created.ExpiresAt)
		if s := td.text(); !strings.Contains(s, "Tempo esgotado") || strings.ContainsAny(s, "▀▄") {
			t.Fatalf("at expiry the code is still offered:\n%s", s)
		}

		bad := openCharge(5)
		bad.CreatedAt = created.CreatedAt.Add(time.Second)
		bad.CopyAndPaste = strings.Repeat("9", QRMaxPayload+1)
		td.store(bad)
		if s := td.text(); !strings.Contains(s, "QR Code indisponível") {
			t.Fatalf("unencodable code:\n%s", s)
		}
	})
}

func TestDisplayOffline(t *testing.T) {
	bubble(t, func(t *testing.T) {
		td := newTestDisplay(t, 80, 24)
		td.send(latestMsg{err: errors.New("store: ping: connection refused")})
		if !strings.Contains(td.text(), "sem acesso ao registro do caixa") {
			t.Fatalf("no offline note:\n%s", td.text())
		}
		td.f.put(openCharge(1))
		td.f.latest = 1
		td.at(testNow.Add(time.Second)) // rereads at once while offline
		if strings.Contains(td.text(), "sem acesso") || td.cur == nil {
			t.Fatalf("still offline after the store answered:\n%s", td.text())
		}
	})
}

// displaySizes are the windows the display is checked at.
var displaySizes = [][2]int{{80, 24}, {100, 30}, {120, 40}, {160, 50}, {60, 20}, {40, 12}}

// The display never shows who pays: neither the document in any form, nor
// the name, on any screen, in colour or not.
func TestDisplayNeverShowsThePayer(t *testing.T) {
	bubble(t, func(t *testing.T) {
		secrets := []string{"12345678909", "123.456.789-09", "456.789", "***", "João", "Silva", "PD-000042", "US7B1JQ"}
		for _, colour := range []bool{false, true} {
			for _, size := range displaySizes {
				td := newTestDisplay(t, size[0], size[1], func(c *DisplayConfig) {
					if colour {
						r := lipgloss.NewRenderer(nil)
						r.SetColorProfile(termenv.TrueColor)
						c.Renderer = r
					}
				})
				screens := []string{td.View()}
				c := openCharge(1)
				td.store(c)
				screens = append(screens, td.View())
				td.store(paid(c))
				screens = append(screens, td.View())
				for i, s := range screens {
					for _, secret := range secrets {
						if strings.Contains(s, secret) {
							t.Errorf("%dx%d colour %v screen %d shows %q:\n%s", size[0], size[1], colour, i, secret, s)
						}
					}
				}
			}
		}
	})
}

func TestBigFit(t *testing.T) {
	for _, text := range []string{"Pague com PIX", "R$\u00a010.000,00", "Obrigado!", "PAGO"} {
		for _, box := range [][2]int{{200, 60}, {118, 38}, {78, 22}, {40, 10}, {20, 3}, {5, 1}} {
			got := bigFit(text, box[0], box[1])
			w, h := lipgloss.Width(got), lipgloss.Height(got)
			if block := strings.Contains(got, "█"); w > box[0] || block && h > box[1] {
				// The text itself, wrapped, may be taller than the box.
				t.Errorf("%q in %dx%d: drawn %dx%d:\n%s", text, box[0], box[1], w, h, got)
			}
		}
	}
	if got := bigFit("PAGO", 10, 2); got != "PAGO" {
		t.Errorf("too small for block letters: %q, want the text", got)
	}
	if got := bigFit("PAGO", 23, 5); got != bigDraw("PAGO", bigScale{1, 2}) {
		t.Errorf("PAGO in 23x5:\n%s", got)
	}
}

// Golden screens of each state at 80×24 and 120×40, without colour.
func TestDisplayGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, state := range []string{"idle", "charge", "paid", "expired"} {
			t.Run(fmt.Sprintf("%s/%dx%d", state, size[0], size[1]), func(t *testing.T) {
				bubble(t, func(t *testing.T) {
					td := newTestDisplay(t, size[0], size[1])
					c := openCharge(1)
					switch state {
					case "charge":
						td.store(c)
					case "paid":
						td.store(c)
						td.store(paid(c))
					case "expired":
						td.store(c)
						e := *c
						e.Status, e.Version = psp.StatusExpired, 2
						td.store(&e)
					}
					teatest.RequireEqualOutput(t, []byte(td.View()))
				})
			})
		}
	}
}

// The display shows no outside text but the shop's name and the terminal
// (configuration, in their visible form): whatever a charge carries —
// hostile names, documents, codes, a status pixdesk does not know, a
// copy-and-paste code full of escapes — nothing it draws is obeyed by a
// terminal, and no field of the charge is drawn at all.
func TestDisplayHostileText(t *testing.T) {
	for _, kind := range hostiletest.Kinds {
		t.Run(kind.Name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				for _, colour := range []bool{false, true} {
					for _, field := range hostileFields {
						w := hostileWorld{field: field, kind: kind}
						terminal := w.value(hfTerminal, "caixa-01")
						td := newTestDisplay(t, 120, 40, func(c *DisplayConfig) {
							c.Terminal, c.ShopName = terminal, "shop="+kind.Raw
							if colour {
								r := lipgloss.NewRenderer(nil)
								r.SetColorProfile(termenv.TrueColor)
								c.Renderer = r
							}
						})
						c := w.dress(openCharge(1))
						c.Terminal = terminal
						// The QR is pixdesk's drawing of the code's matrix
						// (reverse video included), not outside text; a
						// hostile code fails its CRC and has none.
						view := func() string {
							s := td.View()
							for _, line := range td.lay.qr.Lines {
								s = strings.ReplaceAll(s, line, "")
							}
							return s
						}
						screens := []string{view()}
						td.store(c)
						screens = append(screens, view())
						p := w.dress(paid(openCharge(1)))
						p.Terminal = terminal
						td.store(p)
						screens = append(screens, view())
						odd := *p
						odd.Status, odd.Version = psp.Status("st="+kind.Raw), p.Version+1
						td.store(&odd)
						screens = append(screens, view())
						for i, s := range screens {
							label := fmt.Sprintf("colour %v, hostile %s, screen %d", colour, field, i)
							if colour {
								s = sgr.ReplaceAllString(s, "")
							}
							checkClean(t, label, s)
							if field != hfTerminal && strings.Contains(s, field+"=") {
								t.Errorf("%s: the charge's %s is drawn:\n%s", label, field, s)
							}
							if i == 0 && !colour && !strings.Contains(s, "shop="+kind.Seen) {
								t.Errorf("%s: the shop's name is not shown in its visible form:\n%s", label, s)
							}
						}
						if td.cur != nil {
							t.Errorf("hostile %s: a status pixdesk does not know is shown: %q", field, td.cur.Status)
						}
					}
				}
			})
		})
	}
}

// The log says which screen the customer saw, once per change, and never
// who pays; with the QR drawn at each size.
func TestDisplayLogsScreens(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var buf bytes.Buffer
		td := newTestDisplay(t, 120, 40, func(c *DisplayConfig) {
			c.Logger = slog.New(slog.NewTextHandler(&buf, nil))
		})
		td.send(latestMsg{})
		c := openCharge(1)
		td.store(c)
		td.at(testNow.Add(time.Second))
		td.store(paid(c))
		td.at(td.endedAt.Add(DefaultHold))
		var got []string
		for _, line := range strings.Split(buf.String(), "\n") {
			if _, rest, ok := strings.Cut(line, "msg="); ok {
				got = append(got, rest)
			}
			for _, secret := range []string{"João", "12345678909", "456.789"} {
				if strings.Contains(line, secret) {
					t.Errorf("the log shows %q: %s", secret, line)
				}
			}
		}
		want := []string{
			"display screen=idle charge=0 status=\"\"",
			"qr drawn=none window=120×40 style=auto cell=0×0",
			"display screen=charge charge=1 status=AWAITING_PAYMENT",
			"qr drawn=\"half-blocks 61×31 at 4,7 level M quiet 4 module 0px\" window=120×40 style=auto cell=0×0",
			"display screen=ended charge=1 status=PAID",
			"qr drawn=none window=120×40 style=auto cell=0×0",
			"display screen=idle charge=0 status=\"\"",
		}
		if !slices.Equal(got, want) {
			t.Errorf("log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}
