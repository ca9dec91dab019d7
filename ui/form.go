package ui

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/pixdesk/pixdesk/psp"
	"github.com/pixdesk/pixdesk/store"
	"github.com/pixdesk/pixdesk/store/engine"
)

// field is one input of the new-charge form, in tab order.
type field int

const (
	fAmount field = iota
	fName
	fDocument
	fReference
	fExpiry
	fieldCount
)

// Limits of the form's fields; the name, document and reference follow the
// engine's rules (engine.CheckName and the others).
const (
	// minExpiry: the cashier gives the minutes; only a script leaves
	// ConnectPSP's default (0).
	minExpiry = 1
	maxExpiry = engine.MaxExpiryMinutes
	// maxAmountDigits is as many digits as psp.MaxAmount has.
	maxAmountDigits = 12
)

// formScreen is the new-charge form. The amount is typed as on a card
// machine: digits shift in from the right.
type formScreen struct {
	env           *env
	width, height int

	focus  field
	digits string // the amount's digits, no leading zeros
	inputs [fieldCount]textinput.Model
	errs   [fieldCount]string

	hint      string // transient, beside hintField
	hintField field
	hintSeq   int

	notice    string // a form-level sentence: a refusal, a background create
	noticeBad bool

	sub submission // the submit in progress, if any (form_submit.go)
}

var _ screen = (*formScreen)(nil)

func newForm(e *env) *formScreen {
	f := &formScreen{env: e}
	for i := range f.inputs {
		f.inputs[i] = newInput(e.styles)
	}
	f.inputs[fName].Placeholder = e.lang.s(kPlaceName)
	f.inputs[fDocument].Placeholder = e.lang.s(kPlaceDocument)
	f.inputs[fReference].Placeholder = e.lang.s(kPlaceReference)
	f.inputs[fExpiry].CharLimit = 4
	f.reset()
	return f
}

// reset empties the form for the next charge.
func (f *formScreen) reset() {
	f.digits = ""
	for i := range f.inputs {
		f.inputs[i].SetValue("")
	}
	f.inputs[fExpiry].SetValue(strconv.Itoa(f.env.cfg.DefaultExpiry))
	f.errs = [fieldCount]string{}
	f.hint, f.notice, f.noticeBad = "", "", false
	f.unlock()
	f.setFocus(fAmount)
}

// fill puts a charge's values back into the form (redo after expiry). The
// order reference is left empty: ConnectPSP wants a new one per charge.
func (f *formScreen) fill(c *store.Charge) {
	f.reset()
	if c.Amount > 0 {
		f.digits = strconv.FormatInt(int64(c.Amount), 10)
	}
	f.inputs[fName].SetValue(c.Payer.Name)
	f.inputs[fDocument].SetValue(psp.FormatDocument(c.Payer.Document))
	if c.ExpiresInMinutes > 0 {
		f.inputs[fExpiry].SetValue(strconv.Itoa(c.ExpiresInMinutes))
	}
	f.setFocus(fAmount)
}

// pristine reports whether nothing was typed since the last reset.
func (f *formScreen) pristine() bool {
	return f.digits == "" && f.inputs[fName].Value() == "" && f.inputs[fDocument].Value() == "" &&
		f.inputs[fReference].Value() == "" && f.inputs[fExpiry].Value() == strconv.Itoa(f.env.cfg.DefaultExpiry)
}

// setNotice shows a form-level sentence above the help line.
func (f *formScreen) setNotice(s string, bad bool) { f.notice, f.noticeBad = s, bad }

func (f *formScreen) setFocus(to field) tea.Cmd {
	if to != f.focus {
		f.hint = "" // it was about the field left
	}
	f.focus = to
	var cmd tea.Cmd
	for i := range f.inputs {
		if field(i) == to && to != fAmount {
			cmd = f.inputs[i].Focus()
			f.inputs[i].CursorEnd()
		} else {
			f.inputs[i].Blur()
		}
	}
	return cmd
}

func (f *formScreen) setSize(w, h int) {
	f.width, f.height = w, h
	iw := f.inputWidth()
	for i := range f.inputs {
		f.inputs[i].Width = iw - 1
	}
	f.inputs[fExpiry].Width = 5
}

// labelWidth is the widest label plus the focus marker and a gap.
func (f *formScreen) labelWidth() int {
	w := 0
	for _, k := range []msgKey{kFieldAmount, kFieldName, kFieldDocument, kFieldReference, kFieldExpiry} {
		w = max(w, lipgloss.Width(f.env.lang.s(k)))
	}
	return w + 4
}

func (f *formScreen) inputWidth() int {
	return min(max(f.width-f.labelWidth()-2-30, 16), 42)
}

func (f *formScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case hintExpiredMsg:
		if msg.seq == f.hintSeq {
			f.hint = ""
		}
		return nil
	case sameMsg:
		return f.checked(msg)
	case tea.KeyMsg:
		if f.sub.phase != phaseEditing {
			return f.lockedKey(msg)
		}
		return f.key(msg)
	}
	if f.focus == fAmount {
		return nil
	}
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	return cmd
}

