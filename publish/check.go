package publish

import (
	"context"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify"
)

// current returns the report of an already published job, from what it reads: the tag
// exists and is an image manifest (an index is rebuilt), its config passes verify's
// revision-label check against the pin, and this key's signature (payload with the job's
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
	if m.Image == nil {
		p.log.Debug("tag is not a single image; rebuilding", "server", s.Name, "mediaType", m.MediaType)
		return nil, nil
	}
	cf, err := st.ReadConfig(ctx, job.Image.Context(), m.Image.Config)
	if err != nil {
		return nil, err
	}
	if c := verify.CheckRevisionLabel(cf, s.Source.Commit); c.Status != verify.StatusPass {
		p.log.Debug("label differs from pin; rebuilding", "server", s.Name, "check", c.Detail)
		return nil, nil
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
