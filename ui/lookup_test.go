package ui

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// Test identifiers of the lookup fixture's first charge.
const (
	fixTxID = "kk6g232xel65a0daee4dd13kk2912714964"
	fixE2E  = "E00416968202603101422cemeFscF6AG"
)

// lookupFixture stores a few charges of every kind.
func lookupFixture(f *fakeBackend) {
	c1 := paid(openCharge(1)) // João, 12,50, PAID, the test BR Code
	f.put(c1)

	c2 := openCharge(2)
	c2.ExternalReference, c2.InternalCode, c2.TransactionID = "PD-000041", "AB12CD3", "tx2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	c2.Payer = psp.Payer{Name: "Maria Souza Comércio", Document: "11222333000181"}
	c2.Amount, c2.CopyAndPaste = 9990, "other"
	c2.CreatedAt = testNow.Add(-10 * time.Minute)
	c2.RequestedAt, c2.ExpiresAt = c2.CreatedAt, c2.CreatedAt.Add(15*time.Minute)
	f.put(c2)

	c3 := openCharge(3)
	c3.ExternalReference, c3.InternalCode, c3.TransactionID = "PD-000040", "ZZ9Y8X7", "tx3aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	c3.Payer = psp.Payer{Name: "Pedro Álvares", Document: "23858488135"}
	c3.Terminal, c3.CopyAndPaste = "caixa-02", "other3"
	c3.CreatedAt = testNow.Add(-26 * time.Hour)
	c3.Status, c3.ExpiredAt = psp.StatusExpired, c3.CreatedAt.Add(15*time.Minute)
	f.put(c3)

	c4 := paid(openCharge(4))
	c4.ExternalReference, c4.InternalCode, c4.TransactionID = "PD-000039", "QW3ER4T", "tx4aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	c4.Payer.Name, c4.Amount, c4.PaidAmount = "Ana Lima", 123456, 123456
	c4.CreatedAt, c4.CopyAndPaste = testNow.Add(-3*24*time.Hour), "other4"
	c4.Status, c4.OriginalEndToEndID, c4.EndToEndID = psp.StatusRefunded, "E00416968202603071420original0004", "D00416968202603070000refund00004"
	f.put(c4)

	c5 := paid(openCharge(5))
	c5.ExternalReference, c5.InternalCode, c5.TransactionID = "PD-000038", "MM5NN6P", "tx5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	c5.Payer.Name, c5.PaidAmount, c5.CopyAndPaste = "Carlos Dias", 125, "other5"
	c5.CreatedAt = testNow.Add(-5 * time.Hour)
	c5.Flags = store.FlagAmountMismatch | store.FlagForged
	c5.EndToEndID = "E00416968202603100620payment00005"
	f.put(c5)

	at := func(d time.Duration) time.Time { return c1.CreatedAt.Add(d) }
	// Entries as the journal writes them, with facts; the forged delivery
	// is as a journal kept one before refusals were kept apart, with only
	// an English note.
	genuineEvent := func(id string) store.Facts {
		return store.Facts{EventID: id, EventType: psp.EventCashInPaid, Verdict: psp.VerdictGenuine}
	}
	f.timeline = map[int64][]store.Entry{1: {
		{ID: 1, ChargeID: 1, At: at(0), Kind: store.EntryCreated, Outcome: "applied",
			Facts: store.Facts{Reference: c1.ExternalReference, Amount: c1.Amount, IdempotencyKey: "9f1c0b7e-3d4a-4c5b-8e6f-7a8b9c0d1e2f"}},
		{ID: 2, ChargeID: 1, At: at(time.Second), Kind: store.EntryCreateAnswer, Status: psp.StatusAwaitingPayment, Outcome: "applied"},
		{ID: 3, ChargeID: 1, At: at(time.Second), Kind: store.EntryStatus, Status: psp.StatusAwaitingPayment, Outcome: "applied",
			Facts: store.Facts{To: psp.StatusAwaitingPayment}},
		{ID: 4, ChargeID: 1, At: at(100 * time.Second), Kind: store.EntryWebhook, Outcome: "forged", Detail: "event 7d3e…, forged, CASHIN_PAID"},
		{ID: 5, ChargeID: 1, At: at(145 * time.Second), Kind: store.EntryWebhook, Status: psp.StatusPaid, Outcome: "applied",
			Facts: genuineEvent("1a2b…")},
		{ID: 6, ChargeID: 1, At: at(145 * time.Second), Kind: store.EntryStatus, Status: psp.StatusPaid, Outcome: "applied",
			Facts: store.Facts{From: psp.StatusAwaitingPayment, To: psp.StatusPaid}},
		{ID: 7, ChargeID: 1, At: at(146 * time.Second), Kind: store.EntryWebhook, Status: psp.StatusPaid, Outcome: "duplicate",
			Facts: genuineEvent("5c6d…")},
		{ID: 8, ChargeID: 1, At: at(148 * time.Second), Kind: store.EntryPoll, Status: psp.StatusPaid, Outcome: "duplicate",
			TimesSeen: 3, LastSeenAt: at(208 * time.Second)},
	}}
}

