package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify"
)

// An invalid catalog entry (audit) is "not verified", after usage and could-not-check.
func TestExitCodeInvalidEntry(t *testing.T) {
	invalid := errors.Join(&catalog.Diagnostic{Path: "servers/x/server.yaml", Line: 3, Col: 1, Message: "bad"})
	ind := &verify.Indeterminate{Image: "r/x", Check: "signature", Err: errors.New("503")}
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"invalid entry", invalid, cliutil.ExitFailed},
		{"invalid and not verified", errors.Join(invalid, &verify.Failure{Verdict: &verify.Verdict{Image: "r/x", Reason: "unsigned"}}), cliutil.ExitFailed},
		{"invalid and could not check", errors.Join(invalid, ind), cliutil.ExitUnreachable},
		{"invalid and usage", errors.Join(invalid, cliutil.Usagef("x")), cliutil.ExitUsage},
		{"unexpected error", errors.New("?"), cliutil.ExitUnreachable},
	} {
		if got := exitCode(&quietError{tc.err}); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// Verify's input errors are usage errors; a deadline or a failed request is could not
// check, even when another image was not verified.
func TestExitCodeKinds(t *testing.T) {
	failure := &verify.Failure{Verdict: &verify.Verdict{Image: "r/x", Reason: "unsigned"}}
	timeout := &cliutil.TimeoutError{After: time.Second, Flag: "--timeout", Err: context.DeadlineExceeded}
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"input error", &verify.InputError{Image: "r/x", Err: errors.New("sha512 digest")}, cliutil.ExitUsage},
		{"timeout", timeout, cliutil.ExitUnreachable},
		{"not verified and timeout", errors.Join(failure, timeout), cliutil.ExitUnreachable},
		{"not verified and unexpected", errors.Join(failure, errors.New("?")), cliutil.ExitFailed},
	} {
		if got := exitCode(&quietError{tc.err}); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}
