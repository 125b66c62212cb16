package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// validateOptions are the flags of `mcpbuild validate`.
type validateOptions struct {
	strict  bool
	output  string
	remote  bool
	mirrors []string
}

// Validate checks the flags; every error is a usage error.
func (o *validateOptions) Validate() error {
	switch o.output {
	case "text", "json", "github", "markdown":
	default:
		return cliutil.Usagef("--output %q: want text, json, github or markdown", o.output)
	}
	if len(o.mirrors) > 0 && !o.remote {
		return cliutil.Usagef("--source-mirror needs --remote")
	}
	if _, err := catalog.ParseMirrors(o.mirrors); err != nil {
		return cliutil.Usagef("--source-mirror: %v", err)
	}
	return nil
}

func newValidateCmd(ro *rootOptions) *cobra.Command {
	o := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate [--strict] [--remote [--source-mirror FROM=TO]] [-o text|json|github|markdown] PATTERN...",
		Short: "Check catalog entries and report every problem of every file",
		Long: `Validate every server.yaml matched by PATTERN (servers/... recursively, servers/NAME,
or a server.yaml path) and print every error and warning of every file on stdout, one per
line as path:line:col: field: message (warnings as path:line:col: warning: field: message),
or with -o json one document (mediaType application/vnd.mcpbuild.diagnostics.v1+json), or
with -o github GitHub workflow annotations (::error file=...,line=...,col=...::...), or
with -o markdown one table (for $GITHUB_STEP_SUMMARY or a pull-request comment).
A summary goes to stderr.

Compatible with Docker's MCP registry: what its CI accepts is valid. What it only
tolerates is a warning, an error with --strict: keys outside its schema, an image with a
tag (mcpbuild drops the tag: it pushes by digest, tagged with build's --tag), the names
and secret names it grandfathers, titles it refuses in new entries.

With --remote, every valid "server" entry is also checked on its git remote (one
ls-remote and one blobless fetch per repository, through --source-mirror): the commit
exists and is reachable from source.branch (a branch that is really a tag is a warning:
the pin never moves); source.directory exists at the commit; the Dockerfile is where
BuildKit reads it; source.buildTarget is one of its stages; every COPY/ADD source of the
stages built is inside the build context. Dockerfile problems name the Dockerfile's
path:line in the repository.

Exit codes: 0 no errors (warnings allowed), 1 errors, 2 usage (a bad flag, no PATTERN, a
PATTERN matching nothing), 3 a git remote could not be read (--remote).`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cliutil.Usagef("validate: no PATTERN given (e.g. servers/...)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			files, err := catalog.LoadFiles(args, catalog.Options{Strict: o.strict})
			if err != nil {
				return &cliutil.UsageError{Err: err}
			}
			ctx, cancel := ro.timeouts.WithDeadline(cmd.Context())
			defer cancel()
			var rc *remoteCheck
			if o.remote {
				mirrors, _ := catalog.ParseMirrors(o.mirrors) // checked by Validate
				c, err := newSourceClient(ro.logger(cmd), ro.getenv)
				if err != nil {
					return err
				}
				rc = checkRemotes(ctx, cmd.ErrOrStderr(), c, mirrors, o.strict, files)
			}
			if err := writeDiagnostics(cmd.OutOrStdout(), o.output, o.strict, files, rc); err != nil {
				return err
			}
			t := countDiagnostics(files)
			var errs []error
			if rc != nil {
				errs = append(errs, rc.unreachable...)
			}
			if t.errors > 0 {
				errs = append(errs, t)
			}
			if len(errs) > 0 {
				return ro.timeouts.Err(ctx, errors.Join(errs...))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "mcpbuild: %d %s valid (%d %s)\n", t.files, plural(t.files, "file"), t.warnings, plural(t.warnings, "warning"))
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.strict, "strict", false, "treat warnings as errors (unknown keys, tagged images, what Docker's registry grandfathers)")
	cmd.Flags().StringVarP(&o.output, "output", "o", "text", "diagnostics format on stdout: text, json, github (workflow annotations) or markdown")
	cmd.Flags().BoolVar(&o.remote, "remote", false, "also check each pin on its git remote: commit, branch, directory, Dockerfile, target, COPY/ADD sources")
	cmd.Flags().StringArrayVar(&o.mirrors, "source-mirror", nil, "FROM=TO: with --remote, read project URLs starting with FROM from TO instead (repeatable, like git insteadOf)")
	return cmd
}

// validateTotals counts a run's files and diagnostics; with errors it is the command's
// error (exit 1), whose text is the summary (the diagnostics are on stdout).
type validateTotals struct{ files, invalid, errors, warnings int }

func countDiagnostics(files []*catalog.File) validateTotals {
	t := validateTotals{files: len(files)}
	for _, f := range files {
		if !f.Valid() {
			t.invalid++
		}
		t.errors += len(f.Errors)
		t.warnings += len(f.Warnings)
	}
	return t
}

func (t validateTotals) Error() string {
	return fmt.Sprintf("%d %s in %d of %d %s (%d %s)", t.errors, plural(t.errors, "error"), t.invalid, t.files,
		plural(t.files, "file"), t.warnings, plural(t.warnings, "warning"))
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}
