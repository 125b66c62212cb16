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
// publisher; a publisher without a name (or a name used twice), a valid trust level, a
// key, an image pattern or a transparency-log policy among its Options; an invalid
// pattern; two publishers' patterns that could tie (see ImagePattern). opts apply to
// every publisher (logger, transport, keychain, stats, platform), before its own.
func NewPolicyVerifier(tp TrustPolicy, opts ...Option) (*PolicyVerifier, error) {
	pats, err := tp.validate()
	if err != nil {
		return nil, err
	}
	pv := &PolicyVerifier{}
	for i, p := range tp.Publishers {
		bp := boundPublisher{pub: p, patterns: pats[i]}
		for j, k := range p.Keys {
			v, err := New(k.Key, append(append([]Option(nil), opts...), p.Options...)...)
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
// when none does.
func (pv *PolicyVerifier) Publisher(repo name.Repository) (Publisher, string, bool) {
	bp, pat := pv.match(repo)
	if bp == nil {
		return Publisher{}, "", false
	}
	return bp.pub, pat.String(), true
}

func (pv *PolicyVerifier) match(repo name.Repository) (*boundPublisher, ImagePattern) {
	var best *boundPublisher
	var bestPat ImagePattern
	for i := range pv.pubs {
		for _, p := range pv.pubs[i].patterns {
			if p.Matches(repo) && (best == nil || p.MoreSpecific(bestPat)) {
				best, bestPat = &pv.pubs[i], p
			}
		}
	}
	return best, bestPat
}

// Verify verifies ref as Verifier.Verify does, with the covering publisher's keys, log,
// signatures repository and requirements (Publisher.Provenance replaces p.Provenance;
// RequireSignedRevision adds to it); the Verdict names the publisher and its trust level.
// With several keys, each is tried in turn until one verifies, except when a check that
// does not depend on the key (digest, label) failed; a verdict decided by no key is the
// first key's, unless another key's could not be decided (then that one's, indeterminate).
// An image no publisher covers is not verified (Reason "no publisher in the policy
// covers <repository>"), and nothing is read for it.
func (pv *PolicyVerifier) Verify(ctx context.Context, ref name.Reference, p Policy) (*Verdict, error) {
	if ref == nil {
		return pv.pubs[0].verifiers[0].Verify(ctx, ref, p)
	}
	bp, _ := pv.match(ref.Context())
	if bp == nil {
		return uncovered(ref, p), nil
	}
	p.Provenance = bp.pub.Provenance
	p.RequireSignedRevision = p.RequireSignedRevision || bp.pub.RequireSignedRevision
	var first, undecided *Verdict
	var undecidedErr error
	for i, v := range bp.verifiers {
		vd, err := v.Verify(ctx, ref, p)
		vd.Publisher, vd.TrustLevel = bp.pub.Name, bp.pub.TrustLevel
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
		if c, bad := vd.FirstFailure(); bad && c.Status == StatusFail && (c.Name == CheckDigest || c.Name == CheckLabel) {
			return vd, err
		}
	}
	if undecided != nil {
		return undecided, undecidedErr
	}
	return first, nil
}

// uncovered is the verdict of an image no publisher covers: nothing checked.
func uncovered(ref name.Reference, p Policy) *Verdict {
	vd := &Verdict{MediaType: MediaType, Image: ref.Name(), Pin: p.Pin}
	for _, n := range checkOrder {
		vd.Checks = append(vd.Checks, Check{Name: n, Status: StatusSkipped, Detail: "no publisher covers the image"})
	}
	vd.Reason = "no publisher in the policy covers " + ref.Context().Name()
	return vd
}