func (f *formScreen) key(msg tea.KeyMsg) tea.Cmd {
	k := f.env.keys
	switch {
	case key.Matches(msg, k.Next):
		f.check(f.focus, false)
		return f.setFocus((f.focus + 1) % fieldCount)
	case key.Matches(msg, k.Prev):
		f.check(f.focus, false)
		return f.setFocus((f.focus + fieldCount - 1) % fieldCount)
	case key.Matches(msg, k.Enter):
		if f.focus == fieldCount-1 {
			return f.submit()
		}
		f.check(f.focus, false)
		return f.setFocus(f.focus + 1)
	}
	f.hint = ""
	switch f.focus {
	case fAmount:
		return f.amountKey(msg)
	case fExpiry:
		runes, dropped := keepRunes(msg.Runes, isDigit)
		if msg.Type == tea.KeyRunes {
			if len(runes) == 0 {
				return f.showHint()
			}
			msg.Runes = runes
		}
		cmd := f.edit(msg)
		if dropped {
			return tea.Batch(cmd, f.showHint())
		}
		return cmd
	case fName, fReference:
		if f.refusesKey(msg) {
			return nil
		}
	case fDocument:
		cmd := f.edit(msg)
		in := &f.inputs[fDocument]
		// A pasted "１２３.４５６.７８９–０９" reads as 123.456.789-09.
		if v := psp.FormatDocument(engine.FoldDocument(in.Value())); v != in.Value() {
			at := in.Position() == utf8.RuneCountInString(in.Value())
			in.SetValue(v)
			if at {
				in.CursorEnd()
			}
		}
		return cmd
	}
	return f.edit(msg)
}

// refusesKey reports whether the runes of a key (typed or pasted) would
// bring a character that can never be part of the focused name or
// reference — a control, bidi or invisible character, by the engine's rule —
// and if so says why beside the field. Such a key changes nothing, so the
// field never holds what `tx create` and the engine refuse.
func (f *formScreen) refusesKey(msg tea.KeyMsg) bool {
	if msg.Type != tea.KeyRunes {
		return false
	}
	var err error
	switch text := f.inputs[f.focus].Value() + string(msg.Runes); f.focus {
	case fName:
		_, err = engine.CheckName(text)
	case fReference:
		_, err = engine.CheckReference(text)
	}
	if !errors.Is(err, engine.ErrInvisible) {
		return false
	}
	f.errs[f.focus] = f.env.lang.inputSentence(err)
	return true
}

// edit passes a key to the focused text input and clears its error.
func (f *formScreen) edit(msg tea.KeyMsg) tea.Cmd {
	before := f.inputs[f.focus].Value()
	var cmd tea.Cmd
	f.inputs[f.focus], cmd = f.inputs[f.focus].Update(msg)
	if f.inputs[f.focus].Value() != before {
		f.errs[f.focus] = ""
	}
	return cmd
}

// amountKey handles the amount: digits shift in from the right, backspace
// drops the last one, anything else is ignored with a hint. A pasted amount
// ("12,50") is read as written.
func (f *formScreen) amountKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyBackspace:
		if f.digits != "" {
			f.digits = f.digits[:len(f.digits)-1]
		}
	case tea.KeyCtrlU, tea.KeyDelete:
		f.digits = ""
	case tea.KeyRunes, tea.KeySpace:
		if msg.Paste {
			if a, err := psp.ParseAmount(string(msg.Runes)); err == nil {
				f.digits = strings.TrimLeft(strconv.FormatInt(int64(a), 10), "0")
				f.errs[fAmount] = f.amountError(false)
				return nil
			}
		}
		digits, dropped := keepRunes(msg.Runes, isDigit)
		for _, r := range digits {
			if len(f.digits) < maxAmountDigits && !(f.digits == "" && r == '0') {
				f.digits += string(r)
			}
		}
		if dropped || msg.Type == tea.KeySpace {
			f.errs[fAmount] = f.amountError(false)
			return f.showHint()
		}
	default:
		return nil
	}
	f.errs[fAmount] = f.amountError(false)
	return nil
}

func (f *formScreen) showHint() tea.Cmd {
	f.hint, f.hintField = f.env.lang.s(kHintDigits), f.focus
	f.hintSeq++
	return expireHint(f.hintSeq)
}

// amount returns the typed amount.
func (f *formScreen) amount() psp.Amount {
	n, _ := strconv.ParseInt(f.digits, 10, 64)
	return psp.Amount(n)
}

// amountError words what is wrong with the amount; zero is an error only
// on submit.
func (f *formScreen) amountError(submit bool) string {
	a := f.amount()
	switch {
	case a == 0 && submit:
		return f.env.lang.s(kErrAmountZero)
	case a > f.env.cfg.MaxAmount:
		return f.env.lang.s(kErrAmountMax, f.env.cfg.MaxAmount)
	}
	return ""
}

