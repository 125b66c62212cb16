package main

import (
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// rootOptions are the flags every command shares.
type rootOptions struct {
	verbose bool
}

// logger returns the command's logger: text on stderr, debug with -v.
func (ro *rootOptions) logger(cmd *cobra.Command) *slog.Logger {
	return cliutil.NewLogger(cmd.ErrOrStderr(), ro.verbose)
}

// newRootCmd returns a fresh command tree (no globals, so tests can run several).
// A new command is one AddCommand line here.
func newRootCmd() *cobra.Command {
	ro := &rootOptions{}
	cmd := &cobra.Command{
		Use:   "mcpbuild",
		Short: "Build MCP server images from pinned catalog entries",
		Long: `mcpbuild builds the images of a catalog of MCP servers (servers/<name>/server.yaml)
with BuildKit, from exactly the pinned git commit, and pushes them by digest.

Exit codes: 0 ok, 1 invalid input or a failed build, 2 usage error,
3 infrastructure unreachable (BuildKit, registry, git remote).`,
		SilenceErrors: true, // main prints the error once
		SilenceUsage:  true,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cliutil.Usagef("unknown command %q for mcpbuild", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(cmd.ErrOrStderr(), cmd.UsageString()) // stdout is for results
			return cliutil.Usagef("no command given")
		},
	}
	cmd.PersistentFlags().BoolVarP(&ro.verbose, "verbose", "v", false, "log debug messages to stderr")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &cliutil.UsageError{Err: err}
	})
	cmd.AddCommand(newBuildCmd(ro))
	cmd.AddCommand(newPublishCmd(ro))
	cmd.AddCommand(newGenerateKeyPairCmd(ro))
	return cmd
}
