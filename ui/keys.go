package ui

import "github.com/charmbracelet/bubbles/key"

// keyMap holds every binding of the console. Bindings that make no sense in
// a state are disabled (key.Binding.SetEnabled), so they neither match nor
// show in help.
type keyMap struct {
	Quit key.Binding
	Open key.Binding // open a charge created in the background

	// Lookup opens the support lookup from the counter screens.
	Lookup key.Binding

	// Form.
	Next, Prev, Enter key.Binding

	// Creating. Resend is enabled while the charge waits for the engine's
	// next attempt with no call of ours in flight.
	StopWaiting, Resend key.Binding

	// Charge.
	Copy, Refresh, New, Full, Simulate, Help key.Binding

	// Result.
	NextCharge, Recreate key.Binding
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
		Next:        b([]string{"tab", "down"}, "tab/↓", kHelpNext),
		Prev:        b([]string{"shift+tab", "up"}, "shift+tab/↑", kHelpPrev),
		Enter:       b([]string{"enter"}, "enter", kHelpEnter),
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
	}
	k.Simulate.SetEnabled(sandbox)
	k.Open.SetEnabled(false)
	k.Resend.SetEnabled(false)
	return k
}
