package engine

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/sandbox"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/pgtest"
)

// post sends body to url signed with key ("" for no signature) and
// returns the status.
func post(t *testing.T, url, body string, key psp.Secret) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if key != "" {
		req.Header.Set(psp.HeaderSignature, psp.Sign([]byte(body), key))
	}
	req.Header.Set("X-Event-Id", "ev-"+strconv.Itoa(len(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// journalOfEveryKind fills f's journal through the engine and the sandbox
// with a row of every kind the journal keeps, then stops the engine: a
// charge paid by webhook, one refunded, one cancelled and one expired
// (seen by polls, folded when quiet), one rejected, one awaiting payment
// and leased, one whose create is pending; genuine deliveries, a replay
// and one for no charge; refused ones and their counts; the reference
// counters, the heartbeat and a sealed day.
func journalOfEveryKind(t *testing.T, f *fixture) {
	ctx, stop := context.WithCancel(f.ctx)
	e := New(f.config())
	_, url := f.listen(e)
	e.SetWebhookURL(url)
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	key := f.sb.Credentials().CryptoToken

	names := []string{"Maria da Silva Souza", "João Silva", "Ana Lima", "Bruno Reis Silva", "Zé Ninguém"}
	var charges []*store.Charge
	for i, n := range names {
		charges = append(charges, f.create(e, Input{Amount: psp.Amount(1000 + i),
			Payer: psp.Payer{Name: n, Document: "529.982.247-25"}}))
	}
	paid, refunded, cancelled, expired := charges[0], charges[1], charges[2], charges[3]
	for _, c := range []*store.Charge{paid, refunded} {
		if _, err := f.sb.Pay(c.TransactionID, 0); err != nil {
			t.Fatal(err)
		}
		f.waitStatus(c.ID, psp.StatusPaid)
	}
	if _, err := e.Refund(f.ctx, refunded.ID, psp.RefundCustomerRequest, "wrong item"); err != nil {
		t.Fatal(err)
	}
	if err := f.sb.Cancel(cancelled.TransactionID); err != nil {
		t.Fatal(err)
	}
	if err := f.sb.Expire(expired.TransactionID); err != nil {
		t.Fatal(err)
	}
	f.waitStatus(cancelled.ID, psp.StatusCancelled)
	f.waitStatus(expired.ID, psp.StatusExpired)
	f.waitStatus(refunded.ID, psp.StatusRefunded)

	// Rejected: another counter's journal sent this reference first.
	other := *f
	other.dbPath = f.dbPath + ".other"
	cfg := f.config()
	cfg.DB = other.openDB()
	f.create(New(cfg), Input{Payer: payer, Reference: "ORDER-7"})
	if _, err := e.Create(f.ctx, Input{Amount: 100, Payer: payer, Reference: "ORDER-7"}); err == nil {
		t.Fatal("a reference used twice was accepted")
	}

	// A genuine delivery, its replay byte for byte, one for no charge, and
	// forged ones.
	genuine := `{"eventType":"CASHIN_PAID","data":{"transactionId":"` + paid.TransactionID + `","status":"PAID","amount":10.00}}`
	for _, body := range []string{genuine, genuine, `{"eventType":"CASHIN_PAID","data":{"transactionId":"nope","status":"PAID","amount":1.00}}`} {
		if code := post(t, url, body, key); code != http.StatusOK {
			t.Fatalf("genuine delivery: %d", code)
		}
	}
	for _, k := range []psp.Secret{"", "wrong key"} {
		if code := post(t, url, `{"eventType":"CASHIN_PAID","data":{"transactionId":"x"}}`, k); code != http.StatusUnauthorized {
			t.Fatalf("forged delivery: %d", code)
		}
	}
	waitFor(t, "refusals written", func() bool {
		r, err := f.db.RefusedDeliveries(f.ctx, 10)
		return err == nil && len(r) == 2
	})
	// Quiet polls of the open charge fold into one line.
	waitFor(t, "a folded poll", func() bool {
		es, err := f.db.Timeline(f.ctx, charges[4].ID)
		return err == nil && len(es) > 0 && es[len(es)-1].TimesSeen > 1
	})
	// A create left pending: ConnectPSP fails until the engine stops.
	f.sb.SetFaults(sandbox.Faults{FailNext: 1000})
	if _, err := e.Create(f.ctx, Input{Amount: 700, Payer: payer}); err == nil {
		t.Fatal("Create succeeded while the sandbox fails")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.LeaseDue(f.ctx, store.LeaseRequest{Owner: "copy-test", TTL: time.Hour, Limit: 10}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Probe(f.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Seal(f.ctx, store.Actor{Terminal: "T1"}, "2026-03-09", map[string]int{"charges": 0}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.AddOperator(f.ctx, store.Actor{Terminal: "T1"}, "ana", store.RoleCaixa, "1234"); err != nil {
		t.Fatal(err)
	}
}

// The journal of every kind copied to PostgreSQL: every table counted
// and hashed alike on both sides, and the copy answers every query as the
// file does — each charge, its history, every identifier, name searches,
// deliveries, refusals, leases — and numbers what comes next as the file
// would have.
func TestCopyToPostgres(t *testing.T) {
	f := setup(t)
	journalOfEveryKind(t, f)
	dsn, err := pgtest.Private(t).CreateDatabase(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := store.Copy(f.ctx, f.dbPath, dsn, store.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"counters", "charges", "deliveries", "entries", "leases", "refused_deliveries", "inbox", "refusal_counts", "heartbeat",
		"closes", "operators", "audit"}
	var got []string
	for _, tb := range rep.Tables {
		got = append(got, tb.Name)
		// The inbox is empty: opening the file to copy it applied what a
		// receiver had left there, as opening it always does.
		if tb.Source.Rows == 0 && tb.Name != "inbox" {
			t.Errorf("%s: the journal holds no row of it", tb.Name)
		}
		if tb.Source != tb.Target || len(tb.Source.SHA256) != 64 {
			t.Errorf("%s: source %+v, target %+v", tb.Name, tb.Source, tb.Target)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tables %v, want %v", got, want)
	}
	if rep.NameRows != rep.Tables[1].Target.Rows || !rep.CreatedSchema || rep.Schema != store.SchemaVersion() {
		t.Errorf("report %+v", rep)
	}

	src := f.db
	dst, err := store.Open(f.ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	same := func(what string, read func(db *store.DB) (any, error)) {
		t.Helper()
		a, errA := read(src)
		b, errB := read(dst)
		if fmt.Sprint(errA) != fmt.Sprint(errB) || !reflect.DeepEqual(a, b) {
			t.Errorf("%s:\nsqlite   %+v (%v)\npostgres %+v (%v)", what, a, errA, b, errB)
		}
	}
	all, err := src.Search(f.ctx, store.Query{})
	if err != nil || len(all) < 7 {
		t.Fatalf("Search: %d charges, %v", len(all), err)
	}
	for _, c := range all {
		id := c.ID
		same("Get", func(db *store.DB) (any, error) { return db.Get(f.ctx, id) })
		same("Timeline", func(db *store.DB) (any, error) { return db.Timeline(f.ctx, id) })
		same("FindByReference", func(db *store.DB) (any, error) { return db.FindByReference(f.ctx, c.ExternalReference) })
		for _, ident := range []string{strconv.FormatInt(id, 10), c.TransactionID, c.InternalCode, c.EndToEndID, c.OriginalEndToEndID} {
			if ident != "" {
				same("Find "+ident, func(db *store.DB) (any, error) { return db.Find(f.ctx, ident) })
			}
		}
		if c.CopyAndPaste != "" {
			same("FindByCopyAndPaste", func(db *store.DB) (any, error) { return db.FindByCopyAndPaste(f.ctx, c.CopyAndPaste) })
		}
		if c.Status == psp.StatusAwaitingPayment {
			same("LeaseOf", func(db *store.DB) (any, error) { return db.LeaseOf(f.ctx, id) })
		}
	}
	for _, q := range []store.Query{{}, {Text: "silva"}, {Text: "mar silv"}, {Text: "ninguem"}, {Text: "529.982.247-25"},
		{Statuses: []psp.Status{psp.StatusPaid, psp.StatusRefunded}}, {Amount: 1002}, {Text: "ORDER-7"}, {Limit: 2}} {
		same(fmt.Sprintf("Search %+v", q), func(db *store.DB) (any, error) { return db.Search(f.ctx, q) })
		same(fmt.Sprintf("Count %+v", q), func(db *store.DB) (any, error) { return db.Count(f.ctx, q) })
	}
	same("Unmatched", func(db *store.DB) (any, error) { return db.Unmatched(f.ctx, 100) })
	same("RefusedDeliveries", func(db *store.DB) (any, error) { return db.RefusedDeliveries(f.ctx, 100) })
	same("RefusedSince", func(db *store.DB) (any, error) { return db.RefusedSince(f.ctx, time.Time{}) })
	same("SealedDay", func(db *store.DB) (any, error) { return db.SealedDay(f.ctx, "T1", "2026-03-09") })
	same("PendingCreates", func(db *store.DB) (any, error) { return db.PendingCreates(f.ctx, "T1") })
	same("Awaiting", func(db *store.DB) (any, error) { return db.Awaiting(f.ctx, "T1") })
	same("Operators", func(db *store.DB) (any, error) { return db.Operators(f.ctx) })
	same("AuditTrail", func(db *store.DB) (any, error) { return db.AuditTrail(f.ctx, store.AuditQuery{}) })
	same("VerifyAudit", func(db *store.DB) (any, error) { return db.VerifyAudit(f.ctx) })
	same("CheckPIN", func(db *store.DB) (any, error) {
		op, err := db.CheckPIN(f.ctx, store.Actor{Terminal: "T1"}, "ana", "1234", "sign in")
		if op != nil {
			return op.Name, err
		}
		return nil, err
	})
	// What comes next is numbered as it would have been.
	same("NextReference", func(db *store.DB) (any, error) { return db.NextReference(f.ctx, "T1") })
	same("CreateIntent", func(db *store.DB) (any, error) {
		c, err := db.CreateIntent(f.ctx, store.NewCharge{Terminal: "T1", ExternalReference: "NEXT-1", Amount: 100, Payer: payer})
		if err != nil {
			return nil, err
		}
		return []any{c.ID, c.Version}, nil
	})
}
