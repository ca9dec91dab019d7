package pgtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A test binary that is killed — by go test's -timeout, by a crash test's
// SIGKILL, by a person's ^C twice — never reaches Main's Stop, and the
// server it started, being pg_ctl's daemon, outlives it. So each server's
// directory names the process that launched it (ownerFile), and every
// launch first stops the servers whose launcher is gone.

// dirPrefix begins the name of every server's temporary directory.
const dirPrefix = "pixdesk-pgtest-"

// ownerFile, in a server's directory, holds its launcher's process id.
const ownerFile = "owner.pid"

// claim writes this process's id into dir as its owner.
func claim(dir string) error {
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
}

// owner is the process id that launched the server in dir, or 0 when dir
// names none (a directory from before owner files, or one being made).
func owner(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// reapStale stops, at once, every server under tmp whose launcher is no
// longer running, and removes its files; it reports how many it reaped.
// A directory without an owner is left alone: it may be a launch under
// way in another process.
func reapStale(tmp, pgCtl string, cred *credential) int {
	dirs, _ := filepath.Glob(filepath.Join(tmp, dirPrefix+"*"))
	n := 0
	for _, dir := range dirs {
		pid := owner(dir)
		if pid == 0 || pid == os.Getpid() || alive(pid) {
			continue
		}
		s := &Server{dir: dir, pgCtl: pgCtl, cred: cred}
		s.Stop()
		n++
	}
	return n
}
