package sign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// Job is one server to publish. Build builds and pushes the image (the cmd layer wires the
// BuildKit builder in; this package does not import it).
type Job struct {
	Name   string
	Image  name.Tag // <registry>/<image>:<tag>, where Build pushes the image
	Commit string   // the pin; the image's revision label and signed revision claim
	Source string   // project URL; the signed source claim (omitted when empty)
	Build  func(ctx context.Context) (*Built, error)
}

// Built is what a Job's Build returns.
type Built struct {
	Image      name.Digest // the pushed image by digest
	Provenance []byte      // in-toto statement (SLSA v1) about Image; nil: no attestation
}

// Status of one published server.
type Status string

const (
	Published Status = "published"
	Unchanged Status = "unchanged"
	Failed    Status = "failed"
)

// Report is the outcome for one server; its JSON form is `mcpbuild publish --output json`.
type Report struct {
	Name                string `json:"name"`
	Image               string `json:"image,omitempty"` // <registry>/<image>@sha256:...
	Commit              string `json:"commit"`
	Signature           string `json:"signature,omitempty"`   // <sigrepo>:sha256-<hex>.sig
	Attestation         string `json:"attestation,omitempty"` // <sigrepo>:sha256-<hex>.att
	SignatureLogIndex   *int64 `json:"signatureLogIndex,omitempty"`
	AttestationLogIndex *int64 `json:"attestationLogIndex,omitempty"`
	Status              Status `json:"status"`
	Reason              string `json:"reason,omitempty"`
	Err                 error  `json:"-"` // the failure, for exit-code mapping
}

// Publisher runs Jobs: check the registry, build, sign, attest; one Report per Job.
type Publisher struct {
	svc      *Service
	log      *slog.Logger
	progress io.Writer
	mu       sync.Mutex // progress lines
}

// PublisherOption configures a Publisher.
type PublisherOption func(*Publisher)

// WithProgress writes one plain line per step and server to w (stderr in the CLI).
func WithProgress(w io.Writer) PublisherOption { return func(p *Publisher) { p.progress = w } }

// WithPublishLogger sets the logger (default: discard).
func WithPublishLogger(l *slog.Logger) PublisherOption { return func(p *Publisher) { p.log = l } }

// NewPublisher returns a Publisher signing through svc. It reads images as svc's Store
// reads signatures (Store.WithReads).
func NewPublisher(svc *Service, opts ...PublisherOption) *Publisher {
	p := &Publisher{svc: svc, log: slog.New(slog.DiscardHandler), progress: io.Discard}
	for _, o := range opts {
		o(p)
	}
	return p
}

func (p *Publisher) step(job Job, format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.progress, "%s: %s\n", job.Name, fmt.Sprintf(format, args...))
}

// Publish runs jobs, at most parallel at a time, and returns their reports in job order. A
// failing job does not stop the others.
func (p *Publisher) Publish(ctx context.Context, jobs []Job, parallel int) []Report {
	if parallel < 1 {
		parallel = 1
	}
	out := make([]Report, len(jobs))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			out[i] = p.publishOne(ctx, j)
			r := &out[i]
			if r.Status == Failed {
				p.step(j, "failed: %s", r.Reason)
			} else {
				p.step(j, "%s %s", r.Status, r.Image)
			}
		})
	}
	wg.Wait()
	return out
}

func (j Job) claims() map[string]string {
	c := map[string]string{RevisionClaim: j.Commit}
	if j.Source != "" {
		c[SourceClaim] = j.Source
	}
	return c
}

func fail(r Report, err error) Report {
	r.Status, r.Reason, r.Err = Failed, err.Error(), err
	return r
}

