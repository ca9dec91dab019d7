package ui

import (
	"errors"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// A form submits once. The Enter that submits locks the form in Update, at
// once: the keys that follow it in the same read (a double press, a
// bouncing key) find a locked form and are dropped, and so is every key
// until the next screen takes over. Before the create is sent the store is
// asked whether the same amount and document are already awaiting
// payment; if so the form asks, and Enter there opens the charge that
// exists — a burst of Enters can at worst show the customer's QR again,
// never make a second one.

// phase is where a submit stands.
type phase int

const (
	phaseEditing  phase = iota
	phaseChecking       // submitted: the store is asked for a matching open charge
	phaseAsking         // one matched: the cashier chooses to open it or create another
	phaseSent           // handed to the root; the form waits for the create's answer
)

// submission is the form's submit in progress.
type submission struct {
	phase phase
	seq   int // of the latest submit; a stale answer is dropped
	in    engine.Input
	same  *store.Charge // the matching open charge, while asking
}

// submit validates every field; with an error it focuses the first invalid
// field, otherwise it locks the form and asks the store for a matching open
// charge. The values stay in the form until the charge exists.
func (f *formScreen) submit() tea.Cmd {
	first := fieldCount
	for fl := fAmount; fl < fieldCount; fl++ {
		if !f.check(fl, true) && first == fieldCount {
			first = fl
		}
	}
	if first != fieldCount {
		return f.setFocus(first)
	}
	exp, _ := strconv.Atoi(strings.TrimSpace(f.inputs[fExpiry].Value()))
	in, err := engine.CheckInput(engine.Input{
		Amount:           f.amount(),
		Payer:            psp.Payer{Name: f.inputs[fName].Value(), Document: f.inputs[fDocument].Value()},
		Reference:        f.inputs[fReference].Value(),
		ExpiresInMinutes: exp,
	})
	if cmd, refused := f.refused(err); refused { // the fields passed these rules: not expected
		return cmd
	}
	f.notice = ""
	f.sub = submission{phase: phaseChecking, seq: f.sub.seq + 1, in: in}
	return findSame(f.env.ctx, f.env.backend, f.sub.seq, in, f.env.now)
}

// checked takes the store's answer: a matching charge is asked about;
// none (or a store that cannot say) sends the create.
func (f *formScreen) checked(msg sameMsg) tea.Cmd {
	if msg.seq != f.sub.seq || f.sub.phase != phaseChecking {
		return nil // the cashier went back to the form meanwhile
	}
	if msg.c != nil {
		f.sub.phase, f.sub.same = phaseAsking, msg.c
		return nil
	}
	return f.send()
}

// send hands the create to the root; the form stays locked.
func (f *formScreen) send() tea.Cmd {
	f.sub.phase, f.sub.same = phaseSent, nil
	f.env.tell(submitMsg{f.sub.in})
	return nil
}

// lockedKey handles a key while a submit is in progress. Only the
// question's keys act; every other key was aimed at a form that has been
// submitted, and is dropped.
func (f *formScreen) lockedKey(msg tea.KeyMsg) tea.Cmd {
	k := f.env.keys
	switch f.sub.phase {
	case phaseChecking:
		if key.Matches(msg, k.SameBack) {
			f.unlock()
		}
	case phaseAsking:
		switch {
		case key.Matches(msg, k.SameOpen):
			c := f.sub.same
			f.sub.phase, f.sub.same = phaseSent, nil
			f.env.tell(openSameMsg{c})
			return nil
		case key.Matches(msg, k.SameCreate):
			return f.send()
		case key.Matches(msg, k.SameBack):
			f.unlock()
		}
	}
	return nil
}

// unlock makes the form editable again, its values kept (a refusal to
// correct, the cashier going back from the question).
func (f *formScreen) unlock() { f.sub.phase, f.sub.same = phaseEditing, nil }

// released: the cashier stopped waiting for the create the form sent,
// which goes on in the background; the form empties for the next charge.
// A form that sent nothing keeps what is typed in it.
func (f *formScreen) released() {
	if f.sub.phase == phaseSent {
		f.reset()
	}
}

// submitView is what the form shows of a submit in progress: that it is
// being checked, or the question.
func (f *formScreen) submitView() string {
	st, l, e := f.env.styles, f.env.lang, f.env
	switch f.sub.phase {
	case phaseChecking:
		return st.Muted.Render(l.s(kSameChecking))
	case phaseAsking:
	default:
		return ""
	}
	c := f.sub.same
	when := l.s(kSameLeft, mmss(c.ExpiresAt.Sub(e.now)))
	if c.Stage == store.StagePending {
		when = l.s(kSameCreating)
	}
	box := st.Question.Width(max(20, min(f.width-2-st.Question.GetHorizontalBorderSize(), 74)))
	text := st.Warn.Render(l.s(kSameTitle)) + "\n" +
		l.s(kSameWhat, c.Amount, c.Payer.Name, psp.MaskDocument(c.Payer.Document), c.ExternalReference,
			clock(c.CreatedAt, e.now, e.cfg.Location), when) + "\n\n" +
		f.env.help.ShortHelpView([]key.Binding{e.keys.SameOpen, e.keys.SameCreate, e.keys.SameBack})
	return box.Render(wrap(text, box.GetWidth()-box.GetHorizontalPadding()))
}

// formFields maps the engine's fields to the form's.
var formFields = map[engine.Field]field{
	engine.FieldAmount: fAmount, engine.FieldName: fName, engine.FieldDocument: fDocument,
	engine.FieldReference: fReference, engine.FieldExpiry: fExpiry,
}

// refused shows an *engine.InputError from Create where the form shows its
// own: beside its field, which takes the focus, and in the notice. ok is
// false for any other error.
func (f *formScreen) refused(err error) (cmd tea.Cmd, ok bool) {
	var ie *engine.InputError
	if !errors.As(err, &ie) {
		return nil, false
	}
	l := f.env.lang
	fl := formFields[ie.Field]
	f.errs[fl] = l.inputError(ie)
	f.setNotice(l.s(kFormFailed, f.errs[fl]), true)
	return f.setFocus(fl), true
}
