package verify

import (
	"context"
	"crypto"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// ImageOptions configure the one-shot Image call.
type ImageOptions struct {
	// Key is the publisher's public key (required).
	Key crypto.PublicKey
	// RekorKey is the transparency log's public key. Required unless InsecureIgnoreTLog.
	RekorKey crypto.PublicKey
	// InsecureIgnoreTLog accepts signatures without a verified Rekor bundle.
	InsecureIgnoreTLog bool
	// Pin is what the image must have been built from (Commit required; Project is
	// compared with the provenance's git source).
	Pin catalog.Pin
	// SignaturesRepository overrides <registry>/mcp/signatures.
	SignaturesRepository string
	// RequireProvenance and RequireSignedRevision tighten the policy.
	RequireProvenance     bool
	RequireSignedRevision bool
	// Options are passed to New (transport, keychain, logger, stats...).
	Options []Option
}

// Image verifies one image reference ("registry/repo:tag" or "...@sha256:...", fully
// qualified: no default registry or tag is implied) for a gateway that starts it: it builds a Verifier from opts and returns the verdict by
// value. As with Verify, an error means "could not decide" (or bad options), and a
// decided "no" is a Verdict with Verified false. For many images, build one Verifier with
// New and call Verify: it reuses connections and authentication. A reference or options
// Image cannot use is an *InputError, with a Verdict (MediaType, Image, Pin, Reason
// "reference: ..." or "options: ...", every check "not reached") as Verify's.
func Image(ctx context.Context, ref string, opts ImageOptions) (Verdict, error) {
	r, err := name.ParseReference(ref, name.StrictValidation)
	if err != nil {
		return imageInputError(ref, opts.Pin, "reference", fmt.Errorf("parsing image reference %q (want registry/repository:tag or @sha256:..., nothing implied): %w", ref, err))
	}
	vd, err := imageVerify(ctx, r, opts)
	if vd == nil { // options Image could not turn into a Verifier
		return imageInputError(r.Name(), opts.Pin, "options", err)
	}
	return *vd, err
}

// imageVerify builds the Verifier opts describe and verifies r with it. A nil Verdict
// means the options were refused (err says why) and nothing was verified.
func imageVerify(ctx context.Context, r name.Reference, opts ImageOptions) (*Verdict, error) {
	vopts := append([]Option{}, opts.Options...)
	switch {
	case opts.InsecureIgnoreTLog && opts.RekorKey != nil:
		return nil, errors.New("both RekorKey and InsecureIgnoreTLog are set")
	case opts.InsecureIgnoreTLog:
		vopts = append(vopts, WithoutTLogUnsafe())
	case opts.RekorKey != nil:
		vopts = append(vopts, WithRekorPublicKey(opts.RekorKey))
	}
	if opts.SignaturesRepository != "" {
		sr, err := name.NewRepository(opts.SignaturesRepository)
		if err != nil {
			return nil, fmt.Errorf("parsing signatures repository %q: %w", opts.SignaturesRepository, err)
		}
		vopts = append(vopts, WithSignaturesRepository(sr))
	}
	v, err := New(opts.Key, vopts...)
	if err != nil {
		return nil, err
	}
	p := Policy{Pin: opts.Pin, RequireSignedRevision: opts.RequireSignedRevision}
	if opts.RequireProvenance {
		p.Provenance = ProvenanceRequired
	}
	return v.Verify(ctx, r, p)
}

// imageInputError is Image's answer to a reference or options it cannot use (what:
// "reference" or "options"): nothing was read, nothing is decided, as Verifier.invalid.
func imageInputError(image string, pin catalog.Pin, what string, err error) (Verdict, error) {
	vd := Verdict{MediaType: MediaType, Image: image, Pin: pin}
	vd.finish(false)
	vd.Verified, vd.Reason = false, what+": "+err.Error()
	return vd, &InputError{Image: image, Err: err}
}
