package verify

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"maps"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// cosignSignPredicate is the predicate type of cosign v3's image signature statements
// (other bundles, e.g. attestations, are not signatures).
const cosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

// checkBundles verifies cosign v3's default signatures: Sigstore bundles (v0.3, DSSE
// with an in-toto statement of predicate cosignSignPredicate) stored as referrers.
// Verification is sigstore-go's, with the key and a trusted root made of the Rekor key.
func (v *Verifier) checkBundles(ctx context.Context, refs *referrers, imgRepo name.Repository, digest v1.Hash) signed {
	noTLog := skipped(CheckTLog, "no verified signature")
	refs.load(ctx, v)
	unsigned := signed{sig: fail(CheckSignature, fmt.Sprintf("no signatures for %s in %s (unsigned)", digest, refs.sigRepo.Name())), tlog: noTLog}
	switch {
	case refs.notFound:
		return unsigned
	case refs.err != nil:
		return signed{sig: errCheck(CheckSignature, fmt.Errorf("looking up signatures in %s: %w", refs.sigRepo, refs.err)), tlog: noTLog}
	}
	bundles := refs.of(cosignSignPredicate)
	if len(bundles) == 0 {
		return unsigned
	}
	var firstErr error
	readErr := refs.truncated
	var best *signed
	for i, rb := range bundles { // one at a time, each dropped before the next is read
		raw, release, err := v.bundleRaw(ctx, refs.sigRepo, rb)
		if err != nil {
			release()
			if isTransport(err) {
				readErr = cmp.Or(readErr, err)
			} else {
				firstErr = cmp.Or(firstErr, err)
			}
			continue
		}
		s, err := v.verifyBundle(ctx, raw, imgRepo, digest)
		release()
		if isTransport(err) {
			readErr = cmp.Or(readErr, err)
			continue
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("bundle %d of %d: %w", i+1, len(bundles), err)
			}
			continue
		}
		if s.tlog.Status == StatusPass || s.tlog.Status == StatusSkipped {
			return s
		}
		if best == nil {
			best = &s
		}
	}
	if best != nil && readErr != nil && best.tlog.Status == StatusFail {
		best.tlog = Check{Name: CheckTLog, Status: StatusError, Detail: fmt.Sprintf(
			"%s; another bundle, whose entry might verify, could not be read: %v", best.tlog.Detail, readErr)}
	}
	if best != nil {
		return *best
	}
	// A bundle that could not be read may be the one that verifies.
	if readErr != nil {
		return signed{sig: errCheck(CheckSignature, readErr), tlog: skipped(CheckTLog, "signature lookup failed")}
	}
	return signed{sig: fail(CheckSignature, firstErr.Error()), tlog: noTLog}
}

// notByKeyError says a bundle or envelope does not verify with the key (whatever else
// may be wrong with it): it is not this key's statement.
type notByKeyError struct{ err error }

func (e *notByKeyError) Error() string { return e.err.Error() }
func (e *notByKeyError) Unwrap() error { return e.err }

// bundleResult is one bundle checked against the key and the transparency log.
type bundleResult struct {
	payload []byte // the verified DSSE payload (an in-toto statement)
	claims  map[string]string
	subject string // the name of the statement's subject for digest ("" when unnamed)
	tlog    Check
}

// checkBundle verifies one bundle for digest: first with the key alone (the DSSE
// signature and the statement's subject digest), then with the transparency log too, so
// that a bad log entry is reported as such. The error means the bundle does not verify
// with the key; predicate is the statement's required predicate type.
func (v *Verifier) checkBundle(ctx context.Context, raw []byte, digest v1.Hash, predicate string) (*bundleResult, error) {
	// Decoding copies the DSSE payload and signatures out of base64 (about as much again).
	if err := chargeJSON(ctx, raw, int64(len(raw)), "Sigstore bundle"); err != nil {
		return nil, err
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		return nil, &notByKeyError{fmt.Errorf("parsing Sigstore bundle: %w", err)}
	}
	dg, err := hex.DecodeString(digest.Hex)
	if err != nil {
		return nil, err
	}
	policy := sgverify.NewPolicy(sgverify.WithArtifactDigest(digest.Algorithm, dg), sgverify.WithKey())
	keyOnly, err := sgverify.NewVerifier(v.keyMaterial(), sgverify.WithCurrentTime())
	if err != nil {
		return nil, err
	}
	res, err := keyOnly.Verify(&b, policy)
	if err != nil {
		return nil, &notByKeyError{fmt.Errorf("bundle does not verify with the key for %s: %w", digest, err)}
	}
	st := res.Statement
	if st == nil || st.GetPredicateType() != predicate {
		return nil, fmt.Errorf("bundle statement has predicate type %q, want %q", st.GetPredicateType(), predicate)
	}
	out := &bundleResult{payload: b.GetDsseEnvelope().GetPayload(), claims: map[string]string{}}
	for _, s := range st.GetSubject() {
		if s.GetDigest()[digest.Algorithm] != digest.Hex {
			continue
		}
		out.subject = s.GetName()
		maps.Copy(out.claims, claimStrings(s.GetAnnotations().AsMap()))
	}
	out.tlog = v.checkBundleTLog(ctx, &b, policy)
	return out, nil
}

