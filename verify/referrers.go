package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// bundleArtifactType marks a Sigstore bundle referrer (cosign v3's default format).
const bundleArtifactType = "application/vnd.dev.sigstore.bundle"

// predicateAnnotation is set by cosign v3 on bundle referrer manifests.
const predicateAnnotation = "dev.sigstore.bundle.predicateType"

// referrers are the Sigstore bundles stored as OCI referrers of one image digest in the
// signatures repository, found through the referrers fallback tag sha256-<hex> (an
// index; neither the distribution registry nor ggcr's implements the referrers API). The
// index and the referrer manifests are read at most once per verification, whether the
// signature or the provenance check asks first; each bundle is read by the check that
// wants its predicate type (bundleRaw), one at a time.
type referrers struct {
	sigRepo name.Repository
	digest  v1.Hash

	once     sync.Once
	notFound bool  // no fallback index: nothing stored as referrers
	err      error // the lookup failed, or the index is not a valid one (indeterminate)
	bundles  []referrerBundle

	truncated error // set when the index lists more bundles than are examined
}

type referrerBundle struct {
	predicateType string        // from the referrer manifest's annotation ("" when absent)
	layer         v1.Descriptor // the bundle (read with bundleRaw)
	err           error
}

func (r *referrers) load(ctx context.Context, v *Verifier) {
	r.once.Do(func() {
		m, err := v.reg.getManifest(ctx, r.sigRepo.Tag(r.digest.Algorithm+"-"+r.digest.Hex), acceptReferrers)
		if errors.Is(err, errNotFound) {
			r.notFound = true
			return
		}
		if err != nil {
			r.err = err
			return
		}
		var descs []v1.Descriptor
		for _, d := range m.Index.Manifests {
			if strings.HasPrefix(d.ArtifactType, bundleArtifactType) {
				descs = append(descs, d)
			}
		}
		if n := len(descs); n > maxSignatures {
			descs = descs[:maxSignatures]
			r.truncated = truncated("referrers index "+m.Digest.String(), n)
		}
		r.bundles = make([]referrerBundle, len(descs))
		for start := 0; start < len(descs); start += readWindow {
			var fns []func(context.Context)
			for i := start; i < min(start+readWindow, len(descs)); i++ {
				fns = append(fns, func(ctx context.Context) { r.bundles[i] = v.readBundle(ctx, r.sigRepo, descs[i]) })
			}
			fetchAll(ctx, fns...)
		}
	})
}

// of returns the bundles whose predicate type is want (or unknown).
func (r *referrers) of(want string) []referrerBundle {
	var out []referrerBundle
	for _, b := range r.bundles {
		if b.predicateType == "" || b.predicateType == want {
			out = append(out, b)
		}
	}
	return out
}

func (v *Verifier) readBundle(ctx context.Context, sigRepo name.Repository, d v1.Descriptor) referrerBundle {
	m, err := v.reg.getManifestFor(ctx, sigRepo, d, acceptReferrer)
	if err != nil {
		return referrerBundle{err: referenced(err)}
	}
	bm := m.Image
	for _, l := range bm.Layers {
		if strings.HasPrefix(string(l.MediaType), bundleArtifactType) {
			return referrerBundle{predicateType: bm.Annotations[predicateAnnotation], layer: l}
		}
	}
	return referrerBundle{err: &contentError{fmt.Errorf("referrer %s holds no Sigstore bundle layer", d.Digest)}}
}
