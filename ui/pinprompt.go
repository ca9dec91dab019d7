package ui

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/pixdesk/pixdesk/store"
)

// pinPrompt asks for an operator's name and PIN: who is at the counter
// (the sign-in the console locks back to), or a supervisor approving a
// cashier's refund at the same keyboard. The PIN is never echoed; the
// store holds the terminal back after wrong ones (store.PINBackoff) and
// the prompt says how long.
type pinPrompt struct {
	env     *env
	title   msgKey
	purpose string
	keys    pinKeys
	name    textinput.Model
	pin     textinput.Model
	onPIN   bool
	// seq names the check in flight (0: none); a newer prompt's answer
	// is not this one's.
	seq      int
	checking bool
	note     string
	bad      bool
}

// pinKeys are the prompt's keys.
type pinKeys struct{ Next, Enter, Cancel key.Binding }

func newPINPrompt(e *env, title msgKey, purpose, name string) *pinPrompt {
	p := &pinPrompt{env: e, title: title, purpose: purpose}
	l := e.lang
	p.keys = pinKeys{
		Next:   key.NewBinding(key.WithKeys("tab", "shift+tab", "up", "down"), key.WithHelp("tab", l.s(kHelpPINNext))),
		Enter:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", l.s(kHelpPINEnter))),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", l.s(kHelpPINCancel))),
	}
	p.name = newInput(e.styles)
	p.name.CharLimit = store.MaxOperatorName
	p.name.Placeholder = l.s(kPINNamePlace)
	p.name.SetValue(name)
	p.pin = newInput(e.styles)
	p.pin.CharLimit = store.MaxPIN
	p.pin.EchoMode = textinput.EchoPassword
	p.pin.EchoCharacter = '•'
	p.focus(name != "")
	return p
}

// focus puts the cursor on the PIN (or on the name).
func (p *pinPrompt) focus(onPIN bool) {
	p.onPIN = onPIN
	if onPIN {
		p.name.Blur()
		p.pin.Focus()
	} else {
		p.pin.Blur()
		p.name.Focus()
	}
}

// key handles a key; cancelled reports esc (the caller decides what that
// means: the sign-in only clears).
func (p *pinPrompt) key(msg tea.KeyMsg) (cmd tea.Cmd, cancelled bool) {
	if p.checking {
		return nil, false
	}
	switch {
	case key.Matches(msg, p.keys.Cancel):
		p.pin.SetValue("")
		p.note, p.bad = "", false
		return nil, true
	case key.Matches(msg, p.keys.Next):
		p.focus(!p.onPIN)
		return nil, false
	case key.Matches(msg, p.keys.Enter):
		if !p.onPIN {
			p.focus(true)
			return nil, false
		}
		return p.submit(), false
	}
	if p.onPIN {
		p.pin, cmd = p.pin.Update(typed(msg))
	} else {
		p.name, cmd = p.name.Update(typed(msg))
	}
	return cmd, false
}

// submit sends the name and PIN to be checked; the PIN field is emptied
// at once.
func (p *pinPrompt) submit() tea.Cmd {
	e := p.env
	name, pin := strings.TrimSpace(p.name.Value()), p.pin.Value()
	if name == "" {
		p.focus(false)
		return nil
	}
	if e.cfg.Authority == nil {
		return nil
	}
	p.pin.SetValue("")
	e.pinSeq++
	p.seq, p.checking, p.note = e.pinSeq, true, e.lang.s(kPINChecking)
	p.bad = false
	return checkPIN(e.ctx, e.cfg.Authority, e.actor(), p.seq, name, pin, p.purpose)
}

// answered takes a check's answer: the operator when the PIN was right,
// nil (with the prompt saying why) otherwise. ok is false when the answer
// is not this prompt's.
func (p *pinPrompt) answered(msg pinCheckedMsg) (op *store.Operator, ok bool) {
	if msg.seq != p.seq || !p.checking {
		return nil, false
	}
	p.checking, p.seq = false, 0
	e := p.env
	var held *store.PINWaitError
	switch {
	case errors.Is(msg.err, store.ErrBadPIN):
		p.note, p.bad = e.lang.s(kPINWrong), true
		if errors.As(msg.err, &held) {
			p.note += " " + e.lang.s(kPINWait, held.Seconds())
		}
		p.focus(true)
		return nil, true
	case errors.As(msg.err, &held):
		p.note, p.bad = e.lang.s(kPINWait, held.Seconds()), true
		p.focus(true)
		return nil, true
	case msg.err != nil:
		p.note, p.bad = e.lang.s(kPINFailed, errText(msg.err)), true
		return nil, true
	}
	p.note, p.bad = "", false
	return msg.op, true
}

// refuse says op's PIN was right but op may not do this.
func (p *pinPrompt) refuse(s string) {
	p.note, p.bad = s, true
	p.name.SetValue("")
	p.focus(false)
}

func (p *pinPrompt) view(width int) string {
	st, l := p.env.styles, p.env.lang
	label := func(k msgKey, on bool) string {
		s := fmt.Sprintf("%-10s", l.s(k))
		if on {
			return st.LabelFocus.Render(s)
		}
		return st.Label.Render(s)
	}
	lines := []string{
		st.Title.Render(truncate(l.s(p.title), width)), "",
		label(kPINName, !p.onPIN) + " " + p.name.View(),
		label(kPINLabel, p.onPIN) + " " + p.pin.View(),
		"",
	}
	if p.note != "" {
		s := st.Muted
		if p.bad {
			s = st.Error
		}
		lines = append(lines, s.Render(truncate(p.note, width)))
	}
	return strings.Join(lines, "\n")
}

// ShortHelp implements help.KeyMap.
func (p *pinPrompt) ShortHelp() []key.Binding {
	return []key.Binding{p.keys.Enter, p.keys.Next, p.keys.Cancel}
}

// FullHelp implements help.KeyMap.
func (p *pinPrompt) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }
