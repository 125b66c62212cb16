package cliutil

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/mcpbuild/mcpbuild/fault"
)

// ExitCode is the one mapping: usage 2, then unreachable 3, then failed 1, whatever the
// wrapping or joining; what nothing classifies gets the binary's own default.
func TestExitCode(t *testing.T) {
	usage := Usagef("bad flag")
	unreachable := &UnreachableError{Addr: "127.0.0.1:15000", Err: syscall.ECONNREFUSED}
	timeout := &TimeoutError{After: time.Second, Flag: "--timeout", Err: context.DeadlineExceeded}
	failed := &failedError{}
	unknown := errors.New("something else")
	for _, tc := range []struct {
		name        string
		err         error
		build, veri int // with mcpbuild's default (1) and mcpverify's (3)
	}{
		{"nil", nil, ExitOK, ExitOK},
		{"usage", usage, ExitUsage, ExitUsage},
		{"wrapped usage", fmt.Errorf("flags: %w", usage), ExitUsage, ExitUsage},
		{"unreachable", unreachable, ExitUnreachable, ExitUnreachable},
		{"timeout", fmt.Errorf("building: %w", timeout), ExitUnreachable, ExitUnreachable},
		{"network fault", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, ExitUnreachable, ExitUnreachable},
		{"registry 503", fmt.Errorf("pushing: %w", &transport.Error{StatusCode: http.StatusServiceUnavailable}), ExitUnreachable, ExitUnreachable},
		{"registry 404", &transport.Error{StatusCode: http.StatusNotFound}, ExitFailed, ExitUnreachable},
		{"failed", failed, ExitFailed, ExitFailed},
		{"failed wrapping a network fault", &failedError{err: syscall.ECONNRESET}, ExitFailed, ExitFailed},
		{"unknown", unknown, ExitFailed, ExitUnreachable},
		{"failed and unknown", errors.Join(unknown, failed), ExitFailed, ExitFailed},
		{"failed and unreachable", errors.Join(failed, fmt.Errorf("x: %w", unreachable)), ExitUnreachable, ExitUnreachable},
		{"failed and network fault", errors.Join(failed, syscall.ECONNRESET), ExitUnreachable, ExitUnreachable},
		{"usage wins", errors.Join(unreachable, failed, fmt.Errorf("y: %w", usage)), ExitUsage, ExitUsage},
		{"nested joins", fmt.Errorf("run: %w", errors.Join(failed, errors.Join(unknown, timeout))), ExitUnreachable, ExitUnreachable},
		{"usage wrapping an unreachable", &UsageError{Err: unreachable}, ExitUsage, ExitUsage},
	} {
		if got := ExitCode(tc.err, ExitFailed); got != tc.build {
			t.Errorf("%s: ExitCode(%v, ExitFailed) = %d, want %d", tc.name, tc.err, got, tc.build)
		}
		if got := ExitCode(tc.err, ExitUnreachable); got != tc.veri {
			t.Errorf("%s: ExitCode(%v, ExitUnreachable) = %d, want %d", tc.name, tc.err, got, tc.veri)
		}
	}
}

// failedError is a definite failure, as a library's error type says it.
type failedError struct{ err error }

func (e *failedError) Error() string     { return fmt.Sprintf("failed: %v", e.err) }
func (e *failedError) Unwrap() error     { return e.err }
func (e *failedError) Fault() fault.Kind { return fault.Failed }

func TestUnreachableErrorNamesAddress(t *testing.T) {
	err := fmt.Errorf("pushing: %w", &UnreachableError{Addr: "127.0.0.1:15000", Err: syscall.ECONNREFUSED})
	var ue *UnreachableError
	if !errors.As(err, &ue) || ue.Addr != "127.0.0.1:15000" {
		t.Fatalf("errors.As = %v, %+v", ue != nil, ue)
	}
	if got, want := err.Error(), "pushing: 127.0.0.1:15000 unreachable: connection refused"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Error("Unwrap lost the cause")
	}
}
