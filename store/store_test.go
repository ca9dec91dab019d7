package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// clock is a test clock: each reading is 1 ms after the previous one, so
// records are ordered and times are predictable.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 10, 14, 0, 0, 0, time.UTC)} }

// advance moves the clock on by d.
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// opener opens a fresh journal for one test, and reopens one by its DSN.
type opener struct {
	name   string
	fresh  func(t *testing.T) string
	clocks sync.Map // dsn → *clock
}

func (o *opener) open(t *testing.T) *DB {
	t.Helper()
	return o.reopen(t, o.fresh(t))
}

func (o *opener) reopen(t *testing.T, dsn string) *DB {
	t.Helper()
	c, _ := o.clocks.LoadOrStore(dsn, newClock())
	db, err := Open(context.Background(), dsn, WithClock(c.(*clock).now))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var sqliteOpener = &opener{name: "sqlite", fresh: func(t *testing.T) string {
	return filepath.Join(t.TempDir(), "pixdesk.db")
}}

var postgresOpener = &opener{name: "postgres", fresh: func(t *testing.T) string { return pgtest.Start(t) }}

func TestSQLite(t *testing.T) {
	t.Parallel()
	runConformance(t, sqliteOpener)
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	pgtest.Start(t) // skips the whole suite, loudly, without a server
	runConformance(t, postgresOpener)
}

// fixture builds ConnectPSP answers with unique identifiers.
var seq atomic.Int64

type ids struct {
	n        int64
	ref      string
	tx       string
	code     string
	e2e, dev string
}

func nextIDs() ids {
	n := seq.Add(1)
	return ids{
		n:    n,
		ref:  fmt.Sprintf("ref-%06d", n),
		tx:   fmt.Sprintf("tx%033d", n),
		code: fmt.Sprintf("C%06d", n),
		e2e:  fmt.Sprintf("E00416968202603101827%011d", n),
		dev:  fmt.Sprintf("D00416968202603101830%011d", n),
	}
}

var bank = &psp.BankData{ISPB: "00000000", Bank: "Banco do Brasil S.A.", Branch: "0001", Account: "123456"}

// answer is ConnectPSP's view of charge c in status s, with the details
// that status carries.
func answer(c *Charge, id ids, s psp.Status) *psp.CashIn {
	ci := &psp.CashIn{
		TransactionID: id.tx, InternalCode: id.code, ExternalReference: c.ExternalReference,
		Status: s, Amount: c.Amount, Payer: psp.Payer{Name: c.Payer.Name, Document: c.Payer.Document},
		RequestedAt: c.CreatedAt.Add(time.Second),
	}
	paidAt := c.CreatedAt.Add(time.Minute)
	switch s {
	case psp.StatusPaid:
		ci.EndToEndID, ci.PaidAt, ci.Payer.BankData = id.e2e, paidAt, bank
	case psp.StatusRefunded:
		ci.EndToEndID, ci.OriginalEndToEndID, ci.PaidAt, ci.Payer.BankData = id.dev, id.e2e, paidAt, bank
		ci.RefundedAt = paidAt.Add(time.Hour)
	case psp.StatusExpired:
		ci.ExpiredAt = c.CreatedAt.Add(24 * time.Hour)
	}
	return ci
}

type chargeOpt func(*NewCharge)

// newCharge stores an intent and ConnectPSP's create answer: a charge
// AWAITING_PAYMENT.
func newCharge(t *testing.T, db *DB, opts ...chargeOpt) (*Charge, ids) {
	t.Helper()
	ctx := context.Background()
	id := nextIDs()
	n := NewCharge{
		Terminal: "C01", ExternalReference: id.ref, Amount: 1050,
		Payer:            psp.Payer{Name: "Test User", Document: "12345678909"},
		ExpiresInMinutes: 30,
	}
	for _, o := range opts {
		o(&n)
	}
	c, err := db.CreateIntent(ctx, n)
	if err != nil {
		t.Fatalf("CreateIntent: %v", err)
	}
	ci := answer(c, id, psp.StatusAwaitingPayment)
	ci.PixData = &psp.PixData{CopyAndPaste: "00020101021226" + id.tx, QRCodeImageBase64: "iVBOR"}
	if c, err = db.RecordCreated(ctx, c.ID, ci); err != nil {
		t.Fatalf("RecordCreated: %v", err)
	}
	return c, id
}

// genuine is a signed delivery of ev. Each has a body of its own (as if
// ConnectPSP stamped each attempt); replay copies one byte for byte.
func genuine(ev psp.Event) *psp.Delivery {
	eventID := fmt.Sprintf("evt-%d", seq.Add(1))
	body := []byte(fmt.Sprintf(`{"eventType":%q,"attempt":%q,"data":{"transactionId":%q}}`, ev.Type, eventID, ev.Data.TransactionID))
	return &psp.Delivery{
		EventID: eventID, Verdict: psp.VerdictGenuine, Body: body,
		Signature: psp.Sign(body, "key"), Event: &ev,
	}
}

// replay is d delivered again byte for byte: only X-Event-Id is new.
func replay(d *psp.Delivery) *psp.Delivery {
	r := *d
	r.EventID = fmt.Sprintf("evt-%d", seq.Add(1))
	return &r
}

func mustGet(t *testing.T, db *DB, id int64) *Charge {
	t.Helper()
	c, err := db.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%d): %v", id, err)
	}
	return c
}

func timeline(t *testing.T, db *DB, id int64) []Entry {
	t.Helper()
	es, err := db.Timeline(context.Background(), id)
	if err != nil {
		t.Fatalf("Timeline(%d): %v", id, err)
	}
	return es
}

// kinds summarises a timeline as "kind:status:outcome" lines.
func kinds(es []Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s:%s:%s", e.Kind, e.Status, e.Outcome))
	}
	return out
}
