package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/fault"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/repro"
)

// reproOptions are the flags of `mcpbuild repro`: build's, and where the rebuild goes.
type reproOptions struct {
	build    buildOptions
	catalog  string
	reproTag string
	reproRep string
}

// defaultReproTag is the tag the rebuild is pushed with, in the published repository.
const defaultReproTag = "repro"

func (o *reproOptions) AddFlags(cmd *cobra.Command) {
	o.build.AddFlags(cmd)
	f := cmd.Flags()
	f.Lookup("output").Usage = "report format on stdout: text, json or markdown"
	f.Lookup("tag").Usage = "the published tag compared with (PATTERN arguments)"
	_ = f.MarkHidden("no-cache") // repro always builds without cache
	f.StringVar(&o.catalog, "catalog", "", "catalog directory of <name>/server.yaml for IMAGE arguments (default ./servers)")
	f.StringVar(&o.reproTag, "repro-tag", defaultReproTag, "tag the rebuild is pushed with (never the published --tag)")
	f.StringVar(&o.reproRep, "repro-repository", "", "push the rebuild to HOST[:PORT]/PATH/<repository>:<repro-tag> instead of the published repository")
}

// Validate checks the flags; every error is a usage error.
func (o *reproOptions) Validate(cmd *cobra.Command) error {
	b := o.build
	switch b.output {
	case "text", "json", "markdown":
		b.output = "text" // build's own check knows text and json
	default:
		return cliutil.Usagef("--output %q: want text, json or markdown", o.build.output)
	}
	if cmd.Flags().Changed("no-cache") && !o.build.noCache {
		return cliutil.Usagef("--no-cache=false: repro always builds without cache")
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if _, err := name.NewTag("example.invalid/x:"+o.reproTag, name.StrictValidation); err != nil || o.reproTag == "" {
		return cliutil.Usagef("--repro-tag %q: not a tag", o.reproTag)
	}
	if slices.Contains(o.build.tags, o.reproTag) && o.reproRep == "" {
		return cliutil.Usagef("--repro-tag %q is the published --tag: the rebuild must not move it", o.reproTag)
	}
	if o.reproRep != "" {
		if _, _, err := o.reproRepository(); err != nil {
			return err
		}
	}
	return nil
}

// reproRepository splits --repro-repository into its registry and path.
func (o *reproOptions) reproRepository() (registry, path string, err error) {
	r, err := name.NewRepository(o.reproRep, name.StrictValidation)
	if err != nil || !strings.Contains(o.reproRep, "/") {
		return "", "", cliutil.Usagef("--repro-repository %q: want HOST[:PORT]/PATH", o.reproRep)
	}
	if err := catalog.CheckRepository(r); err != nil {
		return "", "", cliutil.Usagef("--repro-repository %q: %v", o.reproRep, err)
	}
	return r.RegistryStr(), r.RepositoryStr(), nil
}

func newReproCmd(ro *rootOptions) *cobra.Command {
	o := &reproOptions{}
	cmd := &cobra.Command{
		Use:   "repro [build flags] [--catalog DIR] [--repro-tag TAG | --repro-repository REPO] IMAGE|PATTERN...",
		Short: "Rebuild pins without cache and compare with the published images",
		Long: `For every catalog entry matched by PATTERN (servers/..., servers/NAME, a server.yaml path;
published at <registry>/<repository>:<tag>) or named by IMAGE (an image reference, by tag
or digest, found in the catalog of --catalog, default ./servers, with the rule mcpverify
uses): resolve the published image once, rebuild its pin with no cache, and compare the
digests. The rebuild is pushed to the published repository under --repro-tag (default
"repro"), or to --repro-repository; the published tag is never written.

When the digests differ, both images are read (bounded, hashed) and the first difference is
named: the manifest media type, an index's platforms (paired by platform), the number of
layers, a config field (a JSON path like config.Labels["x"], created,
history[3].created_by), or the first layer whose digest differs with the files that
differ in it (content, size, mode, uid/gid, mtime, type; first 50). Build for the
platforms that were published (--platform).

Output: one line per server (text), -o json (mediaType ` + repro.MediaType + `),
or -o markdown.

Exit codes: 0 all reproducible, 1 a rebuild differs, an image is not published (the
registry answered 404: nothing is built) or an entry is invalid, 2 usage, 3 could not
check (BuildKit or registry unreachable, a read failing otherwise than with a 404, a
timeout).`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cliutil.Usagef("repro: no IMAGE or PATTERN given (e.g. servers/...)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(cmd); err != nil {
				return err
			}
			ctx, cancel := ro.timeouts.WithDeadline(cmd.Context())
			defer cancel()
			reports, err := runRepro(ctx, cmd, ro, o, args)
			err = ro.timeouts.Err(ctx, err)
			if reports == nil {
				return err
			}
			if werr := writeRepro(cmd.OutOrStdout(), o.build.output, reports); werr != nil {
				return errors.Join(err, werr)
			}
			return err
		},
	}
	o.AddFlags(cmd)
	return cmd
}

