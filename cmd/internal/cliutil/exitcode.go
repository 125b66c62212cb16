// Package cliutil holds what both binaries share: exit codes, the error kinds that choose
// them, environment variable names and logger setup. It must stay free of heavy
// dependencies (mcpverify links it and must not link BuildKit).
package cliutil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/mcpbuild/mcpbuild/internal/httpx"
)

// Exit codes shared by mcpbuild and mcpverify.
const (
	ExitOK          = 0 // built / published / verified
	ExitFailed      = 1 // invalid input, failed build, or a definite "not verified"
	ExitUsage       = 2 // bad flags or arguments, no pin found
	ExitUnreachable = 3 // infrastructure unreachable or could not decide (BuildKit, registry, git, Rekor)
)

// UsageError marks a command-line misuse (exit 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a *UsageError.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// UnreachableError marks an infrastructure fault (exit 3): something could not be reached
// or answered with a server error, so nothing was decided. Addr names what was dialled.
type UnreachableError struct {
	Addr string
	Err  error
}

func (e *UnreachableError) Error() string {
	if e.Addr == "" {
		return e.Err.Error()
	}
	return fmt.Sprintf("%s unreachable: %v", e.Addr, e.Err)
}
func (e *UnreachableError) Unwrap() error { return e.Err }

// IsTransient reports whether err is a network-level or server-side fault rather than an
// answer: connection refused or reset, DNS failure, timeout, HTTP 429 or 5xx, a request
// that failed in the transport (*httpx.Error: timed out, retries used up, Retry-After too
// long) or a command out of time (*TimeoutError).
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var he *httpx.Error
	var to *TimeoutError
	if errors.As(err, &he) || errors.As(err, &to) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return te.StatusCode == 429 || te.StatusCode >= 500
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// Only errors raised by the network stack count: a bare syscall.Errno (ENOENT from
	// opening a file, say) also satisfies net.Error and must not read as "unreachable".
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return true
	}
	// A *url.Error from a request is a transport fault; one from url.Parse is bad input.
	var ue *url.Error
	return errors.As(err, &ue) && ue.Op != "parse"
}
