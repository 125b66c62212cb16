package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// buildOptions are the flags of `mcpbuild build` (and of commands that build first).
type buildOptions struct {
	registry     string
	prefix       string          // --repository-prefix
	tags         []string        // -t/--tag: the first is the primary tag
	buildkit     buildkitOptions // --buildkit-addr and the TLS flags
	jobs         int
	buildTimeout time.Duration
	progress     string
	output       string
	mirrors      []string
	platforms    []string
	baseImages   []string
	noCache      bool
	insecure     bool
	strict       bool
}

// AddFlags registers the build flags on cmd.
func (o *buildOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.registry, "registry", "", "registry HOST[:PORT] to push to (default $"+cliutil.EnvRegistry+")")
	f.StringVar(&o.prefix, "repository-prefix", "", "HOST[:PORT][/PATH] to push under instead of a registry, like ko's KO_DOCKER_REPO: image I goes to PREFIX/<I's path> (mcp/fetch and ghcr.io/mcp/fetch: PREFIX/mcp/fetch); excludes --registry")
	f.StringArrayVarP(&o.tags, "tag", "t", []string{catalog.DefaultTag}, "tag pushed along with the digest (repeatable: every tag names the one digest; the first is checked by publish)")
	o.buildkit.AddFlags(cmd)
	f.IntVarP(&o.jobs, "jobs", "j", 4, "number of servers built in parallel")
	f.DurationVar(&o.buildTimeout, "build-timeout", build.DefaultBuildTimeout, "longest one server's build (fetch, solve, push) may take; exceeded: that server fails, exit 3")
	f.StringVar(&o.progress, "progress", "auto", "progress output on stderr: auto, plain or quiet")
	f.StringVarP(&o.output, "output", "o", "text", "result format on stdout: text or json")
	f.StringArrayVar(&o.mirrors, "source-mirror", nil, "FROM=TO: fetch project URLs starting with FROM from TO instead (repeatable, like git insteadOf)")
	f.StringSliceVar(&o.platforms, "platform", nil, "os/arch[/variant] to build for, repeatable or comma-separated (e.g. linux/amd64,linux/arm64: one image index); default: the BuildKit daemon's platform")
	f.StringArrayVar(&o.baseImages, "base-image", nil, "NAME=REF: build every FROM NAME (as written, e.g. alpine:3.20 or alpine@sha256:...) on image REF instead, e.g. a mirror's copy pinned by digest (repeatable)")
	f.BoolVar(&o.noCache, "no-cache", false, "do not use BuildKit's build cache")
	f.BoolVar(&o.insecure, "insecure-registry", false, "push over plain HTTP (loopback registries always are)")
	f.BoolVar(&o.strict, "strict", false, "treat catalog warnings as errors (unknown keys, tagged images, what Docker's registry grandfathers)")
}

// Validate checks the flags; every error is a usage error. It does not change o.
func (o *buildOptions) Validate() error {
	if o.jobs < 1 {
		return cliutil.Usagef("--jobs %d: want at least 1", o.jobs)
	}
	if o.buildTimeout <= 0 {
		return cliutil.Usagef("--build-timeout %v: want a positive duration", o.buildTimeout)
	}
	switch o.progress {
	case "auto", "plain", "quiet", "tty":
	default:
		return cliutil.Usagef("--progress %q: want auto, plain or quiet", o.progress)
	}
	switch o.output {
	case "text", "json":
	default:
		return cliutil.Usagef("--output %q: want text or json", o.output)
	}
	seen := map[string]bool{}
	for _, tag := range o.tags {
		if tag == "" {
			return cliutil.Usagef("--tag must not be empty")
		}
		if err := catalog.CheckTag(tag); err != nil {
			return cliutil.Usagef("--tag %q: %v", tag, err)
		}
		if seen[tag] {
			return cliutil.Usagef("--tag %q given twice", tag)
		}
		seen[tag] = true
	}
	if len(o.tags) == 0 {
		return cliutil.Usagef("--tag must not be empty")
	}
	if o.registry != "" && o.prefix != "" {
		return cliutil.Usagef("--registry and --repository-prefix exclude each other: --repository-prefix HOST[:PORT][/PATH] says where images go")
	}
	if o.registry != "" {
		if err := catalog.CheckRegistry(o.registry); err != nil {
			return cliutil.Usagef("--registry %q: %v", o.registry, err)
		}
	}
	if o.prefix != "" {
		if err := catalog.CheckPrefix(o.prefix); err != nil {
			return cliutil.Usagef("--repository-prefix %q: %v", o.prefix, err)
		}
	}
	if _, err := catalog.ParseMirrors(o.mirrors); err != nil {
		return cliutil.Usagef("--source-mirror: %v", err)
	}
	if _, err := build.ParsePlatforms(o.platforms); err != nil {
		return cliutil.Usagef("--platform: %v", err)
	}
	if _, err := o.parseBaseImages(); err != nil {
		return err
	}
	return o.buildkit.Validate()
}