// reproTarget is one server to check: where it was published, or why it is invalid.
type reproTarget struct {
	server    *catalog.Server
	published name.Reference
	invalid   *catalog.File
}

// runRepro checks every target and returns one report per target, in argument order,
// with every failure joined (an unreachable or failing registry or BuildKit: exit 3) and
// errNotReproducible when a rebuild differs or an image is not published. No reports when
// it stopped before checking (usage).
func runRepro(ctx context.Context, cmd *cobra.Command, ro *rootOptions, o *reproOptions, args []string) ([]repro.Report, error) {
	log := ro.logger(cmd)
	targets, imageReg, err := o.targets(cmd, args)
	if err != nil {
		return nil, err
	}
	bo := o.build
	bo.noCache = true
	bo.tags = []string{o.reproTag}
	if bo.registry == "" && bo.prefix == "" && ro.getenv(cliutil.EnvRegistry) == "" {
		bo.registry = imageReg // IMAGE arguments only: push where they are
	}
	published, err := bo.planOptions(ro.getenv) // where the PATTERNs' images were published
	if err != nil {
		return nil, err
	}
	po, repoPath := published, ""
	if o.reproRep != "" {
		bo.registry, repoPath, _ = o.reproRepository()
		bo.prefix = "" // --repro-repository replaces --repository-prefix for the rebuild
		if po, err = bo.planOptions(ro.getenv); err != nil {
			return nil, err
		}
	}
	for i, t := range targets {
		if t.server != nil && t.published == nil {
			if targets[i].published, err = t.server.ImageRef(catalog.Destination{Registry: published.Registry, Prefix: published.Prefix}, o.build.tags[0], nameOpts(bo.insecure)...); err != nil {
				return nil, cliutil.Usagef("server %s: %v", t.server.Name, err)
			}
		}
	}
	tr, err := ro.registryTransport(log)
	if err != nil {
		return nil, err
	}
	var display atomic.Pointer[build.Progress]
	lazy, err := build.NewLazy(func(ctx context.Context) (build.Builder, error) {
		return openSession(ctx, &bo, cmd.ErrOrStderr(), log, po, ro.getenv, ro.timeouts.Request, &display)
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := lazy.Close(); err != nil {
			log.Warn("progress display", "error", err)
		}
	}()
	lim, err := build.NewLimiter(lazy, bo.jobs)
	if err != nil {
		return nil, cliutil.Usagef("%v", err)
	}
	copts := []repro.Option{repro.WithLogger(log), repro.WithJobs(bo.jobs)}
	if bo.insecure {
		copts = append(copts, repro.WithInsecure())
	}
	checker, err := repro.NewChecker(lim, ocireg.New(tr, authn.DefaultKeychain), copts...)
	if err != nil {
		return nil, err
	}
	return checkAll(ctx, checker, targets, repoPath)
}

// errNotReproducible is the definite "no" of repro (exit 1).
var errNotReproducible = fault.New(fault.Failed, "not reproducible")

// checkAll checks the targets concurrently (at most --jobs checks at once: the Checker's
// slots bound resolve, build and compare, and so the memory the comparisons hold) and
// returns their reports in order. repoPath, when set, is where the rebuild goes
// (--repro-repository: <registry>/<repoPath>/<repository>).
func checkAll(ctx context.Context, c *repro.Checker, targets []reproTarget, repoPath string) ([]repro.Report, error) {
	reports := make([]repro.Report, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		if f := t.invalid; f != nil {
			reports[i] = repro.Report{Name: f.Label(), Status: repro.Failed, Reason: f.Reason()}
			errs[i] = f.Err()
			continue
		}
		wg.Go(func() {
			s := t.server
			if repoPath != "" {
				cp := *s
				cp.Image = repoPath + "/" + s.Repository()
				s = &cp
			}
			reports[i], errs[i] = c.Check(ctx, s, t.published)
		})
	}
	wg.Wait()
	for _, r := range reports {
		if r.Status == repro.Different || r.Status == repro.NotPublished {
			errs = append(errs, fmt.Errorf("%w: %s %s", errNotReproducible, r.Name, r.Status))
		}
	}
	return reports, errors.Join(errs...)
}

// targets reads the arguments: PATTERNs (a path that exists, or ends in ... or .yaml)
// select catalog entries like build; anything else is an IMAGE, matched to its catalog
// entry (catalog.FindByImage). imageReg is the registry of the IMAGE arguments (one).
func (o *reproOptions) targets(cmd *cobra.Command, args []string) ([]reproTarget, string, error) {
	var patterns, images []string
	for _, a := range args {
		if isPattern(a) {
			patterns = append(patterns, a)
		} else {
			images = append(images, a)
		}
	}
	var out []reproTarget
	if len(patterns) > 0 {
		entries, err := loadEntries(cmd.ErrOrStderr(), patterns, o.build.strict)
		if err != nil {
			return nil, "", err
		}
		for _, e := range entries {
			out = append(out, reproTarget{server: e.server, invalid: e.invalid})
		}
	}
	if len(images) == 0 {
		return out, "", nil
	}
	dir := o.catalog
	if dir == "" {
		dir = "servers"
	}
	servers, _, err := catalog.Load([]string{filepath.Join(dir, "...")}, catalog.Options{Strict: o.build.strict})
	if err != nil {
		return nil, "", cliutil.Usagef("loading catalog %s: %v", dir, err)
	}
	var opts []name.Option // an IMAGE without tag or digest is :latest
	if o.build.insecure {
		opts = append(opts, name.Insecure)
	}
	if o.build.registry != "" {
		opts = append(opts, name.WithDefaultRegistry(o.build.registry))
	}
	var imageReg string
	for _, img := range images {
		ref, err := name.ParseReference(img, opts...)
		if err == nil {
			err = catalog.CheckRepository(ref.Context())
		}
		if err != nil {
			return nil, "", cliutil.Usagef("%q is neither a catalog path nor an image reference: %v", img, err)
		}
		s, err := catalog.FindByImage(servers, ref, catalog.Destination{Prefix: o.build.prefix})
		switch {
		case err != nil:
			return nil, "", cliutil.Usagef("%v", err)
		case s == nil:
			return nil, "", cliutil.Usagef("no catalog entry in %s has the image %s", dir, ref.Context())
		case !s.Buildable():
			return nil, "", cliutil.Usagef("catalog entry %s is of type %q: it is not built from source", s.Name, s.Type)
		}
		if r := ref.Context().RegistryStr(); imageReg != "" && r != imageReg {
			return nil, "", cliutil.Usagef("IMAGE arguments on two registries (%s, %s): run repro once per registry", imageReg, r)
		} else {
			imageReg = r
		}
		out = append(out, reproTarget{server: s, published: ref})
	}
	return out, imageReg, nil
}

// isPattern says whether a repro argument selects catalog files rather than naming an image.
func isPattern(a string) bool {
	if strings.HasSuffix(a, "...") || strings.HasSuffix(a, ".yaml") || strings.HasSuffix(a, ".yml") {
		return true
	}
	_, err := os.Stat(a)
	return err == nil
}

func nameOpts(insecure bool) []name.Option {
	opts := []name.Option{name.StrictValidation}
	if insecure {
		opts = append(opts, name.Insecure)
	}
	return opts
}
