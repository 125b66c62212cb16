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
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
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
	payload   []byte
	b64sig    string
	bundleRaw *string // the Rekor bundle annotation, parsed only for a verified signature
	claims    map[string]string
	err       error // why this signature does not verify (definite)
}

// checkSignatures evaluates the legacy cosign signatures of digest (the .sig manifest m),
// falling back to cosign v3 Sigstore bundles stored as referrers when there is no .sig.
// Signatures are read readWindow at a time and each is dropped once checked: the first
// that verifies with the key and whose log entry verifies ends the search.
func (v *Verifier) checkSignatures(ctx context.Context, refs *referrers, imgRepo name.Repository, digest v1.Hash, m *manifest, err error) signed {
	return v.checkSignaturesOf(ctx, refs, imgRepo, digest, m, err, nil)
}

// checkSignaturesOf is checkSignatures with the payloads expected for the pin (see
// expectedPayloads): a layer whose payload is not embedded and whose digest is one of
// theirs is not read.
func (v *Verifier) checkSignaturesOf(ctx context.Context, refs *referrers, imgRepo name.Repository, digest v1.Hash, m *manifest, err error, expected [][]byte) signed {
	sigRepo := refs.sigRepo
	if errors.Is(err, errNotFound) {
		return v.checkBundles(ctx, refs, imgRepo, digest)
	}
	noTLog := skipped(CheckTLog, "no verified signature")
	if err != nil {
		return signed{sig: errCheck(CheckSignature, fmt.Errorf("looking up signatures in %s: %w", sigRepo, err)),
			tlog: skipped(CheckTLog, "signature lookup failed")}
	}
	sm, err := imageOf(m, "signature manifest")
	if err != nil {
		return signed{sig: errCheck(CheckSignature, err), tlog: noTLog}
	}
	var firstErr, readErr error
	layers := sm.Layers
	if n := len(layers); n > maxSignatures {
		layers = layers[:maxSignatures]
		readErr = truncated("signature manifest "+m.Digest.String(), n) // unless one of the first verifies
	}
	if len(layers) == 0 {
		return signed{sig: fail(CheckSignature, "signature manifest "+m.Digest.String()+" has no signatures"), tlog: noTLog}
	}
	var firstValid *signed // verified, but its log entry did not
	for start := 0; start < len(layers); start += readWindow {
		window := layers[start:min(start+readWindow, len(layers))]
		cands := make([]candidate, len(window))
		fns := make([]func(context.Context), len(window))
		for i, l := range window {
			fns[i] = func(ctx context.Context) { cands[i] = v.readCandidate(ctx, sigRepo, l, expected) }
		}
		fetchAll(ctx, fns...)
		for i := range cands {
			c, n := &cands[i], start+i+1
			if c.err == nil {
				c.err = v.verifyCandidate(c, imgRepo, digest)
			}
			switch {
			case isTransport(c.err):
				readErr = cmp.Or(readErr, c.err)
				continue
			case c.err != nil:
				firstErr = cmp.Or(firstErr, fmt.Errorf("signature %d of %d: %w", n, len(layers), c.err))
				continue
			}
			s := signed{claims: c.claims, sig: Check{Name: CheckSignature, Status: StatusPass, Detail: fmt.Sprintf(
				"signature %d of %d in %s verifies with the key; payload names %s@%s", n, len(layers), sigRepo, imgRepo, digest)}}
			s.tlog = v.checkLegacyTLog(ctx, c)
			if s.tlog.Status == StatusPass || s.tlog.Status == StatusSkipped {
				return s
			}
			if firstValid == nil {
				firstValid = &s
			}
			if s.tlog.Status == StatusError {
				return s
			}
		}
	}
	switch {
	case firstValid != nil && readErr != nil:
		// Another signature, which could not be read, might have a log entry that verifies.
		firstValid.tlog = Check{Name: CheckTLog, Status: StatusError, Detail: fmt.Sprintf(
			"%s; another signature, whose entry might verify, could not be read: %v", firstValid.tlog.Detail, readErr)}
		return *firstValid
	case firstValid != nil:
		return *firstValid
	case readErr != nil:
		// A signature that could not be read may be the one that verifies.
		return signed{sig: errCheck(CheckSignature, readErr), tlog: skipped(CheckTLog, "signature lookup failed")}
	}
	return signed{sig: fail(CheckSignature, firstErr.Error()), tlog: noTLog}
}

// readCandidate reads a signature layer's payload: its embedded data, else one of the
// expected payloads when the layer's digest and size are its own (the bytes are then
// the blob's, proven by the digest: no read), else the blob.
func (v *Verifier) readCandidate(ctx context.Context, sigRepo name.Repository, l v1.Descriptor, expected [][]byte) candidate {
	var c candidate
	p := expectedPayload(l, expected)
	if p == nil {
		var err error
		if p, err = v.readDescriptor(ctx, sigRepo, l, maxPayload); err != nil {
			c.err = fmt.Errorf("reading payload: %w", err)
			return c
		}
	}
	c.payload = p
	b64, ok := l.Annotations[sign.SignatureAnnotation]
	if !ok || b64 == "" {
		c.err = errors.New("layer has no " + sign.SignatureAnnotation + " annotation")
		return c
	}
	c.b64sig = b64
	if raw, ok := l.Annotations[sign.BundleAnnotation]; ok {
		c.bundleRaw = &raw
	}
	return c
}

// expectedPayloads are the simple-signing payloads that signing digest in imgRepo for
// pin makes, byte for byte as cosign and mcpbuild write them (sign.Payload): without
// claims (cosign sign), with the revision claim (cosign sign -a), and with the revision
// and source claims (mcpbuild publish). They only spare a blob read: a layer's payload
// is taken from them only when it hashes to the layer's digest, so it is the blob, and
// its signature is verified over it as over any payload.
func expectedPayloads(imgRepo name.Repository, digest v1.Hash, pin catalog.Pin) [][]byte {
	img := imgRepo.Digest(digest.String())
	claims := []map[string]string{nil}
	if pin.Commit != "" {
		claims = append(claims, map[string]string{catalog.RevisionLabel: pin.Commit})
		if pin.Project != "" {
			claims = append(claims, map[string]string{catalog.RevisionLabel: pin.Commit, catalog.SourceLabel: pin.Project})
		}
	}
	var out [][]byte
	for _, c := range claims {
		if p, err := sign.Payload(img, c); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// expectedPayload returns the payload of expected that is layer l's content (its digest
// and size), nil when l embeds its payload or none is.
func expectedPayload(l v1.Descriptor, expected [][]byte) []byte {
	if len(l.Data) > 0 {
		return nil
	}
	for _, p := range expected {
		if int64(len(p)) == l.Size && ocireg.SHA256(p) == l.Digest {
			return p
		}
	}
	return nil
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
