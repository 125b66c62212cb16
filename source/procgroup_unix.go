//go:build unix

package source

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// ownGroup runs cmd in a process group of its own and makes its cancel (deadline, caller's
// cancel, output cap) kill the whole group: git starts helpers (git-remote-*, ssh, a
// core.sshCommand, upload-pack) that would otherwise outlive it and hold its pipes open.
// A helper that leaves the group (setsid) is not reached; cmd.WaitDelay bounds the wait
// for the pipes it holds.
func ownGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Only while git itself is not reaped: until then its pid, the group's id, cannot
		// be reused, so the signal cannot reach an unrelated group.
		if err := cmd.Process.Signal(syscall.Signal(0)); errors.Is(err, os.ErrProcessDone) {
			return os.ErrProcessDone
		}
		err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if errors.Is(err, syscall.ESRCH) {
			return os.ErrProcessDone
		}
		return err
	}
}
