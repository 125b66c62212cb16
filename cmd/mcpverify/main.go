// Command mcpverify verifies that MCP server images were built from their catalog pin,
// signed, logged in Rekor and attested, as mcpbuild publishes them.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run executes one command line and returns its exit code; tests call it in-process. A
// panic is "could not check" (exit 3), not Go's exit status 2, which reads as a usage
// error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "mcpverify: internal error: %v\n%s", r, debug.Stack())
			code = cliutil.ExitUnreachable
		}
	}()
	cmd := newRootCmd(getenv)
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "mcpverify:", err)
	}
	return exitCode(err)
}