func (p *Publisher) publishOne(ctx context.Context, job Job) Report {
	r := Report{Name: job.Name, Commit: job.Commit}
	if job.Build == nil {
		return fail(r, fmt.Errorf("server %s: nothing to build", job.Name))
	}
	p.step(job, "checking %s", job.Image)
	done, err := p.current(ctx, job)
	if err != nil {
		return fail(r, fmt.Errorf("checking %s for server %s: %w", job.Image, job.Name, err))
	}
	if done != nil {
		done.Status = Unchanged
		return *done
	}

	p.step(job, "building")
	built, err := job.Build(ctx)
	if err != nil {
		return fail(r, err)
	}
	// Nothing is signed for an image the registry does not serve: the build's word that
	// it pushed is not enough (a registry can answer 201 and keep nothing).
	if err := p.confirmImage(ctx, job, built.Image); err != nil {
		return fail(r, fmt.Errorf("confirming the image of server %s: %w", job.Name, err))
	}
	r.Image = built.Image.String()
	p.step(job, "signing %s", built.Image)
	sig, err := p.svc.SignImage(ctx, built.Image, job.claims())
	if err != nil {
		return fail(r, fmt.Errorf("signing server %s: %w", job.Name, err))
	}
	setSig(&r, sig)
	if built.Provenance == nil {
		return fail(r, fmt.Errorf("attesting server %s: the build returned no provenance", job.Name))
	}
	p.step(job, "attesting provenance")
	att, err := p.svc.Attest(ctx, built.Image, built.Provenance)
	if err != nil {
		return fail(r, fmt.Errorf("attesting server %s: %w", job.Name, err))
	}
	setAtt(&r, att)
	// Published even when the digest was already signed and attested (a pin changed back,
	// a tag moved or deleted): the build pushed the tag anew. No new signature or log entry
	// was made then; the log indexes in the report are the existing ones.
	r.Status = Published
	return r
}

func setSig(r *Report, a *Attached) {
	r.Signature = a.Tag.String()
	if a.LogIndex >= 0 {
		i := a.LogIndex
		r.SignatureLogIndex = &i
	}
}

func setAtt(r *Report, a *Attached) {
	r.Attestation = a.Tag.String()
	if a.LogIndex >= 0 {
		i := a.LogIndex
		r.AttestationLogIndex = &i
	}
}

// current returns the report of an already published job, from what it reads: the tag
// exists and is an image manifest (an index is rebuilt), its config's revision label
// equals the pin, and this key's signature (payload with the job's claims) and
// provenance attestation for that digest (the hash of the manifest read) are attached.
// Nil when the registry answers that something is missing (404); an error when any read
// fails otherwise.
func (p *Publisher) current(ctx context.Context, job Job) (*Report, error) {
	m, err := p.svc.store.manifest(ctx, job.Image, ocireg.AcceptImageRef)
	if err != nil || m == nil { // only a 404 is "not published yet"; other failures: could not check
		return nil, err
	}
	if m.Image == nil {
		p.log.Debug("tag is not a single image; rebuilding", "server", job.Name, "mediaType", m.MediaType)
		return nil, nil
	}
	_, cf, err := p.svc.store.config(ctx, job.Image.Context(), m.Image.Config)
	if err != nil {
		return nil, err
	}
	if got := cf.Config.Labels[RevisionClaim]; got != job.Commit {
		p.log.Debug("label differs from pin; rebuilding", "server", job.Name, "label", got, "pin", job.Commit)
		return nil, nil
	}
	dig := job.Image.Context().Digest(m.Digest.String())
	sig, err := p.svc.FindSignature(ctx, dig, job.claims())
	if err != nil || sig == nil {
		return nil, err
	}
	att, err := p.svc.FindAttestation(ctx, dig, SLSAProvenanceV1)
	if err != nil || att == nil {
		return nil, err
	}
	r := Report{Name: job.Name, Commit: job.Commit, Image: dig.String()}
	setSig(&r, sig)
	setAtt(&r, att)
	return &r, nil
}

// Failures returns the errors of the failed reports, joined (nil when none failed).
func Failures(rs []Report) error {
	var errs []error
	for _, r := range rs {
		if r.Status == Failed {
			errs = append(errs, r.Err)
		}
	}
	return errors.Join(errs...)
}