func (v *Verifier) checkBundleTLog(ctx context.Context, b *bundle.Bundle, policy sgverify.PolicyBuilder) Check {
	if v.rekor == nil {
		return skipped(CheckTLog, "transparency log not checked (insecure opt-out)")
	}
	tm, err := v.trustedRoot(ctx)
	if err != nil {
		return Check{Name: CheckTLog, Status: StatusError, Detail: err.Error()}
	}
	full, err := sgverify.NewVerifier(tm, sgverify.WithTransparencyLog(1), sgverify.WithIntegratedTimestamps(1))
	if err != nil {
		return fail(CheckTLog, err.Error())
	}
	if _, err := full.Verify(b, policy); err != nil {
		return fail(CheckTLog, fmt.Sprintf("bundle transparency log entry does not verify: %v", err))
	}
	where := ""
	if es, err := b.TlogEntries(); err == nil && len(es) > 0 {
		where = fmt.Sprintf(" (logIndex %d)", es[0].LogIndex())
	}
	return Check{Name: CheckTLog, Status: StatusPass, Detail: "bundle entry" + where + " verified offline against the Rekor key (sigstore-go)"}
}

// verifyBundle checks a bundle as an image signature: cosign's sign predicate, and a
// subject name, when the statement has one, naming the image repository.
func (v *Verifier) verifyBundle(ctx context.Context, raw []byte, imgRepo name.Repository, digest v1.Hash) (signed, error) {
	r, err := v.checkBundle(ctx, raw, digest, cosignSignPredicate)
	if err != nil {
		return signed{}, err
	}
	note := "; the statement names no repository"
	if n := r.subject; n != "" {
		if !sameRepository(n, imgRepo) {
			return signed{}, fmt.Errorf("signed statement names repository %q, image is %q", n, imgRepo.Name())
		}
		note = "; the statement names " + n
	}
	return signed{claims: r.claims, tlog: r.tlog, sig: Check{Name: CheckSignature, Status: StatusPass,
		Detail: fmt.Sprintf("Sigstore bundle (DSSE in-toto statement for %s) verifies with the key%s", digest, note)}}, nil
}

// keyMaterial is the signing key as sigstore-go trusted material.
func (v *Verifier) keyMaterial() root.TrustedMaterial {
	return root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(v.sigVer, time.Time{}, time.Time{}), nil
	})
}

// trustedRoot is the key plus a trusted root holding only the Rekor log keys.
func (v *Verifier) trustedRoot(ctx context.Context) (root.TrustedMaterial, error) {
	_, tl, err := v.rekor.get(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]logKey, len(tl))
	for i, l := range tl {
		keys[i] = l.logKey
	}
	logs, err := rootLogs(keys)
	if err != nil {
		return nil, err
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, nil, nil, nil, logs)
	if err != nil {
		return nil, err
	}
	return root.TrustedMaterialCollection{tr, v.keyMaterial()}, nil
}

// bundleRaw reads a referrer's bundle, at most MaxEnvelopeBytes, holding a large-item slot
// while it is large: release it once the bundle is checked.
func (v *Verifier) bundleRaw(ctx context.Context, sigRepo name.Repository, rb referrerBundle) (raw []byte, release func(), err error) {
	if rb.err != nil {
		return nil, func() {}, rb.err
	}
	release, err = v.large.acquire(ctx, itemSize(rb.layer))
	if err != nil {
		return nil, func() {}, err
	}
	raw, err = v.readDescriptor(ctx, sigRepo, rb.layer, MaxEnvelopeBytes)
	return raw, release, err
}
