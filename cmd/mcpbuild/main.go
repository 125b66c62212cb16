// Command mcpbuild builds MCP server images from pinned catalog entries with BuildKit.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// runMain executes one command line and returns its exit code; tests call it in-process.
// It is mcpverify's run (the tests of this package already name their helper run).
// lookupEnv is the only source of environment variables (os.LookupEnv in main): unlike
// mcpverify's getenv, it tells an empty $COSIGN_PASSWORD (an empty password) from an
// unset one. A panic is reported as an internal error with its stack and exits 1, as
// any error nothing classifies does (not Go's exit status 2, which reads as a usage
// error).
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "mcpbuild: internal error: %v\n%s", r, debug.Stack())
			code = exitCode(fmt.Errorf("internal error: %v", r))
		}
	}()
	cmd := newRootCmd(lookupEnv)
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.ExecuteContext(ctx)
	printError(stderr, err)
	return exitCode(err)
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
