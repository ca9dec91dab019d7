//go:build !unix

package pgtest

import "os/exec"

// credential is unused off Unix: the server runs as the current user.
type credential struct{}

func (*credential) apply(*exec.Cmd)    {}
func (*credential) chown(string) error { return nil }

// alive cannot tell off Unix, so no server is taken for stale.
func alive(int) bool { return true }
