package main

import "github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"

// exitCode is mcpbuild's exit code for err (cliutil.ExitCode): usage errors 2,
// unreachable infrastructure 3 (BuildKit, registry, git remote, Rekor, a transient
// network fault, a request or the command out of time, a registry read of publish that
// failed otherwise than with a 404), a definite failure (invalid catalog, commit not
// found) 1. When several builds failed for different reasons, usage wins, then
// unreachable.
// An error nothing classifies (a failed build: BuildKit reports most as text) is 1.
func exitCode(err error) int { return cliutil.ExitCode(err, mcpbuild.Unclassified) }
