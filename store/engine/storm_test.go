package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// Sizes of TestWebhookStorm.
const (
	stormDeliveries      = 10_000
	stormShortDeliveries = 1_000
	stormCharges         = 200
	stormWorkers         = 32
	stormSlowloris       = 50
	// stormAnswerBound is how long any one request may take to be answered:
	// far above normal, and no more than the server's own read and write
	// timeouts, past which it would cut the request itself.
	stormAnswerBound = 10 * time.Second
	// stormClientTimeout only keeps a hung request from hanging the test.
	stormClientTimeout = 30 * time.Second
	// lorisDrip is how often a slowloris connection sends one header byte.
	lorisDrip = 200 * time.Millisecond
	// lorisHeld is how long a slowloris connection may stay open before the
	// test calls it held: far above webhookReadHeaderTimeout.
	lorisHeld = 30 * time.Second
)

// Charge groups of the storm: what genuine traffic each charge receives.
type stormGroup int

const (
	groupHostile  stormGroup = iota // only forged, tampered, malformed, ignored, oversize, wrong-method
	groupPaid                       // genuine PAID (and its duplicates)
	groupMismatch                   // genuine PAID with another amount
	groupRefunded                   // PAID, then (once every PAID is answered) REFUNDED
	groupReorder                    // REFUNDED first, then PAID once a REFUNDED is answered
	groupSilent                     // nothing recorded: only oversize and wrong-method requests
)

func (g stormGroup) String() string {
	return [...]string{"hostile", "paid", "mismatch", "refunded", "reorder", "silent"}[g]
}

// Kinds of delivery.
type stormKind int

const (
	kindGenuine        stormKind = iota // genuine CASHIN_PAID / CASHIN_REFUNDED for a known charge
	kindForged                          // wrong, missing or mangled signature
	kindTampered                        // the signature of another body
	kindUnknown                         // genuine, names no known transaction
	kindIgnored                         // genuine, unknown event type naming a known charge
	kindMalformedNamed                  // valid signature, undecodable, names a charge loosely
	kindMalformedNone                   // valid signature, undecodable, names nothing
	kindOversize                        // body over psp.MaxWebhookBody
	kindMethod                          // not a POST
	nKinds
)

func (k stormKind) String() string {
	return [...]string{"genuine", "forged", "tampered", "unknown", "ignored", "malformed-named",
		"malformed-none", "oversize", "method"}[k]
}

type stormCharge struct {
	id                  int64
	group               stormGroup
	txid, code, ref     string
	amount              psp.Amount
	paidAmount          psp.Amount // amount in its genuine PAID event
	paidBody, refundBod []byte
}

type stormJob struct {
	kind    stormKind
	method  string
	body    []byte
	sig     string
	noSig   bool
	eventID string
	want    int // HTTP status

	// What the journal must make of it.
	on          *stormCharge // charge whose timeline records it; nil if none
	status      psp.Status   // genuine: the status it carries
	amount      psp.Amount   // genuine: the amount it carries
	backwards   bool         // genuine: must be recorded as backwards
	unmatched   store.Outcome
	wantOutcome store.Outcome // for non-genuine recorded deliveries

	after []int // jobs that must be answered first
	done  chan struct{}

	got     int
	err     error
	latency time.Duration
}

