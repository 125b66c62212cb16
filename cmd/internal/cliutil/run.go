package cliutil

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
)

// Binary is what Run needs to know of a command-line binary.
type Binary struct {
	Name string // prefix of its error lines: "mcpbuild"
	// Unclassified is the exit code of an error nothing classifies (ExitCode), a panic's
	// included.
	Unclassified int
	// Report writes a command's error to stderr; nil writes "<Name>: <err>".
	Report func(stderr io.Writer, err error)
}

// Run executes one command line of b with the command tree newCmd makes, and returns its
// exit code (ExitCode). A panic, in newCmd or the command, is reported as
// "<Name>: internal error: ..." with its stack and exits b.Unclassified, never Go's exit
// status 2, which reads as a usage error.
func (b Binary) Run(ctx context.Context, newCmd func() *cobra.Command, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "%s: internal error: %v\n%s", b.Name, r, debug.Stack())
			code = b.Unclassified
		}
	}()
	cmd := newCmd()
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.ExecuteContext(ctx)
	if err != nil {
		if b.Report != nil {
			b.Report(stderr, err)
		} else {
			fmt.Fprintf(stderr, "%s: %v\n", b.Name, err)
		}
	}
	return ExitCode(err, b.Unclassified)
}

// Main is a binary's main: it calls run with a context that SIGINT or SIGTERM cancels,
// and exits with the code run returns.
func Main(run func(ctx context.Context) int) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx)
	stop()
	os.Exit(code)
}
