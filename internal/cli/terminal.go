package cli

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strings"
)

// A counter's id prefixes its order references (C01-000123 is counter
// C01's 123rd), and ConnectPSP refuses a reference it has seen, so two
// counters — or one counter reinstalled with a fresh journal — must not
// share an id. The bare host name was the default and collided (every
// virtual machine called "vm", every image's "localhost"); now the first
// run without --terminal or PIXDESK_TERMINAL makes one up, readable and
// random, and keeps it in the settings file beside qr-style, so every
// later run, the console's, serve's or display's, is the same counter.

// terminalSuffixLen is how many random base32 characters follow the host
// part: 32⁶ ≈ 10⁹ ids, so a shop's counters do not meet by chance.
const terminalSuffixLen = 6

// terminalHostLen caps the host part, leaving room for the dash and the
// suffix within the 16 characters config.check allows.
const terminalHostLen = 8

// newTerminalID makes up a counter id: the host name's first label in
// lower-case letters and digits (at most terminalHostLen of them; "cx"
// when nothing is left) and a dash before terminalSuffixLen random
// characters, e.g. "caixa3-k7pq2m".
func newTerminalID(host string) string {
	if i := strings.IndexByte(host, '.'); i >= 0 {
		host = host[:i]
	}
	var b strings.Builder
	for _, r := range strings.ToLower(host) {
		if b.Len() < terminalHostLen && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	prefix := b.String()
	if prefix == "" {
		prefix = "cx"
	}
	return prefix + "-" + strings.ToLower(rand.Text()[:terminalSuffixLen])
}

// keptTerminal returns the counter id the settings file at path holds,
// making one up and saving it there on the first run. Two first runs at
// once may each save their own; reading the file back after saving makes
// the later save the id of both. Where the file cannot be written (no
// HOME, a read-only directory) the new id serves this run only, and
// stderr says so, since references will then change prefix next run.
func keptTerminal(path string, stderr io.Writer) (string, error) {
	settings, err := readSettings(path)
	if err != nil {
		return "", err
	}
	if id := settings["terminal"]; id != "" {
		return id, nil
	}
	host, _ := os.Hostname()
	id := newTerminalID(host)
	if path == "" {
		fmt.Fprintf(stderr, "pixdesk: neither XDG_CONFIG_HOME nor HOME is set: terminal id %s is for this run only; set --terminal or PIXDESK_TERMINAL to keep one\n", id)
		return id, nil
	}
	if err := saveSetting(path, "terminal", id); err != nil {
		fmt.Fprintf(stderr, "pixdesk: %v: terminal id %s is for this run only; set --terminal or PIXDESK_TERMINAL to keep one\n", err, id)
		return id, nil
	}
	if settings, err := readSettings(path); err == nil && settings["terminal"] != "" {
		id = settings["terminal"]
	}
	return id, nil
}
