package pgtest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// TestReapStaleStopsAnOrphanedServer: a server whose launcher is gone
// (here, an owner file naming a process that has exited) is stopped and
// its files removed by the next launch's reap; one whose launcher lives
// is left running.
func TestReapStaleStopsAnOrphanedServer(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no process check off Unix")
	}
	orphan, err := Launch()
	if err != nil {
		skip(t, err)
	}
	t.Cleanup(orphan.Stop)
	kept := Private(t)

	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	dead := gone.Process.Pid
	if alive(dead) {
		t.Skipf("pid %d was reused at once", dead)
	}
	if err := os.WriteFile(filepath.Join(orphan.dir, ownerFile), []byte(strconv.Itoa(dead)), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := reapStale(os.TempDir(), orphan.pgCtl, orphan.cred); n < 1 {
		t.Fatalf("reaped %d servers, want the orphan", n)
	}
	if _, err := os.Stat(orphan.dir); !os.IsNotExist(err) {
		t.Errorf("the orphan's directory is still there: %v", err)
	}
	if listening(orphan.port) {
		t.Errorf("the orphan still listens on %d", orphan.port)
	}
	if !listening(kept.port) {
		t.Errorf("the live launcher's server on %d was stopped too", kept.port)
	}
	if owner(kept.dir) != os.Getpid() {
		t.Errorf("a new server's owner is %d, want this process, %d", owner(kept.dir), os.Getpid())
	}
}

// listening reports whether something accepts on 127.0.0.1:port.
func listening(port int) bool {
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
