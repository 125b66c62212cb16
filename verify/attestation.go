package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/in-toto/in-toto-golang/in_toto"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/mcpbuild/mcpbuild/sign"
)

const inTotoPayloadType = "application/vnd.in-toto+json"

// maxEnvelopeSignatures bounds the signatures of one DSSE envelope that are tried against
// the key (each costs a hash of the whole payload); cosign writes one.
const maxEnvelopeSignatures = 4

// attestation is the outcome of one attestation: its check, and whether it is by this
// key. An attestation that does not verify with the key is another party's: it is
// ignored, as signatures by other keys are. One that could not be read might have been
// by this key.
type attestation struct {
	check Check
	byKey bool
}

// checkProvenance verifies the SLSA v1 provenance attestations stored at
// <sigrepo>:sha256-<hex>.att (cosign layout, DSSE envelopes) that are signed by the key:
// its Rekor bundle verifies (unless the tlog is skipped), the subject is this digest and
// the git source is the pinned project at the pinned commit (and, for the build context,
// in the pinned directory). Attestations by other keys (a publisher's, seen by a
// co-signer's key) are not this key's provenance: without one by this key, provenance is
// absent.
//
// Without a .att manifest, and when provenance is required or the image has no legacy
// signature either (so the referrers are read anyway), it looks for SLSA v1 provenance in
// cosign v3's format: Sigstore bundles stored as referrers, verified with sigstore-go.
func (v *Verifier) checkProvenance(ctx context.Context, refs *referrers, digest v1.Hash, m *manifest, err error, p Policy, lookReferrers bool) Check {
	sigRepo := refs.sigRepo
	absent := func(why string) Check {
		if p.Provenance == ProvenanceRequired {
			return fail(CheckProvenance, why+" (provenance required)")
		}
		return skipped(CheckProvenance, why)
	}
	if errors.Is(err, errNotFound) {
		if lookReferrers || p.Provenance == ProvenanceRequired {
			if c, found := v.bundleProvenance(ctx, refs, digest, p); found {
				return c
			} else if c.Detail != "" {
				return absent(c.Detail)
			}
		}
		return absent("no attestations for " + digest.String() + " in " + sigRepo.Name())
	}
	if err != nil {
		return errCheck(CheckProvenance, fmt.Errorf("looking up attestations in %s: %w", sigRepo, err))
	}
	am, err := imageOf(m, "attestation manifest")
	if err != nil {
		return errCheck(CheckProvenance, err)
	}
	var layers []v1.Descriptor
	for _, l := range am.Layers {
		if pt, ok := l.Annotations["predicateType"]; ok && pt != slsa1.PredicateSLSAProvenance {
			continue // another kind of attestation (SBOM...), not ours to judge
		}
		layers = append(layers, l)
	}
	var mine []Check
	if n := len(layers); n > maxSignatures {
		layers = layers[:maxSignatures]
		// Unless one of the first passes, the answer might have been further down.
		mine = append(mine, errCheck(CheckProvenance, truncated("attestation manifest "+m.Digest.String(), n)))
	}
	// One at a time, each envelope dropped before the next is read: the first that passes
	// decides. Else one that could not be checked (it might have passed), else the first
	// failure by this key.
	for _, l := range layers {
		r := v.checkAttestation(ctx, sigRepo, l, digest, p)
		if !r.byKey {
			continue
		}
		if r.check.Status == StatusPass {
			return r.check
		}
		mine = append(mine, r.check)
	}
	if c, ok := bestAttestation(mine); ok {
		return c
	}
	if len(layers) > 0 && len(mine) == 0 {
		return absent(noneByKey(len(layers), digest, sigRepo))
	}
	return absent("no SLSA v1 provenance among the attestations of " + digest.String())
}

// noneByKey says that none of n attestations is by the key.
func noneByKey(n int, digest v1.Hash, repo name.Repository) string {
	return fmt.Sprintf("no provenance by this key (none of the %d attestation(s) of %s in %s verifies with it)", n, digest, repo.Name())
}

// bestAttestation picks the outcome of several attestations: one that passes; else one
// that could not be checked (it might have passed); else the first failure.
func bestAttestation(results []Check) (Check, bool) {
	for _, want := range []Status{StatusPass, StatusError, StatusFail} {
		for _, r := range results {
			if r.Status == want {
				return r, true
			}
		}
	}
	return Check{}, false
}