// newLookupModel returns the lookup over the fixture, searched once.
func newLookupModel(t testing.TB, w, h int) (*Model, *fakeBackend) {
	t.Helper()
	return newLookupIn(t, w, h, "")
}

// newLookupIn is newLookupModel in lang ("" is the default, pt-BR).
func newLookupIn(t testing.TB, w, h int, lang string) (*Model, *fakeBackend) {
	t.Helper()
	var out bytes.Buffer
	f := newFake()
	lookupFixture(f)
	cfg := testConfig(&out)
	cfg.Lang = lang
	m := NewLookup(cfg, f)
	m.still = true
	m.lookup.debounce = 0
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	runCmd(m, m.lookup.start())
	return m, f
}

// runCmd runs cmd and feeds what it yields to m.
func runCmd(m *Model, cmd tea.Cmd) {
	for _, msg := range drain(cmd) {
		run(m, msg)
	}
}

// search types text into the search box (as one paste) and runs the
// search it leads to.
func search(m *Model, text string) {
	m.lookup.input.SetValue("")
	paste(m, text)
}

// listed returns the internal codes on screen, top to bottom.
func listed(m *Model) []string {
	var out []string
	for i := m.lookup.top; i < m.lookup.top+m.lookup.visible(); i++ {
		if c := m.lookup.row(i); c != nil {
			out = append(out, c.InternalCode)
		}
	}
	return out
}

// lastQuery is the last query the lookup sent.
func lastQuery(t *testing.T, f *fakeBackend) store.Query {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.searches) == 0 {
		t.Fatal("no search was sent")
	}
	return f.searches[len(f.searches)-1]
}

func TestLookupListsNewestFirst(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newLookupModel(t, 80, 24)
		if got, want := strings.Join(listed(m), " "), "US7B1JQ AB12CD3 MM5NN6P ZZ9Y8X7 QW3ER4T"; got != want {
			t.Fatalf("listed %s, want %s", got, want)
		}
		v := m.View()
		for _, want := range []string{"5 transações", "***.456.789-**", "AGUARDANDO", "1.234,56", "linha 1 de 5"} {
			if !strings.Contains(v, want) {
				t.Errorf("list lacks %q:\n%s", want, v)
			}
		}
		if strings.Contains(v, "12345678909") {
			t.Error("the list shows a full CPF")
		}
		// Wider, the terminal comes back and names are whole.
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		v = m.View()
		for _, want := range []string{"caixa-02", "Terminal", "Maria Souza Comércio", "**.222.333/****-**"} {
			if !strings.Contains(v, want) {
				t.Errorf("list at 120 columns lacks %q:\n%s", want, v)
			}
		}
	})
}

// At 80 columns the payer stays in the list, cut with "…" where it must,
// beside the code, the order reference whole and the document masked; the
// terminal gives way. The golden files show the whole screen.
func TestLookupListKeepsPayerAt80(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newLookupModel(t, 80, 24)
		v := m.View()
		lines := strings.Split(v, "\n")
		var head, row string
		for i, l := range lines {
			if strings.Contains(l, "Código") && strings.Contains(l, "Pagador") {
				head, row = l, lines[i+2]
			}
		}
		if head == "" {
			t.Fatalf("no payer column at 80×24:\n%s", v)
		}
		for _, want := range []string{"AB12CD3", "PD-000041", "Maria Souz…", "**.222.333/**…", "99,90", "AGUARDANDO"} {
			if !strings.Contains(row, want) {
				t.Errorf("row %q lacks %q", row, want)
			}
		}
		for _, l := range lines {
			if w := lipgloss.Width(l); w > 80 {
				t.Errorf("line of %d cells: %q", w, l)
			}
		}
		if strings.Contains(v, "11222333000181") || strings.Contains(v, "12345678909") {
			t.Error("a document is shown whole")
		}
	})
}

