package build

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/identity"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// BuildKit builds with a buildkitd over its gRPC API.
type BuildKit struct {
	c       *client.Client
	addr    string
	plan    PlanOptions
	opts    options
	version string
}

var _ Builder = (*BuildKit)(nil)

// NewBuildKit connects to the buildkitd at addr and checks that it answers. addr is
// unix:///path, tcp://host:port (TLS with WithTLS) or a BuildKit connection helper's
// address (docker-container://, kube-pod://, ssh://). plan.Registry or
// plan.Prefix is required (not both). An unreachable daemon is an *UnreachableError naming addr; a failed TLS
// handshake is one too, wrapping a *TLSError that says what failed.
func NewBuildKit(ctx context.Context, addr string, plan PlanOptions, opts ...Option) (*BuildKit, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if dst := (catalog.Destination{Registry: plan.Registry, Prefix: plan.Prefix}); dst.IsZero() {
		return nil, fmt.Errorf("new buildkit builder: no registry given")
	} else if err := dst.Check(); err != nil {
		return nil, fmt.Errorf("new buildkit builder: %w", err)
	}
	ps, err := ParsePlatforms(plan.Platforms)
	if err != nil {
		return nil, fmt.Errorf("new buildkit builder: %w", err)
	}
	plan.Platforms = ps
	if _, err := baseImageAttrs(plan.BaseImages); err != nil {
		return nil, fmt.Errorf("new buildkit builder: %w", err)
	}
	for _, bi := range plan.BaseImages {
		if !bi.Pinned() {
			o.logger.Warn("base image override by tag: resolved at every build, so builds may differ (the provenance records the digest used); pin it by digest", "base-image", bi.String())
		}
	}
	co, err := o.clientOptions(addr)
	if err != nil {
		return nil, err
	}
	c, err := client.New(ctx, addr, co...)
	if err != nil {
		return nil, &UnreachableError{Service: ServiceBuildKit, Addr: addr, Err: err}
	}
	hctx, cancel := context.WithTimeout(ctx, o.connectTimeout)
	defer cancel()
	// gRPC dials lazily: this first call is where a refused connection or a failed TLS
	// handshake shows.
	info, err := c.Info(hctx)
	if err != nil {
		c.Close()
		if te := o.handshakeFailure(ctx, addr, err); te != nil {
			err = te
		}
		return nil, &UnreachableError{Service: ServiceBuildKit, Addr: addr, Err: err}
	}
	b := &BuildKit{c: c, addr: addr, plan: plan, opts: o, version: info.BuildkitVersion.Version}
	o.logger.Debug("connected to buildkitd", "addr", addr, "version", b.version, "tls", o.tls != nil)
	return b, nil
}

// Version is the buildkitd version that answered.
func (b *BuildKit) Version() string { return b.version }

// Probe asks buildkitd whether it answers (Info); one that does not is an
// *UnreachableError naming its address. The caller bounds it with ctx.
func (b *BuildKit) Probe(ctx context.Context) error {
	if _, err := b.c.Info(ctx); err != nil {
		return &UnreachableError{Service: ServiceBuildKit, Addr: b.addr, Err: err}
	}
	return nil
}

// Close closes the connection to buildkitd.
func (b *BuildKit) Close() error { return b.c.Close() }

// Build plans s, solves it, and returns the pushed image by digest with its provenance.
func (b *BuildKit) Build(ctx context.Context, s *catalog.Server) (*Result, error) {
	so, err := Plan(s, b.plan)
	if err != nil {
		return nil, err
	}
	tags, err := imageTags(s, b.plan)
	if err != nil {
		return nil, err
	}
	tag := tags[0]
	ref := identity.NewID()
	so.Ref = ref
	so.Session = append(so.Session, b.opts.attachables...)
	ctxURL := so.FrontendAttrs["context"]
	log := b.opts.logger.With("server", s.Name, "ref", ref)
	log.Debug("building", "context", ctxURL, "image", tag.String())

	var status chan *client.SolveStatus
	if b.opts.progress != nil {
		status = b.opts.progress.channelFor(s.Name)
	}
	resp, err := b.c.Solve(ctx, nil, *so, status)
	if err != nil {
		return nil, classify(err, s.Name, s.Source.Project, s.Source.Commit, ctxURL, tag.RegistryStr(), b.addr)
	}
	dgst := resp.ExporterResponse[exptypes.ExporterImageDigestKey]
	if dgst == "" {
		return nil, fmt.Errorf("building server %s: %w", s.Name, errNoDigest)
	}
	img, err := name.NewDigest(tag.Context().Name()+"@"+dgst, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("building server %s: bad digest %q from buildkit: %w", s.Name, dgst, err)
	}
	res := &Result{
		Server:     s.Name,
		Image:      img,
		Tag:        tag,
		ExtraTags:  tags[1:],
		Commit:     s.Source.Commit,
		Project:    s.Source.Project,
		Directory:  s.Source.Directory,
		ContextURL: ctxURL,
		BuildRef:   ref,
	}
	if len(b.plan.Platforms) > 1 {
		if res.Platforms, err = platformImages(ctx, b.c, resp.ExporterResponse, img, b.plan.Platforms); err != nil {
			return nil, classify(fmt.Errorf("building server %s: %w", s.Name, err), s.Name, s.Source.Project, s.Source.Commit, ctxURL, tag.RegistryStr(), b.addr)
		}
	}
	if b.opts.provenance {
		if res.Provenance, err = readProvenance(ctx, b.c, ref, img, res.Platforms); err != nil {
			// classify: buildkitd gone after the solve is unreachable too (exit 3).
			return nil, classify(err, s.Name, s.Source.Project, s.Source.Commit, ctxURL, tag.RegistryStr(), b.addr)
		}
	}
	log.Debug("pushed", slog.String("image", img.String()), slog.Int("platforms", len(res.Platforms)))
	return res, nil
}
