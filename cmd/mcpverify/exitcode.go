package main

import (
	"errors"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify"
)

// exitCode is the one place that maps an error to mcpverify's exit code: 0 verified,
// 1 not verified (a definite verify.Failure, or an invalid catalog entry in audit), 2 usage (bad flags, no pin), 3 could not
// check (verify.Indeterminate: registry or Rekor unreachable, 5xx, 429, timeout, dropped
// connection, content that is not what was asked for). When several images gave different answers: usage, then could not
// check, then not verified. Anything unexpected counts as "could not check": a failed
// lookup is never reported as "not verified".
func exitCode(err error) int {
	if err == nil {
		return cliutil.ExitOK
	}
	var usage *cliutil.UsageError
	if errors.As(err, &usage) {
		return cliutil.ExitUsage
	}
	var ind *verify.Indeterminate
	var unreach *cliutil.UnreachableError
	if errors.As(err, &ind) || errors.As(err, &unreach) {
		return cliutil.ExitUnreachable
	}
	var fail *verify.Failure
	var invalid *catalog.Diagnostic // audit: an invalid catalog entry is not verified
	if errors.As(err, &fail) || errors.As(err, &invalid) {
		return cliutil.ExitFailed
	}
	return cliutil.ExitUnreachable
}