// TestLookupSearchInputs types each kind of thing a customer may have and
// checks both what the store is asked and what the list shows.
func TestLookupSearchInputs(t *testing.T) {
	badCRC := testPayload[:len(testPayload)-1] + "X"
	for _, tc := range []struct {
		name, text string
		query      store.Query // the Text or Amount sent
		want       string      // codes listed
		hint       string
	}{
		{"code", "US7B1JQ", store.Query{Text: "US7B1JQ"}, "US7B1JQ", "código interno US7B1JQ"},
		{"code lower case", "ab12cd3", store.Query{Text: "ab12cd3"}, "AB12CD3", "código interno AB12CD3"},
		{"transactionId", fixTxID, store.Query{Text: fixTxID}, "US7B1JQ", "transactionId"},
		{"endToEndId", fixE2E, store.Query{Text: fixE2E}, "US7B1JQ", "ID fim a fim"},
		{"reference", "PD-000040", store.Query{Text: "PD-000040"}, "ZZ9Y8X7", "pedido ou nome"},
		{"CPF punctuated", "238.584.881-35", store.Query{Text: "23858488135"}, "ZZ9Y8X7", "CPF/CNPJ ***.584.881-**"},
		{"CPF bare", "23858488135", store.Query{Text: "23858488135"}, "ZZ9Y8X7", "CPF/CNPJ ***.584.881-**"},
		{"CNPJ punctuated", "11.222.333/0001-81", store.Query{Text: "11222333000181"}, "AB12CD3", "CPF/CNPJ **.222.333/****-**"},
		{"name part", "maria sou", store.Query{Text: "maria sou"}, "AB12CD3", "pedido ou nome “maria sou”"},
		{"name accents", "pedro alv", store.Query{Text: "pedro alv"}, "ZZ9Y8X7", "pedido ou nome"},
		{"name decomposed", "Pedro A\u0301lv", store.Query{Text: "Pedro Álv"}, "ZZ9Y8X7", "pedido ou nome “Pedro Álv”"},
		{"CPF full-width with an en dash", "２３８.５８４.８８１–３５", store.Query{Text: "23858488135"}, "ZZ9Y8X7", "CPF/CNPJ ***.584.881-**"},
		{"amount comma", "99,90", store.Query{Amount: 9990}, "AB12CD3", "valor " + psp.Amount(9990).String()},
		{"amount R$", "R$ 1.234,56", store.Query{Amount: 123456}, "QW3ER4T", "valor " + psp.Amount(123456).String()},
		{"BR Code", testPayload, store.Query{}, "US7B1JQ", "CRC 42C5 correto · dinâmico · THALES OGLIARI"},
		{"BR Code bad CRC", badCRC, store.Query{}, "", "CRC inválido"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				m, f := newLookupModel(t, 120, 40)
				before := len(f.searches)
				search(m, tc.text)
				if got := strings.Join(listed(m), " "); got != tc.want {
					t.Errorf("listed %q, want %q", got, tc.want)
				}
				if v := m.View(); !strings.Contains(v, tc.hint) {
					t.Errorf("hint %q missing:\n%s", tc.hint, v)
				}
				switch {
				case tc.query.Text != "" || tc.query.Amount != 0:
					q := lastQuery(t, f)
					if q.Text != tc.query.Text || q.Amount != tc.query.Amount {
						t.Errorf("query Text %q Amount %d, want %q %d", q.Text, q.Amount, tc.query.Text, tc.query.Amount)
					}
				case len(f.searches) != before:
					t.Errorf("a BR Code went to the text search: %+v", lastQuery(t, f))
				}
			})
		})
	}
}

func TestLookupBadInputsSearchNothing(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newLookupModel(t, 80, 24)
		n := len(f.searches)
		search(m, "R$ 12,5x")
		if len(f.searches) != n || len(listed(m)) != 0 {
			t.Error("an invalid amount was searched")
		}
		if v := m.View(); !strings.Contains(v, "Valor inválido") {
			t.Errorf("no sentence for a bad amount:\n%s", v)
		}
	})
}

