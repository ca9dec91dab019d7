package store

import (
	"path/filepath"
	"testing"
)

// DataPath reads the environment it is given, not the process's: a
// command run in process (the CLI's scripts) keeps its journal, log and
// sandbox state in its own data directory.
func TestDataPathReadsTheGivenEnvironment(t *testing.T) {
	data, home := t.TempDir(), t.TempDir()
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_DATA_HOME": data, "HOME": home}, filepath.Join(data, "pixdesk", "pixdesk.db")},
		{map[string]string{"HOME": home}, filepath.Join(home, ".local", "share", "pixdesk", "pixdesk.db")},
		{map[string]string{"XDG_DATA_HOME": "relative", "HOME": home}, filepath.Join(home, ".local", "share", "pixdesk", "pixdesk.db")},
	} {
		got, err := DataPath(func(k string) string { return tt.env[k] })
		if err != nil || got != tt.want {
			t.Errorf("DataPath(%v) = %q, %v; want %q", tt.env, got, err, tt.want)
		}
	}
}
