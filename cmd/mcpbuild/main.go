// Command mcpbuild builds MCP server images from pinned catalog entries with BuildKit.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

func main() {
	cliutil.Main(func(ctx context.Context) int { return runMain(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv) })
}

// mcpbuild: an error nothing classifies (a failed build: BuildKit reports most as text)
// is 1 (exitCode); joined errors are printed one per line (printError).
var mcpbuild = cliutil.Binary{Name: "mcpbuild", Unclassified: cliutil.ExitFailed, Report: printError}

// runMain executes one command line and returns its exit code; tests call it in-process.
// It is mcpverify's run (this package's tests already name their helper run), but
// lookupEnv is the only source of environment variables (os.LookupEnv in main): unlike a
// getenv, it tells an empty $COSIGN_PASSWORD (an empty password) from an unset one. A
// panic is reported as an internal error with its stack and exits 1, as any error nothing
// classifies does.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	return mcpbuild.Run(ctx, func() *cobra.Command { return newRootCmd(lookupEnv) }, args, stdout, stderr)
}

// printError writes err to w as "mcpbuild: <err>", or, for several joined errors (every
// problem of a catalog, every failed build), as "mcpbuild: N errors:" followed by one
// error per line, so that each catalog problem line starts with its path:line:col.
func printError(w io.Writer, err error) {
	if err == nil {
		return
	}
	errs := flatten(err)
	if len(errs) < 2 {
		fmt.Fprintln(w, "mcpbuild:", err)
		return
	}
	fmt.Fprintf(w, "mcpbuild: %d errors:\n", len(errs))
	for _, e := range errs {
		fmt.Fprintln(w, e)
	}
}

// flatten lists the errors of a (nested) errors.Join; any other error stands alone.
func flatten(err error) []error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, flatten(e)...)
	}
	return out
}