func TestLookupDebounceDropsStaleResults(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newLookupModel(t, 80, 24)
		m.lookup.debounce = searchDebounce
		n := len(f.searches)
		var cmds []tea.Cmd
		for _, r := range "maria" {
			_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
			cmds = append(cmds, cmd)
		}
		if len(f.searches) != n {
			t.Fatal("a search was sent while typing")
		}
		// Every keystroke's timer fires; only the last one searches.
		for i := range cmds {
			run(m, searchDueMsg{seq: m.lookup.seq - len(cmds) + 1 + i})
		}
		if got := len(f.searches) - n; got != 1 {
			t.Fatalf("%d searches for one pause in typing, want 1", got)
		}
		if got := strings.Join(listed(m), " "); got != "AB12CD3" {
			t.Fatalf("listed %q", got)
		}
		// An answer to an older search arrives late: dropped.
		old := paid(openCharge(99))
		run(m, pageMsg{seq: m.lookup.seq - 1, dir: pageFirst, rows: []*store.Charge{old}, limit: 10})
		if got := strings.Join(listed(m), " "); got != "AB12CD3" {
			t.Fatalf("a stale answer replaced the list: %q", got)
		}
	})
}

// TestLookupCountWaitsForItsRows: the count of a new search may arrive
// before its first page; it must not show over the last search's rows.
func TestLookupCountWaitsForItsRows(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, _ := newLookupModel(t, 80, 24)
		m.lookup.input.SetValue("123.456.789-09")
		var page, count tea.Msg
		for _, msg := range drain(m.lookup.refilter()) {
			switch msg.(type) {
			case pageMsg:
				page = msg
			case countMsg:
				count = msg
			}
		}
		if page == nil || count == nil {
			t.Fatalf("page %v, count %v", page, count)
		}
		run(m, count)
		if v := m.View(); strings.Contains(v, "3 transações") || strings.Contains(v, "de 3") || !strings.Contains(v, "contando") {
			t.Errorf("the new count shows over the old rows:\n%s", v)
		}
		run(m, page)
		if v := m.View(); !strings.Contains(v, "3 transações") || !strings.Contains(v, "linha 1 de 3") {
			t.Errorf("the count does not show with its rows:\n%s", v)
		}
	})
}

func TestLookupFilters(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newLookupModel(t, 120, 40)
		press(m, tea.KeyTab) // AWAITING_PAYMENT
		press(m, tea.KeyTab) // PAID
		if q := lastQuery(t, f); len(q.Statuses) != 1 || q.Statuses[0] != psp.StatusPaid {
			t.Fatalf("statuses %v", q.Statuses)
		}
		if got := strings.Join(listed(m), " "); got != "US7B1JQ MM5NN6P" {
			t.Errorf("PAID lists %q", got)
		}
		press(m, tea.KeyShiftTab)
		press(m, tea.KeyShiftTab) // back to all
		if q := lastQuery(t, f); len(q.Statuses) != 0 {
			t.Fatalf("statuses %v", q.Statuses)
		}

		run(m, tea.KeyMsg{Type: tea.KeyCtrlP}) // today
		if q := lastQuery(t, f); !q.From.Equal(time.Date(2026, 3, 10, 0, 0, 0, 0, brt)) || !q.To.IsZero() {
			t.Errorf("today is [%v, %v)", q.From, q.To)
		}
		if got := strings.Join(listed(m), " "); got != "US7B1JQ AB12CD3 MM5NN6P" {
			t.Errorf("today lists %q", got)
		}
		run(m, tea.KeyMsg{Type: tea.KeyCtrlP}) // 7 days
		if q := lastQuery(t, f); !q.From.Equal(time.Date(2026, 3, 4, 0, 0, 0, 0, brt)) {
			t.Errorf("7 days from %v", q.From)
		}
		run(m, tea.KeyMsg{Type: tea.KeyCtrlP}) // custom: asks
		if m.lookup.promptKind != promptRange {
			t.Fatal("custom period does not ask for the dates")
		}
		paste(m, "07/03/2026-09/03/2026")
		press(m, tea.KeyEnter)
		q := lastQuery(t, f)
		if !q.From.Equal(time.Date(2026, 3, 7, 0, 0, 0, 0, brt)) || !q.To.Equal(time.Date(2026, 3, 10, 0, 0, 0, 0, brt)) {
			t.Errorf("custom period [%v, %v)", q.From, q.To)
		}
		if got := strings.Join(listed(m), " "); got != "ZZ9Y8X7 QW3ER4T" {
			t.Errorf("custom period lists %q", got)
		}
		if v := m.View(); !strings.Contains(v, "07/03/2026–09/03/2026") {
			t.Errorf("the period is not shown:\n%s", v)
		}
		run(m, tea.KeyMsg{Type: tea.KeyCtrlP}) // all again
		run(m, tea.KeyMsg{Type: tea.KeyCtrlT})
		paste(m, "caixa-02")
		press(m, tea.KeyEnter)
		if q := lastQuery(t, f); q.Terminal != "caixa-02" {
			t.Errorf("terminal %q", q.Terminal)
		}
		if got := strings.Join(listed(m), " "); got != "ZZ9Y8X7" {
			t.Errorf("terminal lists %q", got)
		}
	})
}

