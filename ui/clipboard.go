package ui

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Copying the copy-and-paste code, and the console's other writes to the
// terminal. The system clipboard comes first: the terminal's OSC 52 is
// ignored by many terminals (stock xterm among them), so a copy sent that
// way is reported as sent, not as copied.

// clipboardTimeout bounds a clipboard tool: one that hangs (no display
// after all, a compositor that waits) leaves the copy to OSC 52.
const clipboardTimeout = 2 * time.Second

// Terminal is the terminal the program draws on, shared by Bubble Tea's
// renderer and the console's own writes (the bell, OSC 52): every Write
// is whole and one at a time, so neither lands inside the other. Bubble
// Tea v1 writes each frame with one Write; it has no way of its own to
// send bytes while the alternate screen is on (Println is dropped there),
// so the console's writes go through the same writer instead. Pass it to
// tea.WithOutput and as Config.Output.
type Terminal struct {
	// turn is held by the write in progress. A channel rather than a
	// sync.Mutex: a writer waiting for its turn is then durably blocked,
	// which lets a synctest test see that it waits.
	turn chan struct{}
	w    io.Writer
}

// NewTerminal wraps w, usually os.Stdout. Bubble Tea still sees the
// terminal behind it (Fd), for its size and raw mode.
func NewTerminal(w io.Writer) *Terminal { return &Terminal{turn: make(chan struct{}, 1), w: w} }

// Write implements io.Writer, one write at a time.
func (t *Terminal) Write(p []byte) (int, error) {
	t.turn <- struct{}{}
	defer func() { <-t.turn }()
	return t.w.Write(p)
}

// Read reads from the wrapped terminal when it can be read (term.File
// asks for it; Bubble Tea reads its input elsewhere).
func (t *Terminal) Read(p []byte) (int, error) {
	if r, ok := t.w.(io.Reader); ok {
		return r.Read(p)
	}
	return 0, io.EOF
}

// Close does nothing: the terminal outlives the program.
func (t *Terminal) Close() error { return nil }

// Fd is the wrapped terminal's file descriptor, or an invalid one.
func (t *Terminal) Fd() uintptr {
	if f, ok := t.w.(interface{ Fd() uintptr }); ok {
		return f.Fd()
	}
	return ^uintptr(0)
}

// SystemClipboard returns a function that writes text to the clipboard
// of the desktop the console runs on — wl-copy under Wayland, xclip or
// xsel under X11, pbcopy on macOS, clip.exe on Windows and under WSL — or
// nil when there is none to reach: no display, or an SSH session on a Mac
// or Windows machine, whose clipboard is the server's and not the
// cashier's (an X11 session forwarded over SSH has DISPLAY set and is
// used). goos is runtime.GOOS; getenv and lookPath are os.Getenv and
// exec.LookPath.
func SystemClipboard(goos string, getenv func(string) string, lookPath func(string) (string, error)) func(ctx context.Context, text string) error {
	argv := clipboardTool(goos, getenv, lookPath)
	if argv == nil {
		return nil
	}
	return func(ctx context.Context, text string) error { return runClipboard(ctx, argv, text) }
}

// clipboardTool chooses the command SystemClipboard runs, by its path.
func clipboardTool(goos string, getenv func(string) string, lookPath func(string) (string, error)) []string {
	ssh := getenv("SSH_CONNECTION") != "" || getenv("SSH_TTY") != ""
	for _, tool := range []struct {
		when bool
		argv []string
	}{
		{goos == "darwin" && !ssh, []string{"pbcopy"}},
		{goos == "windows" && !ssh, []string{"clip.exe"}},
		{getenv("WAYLAND_DISPLAY") != "", []string{"wl-copy"}},
		{getenv("DISPLAY") != "", []string{"xclip", "-in", "-selection", "clipboard"}},
		{getenv("DISPLAY") != "", []string{"xsel", "--input", "--clipboard"}},
		{getenv("WSL_DISTRO_NAME") != "" && !ssh, []string{"clip.exe"}},
	} {
		if !tool.when {
			continue
		}
		if path, err := lookPath(tool.argv[0]); err == nil {
			return append([]string{path}, tool.argv[1:]...)
		}
	}
	return nil
}

// runClipboard feeds text to a clipboard tool.
func runClipboard(ctx context.Context, argv []string, text string) error {
	ctx, cancel := context.WithTimeout(ctx, clipboardTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(text)
	// No pipes for its output: xclip and wl-copy leave a child behind that
	// serves the selection, and a pipe it inherited would hold Wait until
	// something else is copied.
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("%s: no answer in %s", filepath.Base(argv[0]), clipboardTimeout)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(argv[0]), err)
	}
	return nil
}

// copyVia is where a copy went.
type copyVia int

const (
	copySystem copyVia = iota // the system clipboard took it
	copyOSC52                 // sent to the terminal, which may ignore it
)

// errNoTerminal: nowhere to send an OSC 52.
var errNoTerminal = errors.New("no terminal to copy through")

// copyText copies charge id's text: to the system clipboard when there is
// one and it answers, else as OSC 52 on term.
func copyText(ctx context.Context, clip func(context.Context, string) error, term io.Writer, id int64, text string) tea.Cmd {
	return func() tea.Msg {
		if clip != nil {
			if err := clip(ctx, text); err == nil {
				return copiedMsg{id: id, via: copySystem}
			}
		}
		return copiedMsg{id: id, via: copyOSC52, err: osc52(term, text)}
	}
}

// osc52 asks the terminal on w to put text on the clipboard (works over
// SSH too, where the terminal allows it).
func osc52(w io.Writer, text string) error {
	if w == nil {
		return errNoTerminal
	}
	_, err := io.WriteString(w, "\x1b]52;c;"+base64.StdEncoding.EncodeToString([]byte(text))+"\a")
	return err
}

// ring sounds the terminal bell on w.
func ring(w io.Writer) tea.Cmd {
	return func() tea.Msg {
		_, _ = io.WriteString(w, "\a")
		return nil
	}
}
