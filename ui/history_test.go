package ui

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/internal/safetext/hostiletest"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// everyEntry drives a real journal (SQLite, in a temporary directory)
// through every flow that writes a timeline line — create, retries,
// refusals, webhooks genuine, duplicate, replayed, backwards, of another
// transaction, of an unknown type or status, unreadable; polls, a refund
// asked twice and answered, an import, every flag — and returns every
// charge's history. Text from outside (ids, reasons) is made of neutral
// tokens, so that any English word in a rendering is pixdesk's.
func everyEntry(t *testing.T) []store.Entry {
	t.Helper()
	ctx := context.Background()
	var (
		mu  sync.Mutex
		now = time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	)
	clk := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "journal.db"), store.WithClock(clk))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	payer := psp.Payer{Name: "João da Silva", Document: "12345678909"}
	intent := func(ref string, minutes int) *store.Charge {
		t.Helper()
		c, err := db.CreateIntent(ctx, store.NewCharge{Terminal: "caixa-01", ExternalReference: ref, Amount: 1250,
			Payer: payer, ExpiresInMinutes: minutes})
		must(err)
		return c
	}
	answer := func(c *store.Charge, s psp.Status) *psp.CashIn {
		return &psp.CashIn{TransactionID: "tx-" + c.ExternalReference, InternalCode: "IC" + c.ExternalReference[3:],
			ExternalReference: c.ExternalReference, Status: s, Amount: c.Amount, Payer: payer, RequestedAt: c.CreatedAt}
	}
	created := func(ref string, minutes int) *store.Charge {
		t.Helper()
		c := intent(ref, minutes)
		ci := answer(c, psp.StatusAwaitingPayment)
		ci.PixData = &psp.PixData{CopyAndPaste: "000201" + ref}
		c, err := db.RecordCreated(ctx, c.ID, ci)
		must(err)
		return c
	}
	n := 0
	deliver := func(typ string, ci *psp.CashIn) *psp.Delivery {
		n++
		ev := psp.Event{Type: typ, Data: *ci}
		body := []byte(fmt.Sprintf(`{"eventType":%q,"attempt":%d,"data":{"transactionId":%q}}`, typ, n, ci.TransactionID))
		return &psp.Delivery{EventID: fmt.Sprintf("evt-%04d", n), Verdict: psp.VerdictGenuine, Body: body, Event: &ev}
	}
	receive := func(d *psp.Delivery) {
		t.Helper()
		_, err := db.Receive(ctx, d)
		must(err)
	}
	apply := func(ci *psp.CashIn, kind store.EntryKind) {
		t.Helper()
		_, _, err := db.Apply(ctx, ci, kind, nil)
		must(err)
	}

	// A: retried, polled, paid late with another amount, its webhook
	// repeated and replayed, refunded, then paid again (backwards).
	a := intent("PD-A01", 1)
	must(db.NoteCreateRetry(ctx, a.ID, 0))
	must(db.NoteCreateRetry(ctx, a.ID, 2))
	ci := answer(a, psp.StatusAwaitingPayment)
	a, err = db.RecordCreated(ctx, a.ID, ci)
	must(err)
	for range 3 {
		apply(answer(a, psp.StatusAwaitingPayment), store.EntryPoll)
	}
	paid := answer(a, psp.StatusPaid)
	paid.Amount, paid.PaidAt, paid.EndToEndID = 1300, a.ExpiresAt.Add(time.Minute), "E00416968202603101400A01"
	first := deliver(psp.EventCashInPaid, paid)
	receive(first)
	receive(deliver(psp.EventCashInPaid, paid))
	for range 2 {
		again := *first
		again.EventID = fmt.Sprintf("evt-r%d", n)
		n++
		receive(&again)
	}
	withBank := *paid
	withBank.Payer.BankData = &psp.BankData{ISPB: "00000000", Bank: "Banco do Brasil S.A.", Branch: "0001", Account: "123456"}
	apply(&withBank, store.EntryPoll) // same status, new details
	receive(deliver("CASHIN_OUTRO", paid))
	big := bytes.Repeat([]byte("x"), 20000)
	receive(&psp.Delivery{EventID: "evt-ruim", Verdict: psp.VerdictMalformed,
		Body: []byte(`{"data":{"transactionId":"tx-PD-A01","pad":"` + string(big) + `"}}`)})
	odd := answer(a, "EM_ANALISE")
	apply(odd, store.EntryPoll)
	_, err = db.RequestRefund(ctx, a.ID, psp.RefundCustomerRequest, "cliente-desistiu")
	must(err)
	_, err = db.RequestRefund(ctx, a.ID, psp.RefundMerchantError, "outra-nota")
	must(err)
	refunded := answer(a, psp.StatusRefunded)
	refunded.EndToEndID, refunded.OriginalEndToEndID = "D00416968202603101500A01", paid.EndToEndID
	apply(refunded, store.EntryRefundAnswer)
	receive(deliver(psp.EventCashInPaid, paid))
	apply(paid, store.EntryPoll)

	// B: a signed event naming it by order reference, of another transaction.
	b := created("PD-B02", 30)
	foreign := answer(b, psp.StatusPaid)
	foreign.TransactionID, foreign.InternalCode = "tx-alheia-B02", ""
	receive(deliver(psp.EventCashInPaid, foreign))

	// C: a poll met by order reference with another internal code.
	c := created("PD-C03", 30)
	other := answer(c, psp.StatusPaid)
	other.TransactionID, other.InternalCode = "", "ICOUTRO"
	apply(other, store.EntryPoll)

	// D, E, F: refused — a duplicate order reference, a code, none.
	for ref, why := range map[string][2]string{
		"PD-D04": {psp.CodeDuplicateReference, "ref-em-uso-D04"},
		"PD-E05": {psp.CodeValidation, "doc-invalido-E05"},
		"PD-F06": {"", "falha-F06"},
	} {
		_, err := db.RecordRejected(ctx, intent(ref, 30).ID, why[0], why[1])
		must(err)
	}

	// G: imported from ConnectPSP. H: expired, found by a poll. I: a
	// webhook with a status nobody knows.
	gi := &psp.CashIn{TransactionID: "tx-PD-G07", InternalCode: "ICG07", ExternalReference: "PD-G07", Status: psp.StatusPaid,
		Amount: 990, Payer: payer, RequestedAt: now, PaidAt: now.Add(time.Minute)}
	_, err = db.Import(ctx, gi, "caixa-02")
	must(err)
	h := created("PD-H08", 30)
	apply(answer(h, psp.StatusExpired), store.EntryPoll)
	i := created("PD-I09", 30)
	receive(deliver(psp.EventCashInPaid, answer(i, "EM_DISPUTA")))

	var out []store.Entry
	for id := int64(1); ; id++ {
		es, err := db.Timeline(ctx, id)
		if err != nil {
			break
		}
		out = append(out, es...)
	}
	return out
}

