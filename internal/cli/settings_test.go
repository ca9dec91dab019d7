package cli

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pixdesk/pixdesk/ui"
)

func TestSettingsPath(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_CONFIG_HOME": "/cfg", "HOME": "/home/ana"}, "/cfg/pixdesk/config"},
		{map[string]string{"XDG_CONFIG_HOME": "relative", "HOME": "/home/ana"}, "/home/ana/.config/pixdesk/config"},
		{map[string]string{"HOME": "/home/ana"}, "/home/ana/.config/pixdesk/config"},
		{nil, ""},
	} {
		if got := settingsPath(envOf(tc.env)); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.env, got, tc.want)
		}
	}
}

// TestQRStylePrecedence: flag > environment > settings file > auto.
func TestQRStylePrecedence(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_CONFIG_HOME": dir}
	style := func(env map[string]string, args ...string) ui.QRStyle {
		t.Helper()
		c, err := loadConfig("pixdesk", args, envOf(env), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return c.qrStyle
	}
	if got := style(env); got != ui.QRAuto {
		t.Errorf("no file: %v", got)
	}
	path := settingsPath(envOf(env))
	if err := saveSetting(path, "qr-style", "sextant"); err != nil {
		t.Fatal(err)
	}
	if got := style(env); got != ui.QRSextants {
		t.Errorf("file: %v", got)
	}
	if got := style(with(env, "PIXDESK_QR_STYLE", "half")); got != ui.QRHalfBlocks {
		t.Errorf("environment over file: %v", got)
	}
	if got := style(with(env, "PIXDESK_QR_STYLE", "half"), "--qr-style", "graphics"); got != ui.QRGraphics {
		t.Errorf("flag over environment: %v", got)
	}
	// Today's values are still accepted.
	if got := style(env, "--qr-style", "half"); got != ui.QRHalfBlocks {
		t.Errorf("half: %v", got)
	}
	// A bad value in the file names the file.
	if err := os.WriteFile(path, []byte("qr-style = tiny\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := loadConfig("pixdesk", nil, envOf(env), io.Discard)
	if err == nil || !strings.Contains(err.Error(), path+": qr-style \"tiny\"") {
		t.Errorf("bad file value: %v", err)
	}
}

func TestSettingsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pixdesk", "config")
	m, err := readSettings(path)
	if err != nil || len(m) != 0 {
		t.Fatalf("missing file: %v, %v", m, err)
	}
	if err := saveSetting(path, "qr-style", "half"); err != nil {
		t.Fatal(err)
	}
	// Comments and other lines survive a save; the key is replaced once.
	if err := os.WriteFile(path, []byte("# chosen with pixdesk qr-test\n\nqr-style = half\nqr-style=text\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := saveSetting(path, "qr-style", "graphics"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if want := "# chosen with pixdesk qr-test\n\nqr-style = graphics\n"; string(b) != want {
		t.Errorf("file after save:\n%q\nwant\n%q", b, want)
	}
	if m, err := readSettings(path); err != nil || m["qr-style"] != "graphics" {
		t.Errorf("read back: %v, %v", m, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v", fi.Mode(), err)
	}
	for content, want := range map[string]string{
		"qr-style\n":        "line 1: want key = value",
		"# c\nqr_style = x": "line 2: unknown setting \"qr_style\"",
		"= half":            "line 1: want key = value",
	} {
		_, err := parseSettings("f", []byte(content))
		var ue *usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", content, err, want)
		}
	}
}

// TestTerminalKept: the first run without --terminal or PIXDESK_TERMINAL
// makes an id up and keeps it in the settings file; later runs reuse it;
// the environment and the flag still win, and saving nothing of theirs.
func TestTerminalKept(t *testing.T) {
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir()}
	path := settingsPath(envOf(env))
	terminal := func(env map[string]string, args ...string) string {
		t.Helper()
		c, err := loadConfig("pixdesk", args, envOf(env), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		return c.terminal
	}
	first := terminal(env)
	if !regexp.MustCompile(`^[a-z0-9]{1,8}-[a-z2-7]{6}$`).MatchString(first) {
		t.Fatalf("made-up id %q: want host part, dash, six base32 characters", first)
	}
	if m, err := readSettings(path); err != nil || m["terminal"] != first {
		t.Fatalf("settings file after the first run: %v, %v; want terminal = %s", m, err, first)
	}
	if again := terminal(env); again != first {
		t.Errorf("second run: %q, want the kept %q", again, first)
	}
	if got := terminal(with(env, "PIXDESK_TERMINAL", "caixa-09")); got != "caixa-09" {
		t.Errorf("environment over file: %q", got)
	}
	if got := terminal(with(env, "PIXDESK_TERMINAL", "caixa-09"), "--terminal", "C07"); got != "C07" {
		t.Errorf("flag over environment: %q", got)
	}
	if m, _ := readSettings(path); m["terminal"] != first {
		t.Errorf("an override was saved: %v", m)
	}
	// Another machine's first run (another config) makes another id.
	if other := terminal(map[string]string{"XDG_CONFIG_HOME": t.TempDir()}); other == first {
		t.Errorf("two first runs made the same id %q", other)
	}
	// A flag giving an empty id is refused, not replaced.
	if _, err := loadConfig("pixdesk", []string{"--terminal", ""}, envOf(env), io.Discard); err == nil {
		t.Error("--terminal '' accepted")
	}
}

func TestNewTerminalID(t *testing.T) {
	for host, prefix := range map[string]string{
		"caixa3.loja.local":    "caixa3-",
		"Caixa_Central-Loja01": "caixacen-",
		"":                     "cx-",
		"ção.example":          "o-", // letters outside a-z are dropped
		"—.example":            "cx-",
	} {
		id := newTerminalID(host)
		if !strings.HasPrefix(id, prefix) || len(id) > 16 {
			t.Errorf("newTerminalID(%q) = %q, want prefix %q and at most 16 characters", host, id, prefix)
		}
	}
	// Without a config location the id still comes, for this run only.
	var stderr strings.Builder
	id, err := keptTerminal("", &stderr)
	if err != nil || id == "" || !strings.Contains(stderr.String(), "for this run only") {
		t.Errorf("no config location: %q, %v, stderr %q", id, err, stderr.String())
	}
}
