package cli

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The settings file holds what a counter chose once and keeps: today the
// QR style picked with pixdesk qr-test, and the counter's id, made up on
// the first run (terminal.go). It sits in the XDG config
// directory, one "key = value" a line, # for comments. Flags win over the
// environment, which wins over the file.

// settingKeys are the keys the settings file may hold.
var settingKeys = []string{"qr-style", "terminal"}

// settingsPath returns the settings file: $XDG_CONFIG_HOME/pixdesk/config,
// or $HOME/.config/pixdesk/config; "" when neither is set.
func settingsPath(getenv func(string) string) string {
	base := getenv("XDG_CONFIG_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home := getenv("HOME")
		if home == "" {
			return ""
		}
		base = filepath.Join(home, ".config")
	}
	return filepath.Join(base, "pixdesk", "config")
}

// readSettings reads the settings file at path; a missing file (or no
// path) is empty.
func readSettings(path string) (map[string]string, error) {
	if path == "" {
		return map[string]string{}, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the settings file: %w", err)
	}
	return parseSettings(path, b)
}

// parseSettings reads "key = value" lines; blank lines and # comments are
// skipped, anything else is an error naming the line.
func parseSettings(path string, b []byte) (map[string]string, error) {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok || k == "":
			return nil, badUsage("%s line %d: want key = value", path, n)
		case !slices.Contains(settingKeys, k):
			return nil, badUsage("%s line %d: unknown setting %q (known: %s)", path, n, k, strings.Join(settingKeys, ", "))
		}
		m[k] = v
	}
	return m, sc.Err()
}

// saveSetting sets key to value in the settings file at path, keeping its
// other lines and comments. It writes a new file and renames it over the
// old, so a crash leaves one or the other.
func saveSetting(path, key, value string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot read the settings file: %w", err)
	}
	var out []string
	done := false
	for _, line := range strings.Split(strings.TrimRight(string(old), "\n"), "\n") {
		k, _, ok := strings.Cut(line, "=")
		if ok && strings.TrimSpace(k) == key && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			if done {
				continue
			}
			line, done = key+" = "+value, true
		}
		if line != "" || len(out) > 0 {
			out = append(out, line)
		}
	}
	if !done {
		out = append(out, key+" = "+value)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create the config directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*")
	if err != nil {
		return fmt.Errorf("cannot write the settings file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(strings.Join(out, "\n") + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write the settings file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write the settings file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write the settings file: %w", err)
	}
	return nil
}
