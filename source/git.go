package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// runner runs git with a fixed environment, a deadline and bounded output.
type runner struct {
	bin     string
	timeout time.Duration
	maxOut  int
	env     []string
}

// baseEnv is the child's whole environment before WithEnv's additions: no user or system
// configuration, no prompts, no replace objects, only the allowed transports, and paths
// that are paths (no pathspec magic such as ":(top)" or ":!dir").
func baseEnv(protocols string) []string {
	return []string{
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=",
		"SSH_ASKPASS=",
		"GIT_NO_REPLACE_OBJECTS=1",
		"GIT_LITERAL_PATHSPECS=1",
		"GIT_ALLOW_PROTOCOL=" + protocols,
		"HOME=/nonexistent",
		"LC_ALL=C",
	}
}

// gitError is a git command that failed: its arguments, its exit error and its stderr
// (trimmed and bounded).
type gitError struct {
	args   []string
	err    error
	stderr string
}

func (e *gitError) Error() string {
	msg := strings.TrimSpace(e.stderr)
	if msg == "" {
		msg = e.err.Error()
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.args, " "), msg)
}

func (e *gitError) Unwrap() error { return e.err }

// capWriter keeps the first max bytes written and remembers whether more came; past the
// cap it calls stop (which ends the command) when stop is set.
type capWriter struct {
	buf       bytes.Buffer
	max       int
	truncated bool
	stop      func()
}

func (w *capWriter) Write(p []byte) (int, error) {
	if room := w.max - w.buf.Len(); len(p) > room {
		w.buf.Write(p[:max(room, 0)])
		if !w.truncated && w.stop != nil {
			w.stop()
		}
		w.truncated = true
		return len(p), nil
	}
	return w.buf.Write(p)
}

const maxStderr = 16 << 10

// run runs git with args in gitDir ("" for none) and returns its stdout; more output than
// the runner's cap is an error.
func (r *runner) run(ctx context.Context, gitDir string, args ...string) ([]byte, error) {
	out, truncated, err := r.runCapped(ctx, r.maxOut, gitDir, args...)
	if err == nil && truncated {
		err = &gitError{args: args, err: fmt.Errorf("output over %d bytes", r.maxOut)}
	}
	return out, err
}

// runCapped runs git and keeps at most limit bytes of its stdout: past that it stops the
// command and reports truncated, without an error.
func (r *runner) runCapped(ctx context.Context, limit int, gitDir string, args ...string) ([]byte, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	full := args
	if gitDir != "" {
		full = append([]string{"--git-dir=" + gitDir}, args...)
	}
	cmd := exec.CommandContext(ctx, r.bin, full...)
	cmd.Env = r.env
	cmd.Dir = "/"
	ownGroup(cmd)
	stdout := &capWriter{max: limit, stop: cancel}
	stderr := &capWriter{max: maxStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if stdout.truncated {
		return stdout.buf.Bytes(), true, nil
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (after %v)", ctxErr, r.timeout)
			if errors.Is(ctxErr, context.DeadlineExceeded) {
				err = &timeoutError{after: r.timeout, err: err}
			}
		}
		return nil, false, &gitError{args: args, err: err, stderr: stderr.buf.String()}
	}
	return stdout.buf.Bytes(), false, nil
}

// timeoutError is a git call stopped by its deadline; it matches context.DeadlineExceeded.
type timeoutError struct {
	after time.Duration
	err   error
}

func (e *timeoutError) Error() string { return fmt.Sprintf("timed out after %v: %v", e.after, e.err) }
func (e *timeoutError) Unwrap() error { return e.err }
