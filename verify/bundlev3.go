package verify

import (
	"context"
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// cosignSignPredicate is the predicate type of cosign v3's image signature statements
// (other bundles, e.g. attestations, are not signatures).
const cosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

// bundleArtifactType marks a Sigstore bundle referrer (cosign v3's default format).
const bundleArtifactType = "application/vnd.dev.sigstore.bundle"

// checkBundles verifies cosign v3's default signatures: Sigstore bundles (v0.3, DSSE
// with an in-toto statement) stored as OCI referrers of digest in the signatures
// repository and found through the referrers fallback tag sha256-<hex> (an index).
// Verification is sigstore-go's, with the key and a trusted root made of the Rekor key.
func (v *Verifier) checkBundles(ctx context.Context, sigRepo, imgRepo name.Repository, digest v1.Hash) signed {
	noTLog := skipped(CheckTLog, "no verified signature")
	tag := sigRepo.Tag(digest.Algorithm + "-" + digest.Hex)
	idxM, err := v.reg.getManifest(ctx, tag)
	if errors.Is(err, errNotFound) {
		return signed{sig: fail(CheckSignature, fmt.Sprintf("no signatures for %s in %s (unsigned)", digest, sigRepo.Name())), tlog: noTLog}
	}
	if err != nil {
		return signed{sig: errCheck(CheckSignature, fmt.Errorf("looking up signatures in %s: %w", sigRepo, err)), tlog: skipped(CheckTLog, "signature lookup failed")}
	}
	idx, err := parseIndex(idxM.Raw)
	if err != nil {
		return signed{sig: errCheck(CheckSignature, err), tlog: noTLog}
	}
	var descs []v1.Descriptor
	for _, d := range idx.Manifests {
		if strings.HasPrefix(d.ArtifactType, bundleArtifactType) && len(descs) < maxSignatures {
			descs = append(descs, d)
		}
	}
	if len(descs) == 0 {
		return signed{sig: fail(CheckSignature, fmt.Sprintf("no signatures for %s in %s (unsigned)", digest, sigRepo.Name())), tlog: noTLog}
	}
	raws := make([][]byte, len(descs))
	errs := make([]error, len(descs))
	fns := make([]func(context.Context), len(descs))
	for i, d := range descs {
		fns[i] = func(ctx context.Context) { raws[i], errs[i] = v.readBundle(ctx, sigRepo, d) }
	}
	fetchAll(ctx, fns...)

	var firstErr error
	var best *signed
	for i := range descs {
		if errs[i] != nil {
			if isTransport(errs[i]) {
				return signed{sig: errCheck(CheckSignature, errs[i]), tlog: skipped(CheckTLog, "signature lookup failed")}
			}
			if firstErr == nil {
				firstErr = errs[i]
			}
			continue
		}
		s, err := v.verifyBundle(ctx, raws[i], imgRepo, digest)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("bundle %d of %d: %w", i+1, len(descs), err)
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
	if best != nil {
		return *best
	}
	return signed{sig: fail(CheckSignature, firstErr.Error()), tlog: noTLog}
}

func (v *Verifier) readBundle(ctx context.Context, sigRepo name.Repository, d v1.Descriptor) ([]byte, error) {
	m, err := v.reg.getManifest(ctx, sigRepo.Digest(d.Digest.String()))
	if err != nil {
		return nil, err
	}
	bm, err := parseManifest(m.Raw)
	if err != nil {
		return nil, err
	}
	for _, l := range bm.Layers {
		if strings.HasPrefix(string(l.MediaType), bundleArtifactType) {
			return v.reg.descriptorContent(ctx, sigRepo, l)
		}
	}
	return nil, &contentError{fmt.Errorf("referrer %s holds no Sigstore bundle layer", d.Digest)}
}

// verifyBundle checks one bundle: first the signature alone (key, artifact digest), then
// with the transparency log, so a bad tlog entry is reported as such.
func (v *Verifier) verifyBundle(ctx context.Context, raw []byte, imgRepo name.Repository, digest v1.Hash) (signed, error) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		return signed{}, fmt.Errorf("parsing Sigstore bundle: %w", err)
	}
	dg, err := hex.DecodeString(digest.Hex)
	if err != nil {
		return signed{}, err
	}
	policy := sgverify.NewPolicy(sgverify.WithArtifactDigest(digest.Algorithm, dg), sgverify.WithKey())
	keyOnly, err := sgverify.NewVerifier(v.keyMaterial(), sgverify.WithCurrentTime())
	if err != nil {
		return signed{}, err
	}
	res, err := keyOnly.Verify(&b, policy)
	if err != nil {
		return signed{}, fmt.Errorf("bundle does not verify with the key for %s: %w", digest, err)
	}
	st := res.Statement
	if st == nil || st.GetPredicateType() != cosignSignPredicate {
		return signed{}, fmt.Errorf("bundle is not a cosign signature (predicate type %q, want %q)", st.GetPredicateType(), cosignSignPredicate)
	}
	claims := map[string]string{}
	repoNote := "; the statement names no repository"
	{
		for _, s := range st.GetSubject() {
			if s.GetDigest()[digest.Algorithm] != digest.Hex {
				continue
			}
			if n := s.GetName(); n != "" {
				if n != imgRepo.Name() && !strings.HasPrefix(n, imgRepo.Name()+"@") && !strings.HasPrefix(n, imgRepo.Name()+":") {
					return signed{}, fmt.Errorf("signed statement names repository %q, image is %q", n, imgRepo.Name())
				}
				repoNote = "; the statement names " + n
			}
			for k, val := range s.GetAnnotations().AsMap() {
				if sv, ok := val.(string); ok {
					claims[k] = sv
				}
			}
		}
	}
	out := signed{claims: claims, sig: Check{Name: CheckSignature, Status: StatusPass,
		Detail: fmt.Sprintf("Sigstore bundle (DSSE in-toto statement for %s) verifies with the key%s", digest, repoNote)}}
	if v.rekor == nil {
		out.tlog = skipped(CheckTLog, "transparency log not checked (insecure opt-out)")
		return out, nil
	}
	tm, err := v.trustedRoot(ctx)
	if err != nil {
		out.tlog = Check{Name: CheckTLog, Status: StatusError, Detail: err.Error()}
		return out, nil
	}
	full, err := sgverify.NewVerifier(tm, sgverify.WithTransparencyLog(1), sgverify.WithIntegratedTimestamps(1))
	if err != nil {
		return signed{}, err
	}
	if _, err := full.Verify(&b, policy); err != nil {
		out.tlog = fail(CheckTLog, fmt.Sprintf("bundle transparency log entry does not verify: %v", err))
		return out, nil
	}
	kind := ""
	if es, err := b.TlogEntries(); err == nil && len(es) > 0 {
		kind = "entry logIndex " + fmt.Sprint(es[0].LogIndex()) + " "
	}
	out.tlog = Check{Name: CheckTLog, Status: StatusPass, Detail: kind + "verified offline against the Rekor key (sigstore-go)"}
	return out, nil
}

