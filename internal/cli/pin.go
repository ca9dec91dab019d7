package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
)

// readPIN reads a new PIN: on a terminal, without echo, typed twice; from
// anything else (a script, a test), the first line of standard input.
func readPIN(sys system, prompt string) (string, error) {
	in := sys.stdin
	if in == nil {
		in = os.Stdin
	}
	if f, ok := in.(*os.File); ok && term.IsTerminal(f.Fd()) {
		fmt.Fprint(sys.stderr, prompt)
		a, err := term.ReadPassword(f.Fd())
		fmt.Fprintln(sys.stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(sys.stderr, "again: ")
		b, err := term.ReadPassword(f.Fd())
		fmt.Fprintln(sys.stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two PINs differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", errors.New("no PIN on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