func TestParseRange(t *testing.T) {
	for _, s := range []string{"07/03/2026–09/03/2026", "07/03/2026 - 09/03/2026", "07/03/2026 a 09/03/2026", "07/03/2026-09/03/2026"} {
		from, to, err := parseRange(s, brt)
		if err != nil || !from.Equal(time.Date(2026, 3, 7, 0, 0, 0, 0, brt)) || !to.Equal(time.Date(2026, 3, 10, 0, 0, 0, 0, brt)) {
			t.Errorf("%q: [%v, %v) %v", s, from, to, err)
		}
	}
	if from, to, err := parseRange("10/03/2026", brt); err != nil || to.Sub(from) != 24*time.Hour {
		t.Errorf("one day: [%v, %v) %v", from, to, err)
	}
	for _, s := range []string{"", "ontem", "09/03/2026-07/03/2026", "32/01/2026"} {
		if _, _, err := parseRange(s, brt); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestLookupAsksConnectPSPWhenNothingHere(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newLookupModel(t, 80, 24)
		ci := &psp.CashIn{TransactionID: "remote0aaaaaaaaaaaaaaaaaaaaaaaaaaaa", InternalCode: "RM7T0Z1", ExternalReference: "LOJA2-17",
			Status: psp.StatusPaid, Amount: 4200, Payer: psp.Payer{Name: "Rita Melo", Document: "12345678909"}, RequestedAt: testNow.Add(-time.Hour)}
		f.remote = map[string]*psp.CashIn{"RM7T0Z1": ci}
		search(m, "rm7t0z1")
		if len(f.remoteQ) != 1 || f.remoteQ[0] != "RM7T0Z1" {
			t.Fatalf("ConnectPSP asked %v", f.remoteQ)
		}
		v := m.View()
		for _, want := range []string{"Não registrada aqui", "RM7T0Z1", "42,00", "***.456.789-**"} {
			if !strings.Contains(v, want) {
				t.Errorf("remote answer lacks %q:\n%s", want, v)
			}
		}
		press(m, tea.KeyEnter)
		if m.active != m.detail || m.detail.ci == nil {
			t.Fatal("enter does not open the remote transaction")
		}
		if v := m.View(); !strings.Contains(v, "NÃO REGISTRADA AQUI") || !strings.Contains(v, "i registrar") {
			t.Errorf("remote detail:\n%s", v)
		}
		if m.detail.keysNow().Refund.Enabled() || m.detail.keysNow().Refresh.Enabled() {
			t.Error("refund or refresh offered for a transaction not recorded here")
		}
		run(m, runes("i"))
		if len(f.imported) != 1 || m.detail.c == nil || m.detail.c.TransactionID != ci.TransactionID {
			t.Fatal("i does not record the transaction")
		}
		if v := m.View(); !strings.Contains(v, "registrada no diário") {
			t.Errorf("no word of the import:\n%s", v)
		}

		// Unknown at ConnectPSP too.
		search2 := func(text string) string {
			run(m, tea.KeyMsg{Type: tea.KeyEsc})
			search(m, text)
			return m.View()
		}
		if v := search2("ZZ0ZZ0Z"); !strings.Contains(v, "nem aqui nem na ConnectPSP") {
			t.Errorf("404:\n%s", v)
		}
		// Names are not sent to ConnectPSP.
		n := len(f.remoteQ)
		search2("ninguém")
		if len(f.remoteQ) != n {
			t.Error("a name was sent to ConnectPSP")
		}
	})
}

func TestLookupLiveChange(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m, f := newLookupModel(t, 80, 24)
		c := f.get(2)
		c.Status, c.PaidAt, c.Version = psp.StatusPaid, testNow, 2
		f.put(c)
		run(m, ChangeMsg{store.Change{ChargeID: 2, Version: 2}})
		if got := m.lookup.row(1); got.Status != psp.StatusPaid {
			t.Fatalf("row 2 still %s", got.Status)
		}
		// A new charge arrives on top while the list is at the top: it shows,
		// and the selection stays on the same charge.
		run(m, tea.KeyMsg{Type: tea.KeyDown})
		n := openCharge(6)
		n.InternalCode, n.CreatedAt = "NEW6666", testNow
		f.put(n)
		run(m, ChangeMsg{store.Change{ChargeID: 6, Version: 1}})
		if got := strings.Join(listed(m), " "); !strings.HasPrefix(got, "NEW6666 US7B1JQ AB12CD3") {
			t.Fatalf("listed %q", got)
		}
		if m.lookup.selected().InternalCode != "AB12CD3" {
			t.Errorf("selection moved to %s", m.lookup.selected().InternalCode)
		}
		if !strings.Contains(m.View(), "6 transações") {
			t.Error("count not updated")
		}
	})
}

