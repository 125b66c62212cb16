package publish

import (
	"context"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/sign"
)

// current returns the report of an already published job, from what it reads: the tag
// exists (and every extra tag holds the same digest) and is what the Publisher builds (checkImages: an image manifest, or for several
// platforms an index of exactly those platforms; anything else is rebuilt), every
// platform's config passes verify's revision-label check against the pin, and this key's signature (payload with the job's
// claims) and provenance attestation for that digest (the hash of the manifest read) are
// attached (sign's FindSignature, FindAttestation). Nil when the registry answers that
// something is missing (404) or the label differs; an error when any read fails
// otherwise.
func (p *Publisher) current(ctx context.Context, job Job) (*Report, error) {
	s, st := job.Server, p.svc.Store()
	m, err := st.ReadManifest(ctx, job.Image, ocireg.AcceptImageRef)
	if err != nil || m == nil { // only a 404 is "not published yet"; other failures: could not check
		return nil, err
	}
	if why, err := p.checkImages(ctx, job.Image.Context(), m, s.Source.Commit); err != nil || why != "" {
		if why != "" {
			p.log.Debug("published image differs; rebuilding", "server", s.Name, "why", why)
		}
		return nil, err
	}
	// Every extra tag must hold the same digest; one missing or elsewhere is rebuilt (the
	// build is reproducible: the same digest, which gets no new signature).
	for _, t := range job.ExtraTags {
		tm, err := st.ReadManifest(ctx, t, ocireg.AcceptImageRef)
		if err != nil || tm == nil || tm.Digest != m.Digest {
			if err == nil {
				p.log.Debug("a tag does not hold the published digest; rebuilding", "server", s.Name, "tag", t.String())
			}
			return nil, err
		}
	}
	dig := job.Image.Context().Digest(m.Digest.String())
	sig, err := p.svc.FindSignature(ctx, dig, job.claims())
	if err != nil || sig == nil {
		return nil, err
	}
	att, err := p.svc.FindAttestation(ctx, dig, sign.SLSAProvenanceV1)
	if err != nil || att == nil {
		return nil, err
	}
	r := Report{Name: s.Name, Commit: s.Source.Commit, Image: dig.String()}
	r.setSignature(sig)
	r.setAttestation(att)
	return &r, nil
}
