package main

import "github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"

// exitCode is mcpverify's exit code for err (cliutil.ExitCode): 0 verified, 1 not
// verified (a definite verify.Failure, or an invalid catalog entry in audit), 2 usage
// (bad flags, no pin), 3 could not check (verify.Indeterminate: registry or Rekor
// unreachable, 5xx, 429, timeout, dropped connection, content that is not what was asked
// for). When several images gave different answers: usage, then could not check, then
// not verified.
//
// An error nothing classifies is 3, could not check: a failed lookup is never reported
// as "not verified".
func exitCode(err error) int { return cliutil.ExitCode(err, mcpverify.Unclassified) }
