package verify

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/mcpbuild/mcpbuild/sign"
)

// maxSignatures bounds how many signature layers of one manifest are examined.
const maxSignatures = 32

// signed is the outcome of the signature and tlog checks, and the claims of the verified
// signature.
type signed struct {
	sig    Check
	tlog   Check
	claims map[string]string
}

// candidate is one signature layer of a .sig manifest.
type candidate struct {
	payload []byte
	b64sig  string
	bundle  *bundle.RekorBundle
	claims  map[string]string
	err     error // why this signature does not verify (definite)
}

// checkSignatures evaluates the legacy cosign signatures of digest (the .sig manifest m),
// falling back to cosign v3 Sigstore bundles stored as referrers when there is no .sig.
func (v *Verifier) checkSignatures(ctx context.Context, refs *referrers, imgRepo name.Repository, digest v1.Hash, m *manifest, err error) signed {
	sigRepo := refs.sigRepo
	if errors.Is(err, errNotFound) {
		return v.checkBundles(ctx, refs, imgRepo, digest)
	}
	if err != nil {
		return signed{sig: errCheck(CheckSignature, fmt.Errorf("looking up signatures in %s: %w", sigRepo, err)),
			tlog: skipped(CheckTLog, "signature lookup failed")}
	}
	sm, err := parseManifest(m.Raw)
	if err != nil {
		return signed{sig: errCheck(CheckSignature, err), tlog: skipped(CheckTLog, "no verified signature")}
	}
	layers := sm.Layers
	if len(layers) > maxSignatures {
		layers = layers[:maxSignatures]
	}
	if len(layers) == 0 {
		return signed{sig: fail(CheckSignature, "signature manifest "+m.Digest.String()+" has no signatures"),
			tlog: skipped(CheckTLog, "no verified signature")}
	}
	cands := make([]candidate, len(layers))
	fns := make([]func(context.Context), len(layers))
	for i, l := range layers {
		fns[i] = func(ctx context.Context) { cands[i] = v.readCandidate(ctx, sigRepo, l) }
	}
	fetchAll(ctx, fns...)

	var firstErr, readErr error
	var valid []int
	for i := range cands {
		c := &cands[i]
		if c.err == nil {
			c.err = v.verifyCandidate(c, imgRepo, digest)
		}
		switch {
		case c.err == nil:
			valid = append(valid, i)
		case isTransport(c.err):
			readErr = cmp.Or(readErr, c.err)
		default:
			firstErr = cmp.Or(firstErr, fmt.Errorf("signature %d of %d: %w", i+1, len(cands), c.err))
		}
	}
	// A signature that could not be read may be the one that verifies: only a verified
	// signature makes a failed read irrelevant.
	if len(valid) == 0 && readErr != nil {
		return signed{sig: errCheck(CheckSignature, readErr), tlog: skipped(CheckTLog, "signature lookup failed")}
	}
	if len(valid) == 0 {
		return signed{sig: fail(CheckSignature, firstErr.Error()), tlog: skipped(CheckTLog, "no verified signature")}
	}
	okSig := Check{Name: CheckSignature, Status: StatusPass,
		Detail: fmt.Sprintf("%d of %d signatures in %s verify with the key; payload names %s@%s", len(valid), len(cands), sigRepo, imgRepo, digest)}
	// Prefer the first verified signature whose tlog entry verifies too.
	var tl Check
	for _, i := range valid {
		tl = v.checkLegacyTLog(ctx, &cands[i])
		if tl.Status == StatusPass || tl.Status == StatusSkipped {
			return signed{sig: okSig, tlog: tl, claims: cands[i].claims}
		}
		if tl.Status == StatusError {
			break
		}
	}
	if tl.Status == StatusFail && readErr != nil {
		tl = Check{Name: CheckTLog, Status: StatusError, Detail: fmt.Sprintf(
			"%s; another signature, whose entry might verify, could not be read: %v", tl.Detail, readErr)}
	}
	return signed{sig: okSig, tlog: tl, claims: cands[valid[0]].claims}
}

