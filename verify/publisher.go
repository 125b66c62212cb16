package verify

import (
	"crypto"
	"errors"
	"fmt"
)

// TrustLevel says how far a publisher is trusted; it is reported with every verdict of
// the images the publisher covers, for gateways to decide on.
type TrustLevel string

// Trust levels, a closed set.
const (
	TrustOfficial  TrustLevel = "official"  // the catalog's own publisher
	TrustVerified  TrustLevel = "verified"  // a known, vetted third party
	TrustCommunity TrustLevel = "community" // anyone else whose key is listed
)

// trustLevels lists the valid trust levels.
var trustLevels = []TrustLevel{TrustOfficial, TrustVerified, TrustCommunity}

// Valid reports whether l is TrustOfficial, TrustVerified or TrustCommunity.
func (l TrustLevel) Valid() bool {
	for _, v := range trustLevels {
		if l == v {
			return true
		}
	}
	return false
}

// PublisherKey is one of a publisher's signing keys: Ref names it in verdicts (a file, a
// KMS URI, env://VAR), Key is the public key.
type PublisherKey struct {
	Ref string
	Key crypto.PublicKey
}

// Publisher is one party of a TrustPolicy: the images it covers, the keys that may sign
// them, and what is required of them.
type Publisher struct {
	Name       string
	TrustLevel TrustLevel
	// Keys: at most MaxPublisherKeys. An image passes when one of them verifies both its
	// signature and (when provenance is checked) its attestation; a signature by one key
	// and an attestation by another do not pass. The verdict's signature check names the
	// key that verified.
	Keys []PublisherKey
	// Images are the image patterns the publisher covers (see ImagePattern).
	Images []string
	// Provenance replaces the Policy's for the images the publisher covers;
	// RequireSignedRevision adds to the Policy's.
	Provenance            ProvenanceMode
	RequireSignedRevision bool
	// Options are the publisher's own Verifier options: its transparency-log policy
	// (WithRekorPublicKey, WithTrustedRoot, WithRekorURL or WithoutTLogUnsafe, required)
	// and signatures repository (WithSignaturesRepository). NewPolicyVerifier's options
	// apply to every publisher.
	Options []Option
}

// Limits of a TrustPolicy: each key of a publisher may mean one more verification of an
// image (its reads bounded by MaxImageBytes each), so their number is bounded.
const (
	MaxPublishers    = 64
	MaxPublisherKeys = 8
)

// TrustPolicy is the publishers whose images are verified; an image that no publisher
// covers is not verified.
type TrustPolicy struct {
	Publishers []Publisher
}

// validate checks what NewPolicyVerifier needs besides each publisher's options, and
// parses the image patterns.
func (tp TrustPolicy) validate() ([][]ImagePattern, error) {
	if len(tp.Publishers) == 0 {
		return nil, errors.New("trust policy: no publisher")
	}
	if len(tp.Publishers) > MaxPublishers {
		return nil, fmt.Errorf("trust policy: %d publishers, at most %d", len(tp.Publishers), MaxPublishers)
	}
	var errs []error
	names := map[string]bool{}
	pats := make([][]ImagePattern, len(tp.Publishers))
	type at struct {
		pub int
		pat ImagePattern
	}
	var all []at
	for i, p := range tp.Publishers {
		e := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("publisher %d %q: %s", i+1, p.Name, fmt.Sprintf(format, args...)))
		}
		switch {
		case p.Name == "":
			e("no name")
		case names[p.Name]:
			e("name used twice")
		}
		names[p.Name] = true
		if !p.TrustLevel.Valid() {
			e("trust level %q is not one of %v", p.TrustLevel, trustLevels)
		}
		switch {
		case len(p.Keys) == 0:
			e("no key")
		case len(p.Keys) > MaxPublisherKeys:
			e("%d keys, at most %d", len(p.Keys), MaxPublisherKeys)
		}
		for j, k := range p.Keys {
			if k.Key == nil {
				e("key %d (%s) is nil", j+1, k.Ref)
			}
		}
		if len(p.Images) == 0 {
			e("covers no image pattern")
		}
		for _, s := range p.Images {
			ip, err := ParseImagePattern(s)
			if err != nil {
				e("%v", err)
				continue
			}
			for _, o := range all {
				if o.pub != i && o.pat.Ambiguous(ip) {
					e("image pattern %q is as specific as %q of publisher %q: which one covers an image both match is ambiguous",
						s, o.pat, tp.Publishers[o.pub].Name)
				}
			}
			pats[i] = append(pats[i], ip)
			all = append(all, at{i, ip})
		}
	}
	return pats, errors.Join(errs...)
}