// manyCharges stores n charges, one a minute back from the clock; charge
// i has internal code C<i>.
func manyCharges(f *fakeBackend, n int) {
	for i := 1; i <= n; i++ {
		c := openCharge(int64(i))
		c.InternalCode = fmt.Sprintf("C%06d", i)
		c.CreatedAt = testNow.Add(-time.Duration(n-i) * time.Minute)
		f.charges[c.ID] = c
	}
}

func TestLookupKeysetPaging(t *testing.T) {
	bubble(t, func(t *testing.T) {
		var out bytes.Buffer
		f := newFake()
		const n = 2000
		manyCharges(f, n)
		m := NewLookup(testConfig(&out), f)
		m.lookup.debounce = 0
		m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
		runCmd(m, m.lookup.start())
		s := m.lookup
		most := 0
		// Down to the end, a page at a time: the rows are the right ones and
		// only a few pages are ever held.
		for i := 0; i < n; i += s.visible() {
			if c := s.selected(); c == nil || c.InternalCode != fmt.Sprintf("C%06d", n-s.sel) {
				t.Fatalf("row %d is %v", s.sel, c)
			}
			most = max(most, s.held())
			press(m, tea.KeyPgDown)
		}
		if s.sel != n-1 || s.selected().InternalCode != "C000001" {
			t.Fatalf("the end is row %d (%s)", s.sel, s.selected().InternalCode)
		}
		if limit := maxHeldPages * s.pageSize(); most > limit {
			t.Errorf("held %d rows, more than %d", most, limit)
		}
		if !strings.Contains(m.View(), "linha 2.000 de 2.000") {
			t.Errorf("position:\n%s", m.View())
		}
		// Back to the top: dropped pages are read again by their cursors.
		for s.sel > 0 {
			press(m, tea.KeyPgUp)
			if c := s.selected(); c == nil || c.InternalCode != fmt.Sprintf("C%06d", n-s.sel) {
				t.Fatalf("going up, row %d is %v", s.sel, c)
			}
		}
		if s.base != 0 || len(s.dropped) != 0 || s.selected().InternalCode != fmt.Sprintf("C%06d", n) {
			t.Errorf("top: base %d, %d dropped, %s", s.base, len(s.dropped), s.selected().InternalCode)
		}
		for _, q := range f.searches {
			if q.Limit > store.MaxLimit || q.Limit < s.visible() {
				t.Errorf("a page of %d rows", q.Limit)
			}
		}
	})
}

// BenchmarkLookupKeystroke measures a keystroke in the search box up to
// the rows on screen: the debounced search, a page from the backend (a
// fake that returns a ready page), the count, and the view.
func BenchmarkLookupKeystroke(b *testing.B) {
	var out bytes.Buffer
	f := newFake()
	page := make([]*store.Charge, 60)
	for i := range page {
		c := paid(openCharge(int64(i + 1)))
		c.InternalCode = fmt.Sprintf("B%06d", i)
		page[i] = c
	}
	f.search = func(_ context.Context, q store.Query) ([]*store.Charge, error) {
		return page[:min(q.Limit, len(page))], nil
	}
	m := NewLookup(testConfig(&out), f)
	m.lookup.debounce = 0
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	s := m.lookup
	s.input.Focus()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r := rune('a' + i%26)
		if s.input.Value() != "" && i%8 == 0 {
			s.input.SetValue("")
		}
		// Update, then the commands it yields, run inline as the program would.
		queue := []tea.Cmd{nil}
		_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		queue[0] = cmd
		for len(queue) > 0 {
			c := queue[0]
			queue = queue[1:]
			if c == nil {
				continue
			}
			switch msg := c().(type) {
			case tea.BatchMsg:
				queue = append(queue, msg...)
			case nil:
			default:
				_, next := m.Update(msg)
				queue = append(queue, next)
			}
		}
		if v := m.View(); !strings.Contains(v, "B000000") {
			b.Fatalf("no rows on screen:\n%s", v)
		}
	}
}
