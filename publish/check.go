package publish

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/sign"
)

// current returns the report of an already published job, from what it reads: the tag
// exists (and every extra tag holds the same digest) and is what the Publisher builds (checkImages: an image manifest, or for several
// platforms an index of exactly those platforms; anything else is rebuilt), every
// platform's config passes verify's revision-label check against the pin, and this key's
// signature (payload with the job's claims) and provenance attestation for that digest
// (the hash of the manifest read) are attached (sign's FindSignature, FindAttestation).
// Nil when the registry answers that something is missing (404) or the label differs; an
// error when any read fails otherwise.
//
// Three reads when a single image is published: the tag, then the .sig and .att manifests
// in parallel. The config is not read then (see trustsSignature): this key's valid
// signature over the digest with the pin as its revision claim says the label was
// checked. When either is missing or a read failed, the configs are read as before and
// the outcome is the sequential one: the tag's shape and label first, then the
// signature, then the attestation (so a label that differs still means "rebuild", not an
// error from a .sig or .att read).
func (p *Publisher) current(ctx context.Context, job Job) (*Report, error) {
	s, st := job.Server, p.svc.Store()
	m, err := st.ReadManifest(ctx, job.Image, ocireg.AcceptImageRef)
	if err != nil || m == nil { // only a 404 is "not published yet"; other failures: could not check
		return nil, err
	}
	if why := p.checkShape(m); why != "" {
		p.log.Debug("published image differs; rebuilding", "server", s.Name, "why", why)
		return nil, nil
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
	var (
		sig, att       *sign.Attached
		sigErr, attErr error
		wg             sync.WaitGroup
	)
	wg.Go(func() { sig, sigErr = p.svc.FindSignature(ctx, dig, job.claims()) })
	wg.Go(func() { att, attErr = p.svc.FindAttestation(ctx, dig, sign.SLSAProvenanceV1) })
	wg.Wait()
	if ctx.Err() != nil { // the run is over (--timeout): name the read it stopped, read nothing more
		return nil, errors.Join(sigErr, attErr, ctx.Err())
	}
	if sig == nil || att == nil || sigErr != nil || attErr != nil || !p.trustsSignature() {
		if why, err := p.checkImages(ctx, job.Image.Context(), m, s.Source.Commit); err != nil || why != "" {
			if why != "" {
				p.log.Debug("published image differs; rebuilding", "server", s.Name, "why", why)
			}
			return nil, err
		}
	}
	if sigErr != nil || sig == nil {
		return nil, sigErr
	}
	if attErr != nil || att == nil {
		return nil, attErr
	}
	r := Report{Name: s.Name, Commit: s.Source.Commit, Image: dig.String()}
	r.setSignature(sig)
	r.setAttestation(att)
	return &r, nil
}

// trustsSignature reports whether this key's signature with the job's claims stands for
// checkImages' reads. It does for a single image built without --platform only.
//
// The signature FindSignature accepts is by this key (verified), over a payload naming
// exactly the digest the tag resolves to (the hash of the manifest read) with the pin as
// its revision claim, and when the Publisher logs, with a bundle of that log binding it.
// Publish signs a digest with those claims only after confirmImage read it back and
// checked its config's revision label against the pin; a digest names its manifest, and
// the manifest its config, so what was checked cannot have changed. What the signature
// does not bind is what the Publisher is asked to build now, and what the registry still
// holds: the shape (image or index of the platforms asked for) is read from the manifest
// itself (checkShape, always); the platform of a single image is only in its config (a
// change of --platform must rebuild), and an index's platform manifests are other
// manifests that a registry may have lost (a 404 must rebuild, not stay "unchanged"), so
// with any --platform checkImages still reads them.
//
// The signature is the key holder's word: a signature made with this key outside
// publish (cosign sign -a org.opencontainers.image.revision=<pin>) is taken as publish's.
func (p *Publisher) trustsSignature() bool { return len(p.platforms) == 0 }

// checkShape is the part of checkImages read from m alone: an image manifest without
// platforms or with one, an index of exactly the platforms asked for with several.
func (p *Publisher) checkShape(m *ocireg.Manifest) string {
	if len(p.platforms) <= 1 {
		if m.Image == nil {
			return fmt.Sprintf("%s is a %s, not an image manifest", m.Digest, m.MediaType)
		}
		return ""
	}
	_, why := p.indexPlatforms(m)
	return why
}
