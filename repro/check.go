package repro

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// MediaType is the media type of the JSON report (a list of Reports); a change of what a
// field means needs a new one.
const MediaType = "application/vnd.mcpbuild.repro.v1+json"

// Status is the outcome of one check.
type Status string

const (
	// Reproducible: the rebuild has the published digest.
	Reproducible Status = "reproducible"
	// Different: the rebuild has another digest; Difference says where.
	Different Status = "different"
	// NotPublished: the registry answered 404 for the published image; nothing was built.
	NotPublished Status = "not-published"
	// Failed: the check could not be made (Reason; a failed build, a read failing
	// otherwise than with a 404).
	Failed Status = "failed"
)

// Report is one server's check. Its JSON field names are a contract (MediaType).
type Report struct {
	Name   string `json:"name"`
	Commit string `json:"commit,omitempty"`
	Status Status `json:"status"`
	// Published is the published image: by digest once resolved, else as given.
	Published string `json:"published,omitempty"`
	// Rebuilt is the rebuild, by digest.
	Rebuilt    string      `json:"rebuilt,omitempty"`
	Difference *Difference `json:"difference,omitempty"`
	Reason     string      `json:"reason,omitempty"`
}

// Checker rebuilds pins and compares them with what was published.
type Checker struct {
	b   build.Builder
	reg *ocireg.Client
	cmp *Comparer
	log *slog.Logger
}

// NewChecker returns a Checker that rebuilds with b, which must build without cache and
// push somewhere other than the published tag (the caller's PlanOptions), and reads
// through reg. opts configure its Comparer.
func NewChecker(b build.Builder, reg *ocireg.Client, opts ...Option) (*Checker, error) {
	if b == nil {
		return nil, fmt.Errorf("new repro checker: nil builder")
	}
	cmp, err := NewComparer(reg, opts...)
	if err != nil {
		return nil, err
	}
	return &Checker{b: b, reg: reg, cmp: cmp, log: cmp.log}, nil
}

// Check resolves published (a tag: read once; or a digest) and, when the registry has
// it, rebuilds s and compares. The Report is always set; the error, when not nil, is why
// its Status is Failed (a read failing otherwise than with a 404 is an *ocireg.Error, an
// unreachable BuildKit or registry a *build.UnreachableError).
func (c *Checker) Check(ctx context.Context, s *catalog.Server, published name.Reference) (Report, error) {
	r := Report{Name: s.Name, Commit: s.Source.Commit, Published: published.String()}
	fail := func(err error) (Report, error) {
		err = fmt.Errorf("checking reproducibility of server %s: %w", s.Name, err)
		r.Status, r.Reason = Failed, err.Error()
		return r, err
	}
	m, err := c.reg.Manifest(ctx, published, ocireg.AcceptImageRef)
	if errors.Is(err, ocireg.ErrNotFound) {
		r.Status = NotPublished
		return r, nil
	}
	if err != nil {
		return fail(fmt.Errorf("resolving the published image: %w", err))
	}
	pub := published.Context().Digest(m.Digest.String())
	r.Published = pub.String()
	c.log.Debug("rebuilding", "server", s.Name, "published", r.Published)
	res, err := c.b.Build(ctx, s)
	if err != nil {
		return fail(err)
	}
	reb := res.Image
	if c.cmp.insecure {
		if reb, err = name.NewDigest(reb.String(), name.Insecure); err != nil {
			return fail(fmt.Errorf("rebuilt image %s: %w", res.Image, err))
		}
	}
	r.Rebuilt = reb.String()
	d, err := c.cmp.Compare(ctx, pub, reb)
	if err != nil {
		return fail(err)
	}
	if d == nil {
		r.Status = Reproducible
		return r, nil
	}
	r.Status, r.Difference = Different, d
	return r, nil
}
