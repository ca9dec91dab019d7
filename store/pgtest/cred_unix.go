//go:build unix

package pgtest

import (
	"os"
	"os/exec"
	"syscall"
)

// credential is the user the server runs as; nil means the current user.
type credential struct{ uid, gid uint32 }

func (c *credential) apply(cmd *exec.Cmd) {
	if c == nil {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: c.uid, Gid: c.gid}}
}

func (c *credential) chown(dir string) error {
	if c == nil {
		return nil
	}
	return os.Chown(dir, int(c.uid), int(c.gid))
}

// alive reports whether process pid exists (one owned by another user
// counts: signalling it is refused, not unknown).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
