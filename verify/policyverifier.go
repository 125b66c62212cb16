package verify

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
)

// PolicyVerifier verifies images against a TrustPolicy: the publisher whose image
// patterns cover an image most specifically (see ImagePattern) decides which keys, log
// and requirements apply. It is safe for concurrent use.
type PolicyVerifier struct {
	pubs []boundPublisher
}

type boundPublisher struct {
	pub       Publisher
	patterns  []ImagePattern
	verifiers []*Verifier // one per key, in the order of Publisher.Keys
}

// NewPolicyVerifier returns a PolicyVerifier for tp. It refuses an invalid policy: no
// publisher, or more than MaxPublishers; more than MaxPublisherKeys keys; a publisher without a name (or a name used twice), a valid trust level, a
// key, an image pattern or a transparency-log policy among its Options; an invalid
// pattern; two publishers' patterns that could tie (see ImagePattern). opts apply to
// every publisher (logger, transport, keychain, stats, platform), before its own.
func NewPolicyVerifier(tp TrustPolicy, opts ...Option) (*PolicyVerifier, error) {
	pats, err := tp.validate()
	if err != nil {
		return nil, err
	}
	pv := &PolicyVerifier{}
	lim := newLimits() // one memory bound for all the keys' Verifiers
	for i, p := range tp.Publishers {
		bp := boundPublisher{pub: p, patterns: pats[i]}
		for j, k := range p.Keys {
			v, err := New(k.Key, append(append([]Option{withLimits(lim)}, opts...), p.Options...)...)
			if err != nil {
				return nil, fmt.Errorf("publisher %q, key %d (%s): %w", p.Name, j+1, k.Ref, err)
			}
			bp.verifiers = append(bp.verifiers, v)
		}
		pv.pubs = append(pv.pubs, bp)
	}
	return pv, nil
}

// Publisher returns the publisher covering repo, and the pattern that decided it; false
// when none does, or when repo has no canonical spelling (see ImagePattern).
func (pv *PolicyVerifier) Publisher(repo name.Repository) (Publisher, string, bool) {
	key, err := canonicalRepo(repo)
	if err != nil {
		return Publisher{}, "", false
	}
	bp, pat := pv.match(key)
	if bp == nil {
		return Publisher{}, "", false
	}
	return bp.pub, pat.String(), true
}

// match returns the publisher whose pattern covers the canonical repository key most
// specifically (nil: none).
func (pv *PolicyVerifier) match(key string) (*boundPublisher, ImagePattern) {
	var best *boundPublisher
	var bestPat ImagePattern
	for i := range pv.pubs {
		for _, p := range pv.pubs[i].patterns {
			if p.matches(key) && (best == nil || p.MoreSpecific(bestPat)) {
				best, bestPat = &pv.pubs[i], p
			}
		}
	}
	return best, bestPat
}

