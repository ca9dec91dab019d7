package ui

import "github.com/charmbracelet/bubbles/key"

// keyMap holds every binding of the console. Bindings that make no sense in
// a state are disabled (key.Binding.SetEnabled), so they neither match nor
// show in help.
type keyMap struct {
	Quit key.Binding
	// Open cycles through this counter's open charges and back to the
	// form; it is enabled when there is another one to go to.
	Open key.Binding

	// Lookup opens the support lookup from the counter screens.
	Lookup key.Binding
	// Lock signs the operator out, back to the sign-in; enabled when the
	// shop has operators.
	Lock key.Binding

	// Form.
	Next, Prev, Enter key.Binding
	// The question about a matching open charge: Enter opens it (a burst
	// of Enters cannot create a second charge), c creates another.
	SameOpen, SameCreate, SameBack key.Binding

	// Creating. Resend is enabled while the charge waits for the engine's
	// next attempt with no call of ours in flight.
	StopWaiting, Resend key.Binding

	// Charge.
	Copy, Refresh, New, Full, Simulate, Help key.Binding

	// Result.
	NextCharge, Recreate key.Binding

	// Close opens the day's close from the counter screens. On it, Seal
	// closes the day (enabled once a preview with nothing unchecked is
	// shown), CloseRetry prepares it again, CloseBack leaves.
	Close, Seal, CloseRetry, CloseBack key.Binding
}

// newKeyMap returns the bindings with their help in language l; simulate
// is enabled only in the sandbox.
func newKeyMap(l lang, sandbox bool) keyMap {
	b := func(keys []string, helpKey string, desc msgKey) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(helpKey, l.s(desc)))
	}
	k := keyMap{
		Quit:        b([]string{"ctrl+c"}, "ctrl+c", kHelpQuit),
		Open:        b([]string{"ctrl+o"}, "ctrl+o", kHelpOpen),
		Lookup:      b([]string{"ctrl+f", "f2"}, "ctrl+f", kHelpLookup),
		Lock:        b([]string{"ctrl+l"}, "ctrl+l", kHelpLock),
		Next:        b([]string{"tab", "down"}, "tab/↓", kHelpNext),
		Prev:        b([]string{"shift+tab", "up"}, "shift+tab/↑", kHelpPrev),
		Enter:       b([]string{"enter"}, "enter", kHelpEnter),
		SameOpen:    b([]string{"enter"}, "enter", kHelpSameOpen),
		SameCreate:  b([]string{"c"}, "c", kHelpSameCreate),
		SameBack:    b([]string{"esc"}, "esc", kHelpSameBack),
		StopWaiting: b([]string{"esc"}, "esc", kHelpEsc),
		Resend:      b([]string{"r"}, "r", kHelpResend),
		Copy:        b([]string{"c"}, "c", kHelpCopy),
		Refresh:     b([]string{"r"}, "r", kHelpRefresh),
		New:         b([]string{"n"}, "n", kHelpNew),
		Full:        b([]string{"f"}, "f", kHelpFull),
		Simulate:    b([]string{"p"}, "p", kHelpSimulate),
		Help:        b([]string{"?"}, "?", kHelpHelp),
		NextCharge:  b([]string{"enter"}, "enter", kHelpNew),
		Recreate:    b([]string{"r"}, "r", kHelpRecreate),
		Close:       b([]string{"ctrl+t", "f3"}, "ctrl+t", kHelpClose),
		Seal:        b([]string{"s"}, "s", kHelpSeal),
		CloseRetry:  b([]string{"r"}, "r", kHelpCloseRetry),
		CloseBack:   b([]string{"esc"}, "esc", kHelpCloseBack),
	}
	k.Simulate.SetEnabled(sandbox)
	k.Open.SetEnabled(false)
	k.Resend.SetEnabled(false)
	k.Seal.SetEnabled(false)
	k.Lock.SetEnabled(false)
	return k
}
