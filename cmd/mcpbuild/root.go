package main

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/httpx"
)

// rootOptions are the flags every command shares, and the environment: lookupEnv is the
// one source of environment variables (main passes os.LookupEnv; tests, their own).
type rootOptions struct {
	verbose   bool
	timeouts  cliutil.Timeouts
	lookupEnv func(string) (string, bool)
}

// getenv is the variable's value, "" when it is not set.
func (ro *rootOptions) getenv(key string) string {
	v, _ := ro.lookupEnv(key)
	return v
}

// registryTransport is the HTTP transport of every registry request mcpbuild makes itself
// (publish's reads, signatures and attestations; BuildKit pushes images on its own):
// --request-timeout per request, body included, and httpx's bounded retries. Hand it to
// go-containerregistry with httpx.RemoteOptions, which switches remote's own retries off.
func (ro *rootOptions) registryTransport(log *slog.Logger) (http.RoundTripper, error) {
	return httpx.New(remote.DefaultTransport, httpx.WithService("registry"),
		httpx.WithRequestTimeout(ro.timeouts.Request), httpx.WithLogger(log))
}

// logger returns the command's logger: text on stderr, debug with -v.
func (ro *rootOptions) logger(cmd *cobra.Command) *slog.Logger {
	return cliutil.NewLogger(cmd.ErrOrStderr(), ro.verbose)
}

// newRootCmd returns a fresh command tree (no globals, so tests can run several) reading
// the environment through lookupEnv only. A new command is one AddCommand line here.
func newRootCmd(lookupEnv func(string) (string, bool)) *cobra.Command {
	ro := &rootOptions{lookupEnv: lookupEnv}
	cmd := &cobra.Command{
		Use:   "mcpbuild",
		Short: "Build MCP server images from pinned catalog entries",
		Long: `mcpbuild builds the images of a catalog of MCP servers (servers/<name>/server.yaml)
with BuildKit, from exactly the pinned git commit, and pushes them by digest.

Deadlines: every registry request mcpbuild makes has --request-timeout (default 30s,
body included; 429 and 5xx are retried up to 3 times, honouring Retry-After up to 10s);
--timeout bounds the whole command, BuildKit's solves included (default: no limit).

Exit codes: 0 ok, 1 invalid input or a failed build, 2 usage error,
3 infrastructure unreachable or too slow (BuildKit, registry, git remote, Rekor, timeout).`,
		SilenceErrors: true, // main prints the error once
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return ro.timeouts.Resolve(cmd.Flags(), ro.getenv)
		},
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
	ro.timeouts.AddFlags(cmd.PersistentFlags(), 0, cliutil.EnvBuildTimeout)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &cliutil.UsageError{Err: err}
	})
	cmd.AddCommand(newValidateCmd(ro))
	cmd.AddCommand(newUpdatePinsCmd(ro))
	cmd.AddCommand(newBuildCmd(ro))
	cmd.AddCommand(newPublishCmd(ro))
	cmd.AddCommand(newReproCmd(ro))
	cmd.AddCommand(newGenerateKeyPairCmd(ro))
	cliutil.AddVersion(cmd)
	return cmd
}
