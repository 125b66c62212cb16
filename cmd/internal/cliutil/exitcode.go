// Package cliutil holds what both binaries share: main and run (Binary), exit codes and
// their one mapping from error kinds (ExitCode), environment variable names and logger
// setup. It must stay free of heavy dependencies (mcpverify links it and must not link
// BuildKit).
package cliutil

import (
	"fmt"

	"github.com/mcpbuild/mcpbuild/fault"
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

// Fault is fault.Usage.
func (e *UsageError) Fault() fault.Kind { return fault.Usage }

// Fault is fault.Unreachable.
func (e *UnreachableError) Fault() fault.Kind { return fault.Unreachable }

// ExitCode is the one mapping of an error to an exit code, for both binaries: nil 0,
// then by kind (httpx.KindOf: the error types' own, then network faults, deadlines and
// a registry's 429 or 5xx): usage 2, unreachable 3, failed 1. Where several errors are
// joined, usage wins, then unreachable, then failed. An error that nothing classifies
// gets unclassified, which each binary states in one line (mcpbuild: ExitFailed,
// mcpverify: ExitUnreachable).
func ExitCode(err error, unclassified int) int {
	if err == nil {
		return ExitOK
	}
	switch httpx.KindOf(err) {
	case fault.Usage:
		return ExitUsage
	case fault.Unreachable:
		return ExitUnreachable
	case fault.Failed:
		return ExitFailed
	}
	return unclassified
}
