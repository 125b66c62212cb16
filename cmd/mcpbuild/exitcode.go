package main

import (
	"errors"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/sign"
)

// exitCode is the one place that maps an error to mcpbuild's exit code:
// usage errors 2, unreachable infrastructure 3 (BuildKit, registry, git remote, or any
// transient network fault, a request or the command out of time) or a registry that
// could not be checked (a read of publish that failed otherwise than with a 404: any
// status, or content that is not what was asked for), everything else (invalid catalog,
// failed build) 1.
// When several builds failed for different reasons, usage wins, then unreachable.
func exitCode(err error) int {
	if err == nil {
		return cliutil.ExitOK
	}
	var usage *cliutil.UsageError
	if errors.As(err, &usage) {
		return cliutil.ExitUsage
	}
	var bu *build.UnreachableError
	var cu *cliutil.UnreachableError
	var tl *sign.TLogError // Rekor unreachable or failing (publish)
	var to *cliutil.TimeoutError
	var re *ocireg.Error // a failed registry read (a 404 is an error only for content a manifest names)
	if errors.As(err, &bu) || errors.As(err, &cu) || errors.As(err, &tl) || errors.As(err, &to) || errors.As(err, &re) {
		return cliutil.ExitUnreachable
	}
	var missing *build.CommitNotFoundError
	if errors.As(err, &missing) {
		return cliutil.ExitFailed
	}
	if cliutil.IsTransient(err) {
		return cliutil.ExitUnreachable
	}
	return cliutil.ExitFailed
}
