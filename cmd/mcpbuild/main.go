// Command mcpbuild builds MCP server images from pinned catalog entries with BuildKit.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	printError(os.Stderr, err)
	os.Exit(exitCode(err))
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
