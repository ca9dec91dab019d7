package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// plain is pixdesk built once for the tests that look at it in a real
// terminal (tmux, xterm), without the race detector: they test what it
// draws and how fast keys land, and a race build draws several times
// slower while its races are found by the model-level tests.
var plain struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// plainBinary builds pixdesk (once per test process) and returns its
// path. It skips when there is no go tool.
func plainBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("SKIP: no go tool to build the binary with")
	}
	plain.once.Do(func() {
		if plain.dir, plain.err = os.MkdirTemp("", "pixdesk-bin-"); plain.err != nil {
			return
		}
		plain.path = filepath.Join(plain.dir, "pixdesk")
		out, err := exec.Command(goTool, "build", "-o", plain.path, mainPackage).CombinedOutput()
		if err != nil {
			plain.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if plain.err != nil {
		t.Fatal(plain.err)
	}
	return plain.path
}

// removePlainBinary removes what plainBinary built; TestMain calls it.
func removePlainBinary() {
	if plain.dir != "" {
		os.RemoveAll(plain.dir)
	}
}
