package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
)

// Job is one catalog server to publish to Image.
type Job struct {
	Server *catalog.Server
	// Image is <registry>/<image>:<tag> (or <prefix>/<image path>:<tag>): the tag checked
	// before building, where the build must push (its Result.Tag), and read back before
	// signing. NewJob computes it.
	Image name.Tag
	// ExtraTags are the other tags of the same repository that must hold the digest too
	// (the build's Result.ExtraTags): checked, pushed and read back as Image is.
	ExtraTags []name.Tag
}

// NewJob returns the Job publishing s under dst (a registry or a repository prefix:
// catalog.Destination) with tags: the first is the primary tag (Image), the others
// ExtraTags; no tags is build.DefaultTag. insecure reads the image over plain HTTP
// (loopback registries always are). This is the one place publish computes an image
// reference (catalog.Server.ImageRef); Publish checks every build against it.
func NewJob(s *catalog.Server, dst catalog.Destination, tags []string, insecure bool) (Job, error) {
	if dst.IsZero() {
		return Job{}, fmt.Errorf("image of server %s: no registry given", s.Name)
	}
	opts := []name.Option{name.StrictValidation}
	if insecure {
		opts = append(opts, name.Insecure)
	}
	if len(tags) == 0 {
		tags = []string{""}
	}
	job := Job{Server: s}
	seen := map[string]bool{}
	for i, tag := range tags {
		t, err := s.ImageRef(dst, tag, opts...)
		if err != nil {
			return Job{}, fmt.Errorf("image of server %s: %w", s.Name, err)
		}
		if seen[t.TagStr()] {
			return Job{}, fmt.Errorf("image of server %s: tag %q given twice", s.Name, t.TagStr())
		}
		seen[t.TagStr()] = true
		if i == 0 {
			job.Image = t
		} else {
			job.ExtraTags = append(job.ExtraTags, t)
		}
	}
	return job, nil
}

// claims are the claims signed with the image: the pin and, when known, the project.
func (j Job) claims() map[string]string {
	c := map[string]string{catalog.RevisionLabel: j.Server.Source.Commit}
	if p := j.Server.Source.Project; p != "" {
		c[catalog.SourceLabel] = p
	}
	return c
}

// Publisher runs Jobs: check the registry, build, confirm the image, sign, attest; one
// Report per Job.
type Publisher struct {
	builder build.Builder
	svc     *sign.Service
	log     *slog.Logger
	par     int
	// platforms are what the builder builds (WithPlatforms), normalized and sorted.
	platforms []string

	mu       sync.Mutex // progress lines
	progress io.Writer
}

// New returns a Publisher building with builder and signing with svc. It reads images
// as svc's Store reads signatures (sign.Store.WithReads: the same transport and
// credentials, bounded and hashed reads).
func New(builder build.Builder, svc *sign.Service, opts ...Option) (*Publisher, error) {
	if builder == nil {
		return nil, errors.New("new publisher: no builder")
	}
	if svc == nil {
		return nil, errors.New("new publisher: no signing service")
	}
	o := options{log: slog.New(slog.DiscardHandler), progress: io.Discard, parallel: 1, set: map[string]bool{}}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, fmt.Errorf("new publisher: %w", err)
		}
	}
	return &Publisher{builder: builder, svc: svc, log: o.log, par: o.parallel, platforms: o.plats, progress: o.progress}, nil
}

func (p *Publisher) step(name, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.progress, "%s: %s\n", name, fmt.Sprintf(format, args...))
}

// Publish runs jobs, at most WithParallelism at a time, and returns their reports in job
// order. A failing job does not stop the others.
func (p *Publisher) Publish(ctx context.Context, jobs []Job) []Report {
	out := make([]Report, len(jobs))
	sem := make(chan struct{}, p.par)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = p.publishOne(ctx, j)
			r := &out[i]
			if r.Status == Failed {
				p.step(r.Name, "failed: %s", r.Reason)
			} else {
				p.step(r.Name, "%s %s", r.Status, r.Image)
			}
		})
	}
	wg.Wait()
	return out
}

func (p *Publisher) publishOne(ctx context.Context, job Job) Report {
	if job.Server == nil {
		return fail(Report{}, errors.New("publish job without a server"))
	}
	s := job.Server
	r := Report{Name: s.Name, Commit: s.Source.Commit}
	if job.Image.TagStr() == "" {
		return fail(r, fmt.Errorf("server %s: no image to publish to", s.Name))
	}
	p.step(s.Name, "checking %s", job.Image)
	done, err := p.current(ctx, job)
	if err != nil {
		return fail(r, fmt.Errorf("checking %s for server %s: %w", job.Image, s.Name, err))
	}
	if done != nil {
		done.Status = Unchanged
		return *done
	}

	p.step(s.Name, "building")
	res, err := p.builder.Build(ctx, s)
	if err != nil {
		r.Builder = build.BuilderOf(err)
		return fail(r, err)
	}
	r.Builder = res.Builder
	if err := job.check(res); err != nil {
		return fail(r, err)
	}
	// Nothing is signed for an image the registry does not serve: the build's word that
	// it pushed is not enough (a registry can answer 201 and keep nothing).
	if err := p.confirmImage(ctx, job, res.Image); err != nil {
		return fail(r, fmt.Errorf("confirming the image of server %s: %w", s.Name, err))
	}
	r.Image = res.Image.String()
	p.step(s.Name, "signing %s", res.Image)
	sig, err := p.svc.SignImage(ctx, res.Image, job.claims())
	if err != nil {
		return fail(r, fmt.Errorf("signing server %s: %w", s.Name, err))
	}
	r.setSignature(sig)
	p.step(s.Name, "attesting provenance")
	att, err := p.svc.Attest(ctx, res.Image, res.Provenance)
	if err != nil {
		return fail(r, fmt.Errorf("attesting server %s: %w", s.Name, err))
	}
	r.setAttestation(att)
	// Published even when the digest was already signed and attested (a pin changed back,
	// a tag moved or deleted): the build pushed the tag anew. No new signature or log entry
	// was made then; the log indexes in the report are the existing ones.
	r.Status = Published
	return r
}

// check accepts a build's result only for the image this job checked and will confirm:
// pushed to job.Image (by tag, and by digest in its repository), with provenance to attest.
func (j Job) check(res *build.Result) error {
	s := j.Server
	switch {
	case res == nil:
		return fmt.Errorf("build of server %s returned no result", s.Name)
	case res.Tag.Name() != j.Image.Name() || res.Image.Context().Name() != j.Image.Context().Name():
		return fmt.Errorf("build of server %s pushed %s (tag %q), not to %s that publish checked",
			s.Name, res.Image, res.Tag.Name(), j.Image)
	case !sameTags(res.ExtraTags, j.ExtraTags):
		return fmt.Errorf("build of server %s pushed the tags %v, not %v that publish checked", s.Name, res.ExtraTags, j.ExtraTags)
	case res.Provenance == nil:
		return fmt.Errorf("build of server %s returned no provenance", s.Name)
	}
	return nil
}

func sameTags(a, b []name.Tag) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name() != b[i].Name() {
			return false
		}
	}
	return true
}
