package ui

import (
	"context"
	"time"

	"github.com/pixdesk/pixdesk/internal/safetext"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// Outside text is data, never terminal commands. A payer's name, bank
// data, ids, a webhook's event type and ConnectPSP's error details reach
// the journal as they were received (they are evidence); what the screens
// draw is a display copy in which every such rune (controls, ESC, C1,
// bidi overrides, zero-width characters) has its visible form
// (safetext.String). It is made here, once, where the data enters the
// console: New wraps the backend in shownBackend, so every charge, history
// entry and health snapshot a screen holds is already clean, and lipgloss
// measures and cuts the text that will be written. The other ways in are
// cleaned where they turn into text: sentences clean their arguments
// (lang.s), errors their text (errText), and a transaction found only at
// ConnectPSP is kept as sent, because Import records it, and drawn through
// shownCashIn (remoteCells, viewOfCashIn).

// shownBackend is the backend as the screens see it: what it returns is
// a display copy (shownCharge, shownEntries); what it is given goes to
// the real backend untouched. Every method is written out, none embedded,
// so that a method added to Backend does not compile until it says how
// its answer is shown.
type shownBackend struct{ b Backend }

var _ Backend = shownBackend{}

// Create implements Backend.
func (s shownBackend) Create(ctx context.Context, in engine.Input) (*store.Charge, error) {
	c, err := s.b.Create(ctx, in)
	return shownCharge(c), err
}

// Refresh implements Backend.
func (s shownBackend) Refresh(ctx context.Context, id int64) (*store.Charge, error) {
	c, err := s.b.Refresh(ctx, id)
	return shownCharge(c), err
}

// Resume implements Backend.
func (s shownBackend) Resume(ctx context.Context, id int64) (*store.Charge, error) {
	c, err := s.b.Resume(ctx, id)
	return shownCharge(c), err
}

// PollNow implements Backend.
func (s shownBackend) PollNow(id int64) { s.b.PollNow(id) }

// Health implements Backend: the last error is ConnectPSP's words, and
// why the engine stopped may quote the store's.
func (s shownBackend) Health() engine.Health {
	h := s.b.Health()
	h.LastErr = safetext.String(h.LastErr)
	h.Stopped = safetext.String(h.Stopped)
	return h
}

// Charge implements Backend.
func (s shownBackend) Charge(ctx context.Context, id int64) (*store.Charge, error) {
	c, err := s.b.Charge(ctx, id)
	return shownCharge(c), err
}

// LatestOpen implements Backend.
func (s shownBackend) LatestOpen(ctx context.Context) (*store.Charge, error) {
	c, err := s.b.LatestOpen(ctx)
	return shownCharge(c), err
}

// SimulatePay implements Backend.
func (s shownBackend) SimulatePay(ctx context.Context, id int64) error {
	return s.b.SimulatePay(ctx, id)
}

// Search implements Backend.
func (s shownBackend) Search(ctx context.Context, q store.Query) ([]*store.Charge, error) {
	cs, err := s.b.Search(ctx, q)
	return shownCharges(cs), err
}

// Count implements Backend.
func (s shownBackend) Count(ctx context.Context, q store.Query) (int, error) {
	return s.b.Count(ctx, q)
}

// Timeline implements Backend.
func (s shownBackend) Timeline(ctx context.Context, id int64) ([]store.Entry, error) {
	es, err := s.b.Timeline(ctx, id)
	return shownEntries(es), err
}

// FindByCopyAndPaste implements Backend.
func (s shownBackend) FindByCopyAndPaste(ctx context.Context, code string) (*store.Charge, error) {
	c, err := s.b.FindByCopyAndPaste(ctx, code)
	return shownCharge(c), err
}

// Remote implements Backend. The transaction comes back as ConnectPSP
// sent it: Import must record those bytes, not their display form.
func (s shownBackend) Remote(ctx context.Context, id string) (*psp.CashIn, error) {
	return s.b.Remote(ctx, id)
}

// Import implements Backend.
func (s shownBackend) Import(ctx context.Context, ci *psp.CashIn) (*store.Charge, error) {
	c, err := s.b.Import(ctx, ci)
	return shownCharge(c), err
}

// Refund implements Backend.
func (s shownBackend) Refund(ctx context.Context, id int64, reason psp.RefundReason, note string) (*store.Charge, error) {
	c, err := s.b.Refund(ctx, id, reason, note)
	return shownCharge(c), err
}

// shownCharge returns a copy of c with every text field in its visible
// form, or nil.
func shownCharge(c *store.Charge) *store.Charge {
	if c == nil {
		return nil
	}
	v := *c
	for _, f := range []*string{&v.Terminal, &v.ExternalReference, &v.IdempotencyKey, &v.WebhookURL, &v.RejectReason, &v.RejectCode, &v.ReplacedReference,
		&v.TransactionID, &v.InternalCode, &v.CopyAndPaste, &v.QRImageBase64, &v.EndToEndID, &v.OriginalEndToEndID,
		&v.RefundKey, &v.RefundDescription, &v.UnknownStatus, &v.Operator} {
		*f = safetext.String(*f)
	}
	v.Stage = store.Stage(safetext.String(string(v.Stage)))
	v.Status = psp.Status(safetext.String(string(v.Status)))
	v.RefundReason = psp.RefundReason(safetext.String(string(v.RefundReason)))
	v.Payer = shownPayer(c.Payer)
	return &v
}

func shownCharges(cs []*store.Charge) []*store.Charge {
	if cs == nil {
		return nil
	}
	out := make([]*store.Charge, len(cs))
	for i, c := range cs {
		out[i] = shownCharge(c)
	}
	return out
}

// shownPayer returns p with its name, document and bank data visible.
func shownPayer(p psp.Payer) psp.Payer {
	p.Name, p.Document = safetext.String(p.Name), safetext.String(p.Document)
	if bd := p.BankData; bd != nil {
		p.BankData = &psp.BankData{ISPB: safetext.String(bd.ISPB), Bank: safetext.String(bd.Bank),
			Branch: safetext.String(bd.Branch), Account: safetext.String(bd.Account)}
	}
	return p
}

// shownEntries returns copies of es with their text (a delivery's event
// id and type, an answer's body, the facts ConnectPSP or a sender wrote,
// an older entry's note) visible.
func shownEntries(es []store.Entry) []store.Entry {
	if es == nil {
		return nil
	}
	out := make([]store.Entry, len(es))
	for i, e := range es {
		e.Kind = store.EntryKind(safetext.String(string(e.Kind)))
		e.Status = psp.Status(safetext.String(string(e.Status)))
		e.Outcome, e.Detail = safetext.String(e.Outcome), safetext.String(e.Detail)
		e.Facts = shownFacts(e.Facts)
		if e.Body != nil && !safetext.Visible(string(e.Body)) {
			e.Body = []byte(safetext.String(string(e.Body)))
		}
		out[i] = e
	}
	return out
}

// shownFacts returns f with every text in its visible form.
func shownFacts(f store.Facts) store.Facts {
	for _, p := range []*string{&f.Reference, &f.Replaced, &f.IdempotencyKey, &f.Code, &f.Reason, &f.Description, &f.AskedDescription,
		&f.EventID, &f.EventType, &f.TransactionID, &f.InternalCode, &f.ChargeTransactionID, &f.ChargeInternalCode, &f.AskedBy, &f.ApprovedBy} {
		*p = safetext.String(*p)
	}
	f.RefundReason = psp.RefundReason(safetext.String(string(f.RefundReason)))
	f.AskedReason = psp.RefundReason(safetext.String(string(f.AskedReason)))
	f.Verdict = psp.Verdict(safetext.String(string(f.Verdict)))
	f.From = psp.Status(safetext.String(string(f.From)))
	f.To = psp.Status(safetext.String(string(f.To)))
	return f
}

// shownCashIn returns a copy of ci, a transaction as ConnectPSP sent it,
// with every text field visible, or nil.
func shownCashIn(ci *psp.CashIn) *psp.CashIn {
	if ci == nil {
		return nil
	}
	v := *ci
	for _, f := range []*string{&v.TransactionID, &v.InternalCode, &v.ExternalReference, &v.EndToEndID, &v.OriginalEndToEndID} {
		*f = safetext.String(*f)
	}
	v.Status = psp.Status(safetext.String(string(v.Status)))
	v.Payer = shownPayer(ci.Payer)
	if pd := ci.PixData; pd != nil {
		v.PixData = &psp.PixData{CopyAndPaste: safetext.String(pd.CopyAndPaste), QRCodeImageBase64: safetext.String(pd.QRCodeImageBase64)}
	}
	return &v
}

// shownClose returns a copy of a day's close with the text it carries —
// the terminal, operators, the reconciled charges' ids and ConnectPSP's
// errors — visible, or nil. Its report (a *store.DayReport) is copied too,
// so the caller's stays as it was.
func shownClose(c *engine.DayClose) *engine.DayClose {
	if c == nil || c.DayReport == nil {
		return c
	}
	v, rep := *c, *c.DayReport
	v.DayReport = &rep
	rep.Terminal, rep.Day, rep.Zone = safetext.String(rep.Terminal), safetext.String(rep.Day), safetext.String(rep.Zone)
	rep.Total.Operator = safetext.String(rep.Total.Operator)
	rep.Operators = append([]store.Totals(nil), rep.Operators...)
	for i := range rep.Operators {
		rep.Operators[i].Operator = safetext.String(rep.Operators[i].Operator)
	}
	v.Hash = safetext.String(v.Hash)
	shown := func(rs []engine.Reconciled) []engine.Reconciled {
		out := append([]engine.Reconciled(nil), rs...)
		for i := range out {
			r := &out[i]
			r.Reference, r.InternalCode, r.Err = safetext.String(r.Reference), safetext.String(r.InternalCode), safetext.String(r.Err)
			r.From, r.To = psp.Status(safetext.String(string(r.From))), psp.Status(safetext.String(string(r.To)))
		}
		return out
	}
	v.Reconciliation.Changed, v.Reconciliation.Failed = shown(c.Reconciliation.Changed), shown(c.Reconciliation.Failed)
	return &v
}

// PrepareClose implements Backend.
func (s shownBackend) PrepareClose(ctx context.Context, day string, loc *time.Location) (*engine.DayClose, error) {
	c, err := s.b.PrepareClose(ctx, day, loc)
	return shownClose(c), err
}

// Seal implements Backend. What is sealed is the close as the screen showed
// it: the display copy, whose only outside text (ConnectPSP's internal
// codes) is kept in its visible form, as printed.
func (s shownBackend) Seal(ctx context.Context, c *engine.DayClose) (*engine.DayClose, error) {
	sealed, err := s.b.Seal(ctx, c)
	return shownClose(sealed), err
}

// Reprint implements Backend.
func (s shownBackend) Reprint(ctx context.Context, day string) (*engine.DayClose, error) {
	c, err := s.b.Reprint(ctx, day)
	return shownClose(c), err
}
