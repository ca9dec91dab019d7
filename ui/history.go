package ui

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
)

// A charge's history in the reader's language. The journal keeps each
// entry's kind, status, outcome and facts (store.Facts) as values; this
// file words them through the catalogue, for the detail screen's timeline
// and for tx show alike. Entries written before the journal kept facts
// carry an English note instead, shown as it was stored.

// historyLine is one timeline entry in words, its parts apart so that the
// detail screen can style them and tx show print them plain.
type historyLine struct {
	kind    string      // what happened: "Webhook", "Consulta"…
	verdict string      // a delivery's signature in words; "" for other kinds
	sig     psp.Verdict // that signature, for its colour
	status  string      // the status observed or reached, in words
	outcome string      // what the entry did, in words
	note    string      // its facts in a sentence, or an older entry's note
}

// historyOf words entry en, a display copy (shownEntries), in l, with
// times in loc (the date too unless it is now's day).
func historyOf(l lang, en store.Entry, now time.Time, loc *time.Location) historyLine {
	h := historyLine{kind: l.or(msgKey("entry."+string(en.Kind)), string(en.Kind))}
	if en.Kind == store.EntryWebhook {
		h.sig = en.Facts.Verdict
		if h.sig == "" { // an older entry: its outcome tells
			switch store.Outcome(en.Outcome) {
			case store.OutcomeForged:
				h.sig = psp.VerdictForged
			case store.OutcomeMalformed:
				h.sig = psp.VerdictMalformed
			default:
				h.sig = psp.VerdictGenuine
			}
		}
		h.verdict = verdictWord(l, h.sig)
	}
	if en.Status != "" {
		h.status = shortStatus(l, &store.Charge{Status: en.Status})
	}
	h.note = historyNote(l, en, now, loc)
	// A flag's outcome is its name, which the note explains.
	if en.Outcome != "" && (en.Kind != store.EntryFlag || h.note == "") {
		h.outcome = l.or(msgKey("outcome."+en.Outcome), en.Outcome)
	}
	return h
}

// verdictWord names a delivery's signature.
func verdictWord(l lang, v psp.Verdict) string {
	switch v {
	case psp.VerdictGenuine:
		return l.s(kSigGenuine)
	case psp.VerdictForged:
		return l.s(kSigForged)
	case psp.VerdictMalformed:
		return l.s(kSigMalformed)
	}
	return string(v)
}

// historyNote words the facts of entry en, or returns the English note of
// an entry written before the journal kept facts.
func historyNote(l lang, en store.Entry, now time.Time, loc *time.Location) string {
	f := en.Facts
	if f.IsZero() && en.Detail != "" {
		return en.Detail
	}
	at := func(t time.Time) string { return clock(t, now, loc) }
	word := func(s psp.Status) string { return shortStatus(l, &store.Charge{Status: s}) }
	var parts []string
	add := func(k msgKey, args ...any) { parts = append(parts, l.s(k, args...)) }
	switch en.Kind {
	case store.EntryCreated:
		add(kNoteCreated, f.Reference, f.Amount, f.IdempotencyKey)
	case store.EntryCreateRetried:
		if f.Retry > 0 {
			add(kNoteRetryAuto, f.IdempotencyKey, f.Retry)
		} else {
			add(kNoteRetryCashier, f.IdempotencyKey)
		}
	case store.EntryCreateRejected:
		if f.Code == psp.CodeDuplicateReference {
			add(kNoteDuplicate, f.Reference)
		}
		if f.Code != "" {
			add(kNoteRejected, f.Reason, f.Code)
		} else {
			add(kNoteRejectedBare, f.Reason)
		}
	case store.EntryReferenceReplaced:
		add(kNoteRefMoved, f.Replaced, f.Reference, f.IdempotencyKey)
	case store.EntryRefundRequest:
		k := kNoteRefund
		if f.Again {
			k = kNoteRefundAgain
		}
		add(k, f.IdempotencyKey, reasonLabel(l, f.RefundReason))
		if f.Description != "" {
			add(kNoteRefundNote, f.Description)
		}
		if f.AskedReason != "" {
			asked := reasonLabel(l, f.AskedReason)
			if f.AskedDescription != "" {
				asked += ": " + f.AskedDescription
			}
			add(kNoteRefundAsked, asked)
		}
	case store.EntryRefundAuthorised:
		if f.AskedBy == f.ApprovedBy {
			add(kNoteRefundSelf, f.AskedBy)
		} else {
			add(kNoteAuthorised, f.AskedBy, f.ApprovedBy)
		}
	case store.EntryWebhook:
		id := f.EventID
		if id == "" {
			id = l.s(kNoteNoID)
		}
		if f.EventType != "" {
			add(kNoteEvent, id, f.EventType)
		} else {
			add(kNoteEventBare, id)
		}
		if f.BodySize > 0 {
			add(kNoteBodyCut, f.BodyKept, f.BodySize)
		}
	case store.EntryStatus:
		switch {
		case f.From != "":
			add(kNoteMove, word(f.From), word(f.To))
		case f.To != "":
			add(kNoteFirst, word(f.To))
		}
	case store.EntryFlag:
		parts = append(parts, flagNote(l, en.Outcome, f, at, word)...)
	}
	if en.Kind != store.EntryFlag && en.Outcome == string(store.OutcomeBackwards) && f.From != "" {
		add(kNoteBackwards, word(f.To), word(f.From))
	}
	switch {
	case f.Replayed:
		n := max(en.TimesSeen, 1)
		parts = append(parts, l.n(kNoteReplayed, n, n, at(en.LastSeenAt)))
	case en.TimesSeen > 1:
		parts = append(parts, l.n(kNotePolls, en.TimesSeen, en.TimesSeen, at(en.LastSeenAt)))
	}
	return strings.Join(parts, " · ")
}