// planOptions resolves defaults from the environment and returns the library options.
func (o *buildOptions) planOptions(getenv func(string) string) (build.PlanOptions, error) {
	reg := o.registry
	if reg == "" && o.prefix == "" { // $MCPBUILD_REGISTRY is the default of both flags
		reg = getenv(cliutil.EnvRegistry)
		if reg == "" {
			return build.PlanOptions{}, cliutil.Usagef("no registry: use --registry HOST[:PORT], --repository-prefix HOST[:PORT][/PATH] or set %s", cliutil.EnvRegistry)
		}
		if err := catalog.CheckRegistry(reg); err != nil {
			return build.PlanOptions{}, cliutil.Usagef("$%s %q: %v", cliutil.EnvRegistry, reg, err)
		}
	}
	mirrors, err := catalog.ParseMirrors(o.mirrors)
	if err != nil {
		return build.PlanOptions{}, cliutil.Usagef("--source-mirror: %v", err)
	}
	plats, err := build.ParsePlatforms(o.platforms)
	if err != nil {
		return build.PlanOptions{}, cliutil.Usagef("--platform: %v", err)
	}
	bases, err := o.parseBaseImages()
	if err != nil {
		return build.PlanOptions{}, err
	}
	return build.PlanOptions{Registry: reg, Prefix: o.prefix, Tag: o.tags[0], ExtraTags: o.tags[1:], Mirrors: mirrors, Platforms: plats, BaseImages: bases, Insecure: o.insecure, NoCache: o.noCache}, nil
}

// parseBaseImages reads --base-image; with --strict every REF must be pinned by digest.
func (o *buildOptions) parseBaseImages() ([]build.BaseImage, error) {
	bases, err := build.ParseBaseImages(o.baseImages)
	if err != nil {
		return nil, cliutil.Usagef("--base-image: %v", err)
	}
	for i, b := range bases { // one per value, in order
		if o.strict && !b.Pinned() {
			return nil, cliutil.Usagef("--base-image %q: REF is not pinned by digest (--strict)", o.baseImages[i])
		}
	}
	return bases, nil
}