// storeWrites is every kind:outcome the store writes, which everyEntry
// must reach.
var storeWrites = []string{
	"created:applied", "create_retried:", "create_answer:applied", "create_rejected:applied", "imported:applied",
	"status:applied", "poll:applied", "poll:duplicate", "poll:updated", "poll:ignored", "poll:backwards", "poll:mismatch",
	"webhook:applied", "webhook:duplicate", "webhook:ignored", "webhook:malformed", "webhook:backwards", "webhook:mismatch",
	"refund_request:", "refund_answer:applied",
	"flag:amount_mismatch", "flag:paid_after_expiry", "flag:backwards", "flag:txid_mismatch",
}

// englishWords are the words of the English notes the journal wrote before
// it kept facts, and of the English catalogue; none may reach pt-BR.
var englishWords = regexp.MustCompile(`(?i)\b(order|idempotency|key|event|genuine|forged|malformed|observed|says|charge|paid|after|expiry|` +
	`replayed?|replays|last|utc|would|move|back|sent|again|retry|background|cashier|asked|first|request|reason|body|cut|polling|` +
	`polled|own|internal|code|transaction|applied|duplicate|backwards|ignored|mismatch|updated|refused|note|identical|answers|` +
	`seen|flag|poll|recorded|refund)\b`)

// englishCodes are the journal's codes that pt-BR must word.
var englishCodes = []string{"AWAITING", "→ PAID", "PAID →", "→ REFUNDED", "→ EXPIRED", "amount_mismatch", "paid_after_expiry",
	"txid_mismatch", "create_retried", "refund_request", "CUSTOMER_REQUEST", "MERCHANT_ERROR"}

// portugueseWords are pt-BR words that en must not show.
var portugueseWords = regexp.MustCompile(`(?i)\b(pedido|chave|evento|cobrança|reenviada|reenvios?|motivo|às|aguardando|pago|estornada|` +
	`expirada|respostas|consulta|visto|recusou|observação|alerta|aplicado|repetido)\b`)