// Verify verifies ref as Verifier.Verify does, with the covering publisher's keys, log,
// signatures repository and requirements (Publisher.Provenance replaces p.Provenance;
// RequireSignedRevision adds to it).
//
// The publisher is matched on ref's canonical spelling (see ImagePattern); a reference
// without one is an InputError (Reason "reference: ..."), and nothing is read for it.
//
// With several keys, each is tried in turn until one verifies; one key must verify both
// the signature and the attestation (a signature by one key and provenance by another do
// not pass). A tag is resolved once, by the first key's verification: the others verify
// that digest. A failure that does not depend on the key (the digest could not be
// resolved, or the label) stops at once. A verdict decided by no key is the first key's,
// unless another key's could not be decided (then that one's, indeterminate).
//
// Only a verified verdict names the publisher and its trust level (Verdict.Publisher,
// TrustLevel); any other verdict of a covered image names the covering publisher in its
// Reason, "... (covered by publisher <name>)", and is no claim about who published it.
// An image no publisher covers is not verified (Reason "no publisher in the policy covers
// <repository>"), and nothing is read for it.
func (pv *PolicyVerifier) Verify(ctx context.Context, ref name.Reference, p Policy) (*Verdict, error) {
	if ref == nil {
		return pv.pubs[0].verifiers[0].Verify(ctx, ref, p)
	}
	key, err := canonicalRepo(ref.Context())
	if err != nil {
		vd := skippedVerdict(ref, p, "reference not in a canonical spelling")
		vd.Reason = "reference: " + err.Error()
		return vd, &InputError{Image: ref.Name(), Err: fmt.Errorf("matching %s against the trust policy: %w", ref.Context().Name(), err)}
	}
	bp, _ := pv.match(key)
	if bp == nil {
		vd := skippedVerdict(ref, p, "no publisher covers the image")
		vd.Reason = "no publisher in the policy covers " + ref.Context().Name()
		return vd, nil
	}
	p.Provenance = bp.pub.Provenance
	p.RequireSignedRevision = p.RequireSignedRevision || bp.pub.RequireSignedRevision
	vd, err := bp.verify(ctx, ref, p)
	if vd != nil {
		if vd.Verified && err == nil {
			vd.Publisher, vd.TrustLevel = bp.pub.Name, bp.pub.TrustLevel
		} else {
			vd.Publisher, vd.TrustLevel = "", ""
			vd.Reason += fmt.Sprintf(" (covered by publisher %q)", bp.pub.Name)
		}
	}
	return vd, err
}

// verify tries the publisher's keys in turn (see PolicyVerifier.Verify).
func (bp *boundPublisher) verify(ctx context.Context, ref name.Reference, p Policy) (*Verdict, error) {
	var first, undecided *Verdict
	var undecidedErr error
	var resolved name.Reference // the digest the first key's verification resolved a tag to
	var digestCheck Check
	for i, v := range bp.verifiers {
		at := ref
		if resolved != nil {
			at = resolved
		}
		vd, err := v.Verify(ctx, at, p)
		if resolved != nil && vd != nil {
			vd.Image = ref.Name()
			for j := range vd.Checks {
				if vd.Checks[j].Name == CheckDigest && vd.Checks[j].Status == StatusPass {
					vd.Checks[j] = digestCheck
				}
			}
		}
		var ie *InputError
		switch {
		case errors.As(err, &ie):
			return vd, err
		case err == nil && vd.Verified:
			if len(bp.verifiers) > 1 {
				for j := range vd.Checks {
					if vd.Checks[j].Name == CheckSignature {
						vd.Checks[j].Detail += fmt.Sprintf(" (key %d of %d: %s)", i+1, len(bp.verifiers), bp.pub.Keys[i].Ref)
					}
				}
			}
			return vd, nil
		case err != nil:
			if undecided == nil {
				undecided, undecidedErr = vd, err
			}
			if ctx.Err() != nil {
				return undecided, undecidedErr
			}
		case first == nil:
			first = vd
		}
		dc := vd.Check(CheckDigest)
		if dc.Status != StatusPass { // nothing key-dependent was learnt; the next key would read the same
			if undecided != nil {
				return undecided, undecidedErr
			}
			return vd, err
		}
		if c, bad := vd.FirstFailure(); bad && c.Status == StatusFail && c.Name == CheckLabel {
			return vd, err
		}
		if resolved == nil {
			if _, isTag := ref.(name.Tag); isTag && vd.Digest != "" {
				resolved, digestCheck = ref.Context().Digest(vd.Digest), dc
			}
		}
	}
	if undecided != nil {
		return undecided, undecidedErr
	}
	return first, nil
}

// skippedVerdict is a verdict with nothing checked (each check skipped with detail).
func skippedVerdict(ref name.Reference, p Policy, detail string) *Verdict {
	vd := &Verdict{MediaType: MediaType, Image: ref.Name(), Pin: p.Pin}
	for _, n := range checkOrder {
		vd.Checks = append(vd.Checks, Check{Name: n, Status: StatusSkipped, Detail: detail})
	}
	return vd
}
