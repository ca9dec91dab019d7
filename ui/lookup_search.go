package ui

import (
	"errors"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/psp/brcode"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// inputKind is what a search text looks like. The store recognises ids,
// documents, references and names by their shape (store.DB.Search); the
// console also recognises amounts and pasted BR Codes, which the store's
// text search does not, and knows which shapes ConnectPSP can look up.
type inputKind int

const (
	inNone inputKind = iota
	inCode
	inTxID
	inE2E
	inDocument
	inAmount
	inBRCode
	inText // an order reference or part of a name
	inBad  // an amount or BR Code that does not read
)

// plan is how one search text (with the filters) is answered.
type plan struct {
	kind inputKind
	q    store.Query
	// code is a pasted BR Code that parsed; codeErr says why one did not.
	code    *brcode.Code
	codeErr error
	// remote is the identifier to ask ConnectPSP when the store has none.
	remote string
	// doc is the document searched for, masked (for the hint line).
	doc string
}

// filters are the lookup's filters besides the text.
type filters struct {
	status   int // 0: any; else psp.Statuses[status-1]
	period   period
	from, to time.Time // the custom period, [from, to)
	terminal string
}

// period is a creation-time filter.
type period int

const (
	periodAll period = iota
	periodToday
	period7Days
	periodCustom
	periodCount
)

// makePlan reads text as whatever the customer has: a code, a transaction
// or end-to-end id, an order reference, a CPF or CNPJ, part of a name, an
// amount ("12,50", "R$ 12,50") or a whole copy-and-paste BR Code.
func makePlan(text string, f filters, now time.Time, loc *time.Location) plan {
	p := plan{q: f.query(now, loc)}
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		p.kind = inNone
	case looksLikeBRCode(text):
		p.kind = inBRCode
		p.code, p.codeErr = brcode.Parse(text)
		if p.codeErr != nil {
			p.kind = inBad
		}
	case looksLikeAmount(text):
		a, err := psp.ParseAmount(text)
		if err != nil || a <= 0 {
			p.kind = inBad
			return p
		}
		p.kind, p.q.Amount = inAmount, a
	default:
		text = norm.NFC.String(text) // names are stored composed (engine.CheckName)
		p.kind, p.q.Text = shapeOf(text), text
		switch p.kind {
		case inCode:
			p.remote = strings.ToUpper(text)
		case inTxID, inE2E:
			p.remote = text
		case inDocument:
			doc := engine.FoldDocument(text)      // "１２３.４５６.７８９–０９" too
			p.q.Text = psp.NormalizeDocument(doc) // "123 456 789 09" too
			p.doc = psp.MaskDocument(doc)
		}
	}
	return p
}

// looksLikeBRCode: every BR Code starts with the payload format indicator.
func looksLikeBRCode(s string) bool {
	return strings.HasPrefix(s, "000201") && len(s) > 30
}

// looksLikeAmount: only text that is clearly money is read as an amount
// (a comma or R$), so that digits stay codes and documents.
func looksLikeAmount(s string) bool {
	up := strings.ToUpper(s)
	if strings.HasPrefix(up, "R$") {
		return true
	}
	if !strings.Contains(s, ",") {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r == ',' || r == '.' || r == ' ') {
			return false
		}
	}
	return true
}

// shapeOf is store.Classify's reading of a text, to tell the cashier what
// is being searched and whether ConnectPSP can be asked. A document is
// read as pasted ("１２３.４５６.７８９–０９", "123 456 789 09"): folded the
// way the engine reads one, then classified bare, as makePlan searches it.
func shapeOf(s string) inputKind {
	if k, _ := store.Classify(psp.NormalizeDocument(engine.FoldDocument(s))); k == store.TextDocument {
		return inDocument
	}
	switch k, _ := store.Classify(s); k {
	case store.TextInternalCode:
		return inCode
	case store.TextTransactionID:
		return inTxID
	case store.TextEndToEnd:
		return inE2E
	}
	return inText
}

// query is the store query of the filters, without text.
func (f filters) query(now time.Time, loc *time.Location) store.Query {
	var q store.Query
	if f.status > 0 && f.status <= len(psp.Statuses) {
		q.Statuses = []psp.Status{psp.Statuses[f.status-1]}
	}
	midnight := func(t time.Time) time.Time {
		t = t.In(loc)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	}
	switch f.period {
	case periodToday:
		q.From = midnight(now)
	case period7Days:
		q.From = midnight(now).AddDate(0, 0, -6)
	case periodCustom:
		q.From, q.To = f.from, f.to
	}
	q.Terminal = f.terminal
	return q
}

// errRange: a custom period that does not read.
var errRange = errors.New("ui: period is not dd/mm/aaaa–dd/mm/aaaa")

// parseRange reads "dd/mm/aaaa–dd/mm/aaaa" (en dash, hyphen, "a" or "to"
// between the dates; one date alone is that day) as [from, to) in loc.
func parseRange(s string, loc *time.Location) (from, to time.Time, err error) {
	s = strings.TrimSpace(s)
	var a, b string
	for _, sep := range []string{"–", "—", " - ", " a ", " to ", "..", "-"} {
		if x, y, ok := strings.Cut(s, sep); ok {
			a, b = strings.TrimSpace(x), strings.TrimSpace(y)
			break
		}
	}
	if a == "" && b == "" {
		a, b = s, s
	}
	from, err1 := time.ParseInLocation("02/01/2006", a, loc)
	last, err2 := time.ParseInLocation("02/01/2006", b, loc)
	if err1 != nil || err2 != nil || last.Before(from) {
		return time.Time{}, time.Time{}, errRange
	}
	return from, last.AddDate(0, 0, 1), nil
}