func (v *Verifier) readCandidate(ctx context.Context, sigRepo name.Repository, l v1.Descriptor) candidate {
	var c candidate
	p, err := v.reg.descriptorContent(ctx, sigRepo, l, maxPayload)
	if err != nil {
		c.err = fmt.Errorf("reading payload: %w", err)
		return c
	}
	c.payload = p
	b64, ok := l.Annotations[sign.SignatureAnnotation]
	if !ok || b64 == "" {
		c.err = errors.New("layer has no " + sign.SignatureAnnotation + " annotation")
		return c
	}
	c.b64sig = b64
	if raw, ok := l.Annotations[sign.BundleAnnotation]; ok {
		var b bundle.RekorBundle
		if err := json.Unmarshal([]byte(raw), &b); err != nil {
			c.bundle = &bundle.RekorBundle{} // present but unparsable: fails the tlog check
		} else {
			c.bundle = &b
		}
	}
	return c
}

// verifyCandidate checks the signature over the payload with the key, then the payload:
// cosign simple-signing type, this digest, and this image repository as docker-reference.
func (v *Verifier) verifyCandidate(c *candidate, imgRepo name.Repository, digest v1.Hash) error {
	raw, err := base64.StdEncoding.DecodeString(c.b64sig)
	if err != nil {
		return fmt.Errorf("signature annotation is not base64: %w", err)
	}
	if err := v.sigVer.VerifySignature(bytes.NewReader(raw), bytes.NewReader(c.payload)); err != nil {
		return fmt.Errorf("signature does not verify with the key: %w", err)
	}
	var sp payload.SimpleContainerImage
	if err := json.Unmarshal(c.payload, &sp); err != nil {
		return fmt.Errorf("parsing signed payload: %w", err)
	}
	if sp.Critical.Type != payload.CosignSignatureType {
		return fmt.Errorf("signed payload type %q is not %q", sp.Critical.Type, payload.CosignSignatureType)
	}
	if sp.Critical.Image.DockerManifestDigest != digest.String() {
		return fmt.Errorf("signed payload names digest %s, image is %s", sp.Critical.Image.DockerManifestDigest, digest)
	}
	if !sameRepository(sp.Critical.Identity.DockerReference, imgRepo) {
		return fmt.Errorf("signed payload names repository %q, image is %q", sp.Critical.Identity.DockerReference, imgRepo.Name())
	}
	c.claims = claimStrings(sp.Optional)
	return nil
}

// claimStrings returns signed claims as strings. A claim that is present but not a
// string (a number, a list...) keeps its JSON form: it is a claim that does not equal
// any pin, not an absent one.
func claimStrings(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, val := range m {
		if s, ok := val.(string); ok {
			out[k] = s
		} else if b, err := json.Marshal(val); err == nil {
			out[k] = string(b)
		} else {
			out[k] = fmt.Sprint(val)
		}
	}
	return out
}

// sameRepository reports whether ref (a docker-reference or a statement's subject name)
// names repo: the same registry, written out (docker.io and index.docker.io are one),
// and the same repository path; a tag or digest in ref is allowed and ignored (the digest
// is checked on its own). A name without a registry never matches: no default implied.
func sameRepository(ref string, repo name.Repository) bool {
	r, err := name.NewRepository(ref, name.StrictValidation)
	if err != nil {
		pr, perr := name.ParseReference(ref, name.StrictValidation)
		if perr != nil {
			return false
		}
		r = pr.Context()
	}
	return r.Name() == repo.Name()
}

func fail(name, detail string) Check { return Check{Name: name, Status: StatusFail, Detail: detail} }
func skipped(name, detail string) Check {
	return Check{Name: name, Status: StatusSkipped, Detail: detail}
}

// isTransport reports whether err is a failed registry read: neither a 404 nor authentic
// content failing a check, but a fault, another status, or content that is not what was
// asked for (badContent). The lookup itself failed.
func isTransport(err error) bool {
	var ce *contentError
	if errors.Is(err, errNotFound) || errors.As(err, &ce) {
		return false
	}
	var re *readError
	return errors.As(err, &re)
}