// TestWebhookStorm sends 10,000 webhook deliveries (1,000 with -short or
// the race detector) to a live webhook receiver over SQLite, from 32 keep-alive clients, while
// 50 slowloris connections dribble header bytes the whole time. The mix:
// genuine PAID and REFUNDED events with many exact duplicates (new
// X-Event-Id, same body), refunds arriving before their payment, payments
// with another amount, forged signatures (wrong key, missing, not hex,
// truncated, one nibble flipped), tampered bodies (signature of another
// body), genuine events for unknown transactions, genuine events of an
// unknown type, malformed JSON with a valid signature, signed bodies over
// 64 KiB and wrong methods. It checks every answer's status and that each
// came back within stormAnswerBound, then, from what was sent, each charge's
// final status, flags, payment details and timeline (one status entry per
// status reached, exactly one delivery applied per status, a PAID after
// REFUNDED backwards, byte-identical replays folded into one line, malformed
// ones attached and changing nothing, refused ones — forged and tampered —
// nowhere on any charge and every one counted), the unmatched deliveries,
// and that the server cut every slowloris connection at its
// ReadHeaderTimeout.
//
// The mix is random; PIXDESK_STORM_SEED replays a logged seed.
func TestWebhookStorm(t *testing.T) {
	total := stormDeliveries
	if testing.Short() || raceDetector {
		total = stormShortDeliveries
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PIXDESK_STORM_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("PIXDESK_STORM_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("seed %d (PIXDESK_STORM_SEED=%d replays it), %d deliveries", seed, seed, total)
	rng := rand.New(rand.NewPCG(seed, 0x5707))

	f := setup(t)
	cfg := f.config()
	cfg.Notify = nil
	e := New(cfg) // no Run: nothing polls, only webhooks move the charges
	key := cfg.WebhookKey
	addr, url := f.listen(e)

	charges := seedStormCharges(t, f, rng)
	jobs := buildStorm(rng, charges, key, total)

	// Slowloris connections, open before the first delivery and until the
	// last one is answered (and each has been cut at least once).
	lorisStop := make(chan struct{})
	lorisReady := make(chan struct{}, stormSlowloris)
	lorisRes := make([]lorisResult, stormSlowloris)
	var lorisWG sync.WaitGroup
	for i := range stormSlowloris {
		lorisWG.Add(1)
		go func() {
			defer lorisWG.Done()
			lorisRes[i] = slowloris(addr, lorisReady, lorisStop)
		}()
	}
	for range stormSlowloris {
		<-lorisReady
	}

	tr := &http.Transport{MaxIdleConns: 2 * stormWorkers, MaxIdleConnsPerHost: 2 * stormWorkers, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: stormClientTimeout}

	start := time.Now()
	next := make(chan int)
	go func() {
		for i := range jobs {
			next <- i
		}
		close(next)
	}()
	var wg sync.WaitGroup
	for range stormWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Jobs are taken in order, so every job waited for has been
			// taken by a worker already: no deadlock.
			for i := range next {
				j := jobs[i]
				for _, a := range j.after {
					<-jobs[a].done
				}
				j.send(client, url)
				close(j.done)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(lorisStop)
	lorisWG.Wait()
	tr.CloseIdleConnections()

	checkAnswers(t, jobs, elapsed)
	checkSlowloris(t, lorisRes)
	checkJournal(t, f, e, charges, jobs)
}

// seedStormCharges stores stormCharges charges awaiting payment, as if
// ConnectPSP had answered their creates, and deals them into groups.
func seedStormCharges(t *testing.T, f *fixture, rng *rand.Rand) []*stormCharge {
	t.Helper()
	sizes := []struct {
		g stormGroup
		n int
	}{{groupHostile, 40}, {groupPaid, 50}, {groupMismatch, 20}, {groupRefunded, 50}, {groupReorder, 20}, {groupSilent, 20}}
	var groups []stormGroup
	for _, s := range sizes {
		for range s.n {
			groups = append(groups, s.g)
		}
	}
	rng.Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
	now := time.Now().UTC().Truncate(time.Second)
	out := make([]*stormCharge, 0, stormCharges)
	for i := range stormCharges {
		c := &stormCharge{
			group:  groups[i],
			ref:    fmt.Sprintf("storm-%03d", i),
			txid:   fmt.Sprintf("st%03dx%08x", i, rng.Uint32()),
			code:   fmt.Sprintf("ST%05d", i),
			amount: psp.Amount(100 + rng.IntN(100_000)),
		}
		ch, err := f.db.CreateIntent(f.ctx, store.NewCharge{Terminal: "T1", ExternalReference: c.ref,
			Amount: c.amount, Payer: payer, ExpiresInMinutes: 60})
		if err != nil {
			t.Fatalf("CreateIntent: %v", err)
		}
		c.id = ch.ID
		ci := &psp.CashIn{TransactionID: c.txid, InternalCode: c.code, ExternalReference: c.ref,
			Status: psp.StatusAwaitingPayment, Amount: c.amount, Payer: psp.Payer{Name: payer.Name, Document: "12345678909"},
			PixData: &psp.PixData{CopyAndPaste: "00020101021226" + c.txid}, RequestedAt: now}
		if _, err := f.db.RecordCreated(f.ctx, c.id, ci); err != nil {
			t.Fatalf("RecordCreated: %v", err)
		}
		c.paidAmount = c.amount
		if c.group == groupMismatch {
			if rng.IntN(2) == 0 && c.amount > 1 {
				c.paidAmount = c.amount - psp.Amount(1+rng.IntN(int(c.amount-1)))
			} else {
				c.paidAmount = c.amount + psp.Amount(1+rng.IntN(5000))
			}
		}
		c.paidBody = mustJSON(eventFor(c, psp.EventCashInPaid, psp.StatusPaid, c.paidAmount, now))
		c.refundBod = mustJSON(eventFor(c, psp.EventCashInRefunded, psp.StatusRefunded, c.amount, now))
		out = append(out, c)
	}
	return out
}

// eventFor is ConnectPSP's event of type typ saying charge c is in status st.
func eventFor(c *stormCharge, typ string, st psp.Status, amount psp.Amount, now time.Time) psp.Event {
	paidAt := now.Add(time.Minute)
	ci := psp.CashIn{TransactionID: c.txid, InternalCode: c.code, ExternalReference: c.ref, Status: st, Amount: amount,
		Payer: psp.Payer{Name: payer.Name, Document: "12345678909",
			BankData: &psp.BankData{ISPB: "00000000", Bank: "Banco do Brasil S.A.", Branch: "0001", Account: "123456"}},
		RequestedAt: now}
	e2e := "E00416968" + strings.ToUpper(c.txid)
	switch st {
	case psp.StatusPaid:
		ci.EndToEndID, ci.PaidAt = e2e, paidAt
	case psp.StatusRefunded:
		ci.EndToEndID, ci.OriginalEndToEndID = "D00416968"+strings.ToUpper(c.txid), e2e
		ci.PaidAt, ci.RefundedAt = paidAt, paidAt.Add(time.Minute)
	}
	return psp.Event{Type: typ, At: paidAt.Add(3 * time.Second), Data: ci}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// buildStorm makes total deliveries over charges, shuffled, with the order
// constraints that make every charge's expected outcome exact.
func buildStorm(rng *rand.Rand, charges []*stormCharge, key psp.Secret, total int) []*stormJob {
	byGroup := map[stormGroup][]*stormCharge{}
	var named []*stormCharge // charges a recorded hostile delivery may name
	for _, c := range charges {
		byGroup[c.group] = append(byGroup[c.group], c)
		if c.group != groupSilent {
			named = append(named, c)
		}
	}
	quiet := append(slices.Clone(byGroup[groupHostile]), byGroup[groupSilent]...) // must stay AWAITING
	pick := func(cs []*stormCharge) *stormCharge { return cs[rng.IntN(len(cs))] }
	now := time.Now().UTC().Truncate(time.Second)
	counts := map[stormKind]int{
		kindForged:         total * 10 / 100,
		kindTampered:       total * 8 / 100,
		kindUnknown:        total * 5 / 100,
		kindIgnored:        total * 1 / 100,
		kindMalformedNamed: total * 2 / 100,
		kindMalformedNone:  total * 2 / 100,
		kindOversize:       total * 2 / 100,
		kindMethod:         total * 2 / 100,
	}
	hostile := 0
	for _, n := range counts {
		hostile += n
	}
	var jobs []*stormJob
	add := func(j *stormJob) {
		if j.method == "" {
			j.method = http.MethodPost
		}
		if j.sig == "" && !j.noSig {
			j.sig = psp.Sign(j.body, key)
		}
		jobs = append(jobs, j)
	}

	// Genuine events: the minimum each group needs, then duplicates.
	type slot struct {
		c  *stormCharge
		st psp.Status
	}
	var slots []slot
	for _, c := range charges {
		switch c.group {
		case groupPaid, groupMismatch:
			slots = append(slots, slot{c, psp.StatusPaid})
		case groupRefunded, groupReorder:
			slots = append(slots, slot{c, psp.StatusPaid}, slot{c, psp.StatusRefunded})
		}
	}
	genuine := total - hostile
	if genuine < len(slots) {
		panic("storm: too few deliveries for the charges")
	}
	for i := range genuine {
		s := slots[i%len(slots)]
		if i >= len(slots) {
			s = slots[rng.IntN(len(slots))]
		}
		j := &stormJob{kind: kindGenuine, want: http.StatusOK, on: s.c, status: s.st}
		if s.st == psp.StatusPaid {
			j.body, j.amount = s.c.paidBody, s.c.paidAmount
			j.backwards = s.c.group == groupReorder
		} else {
			j.body, j.amount = s.c.refundBod, s.c.amount
		}
		add(j)
	}

	// Forged: valid JSON naming a real charge (by any of its identifiers),
	// moving it forward, with another amount, and a bad signature. Every
	// hostile-group charge gets at least one.
	for i := range counts[kindForged] {
		c := pick(named)
		if i < len(byGroup[groupHostile]) {
			c = byGroup[groupHostile][i]
		}
		st, typ := psp.StatusRefunded, psp.EventCashInRefunded
		if rng.IntN(2) == 0 {
			st, typ = psp.StatusPaid, psp.EventCashInPaid
		}
		ev := eventFor(c, typ, st, c.amount+psp.Amount(1+rng.IntN(1000)), now)
		switch rng.IntN(3) {
		case 1:
			ev.Data.TransactionID, ev.Data.ExternalReference = "", ""
		case 2:
			ev.Data.TransactionID, ev.Data.InternalCode = "", ""
		}
		body := mustJSON(ev)
		j := &stormJob{kind: kindForged, body: body, want: http.StatusUnauthorized, on: c, wantOutcome: store.OutcomeForged}
		switch rng.IntN(5) {
		case 0:
			j.sig = psp.Sign(body, "not-the-crypto-token")
		case 1:
			j.noSig = true
		case 2:
			j.sig = "zz" + psp.Sign(body, key)[2:] // not hex
		case 3:
			j.sig = psp.Sign(body, key)[:62] // one byte short
		default:
			s := []byte(psp.Sign(body, key))
			k := rng.IntN(len(s))
			s[k] = "0123456789abcdef"[(strings.IndexByte("0123456789abcdef", s[k])+1+rng.IntN(15))%16]
			j.sig = string(s)
		}
		add(j)
	}

	// Tampered: a body whose signature is another body's.
	for range counts[kindTampered] {
		src := pick(named)
		signed := mustJSON(eventFor(src, psp.EventCashInPaid, psp.StatusPaid, src.amount, now))
		target := src
		var body []byte
		switch rng.IntN(4) {
		case 0: // PAID turned REFUNDED
			body = mustJSON(eventFor(src, psp.EventCashInRefunded, psp.StatusRefunded, src.amount, now))
		case 1: // amount changed
			body = mustJSON(eventFor(src, psp.EventCashInPaid, psp.StatusPaid, src.amount+psp.Amount(1+rng.IntN(9999)), now))
		case 2: // another charge's identifiers
			target = pick(named)
			body = mustJSON(eventFor(target, psp.EventCashInPaid, psp.StatusPaid, target.amount, now))
			if target == src {
				body = append(body, ' ')
			}
		default: // same JSON, one byte more
			body = append(slices.Clone(signed), '\n')
		}
		add(&stormJob{kind: kindTampered, body: body, sig: psp.Sign(signed, key), want: http.StatusUnauthorized,
			on: target, wantOutcome: store.OutcomeForged})
	}

	// Unknown transactions: genuine, naming nothing known (some the same
	// unknown transaction more than once).
	pool := max(1, counts[kindUnknown]/3)
	for range counts[kindUnknown] {
		n := rng.IntN(pool)
		ghost := &stormCharge{txid: fmt.Sprintf("ghost%05dx", n), code: fmt.Sprintf("GH%05d", n),
			ref: fmt.Sprintf("ghost-%05d", n), amount: psp.Amount(100 + n)}
		st, typ := psp.StatusPaid, psp.EventCashInPaid
		if rng.IntN(3) == 0 {
			st, typ = psp.StatusRefunded, psp.EventCashInRefunded
		}
		add(&stormJob{kind: kindUnknown, body: mustJSON(eventFor(ghost, typ, st, ghost.amount, now)),
			want: http.StatusOK, unmatched: store.OutcomeUnknown})
	}

	// Unknown event type, genuine, naming a charge that must stay AWAITING.
	for range counts[kindIgnored] {
		c := pick(byGroup[groupHostile])
		add(&stormJob{kind: kindIgnored, body: mustJSON(eventFor(c, "CASHOUT_PAID", psp.StatusPaid, c.amount, now)),
			want: http.StatusOK, on: c, wantOutcome: store.OutcomeIgnored})
	}

	// Malformed with a valid signature, naming a real charge loosely: an
	// amount with three decimals or as a string, a missing eventType.
	for range counts[kindMalformedNamed] {
		c := pick(named)
		good := string(mustJSON(eventFor(c, psp.EventCashInRefunded, psp.StatusRefunded, c.amount, now)))
		amt := `"amount":` + c.amount.Decimal()
		var body string
		switch rng.IntN(3) {
		case 0:
			body = strings.Replace(good, amt, amt+"5", 1)
		case 1:
			body = strings.Replace(good, amt, `"amount":"`+c.amount.Decimal()+`"`, 1)
		default:
			body = strings.Replace(good, `"eventType":"CASHIN_REFUNDED",`, "", 1)
		}
		if body == good {
			panic("storm: malformed body unchanged")
		}
		add(&stormJob{kind: kindMalformedNamed, body: []byte(body), want: http.StatusBadRequest, on: c, wantOutcome: store.OutcomeMalformed})
	}

	// Malformed with a valid signature, naming nothing.
	for range counts[kindMalformedNone] {
		c := pick(named)
		var body []byte
		switch rng.IntN(6) {
		case 0:
			body = c.paidBody[:1+rng.IntN(len(c.paidBody)-2)] // truncated
		case 1:
			body = []byte("not json at all")
		case 2:
			body = []byte("{}")
		case 3:
			body = []byte("null")
		case 4:
			body = []byte(`[1,2,3]`)
		default:
			body = []byte{}
		}
		add(&stormJob{kind: kindMalformedNone, body: body, want: http.StatusBadRequest, unmatched: store.OutcomeMalformed})
	}

	// Oversize: a genuine event padded past the limit, signed or not.
	for range counts[kindOversize] {
		c := pick(quiet)
		body := slices.Clone(c.refundBod)
		body = append(body, bytes.Repeat([]byte(" "), psp.MaxWebhookBody+1+rng.IntN(8<<10)-len(body))...)
		j := &stormJob{kind: kindOversize, body: body, want: http.StatusRequestEntityTooLarge}
		if rng.IntN(4) == 0 {
			j.sig = psp.Sign(body, "not-the-crypto-token")
		}
		add(j)
	}

	// Wrong method: a genuine, signed event.
	methods := []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete}
	for range counts[kindMethod] {
		c := pick(quiet)
		add(&stormJob{kind: kindMethod, method: methods[rng.IntN(len(methods))], body: c.paidBody, want: http.StatusMethodNotAllowed})
	}

	rng.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })

	// Order constraints. A refunded-group charge's PAID events take its
	// first positions and its REFUNDED events wait for all of them; a
	// reorder-group charge's REFUNDED events come first and its PAID events
	// wait for the first one. Every other delivery may land in any order.
	type place struct{ paid, refunded []int }
	places := map[*stormCharge]*place{}
	for i, j := range jobs {
		if j.kind != kindGenuine || (j.on.group != groupRefunded && j.on.group != groupReorder) {
			continue
		}
		p := places[j.on]
		if p == nil {
			p = &place{}
			places[j.on] = p
		}
		if j.status == psp.StatusPaid {
			p.paid = append(p.paid, i)
		} else {
			p.refunded = append(p.refunded, i)
		}
	}
	for c, p := range places {
		pos := append(slices.Clone(p.paid), p.refunded...)
		slices.Sort(pos)
		first, second := p.paid, p.refunded
		if c.group == groupReorder {
			first, second = p.refunded, p.paid
		}
		moved := make([]*stormJob, 0, len(pos))
		for _, i := range first {
			moved = append(moved, jobs[i])
		}
		for _, i := range second {
			moved = append(moved, jobs[i])
		}
		for k, i := range pos {
			jobs[i] = moved[k]
		}
		firstPos, secondPos := pos[:len(first)], pos[len(first):]
		for _, i := range secondPos {
			if c.group == groupRefunded {
				jobs[i].after = firstPos
			} else {
				jobs[i].after = firstPos[:1]
			}
		}
	}
	for _, j := range jobs {
		j.eventID = newEventID(rng)
		j.done = make(chan struct{})
	}
	return jobs
}

func newEventID(rng *rand.Rand) string {
	var b [16]byte
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// send makes j's request and records the answer and how long it took.
func (j *stormJob) send(client *http.Client, url string) {
	req, err := http.NewRequest(j.method, url, bytes.NewReader(j.body))
	if err != nil {
		j.err = err
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(psp.HeaderEventID, j.eventID)
	if !j.noSig {
		req.Header.Set(psp.HeaderSignature, j.sig)
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		j.err, j.latency = err, time.Since(t0)
		return
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	j.latency, j.got, j.err = time.Since(t0), resp.StatusCode, err
}

// checkAnswers checks every request was answered, with the right status,
// within stormAnswerBound, and logs the latencies.
func checkAnswers(t *testing.T, jobs []*stormJob, elapsed time.Duration) {
	t.Helper()
	var (
		lat      []time.Duration
		perKind  [nKinds]int
		bad      int
		over5s   int
		reported int
	)
	for i, j := range jobs {
		perKind[j.kind]++
		lat = append(lat, j.latency)
		if j.latency > 5*time.Second {
			over5s++
		}
		switch {
		case j.err != nil:
			bad++
			if reported < 20 {
				reported++
				t.Errorf("delivery %d (%s %s, %d bytes): not answered after %v: %v", i, j.kind, j.method, len(j.body), j.latency, j.err)
			}
		case j.got != j.want:
			bad++
			if reported < 20 {
				reported++
				t.Errorf("delivery %d (%s %s, event %s): status %d, want %d", i, j.kind, j.method, j.eventID, j.got, j.want)
			}
		case j.latency > stormAnswerBound:
			bad++
			if reported < 20 {
				reported++
				t.Errorf("delivery %d (%s): answered after %v, over %v", i, j.kind, j.latency, stormAnswerBound)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d deliveries unanswered, late or with a wrong status", bad, len(jobs))
	}
	slices.Sort(lat)
	q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	var mix []string
	for k := range nKinds {
		mix = append(mix, fmt.Sprintf("%s %d", k, perKind[k]))
	}
	t.Logf("mix: %s", strings.Join(mix, ", "))
	t.Logf("%d deliveries in %v (%.0f/s), %d workers: latency p50 %v, p99 %v, max %v; %d over ConnectPSP's 5 s",
		len(jobs), elapsed.Round(time.Millisecond), float64(len(jobs))/elapsed.Seconds(), stormWorkers,
		q(0.50).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond), over5s)
}

// lorisResult is what one slowloris goroutine saw.
type lorisResult struct {
	conns int             // connections opened
	cuts  []time.Duration // connections the server closed, after how long
	held  int             // connections still open after lorisHeld
	// answers counts what the server wrote before closing, by status
	// line ("" when it closed without a word).
	answers map[string]int
	err     error
}

// slowloris keeps a connection open that sends one header byte every
// lorisDrip and never finishes its headers, reconnecting when the server
// cuts it, until stop is closed and it has been cut at least once.
func slowloris(addr string, ready chan<- struct{}, stop <-chan struct{}) (r lorisResult) {
	signalled := false
	defer func() {
		if !signalled {
			ready <- struct{}{}
		}
	}()
	for {
		select {
		case <-stop:
			if len(r.cuts) > 0 || r.held > 0 || r.err != nil {
				return r
			}
		default:
		}
		opened := time.Now() // before the server can start its clock
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			r.err = err
			return r
		}
		r.conns++
		closed := make(chan string, 1)
		go func() {
			var said []byte
			buf := make([]byte, 512)
			for {
				k, err := conn.Read(buf)
				said = append(said, buf[:k]...)
				if err != nil {
					line, _, _ := bytes.Cut(said, []byte("\r\n"))
					closed <- string(line)
					return
				}
			}
		}()
		header := []byte("POST " + WebhookPath + " HTTP/1.1\r\nHost: " + addr + "\r\nContent-Type: application/json\r\n")
		drip := time.NewTicker(lorisDrip)
		limit := time.NewTimer(lorisHeld)
		stopped := stop
	conn:
		for sent, k := 0, 0; ; {
			if sent == len(header) { // headers that never end
				k++
				header = fmt.Appendf(header, "X-Slow-%d: a\r\n", k)
			}
			if _, err := conn.Write(header[sent : sent+1]); err == nil {
				sent++
			}
			if !signalled {
				signalled = true
				ready <- struct{}{}
			}
			for {
				select {
				case said := <-closed:
					r.cuts = append(r.cuts, time.Since(opened))
					if r.answers == nil {
						r.answers = map[string]int{}
					}
					r.answers[said]++
					break conn
				case <-limit.C:
					r.held++
					break conn
				case <-stopped:
					if len(r.cuts) == 0 {
						stopped = nil // keep going until cut once
						continue
					}
					r.conns-- // ended by us: not counted
					break conn
				case <-drip.C:
				}
				break
			}
		}
		drip.Stop()
		limit.Stop()
		conn.Close()
	}
}

// checkSlowloris checks that the server cut every slowloris connection at
// its ReadHeaderTimeout and none was held. Cut mid-line, net/http reports
// the timeout as a malformed header and writes a 400 before closing: a
// 400 or nothing at all are the only answers allowed.
func checkSlowloris(t *testing.T, res []lorisResult) {
	t.Helper()
	var (
		conns, held int
		cuts        []time.Duration
	)
	answers := map[string]int{}
	for i, r := range res {
		if r.err != nil {
			t.Errorf("slowloris %d: %v", i, r.err)
		}
		conns += r.conns
		held += r.held
		cuts = append(cuts, r.cuts...)
		for a, n := range r.answers {
			answers[a] += n
		}
	}
	if held > 0 {
		t.Errorf("%d slowloris connections held open for %v by a server whose ReadHeaderTimeout is %v", held, lorisHeld, webhookReadHeaderTimeout)
	}
	for a, n := range answers {
		if a != "" && a != "HTTP/1.1 400 Bad Request" {
			t.Errorf("%d slowloris connections answered %q", n, a)
		}
	}
	if len(cuts) < len(res) {
		t.Errorf("%d slowloris connections cut, want at least %d", len(cuts), len(res))
	}
	if len(cuts) == 0 {
		return
	}
	slices.Sort(cuts)
	// The server starts its clock after we start ours: a cut can't come
	// sooner than its timeout, whatever the load.
	if cuts[0] < webhookReadHeaderTimeout {
		t.Errorf("a slowloris connection was cut after %v, before the ReadHeaderTimeout %v", cuts[0], webhookReadHeaderTimeout)
	}
	// And it is the header timeout that cuts, not the longer ReadTimeout
	// (a margin of 5 s: no scheduling delay comes near it).
	if last := cuts[len(cuts)-1]; last >= webhookReadTimeout {
		t.Errorf("a slowloris connection was cut only after %v: ReadHeaderTimeout %v did not cut it", last, webhookReadHeaderTimeout)
	}
	t.Logf("slowloris: %d connections dripping a header byte every %v, %d cut by the server (ReadHeaderTimeout %v) after %v to %v; last words %v",
		conns, lorisDrip, len(cuts), webhookReadHeaderTimeout, cuts[0].Round(time.Millisecond), cuts[len(cuts)-1].Round(time.Millisecond), answers)
}