func newBuildCmd(ro *rootOptions) *cobra.Command {
	o := &buildOptions{}
	cmd := &cobra.Command{
		Use:   "build [flags] PATTERN...",
		Short: "Build and push the images of catalog entries at their pinned commits",
		Long: `Build every "server" entry matched by PATTERN (servers/... recursively, servers/NAME,
or a server.yaml path) from exactly source.commit and source.directory with BuildKit,
label it org.opencontainers.image.revision=<commit>, and push it to
<registry>/<repository>:<tag>, or with --repository-prefix to <prefix>/<path>:<tag> (the
image's path without its registry host), once per -t tag, all naming the one digest (a
tag the catalog's image carries is dropped: a warning, an error with --strict). Prints "name image@digest commit" per server built and
"name failed reason=..." per server that failed (or JSON, one object per server with
status built or failed). An invalid entry is a failed row naming its problems
(path:line:col); the others are built all the same. Remote and poci entries are skipped
with a note on stderr.

Exit codes: 0 all built, 1 a server failed or is invalid, 2 usage (a PATTERN matching
nothing), 3 BuildKit, registry or git remote unreachable, or a timeout.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cliutil.Usagef("build: no PATTERN given (e.g. servers/...)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			ctx, cancel := ro.timeouts.WithDeadline(cmd.Context())
			defer cancel()
			rows, err := runBuild(ctx, cmd, ro, o, args)
			err = ro.timeouts.Err(ctx, err)
			if rows == nil {
				return err // stopped before building: stdout stays empty, also in JSON
			}
			if werr := writeResults(cmd.OutOrStdout(), o.output, rows); werr != nil {
				return errors.Join(err, werr)
			}
			return err
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// runBuild loads the catalog and builds its buildable entries. It returns one row per
// entry in catalog order (an invalid entry is a failed row; nothing is built for it) and
// every failure joined; no rows when the run stopped before building (usage, BuildKit
// unreachable), with the invalid entries' problems joined to that error.
func runBuild(ctx context.Context, cmd *cobra.Command, ro *rootOptions, o *buildOptions, patterns []string) ([]buildRow, error) {
	stderr := cmd.ErrOrStderr()
	log := ro.logger(cmd)
	po, err := o.planOptions(ro.getenv)
	if err != nil {
		return nil, err
	}
	entries, err := loadEntries(stderr, patterns, o.strict)
	if err != nil {
		return nil, err
	}
	if len(buildable(entries)) == 0 {
		return buildRows(ctx, nil, entries) // nothing to build: BuildKit is not contacted
	}
	if o.buildkit.several() { // several --buildkit-addr: buildkit_fleet.go
		return o.buildOnFleet(ctx, stderr, log, po, ro.getenv, ro.timeouts.Request, entries)
	}
	bk, progress, err := o.openBuildKit(ctx, stderr, log, po, ro.getenv, ro.timeouts.Request)
	if err != nil {
		return nil, errors.Join(append(invalidErrs(entries), err)...)
	}
	defer bk.Close()
	bd, err := build.NewDeadline(bk, o.buildTimeout)
	if err != nil {
		return nil, cliutil.Usagef("--build-timeout: %v", err)
	}
	lim, err := build.NewLimiter(bd, o.jobs)
	if err != nil {
		return nil, cliutil.Usagef("%v", err)
	}
	rows, err := buildRows(ctx, lim, entries)
	if perr := progress.Close(); perr != nil {
		log.Warn("progress display", "error", perr)
	}
	return rows, err
}

// buildRows builds the valid entries with b (a build.Limiter bounds how many at a time)
// and returns one row per entry in order, an invalid entry as a failed row naming its
// problems, and every failure joined.
func buildRows(ctx context.Context, b build.Builder, entries []entry) ([]buildRow, error) {
	rows := make([]buildRow, len(entries))
	var wg sync.WaitGroup
	for i, e := range entries {
		if f := e.invalid; f != nil {
			rows[i] = buildRow{name: f.Label(), err: f.Err(), reason: f.Reason()}
			continue
		}
		if e.skipped != nil {
			rows[i] = buildRow{name: e.skipped.Name, skipped: true, reason: e.skipReason()}
			continue
		}
		rows[i].name = e.server.Name
		wg.Go(func() {
			rows[i].result, rows[i].err = b.Build(ctx, e.server)
		})
	}
	wg.Wait()
	var failed []error
	for i := range rows {
		if r := &rows[i]; r.err != nil {
			failed = append(failed, r.err)
			if r.reason == "" {
				r.reason = r.err.Error()
			}
		}
	}
	return rows, errors.Join(failed...)
}

// openBuildKit connects to the BuildKit of --buildkit-addr (else $BUILDKIT_HOST, else
// buildctl's default socket), over TLS when the TLS flags or variables say so, with a
// progress display on stderr and the docker config's registry credentials, waiting at
// most connect for its answer. The caller closes both.
func (o *buildOptions) openBuildKit(ctx context.Context, stderr io.Writer, log *slog.Logger, po build.PlanOptions,
	getenv func(string) string, connect time.Duration) (*build.BuildKit, *build.Progress, error) {
	addr, conn, err := o.buildkit.connection(getenv)
	if err != nil {
		return nil, nil, err
	}
	progress, err := build.NewProgress(stderr, o.progress)
	if err != nil {
		return nil, nil, cliutil.Usagef("--progress: %v", err)
	}
	auth := authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(stderr)),
	})
	bk, err := build.NewBuildKit(ctx, addr, po, append(conn, build.WithLogger(log), build.WithProgress(progress), build.WithSession(auth),
		build.WithConnectTimeout(connect))...)
	if err != nil {
		_ = progress.Close()
		return nil, nil, err
	}
	return bk, progress, nil
}