// checkAttestation checks one attestation layer: read, verified with the key (else it is
// not by this key), then its predicate, Rekor bundle and provenance.
func (v *Verifier) checkAttestation(ctx context.Context, sigRepo name.Repository, l v1.Descriptor, digest v1.Hash, p Policy) attestation {
	release, err := v.large.acquire(ctx, itemSize(l))
	if err != nil {
		return attestation{check: errCheck(CheckProvenance, err), byKey: true}
	}
	defer release()
	env, err := v.readDescriptor(ctx, sigRepo, l, MaxEnvelopeBytes)
	if err != nil {
		return attestation{check: errCheck(CheckProvenance, fmt.Errorf("reading attestation: %w", err)), byKey: true}
	}
	payloadType, stmtJSON, err := v.openEnvelope(ctx, env)
	if isTransport(err) { // over the budget or the JSON limits
		return attestation{check: errCheck(CheckProvenance, fmt.Errorf("reading attestation: %w", err)), byKey: true}
	}
	if err != nil {
		v.o.logger.Debug("attestation not by this key", "digest", l.Digest.String(), "err", err)
		return attestation{}
	}
	byKey := func(c Check) attestation { return attestation{check: c, byKey: true} }
	if payloadType != inTotoPayloadType {
		return byKey(fail(CheckProvenance, fmt.Sprintf("attestation payload type %q is not %q", payloadType, inTotoPayloadType)))
	}
	// An attestation that does not even claim to be SLSA v1 provenance (an SBOM, a scan)
	// is not this check's business; ignoring it can only make provenance absent. One that
	// claims to be provenance must verify.
	var hdr in_toto.StatementHeader
	if json.Unmarshal(stmtJSON, &hdr) == nil && hdr.PredicateType != "" && hdr.PredicateType != slsa1.PredicateSLSAProvenance {
		return byKey(skipped(CheckProvenance, "attestation of predicate type "+hdr.PredicateType))
	}
	if v.rekor != nil {
		var raw *string
		if a, ok := l.Annotations[sign.BundleAnnotation]; ok {
			raw = &a
		}
		b, err := parseRekorBundle(ctx, raw)
		if err != nil {
			return byKey(errCheck(CheckProvenance, fmt.Errorf("attestation transparency log: %w", err)))
		}
		tl := v.verifyRekorBundle(ctx, b, []string{"intoto", "dsse"}, func(o ...static.Option) (oci.Signature, error) {
			return static.NewAttestation(env, o...)
		})
		if tl.Status != StatusPass {
			tl.Name, tl.Detail = CheckProvenance, "attestation transparency log: "+tl.Detail
			return byKey(tl)
		}
	}
	return byKey(provenanceMatches(stmtJSON, digest, p))
}

// openEnvelope verifies a DSSE envelope with the key and returns its payload type and
// decoded payload. An error means the envelope is not signed by the key (whatever else
// is wrong with it), unless it is a transport error (over the budget or a limit).
func (v *Verifier) openEnvelope(ctx context.Context, env []byte) (string, []byte, error) {
	// Decoding copies the payload (a string), decodes it (3/4 of it) and encodes it for
	// the signature (PAE, as much again).
	if err := chargeJSON(ctx, env, int64(len(env))*3/2, "attestation envelope"); err != nil {
		return "", nil, err
	}
	var e ssldsse.Envelope
	if err := json.Unmarshal(env, &e); err != nil {
		return "", nil, fmt.Errorf("parsing envelope: %w", err)
	}
	if len(e.Signatures) > maxEnvelopeSignatures {
		e.Signatures = e.Signatures[:maxEnvelopeSignatures]
	}
	ev, err := ssldsse.NewEnvelopeVerifier(&sigdsse.VerifierAdapter{SignatureVerifier: v.sigVer, Pub: v.key})
	if err != nil {
		return "", nil, err
	}
	_, payload, err := ev.VerifyAndDecode(ctx, &e)
	if err != nil {
		return "", nil, fmt.Errorf("envelope does not verify with the key: %w", err)
	}
	return e.PayloadType, payload, nil
}