// TestHistoryInEveryLanguage: every kind of line the store writes, driven
// through the real flows, reads in pt-BR with no English of pixdesk's and
// in English with no Portuguese, and shows every fact it holds; the store
// writes no English note any more.
func TestHistoryInEveryLanguage(t *testing.T) {
	es := everyEntry(t)
	reached := map[string]bool{}
	for _, en := range es {
		reached[string(en.Kind)+":"+en.Outcome] = true
		if en.Detail != "" {
			t.Errorf("%s:%s: the store wrote the note %q", en.Kind, en.Outcome, en.Detail)
		}
	}
	for _, w := range storeWrites {
		if !reached[w] {
			t.Errorf("the flows never wrote a %s line", w)
		}
	}
	if reached["webhook:duplicate"] && !slices.ContainsFunc(es, func(e store.Entry) bool { return e.Facts.Replayed }) {
		t.Error("no replay line")
	}
	now := time.Date(2026, 3, 10, 14, 30, 0, 0, time.UTC)
	for _, l := range []lang{"pt-BR", "en"} {
		for _, en := range shownEntries(es) {
			h := historyOf(l, en, now, brt)
			line := strings.Join([]string{h.kind, h.verdict, h.status, h.outcome, h.note}, " | ")
			name := fmt.Sprintf("%s %s:%s", l, en.Kind, en.Outcome)
			if l == "pt-BR" {
				if w := englishWords.FindString(line); w != "" {
					t.Errorf("%s: English %q in %q", name, w, line)
				}
				for _, code := range englishCodes {
					if strings.Contains(line, code) {
						t.Errorf("%s: code %q in %q", name, code, line)
					}
				}
			} else if w := portugueseWords.FindString(line); w != "" {
				t.Errorf("%s: Portuguese %q in %q", name, w, line)
			}
			for _, want := range factsShown(t, l, en, now, brt) {
				if !strings.Contains(line, want) {
					t.Errorf("%s: %q does not show %q (facts %+v)", name, line, want, en.Facts)
				}
			}
			if (!en.Facts.IsZero() || en.TimesSeen > 1) && h.note == "" {
				t.Errorf("%s: facts %+v and no note", name, en.Facts)
			}
		}
	}
}

// factsShown lists how each fact of en must read in l. A field added to
// store.Facts fails here until it says how it shows.
func factsShown(t *testing.T, l lang, en store.Entry, now time.Time, loc *time.Location) []string {
	t.Helper()
	var out []string
	v := reflect.ValueOf(en.Facts)
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		if f.IsZero() {
			continue
		}
		switch x := f.Interface().(type) {
		case string:
			out = append(out, x)
		case int:
			out = append(out, strconv.Itoa(x))
		case psp.Amount:
			out = append(out, x.String())
		case psp.Status:
			out = append(out, shortStatus(l, &store.Charge{Status: x}))
		case psp.RefundReason:
			out = append(out, reasonLabel(l, x))
		case psp.Verdict:
			out = append(out, verdictWord(l, x))
		case time.Time:
			out = append(out, clock(x, now, loc))
		case bool:
			words := map[string]map[lang]string{
				"Again":    {"pt-BR": "de novo", "en": "again"},
				"Replayed": {"pt-BR": "reenvio", "en": "replay"},
			}[name]
			if words == nil {
				t.Fatalf("Facts.%s: no rule for how it shows", name)
			}
			out = append(out, words[l])
		default:
			t.Fatalf("Facts.%s (%T): no rule for how it shows", name, x)
		}
	}
	if en.TimesSeen > 1 || en.Facts.Replayed {
		out = append(out, strconv.Itoa(en.TimesSeen), clock(en.LastSeenAt, now, loc))
	}
	return out
}

// tx show prints the screens' words: each line of WriteHistory holds the
// entry's note as HistoryNote gives it, in the language asked.
func TestWriteHistory(t *testing.T) {
	es := everyEntry(t)
	for _, lng := range []string{"pt-BR", "en"} {
		var b bytes.Buffer
		if err := WriteHistory(&b, es, lng, brt); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(lines) != len(es) {
			t.Fatalf("%s: %d lines for %d entries:\n%s", lng, len(lines), len(es), b.String())
		}
		for i, en := range es {
			note := HistoryNote(en, lng, brt)
			at := en.At.In(brt).Format("02/01 15:04:05")
			if !strings.HasPrefix(lines[i], "  "+at+"  ") || !strings.HasSuffix(lines[i], note) {
				t.Errorf("%s: line %q, want %s … %q", lng, lines[i], at, note)
			}
		}
		if lng == "pt-BR" && !strings.Contains(b.String(), "Webhook · assinatura válida") {
			t.Errorf("pt-BR history:\n%s", b.String())
		}
	}
}

