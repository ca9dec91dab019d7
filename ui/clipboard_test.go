package ui

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

func TestClipboardToolChoice(t *testing.T) {
	for _, tc := range []struct {
		name  string
		goos  string
		env   map[string]string
		tools []string
		want  string // the tool run; "" none: OSC 52
	}{
		{"x11 with xclip", "linux", map[string]string{"DISPLAY": ":0"}, []string{"xclip", "xsel"}, "xclip"},
		{"x11 with xsel only", "linux", map[string]string{"DISPLAY": ":0"}, []string{"xsel"}, "xsel"},
		{"wayland", "linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, []string{"wl-copy", "xclip"}, "wl-copy"},
		{"wayland without wl-copy", "linux", map[string]string{"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, []string{"xclip"}, "xclip"},
		{"x11 forwarded over ssh", "linux", map[string]string{"DISPLAY": "localhost:10.0", "SSH_CONNECTION": "1 2 3 4"}, []string{"xclip"}, "xclip"},
		{"a console without a display", "linux", nil, []string{"xclip", "xsel", "wl-copy"}, ""},
		{"tools missing", "linux", map[string]string{"DISPLAY": ":0"}, nil, ""},
		{"mac", "darwin", nil, []string{"pbcopy"}, "pbcopy"},
		{"mac over ssh: the server's clipboard", "darwin", map[string]string{"SSH_TTY": "/dev/ttys001"}, []string{"pbcopy"}, ""},
		{"windows", "windows", nil, []string{"clip.exe"}, "clip.exe"},
		{"wsl", "linux", map[string]string{"WSL_DISTRO_NAME": "Ubuntu"}, []string{"clip.exe"}, "clip.exe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			look := func(name string) (string, error) {
				for _, have := range tc.tools {
					if have == name {
						return "/usr/bin/" + name, nil
					}
				}
				return "", errors.New("not found")
			}
			argv := clipboardTool(tc.goos, func(k string) string { return tc.env[k] }, look)
			got := ""
			if argv != nil {
				got = filepath.Base(argv[0])
			}
			if got != tc.want {
				t.Errorf("chose %q (%v), want %q", got, argv, tc.want)
			}
			if (SystemClipboard(tc.goos, func(k string) string { return tc.env[k] }, look) == nil) != (tc.want == "") {
				t.Error("SystemClipboard disagrees with the choice")
			}
		})
	}
}

// fakeTool writes an executable named name that runs script, and returns
// a lookPath that finds it.
func fakeTool(t *testing.T, name, script string) func(string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return func(n string) (string, error) {
		if n == name {
			return path, nil
		}
		return "", errors.New("not found")
	}
}

// The text reaches the tool whole, and a tool that leaves a child behind
// to serve the selection (as xclip and wl-copy do) does not hold the copy.
func TestSystemClipboardRunsTheTool(t *testing.T) {
	got := filepath.Join(t.TempDir(), "clipboard")
	look := fakeTool(t, "xclip", `cat > "`+got+`"; sleep 30 &`)
	clip := SystemClipboard("linux", func(k string) string { return map[string]string{"DISPLAY": ":0"}[k] }, look)
	if err := clip(context.Background(), testPayload); err != nil {
		t.Fatalf("copy: %v", err)
	}
	if b, err := os.ReadFile(got); err != nil || string(b) != testPayload {
		t.Fatalf("the tool got %q (%v), want the code", b, err)
	}

	look = fakeTool(t, "xclip", `echo "Error: Can't open display" >&2; exit 1`)
	clip = SystemClipboard("linux", func(k string) string { return map[string]string{"DISPLAY": ":0"}[k] }, look)
	if err := clip(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "xclip") {
		t.Errorf("a failing tool: %v", err)
	}
}

// On the charge screen, c says where the code went: the clipboard, or the
// terminal (OSC 52) when there is no clipboard or it failed.
func TestCopySaysWhereTheCodeWent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		clip    func(context.Context, string) error
		osc52   bool
		message string
	}{
		{"clipboard", func(context.Context, string) error { return nil }, false, "copiado para a área de transferência"},
		{"clipboard fails", func(context.Context, string) error { return errors.New("xclip: exit status 1") }, true, "enviado ao terminal (OSC 52) — confira se colou"},
		{"no clipboard", nil, true, "enviado ao terminal (OSC 52) — confira se colou"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				var out bytes.Buffer
				var copied []string
				cfg := testConfig(&out)
				if tc.clip != nil {
					cfg.Clipboard = func(ctx context.Context, text string) error {
						copied = append(copied, text)
						return tc.clip(ctx, text)
					}
				}
				m, _, _ := chargeShown(t, cfg, 120, 40, nil)
				run(m, runes("c"))
				osc := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(testPayload)) + "\a"
				if got := out.String() == osc; got != tc.osc52 {
					t.Errorf("terminal got %q; OSC 52 expected %v", out.String(), tc.osc52)
				}
				if tc.clip != nil && (len(copied) != 1 || copied[0] != testPayload) {
					t.Errorf("clipboard got %q", copied)
				}
				if v := m.View(); !strings.Contains(v, tc.message) {
					t.Errorf("no %q:\n%s", tc.message, v)
				}
			})
		})
	}
}

// gateWriter holds its first write open until released, as a terminal
// busy taking a large frame does.
type gateWriter struct {
	mu      sync.Mutex
	writes  []string
	first   bool
	entered chan struct{}
	release chan struct{}
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	first := !g.first
	g.first = true
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.release
	}
	g.mu.Lock()
	g.writes = append(g.writes, string(p))
	g.mu.Unlock()
	return len(p), nil
}

// The bell and OSC 52 wait for the frame being written: they go through
// the Terminal the renderer writes to, one write at a time.
func TestTerminalWritesBetweenFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &gateWriter{entered: make(chan struct{}), release: make(chan struct{})}
		term := NewTerminal(g)
		frame := "\x1b[H" + strings.Repeat("frame ", 1000)
		go term.Write([]byte(frame)) // the renderer's flush
		<-g.entered
		done := make(chan error, 2)
		go func() { done <- osc52(term, "code") }()
		go func() { ring(term)(); done <- nil }()
		synctest.Wait() // both wait for their turn
		g.mu.Lock()
		early := len(g.writes)
		g.mu.Unlock()
		if early != 0 {
			t.Fatalf("%d writes landed while a frame was being written", early)
		}
		close(g.release)
		<-done
		<-done
		if len(g.writes) != 3 || g.writes[0] != frame {
			t.Errorf("writes %q: the frame first, whole, then the bell and the copy", g.writes)
		}
	})
}
