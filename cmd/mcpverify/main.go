// Command mcpverify verifies that MCP server images were built from their catalog pin,
// signed, logged in Rekor and attested, as mcpbuild publishes them.
package main

import (
	"context"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

func main() {
	cliutil.Main(func(ctx context.Context) int { return run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv) })
}

// mcpverify: an error nothing classifies is could not check (exitCode).
var mcpverify = cliutil.Binary{Name: "mcpverify", Unclassified: cliutil.ExitUnreachable}

// run executes one command line and returns its exit code; tests call it in-process.
// getenv is the only source of environment variables (os.Getenv in main). A panic is
// "could not check" (exit 3), not Go's exit status 2, which reads as a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return mcpverify.Run(ctx, func() *cobra.Command { return newRootCmd(getenv) }, args, stdout, stderr)
}
