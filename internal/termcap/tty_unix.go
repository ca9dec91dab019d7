//go:build unix

package termcap

import (
	"errors"
	"os"
	"time"

	"github.com/charmbracelet/x/term"
	"golang.org/x/sys/unix"
)

// TTY is the controlling terminal in raw mode for the probe. Close restores
// its mode.
type TTY struct {
	in, out *os.File
	state   *term.State
}

var _ Conn = (*TTY)(nil)

// ErrNotTerminal is returned by OpenTTY when in or out is not a terminal.
var ErrNotTerminal = errors.New("not a terminal")

// OpenTTY puts in (the terminal the program reads, os.Stdin) in raw mode so
// that the answers arrive unechoed and unbuffered, and writes to out
// (os.Stdout).
func OpenTTY(in, out *os.File) (*TTY, error) {
	if !term.IsTerminal(in.Fd()) || !term.IsTerminal(out.Fd()) {
		return nil, ErrNotTerminal
	}
	st, err := term.MakeRaw(in.Fd())
	if err != nil {
		return nil, err
	}
	return &TTY{in: in, out: out, state: st}, nil
}

// Write implements Conn.
func (t *TTY) Write(p []byte) (int, error) { return t.out.Write(p) }

// ReadWithin implements Conn with poll(2), so that no goroutine is left
// blocked in a read that would take the program's first key.
func (t *TTY) ReadWithin(p []byte, d time.Duration) (int, error) {
	fds := []unix.PollFd{{Fd: int32(t.in.Fd()), Events: unix.POLLIN}}
	for {
		ms := int(d.Milliseconds())
		if ms < 1 {
			ms = 1
		}
		n, err := unix.Poll(fds, ms)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return 0, err
		}
		if n == 0 {
			return 0, ErrTimeout
		}
		return unix.Read(int(t.in.Fd()), p)
	}
}

// Size implements Conn with TIOCGWINSZ.
func (t *TTY) Size() (cols, rows, xpix, ypix int) {
	return WindowSize(t.out)
}

// Close restores the terminal's mode.
func (t *TTY) Close() error { return term.Restore(t.in.Fd(), t.state) }

// WindowSize returns f's window in cells and pixels (zeros where unknown).
func WindowSize(f *os.File) (cols, rows, xpix, ypix int) {
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0, 0, 0, 0
	}
	return int(ws.Col), int(ws.Row), int(ws.Xpixel), int(ws.Ypixel)
}

// CellSize measures f's cell from the window size alone, with no query
// (the program owns the terminal by then): after a resize or a font change.
// It returns zeros when the terminal does not fill in pixels.
func CellSize(f *os.File) (w, h int) {
	w, h, _ = cellFromPixels(WindowSize(f))
	return w, h
}

// Detect probes the terminal on stdin/stdout with DefaultTimeout. Where
// they are not a terminal it returns empty Caps (text only, nothing known),
// and so it does for TERM=dumb and the Linux console, which draw neither
// images nor colours worth asking about and would print the string
// queries they do not know.
func Detect(getenv Env) Caps {
	if getenv != nil && (getenv("TERM") == "dumb" || getenv("TERM") == "linux") {
		return Caps{}
	}
	t, err := OpenTTY(os.Stdin, os.Stdout)
	if err != nil {
		return Caps{}
	}
	defer t.Close()
	c, err := Probe(t, DefaultTimeout, time.Now, getenv)
	if err != nil {
		return Caps{}
	}
	return c
}