// check validates one field and records its error. Leaving an empty field
// is not an error yet; submitting is.
func (f *formScreen) check(fl field, submit bool) bool {
	l := f.env.lang
	raw := f.inputs[fl].Value()
	v := strings.TrimSpace(raw)
	var e string
	switch fl {
	case fAmount:
		e = f.amountError(submit)
	case fName:
		if v == "" && f.errs[fName] != "" {
			// A refused paste (refusesKey) left the field as it was: its
			// sentence says more than "enter the name" would.
			return false
		}
		if v != "" || submit {
			_, err := engine.CheckName(raw)
			e = l.inputSentence(err)
		}
	case fDocument:
		if v != "" || submit {
			_, _, err := engine.CheckDocument(raw)
			e = l.inputSentence(err)
		}
	case fReference:
		_, err := engine.CheckReference(raw)
		e = l.inputSentence(err)
	case fExpiry:
		if n, err := strconv.Atoi(v); (v != "" || submit) && (err != nil || n < minExpiry || n > maxExpiry) {
			e = l.s(kErrExpiry, minExpiry, maxExpiry)
		}
	}
	f.errs[fl] = e
	return e == ""
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// keepRunes returns the runes that pass keep, and whether any did not.
func keepRunes(rs []rune, keep func(rune) bool) ([]rune, bool) {
	out := rs[:0:0]
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out, len(out) != len(rs)
}

func (f *formScreen) view() string {
	st, l := f.env.styles, f.env.lang
	lw, iw := f.labelWidth(), f.inputWidth()
	var b strings.Builder
	b.WriteString(st.Title.Render(l.s(kTitleNew)))
	b.WriteString("\n\n")
	labels := [fieldCount]msgKey{kFieldAmount, kFieldName, kFieldDocument, kFieldReference, kFieldExpiry}
	for fl := fAmount; fl < fieldCount; fl++ {
		marker, ls := "  ", st.Label
		if fl == f.focus {
			marker, ls = "▸ ", st.LabelFocus
		}
		label := marker + ls.Render(l.s(labels[fl]))
		label += strings.Repeat(" ", max(0, lw-lipgloss.Width(label)))
		var input string
		switch fl {
		case fAmount:
			input = st.Amount.Render(f.amount().String())
		case fExpiry:
			input = f.inputs[fl].View() + " " + st.Muted.Render(l.s(kMinutes))
		default:
			input = f.inputs[fl].View()
		}
		input += strings.Repeat(" ", max(0, iw-lipgloss.Width(input)))
		line := label + input
		if side := f.side(fl); side != "" {
			if lipgloss.Width(line)+2+lipgloss.Width(side) <= f.width {
				line += "  " + side
			} else {
				line += "\n" + strings.Repeat(" ", lw) + side
			}
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	if f.notice != "" {
		s := st.Flash
		if f.noticeBad {
			s = st.FlashError
		}
		b.WriteByte('\n')
		b.WriteString(s.Width(max(10, f.width-2)).Render(f.notice))
	}
	if q := f.submitView(); q != "" {
		b.WriteString("\n\n" + q)
	}
	return b.String()
}

// side is what shows beside a field: its error, else a hint.
func (f *formScreen) side(fl field) string {
	st, l := f.env.styles, f.env.lang
	switch {
	case f.errs[fl] != "":
		return st.Error.Render("✗ " + f.errs[fl])
	case f.hint != "" && fl == f.hintField && fl == f.focus:
		return st.Hint.Render(f.hint)
	case fl == fAmount && f.focus == fAmount:
		return st.Muted.Render(l.s(kMaxPerCharge, f.env.cfg.MaxAmount))
	case fl == fDocument:
		if kind, _, err := engine.CheckDocument(f.inputs[fl].Value()); err == nil {
			return st.OK.Render("✓ " + l.s(kDocOK, kind))
		}
	}
	return ""
}

func (f *formScreen) ShortHelp() []key.Binding {
	k := f.env.keys
	switch f.sub.phase {
	case phaseChecking:
		return []key.Binding{k.SameBack, k.Quit}
	case phaseAsking:
		return []key.Binding{k.SameOpen, k.SameCreate, k.SameBack, k.Quit}
	}
	return []key.Binding{k.Enter, k.Next, k.Prev, k.Open, k.Lookup, k.Close, k.Lock, k.Quit}
}

func (f *formScreen) FullHelp() [][]key.Binding {
	k := f.env.keys
	if f.sub.phase != phaseEditing {
		return [][]key.Binding{f.ShortHelp()}
	}
	return [][]key.Binding{{k.Next, k.Prev}, {k.Enter, k.Open}, {k.Lookup, k.Close}, {k.Lock, k.Quit}}
}

// shows: the form shows no charge.
func (f *formScreen) shows() int64 { return 0 }

// captures: while a submit is checked or asks, the form takes every key.
func (f *formScreen) captures() bool { return f.sub.phase != phaseEditing }

// typing: the name and reference take letters; while a submit is in
// progress letters are the question's keys.
func (f *formScreen) typing() bool { return f.sub.phase == phaseEditing }
