package source

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeGitWithChild writes a git that starts a child (as git starts git-remote-*, ssh or a
// core.sshCommand) which keeps git's stdout and stderr open and outlives git itself, then
// waits forever. The child's pid is written to the returned file.
func fakeGitWithChild(t *testing.T) (bin, childPID string) {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	bin, childPID = filepath.Join(dir, "git"), filepath.Join(dir, "child.pid")
	script := "#!/bin/sh\n" +
		"sh -c 'trap \"\" TERM HUP INT; echo $$ > " + childPID + ".tmp; mv " + childPID + ".tmp " + childPID + "; exec sleep 300' &\n" +
		"wait\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, childPID
}

// alive reports whether pid is a running process (a zombie is not).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// assertGone waits a little for the child in pidFile to go away and fails if it does not.
func assertGone(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the fake git's child never started: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(3 * time.Second); alive(pid) && time.Now().Before(end); {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		t.Errorf("git's child %d still runs after the call returned", pid)
		if p, err := os.FindProcess(pid); err == nil {
			p.Kill()
		}
	}
}

// TestDeadlineKillsGitsChildren: on its deadline a git call stops git and every process git
// started, and returns promptly even though a child held git's output pipes.
func TestDeadlineKillsGitsChildren(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	bin, pidFile := fakeGitWithChild(t)
	const timeout = time.Second
	c, err := New(WithFileRemotes(), WithTempDir(t.TempDir()), WithGit(bin), WithCallTimeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.ListRefs(bg, "file:///nowhere.git")
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ListRefs() = %v, want its deadline exceeded", err)
	}
	if took > timeout+2*time.Second {
		t.Errorf("ListRefs() returned %v after its %v deadline, want promptly", took-timeout, timeout)
	}
	assertGone(t, pidFile)
}

// TestCancelKillsGitsChildren: cancelling the caller's context does the same.
func TestCancelKillsGitsChildren(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	bin, pidFile := fakeGitWithChild(t)
	c, err := New(WithFileRemotes(), WithTempDir(t.TempDir()), WithGit(bin), WithCallTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	go func() {
		// Cancel once the child runs, so the test is about the child and not a race.
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(pidFile); err == nil {
				break
			}
		}
		cancel()
	}()
	start := time.Now()
	_, err = c.ListRefs(ctx, "file:///nowhere.git")
	took := time.Since(start)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ListRefs() = %v, want context.Canceled", err)
	}
	if took > 4*time.Second {
		t.Errorf("ListRefs() took %v after a cancel, want promptly", took)
	}
	assertGone(t, pidFile)
}