// An entry written before the journal kept facts shows its English note
// as it was stored, cleaned; a webhook's verdict then comes from its
// outcome.
func TestHistoryOlderEntries(t *testing.T) {
	at := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	raw := "event 7d3e, forged, " + hostiletest.All("ev=")
	es := []store.Entry{
		{At: at, Kind: store.EntryWebhook, Outcome: "forged", Detail: raw},
		{At: at, Kind: store.EntryPoll, Status: psp.StatusAwaitingPayment, Outcome: "duplicate", Detail: "×37, last 01:52:10 UTC",
			TimesSeen: 37, LastSeenAt: at.Add(time.Hour)},
		{At: at, Kind: store.EntryFlag, Status: psp.StatusPaid, Outcome: "forged", Detail: "a forged delivery named this charge"},
	}
	shown := shownEntries(es)
	h := historyOf("pt-BR", shown[0], at, brt)
	if h.note != safetext.String(raw) || h.sig != psp.VerdictForged || h.verdict != "assinatura INVÁLIDA" || h.outcome != "forjado" {
		t.Errorf("older webhook: %+v", h)
	}
	if h := historyOf("pt-BR", shown[1], at, brt); h.note != "×37, last 01:52:10 UTC" || h.outcome != "repetido" {
		t.Errorf("older counted poll: %+v (its note told the count)", h)
	}
	if h := historyOf("en", shown[2], at, brt); h.note != "a forged delivery named this charge" || h.outcome != "" {
		t.Errorf("older flag: %+v", h)
	}
	var b bytes.Buffer
	if err := WriteHistory(&b, es, "pt-BR", brt); err != nil {
		t.Fatal(err)
	}
	if err := hostiletest.Check(b.String()); err != nil || !strings.Contains(b.String(), "ev="+hostiletest.Kinds[0].Seen) {
		t.Errorf("older entries printed: %v\n%.300s", err, b.String())
	}
}

// Facts hold outside text as received; every way of showing them shows
// its visible form only.
func TestHistoryCleansOutsideFacts(t *testing.T) {
	raw := hostiletest.All("x")
	var f store.Facts
	fillStrings(reflect.ValueOf(&f), raw)
	f.Amount, f.PaidAmount, f.Retry, f.BodySize, f.BodyKept, f.Again, f.Replayed = 1, 2, 1, 9, 8, true, true
	at := time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)
	f.PaidAt, f.ExpiresAt = at, at
	var es []store.Entry
	for _, k := range []store.EntryKind{store.EntryCreated, store.EntryCreateRetried, store.EntryCreateRejected,
		store.EntryRefundRequest, store.EntryWebhook, store.EntryStatus, store.EntryPoll} {
		es = append(es, store.Entry{At: at, Kind: k, Status: psp.Status(raw), Outcome: string(store.OutcomeBackwards), Facts: f, TimesSeen: 2})
	}
	for _, flag := range []store.Flag{store.FlagAmountMismatch, store.FlagPaidAfterExpiry, store.FlagBackwards, store.FlagTxidMismatch} {
		es = append(es, store.Entry{At: at, Kind: store.EntryFlag, Outcome: flag.String(), Facts: f})
	}
	f.ChargeInternalCode = ""
	es = append(es, store.Entry{At: at, Kind: store.EntryFlag, Outcome: store.FlagTxidMismatch.String(), Facts: f})
	f.Code = psp.CodeDuplicateReference
	es = append(es, store.Entry{At: at, Kind: store.EntryCreateRejected, Facts: f})
	for _, lng := range []string{"pt-BR", "en"} {
		var b bytes.Buffer
		if err := WriteHistory(&b, es, lng, brt); err != nil {
			t.Fatal(err)
		}
		if err := hostiletest.Check(b.String()); err != nil {
			t.Errorf("%s: tx show: %v", lng, err)
		}
		for _, en := range es {
			note := HistoryNote(en, lng, brt)
			if err := hostiletest.Check(note); err != nil || note == "" {
				t.Errorf("%s %s: note %q: %v", lng, en.Kind, note, err)
			}
		}
	}
	// The detail screen draws the same lines from a display copy: see
	// TestHostileText, whose history holds a hostile event type in facts.
}