// flagNote words why flag (a store.Flag's name) was raised.
func flagNote(l lang, flag string, f store.Facts, at func(time.Time) string, word func(psp.Status) string) []string {
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	switch flag {
	case store.FlagAmountMismatch.String():
		return []string{l.s(kNoteAmount, f.PaidAmount, f.Amount)}
	case store.FlagPaidAfterExpiry.String():
		return []string{l.s(kNoteLate, at(f.PaidAt), at(f.ExpiresAt))}
	case store.FlagBackwards.String():
		return []string{l.s(kNoteFlagBackwards, word(f.To), word(f.From))}
	case store.FlagTxidMismatch.String():
		if f.ChargeInternalCode != "" {
			return []string{l.s(kNoteOtherCode, f.InternalCode, dash(f.TransactionID), f.ChargeInternalCode)}
		}
		return []string{l.s(kNoteOtherTx, f.TransactionID, dash(f.Reference), f.ChargeTransactionID)}
	}
	return nil
}

// WriteHistory writes charge history es as text, one entry a line, in the
// language lang names ("en…"; anything else is pt-BR), with times in loc:
// the detail screen's words, its outside text cleaned the same way
// (shownEntries), in columns (tx show).
func WriteHistory(w io.Writer, es []store.Entry, lang string, loc *time.Location) error {
	l, now := langOf(lang), time.Now()
	rows := make([][5]string, 0, len(es))
	var wide [4]int
	for _, en := range shownEntries(es) {
		h := historyOf(l, en, now, loc)
		what := h.kind
		if h.verdict != "" {
			what += " · " + h.verdict
		}
		r := [5]string{en.At.In(loc).Format("02/01 15:04:05"), what, h.status, h.outcome, h.note}
		for i := range wide {
			wide[i] = max(wide[i], lipgloss.Width(r[i]))
		}
		rows = append(rows, r)
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, cell := range r[:4] {
			if wide[i] > 0 {
				b.WriteString(cell + strings.Repeat(" ", wide[i]-lipgloss.Width(cell)) + "  ")
			}
		}
		b.WriteString(r[4])
		if _, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " ")); err != nil {
			return err
		}
	}
	return nil
}

// HistoryNote is entry e's facts in words in the language lang names, with
// times in loc, cleaned as the screens clean them; an entry written before
// the journal kept facts gives its English note (tx show --json).
func HistoryNote(e store.Entry, lang string, loc *time.Location) string {
	return historyNote(langOf(lang), shownEntries([]store.Entry{e})[0], time.Now(), loc)
}