// keyMaterial is the signing key as sigstore-go trusted material.
func (v *Verifier) keyMaterial() root.TrustedMaterial {
	return root.NewTrustedPublicKeyMaterial(func(string) (root.TimeConstrainedVerifier, error) {
		return root.NewExpiringKey(v.sigVer, time.Time{}, time.Time{}), nil
	})
}

// trustedRoot is the key plus a trusted root holding only the Rekor log key.
func (v *Verifier) trustedRoot(ctx context.Context) (root.TrustedMaterial, error) {
	_, pub, err := v.rekor.get(ctx)
	if err != nil {
		return nil, err
	}
	id, err := cosign.GetTransparencyLogID(pub)
	if err != nil {
		return nil, fmt.Errorf("rekor log id: %w", err)
	}
	rawID, err := hex.DecodeString(id)
	if err != nil {
		return nil, err
	}
	logs := map[string]*root.TransparencyLog{id: {
		BaseURL: v.rekor.url, ID: rawID, ValidityPeriodStart: time.Unix(1, 0),
		HashFunc: crypto.SHA256, PublicKey: pub, SignatureHashFunc: crypto.SHA256,
	}}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, nil, nil, nil, logs)
	if err != nil {
		return nil, err
	}
	return root.TrustedMaterialCollection{tr, v.keyMaterial()}, nil
}
