package verifytest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/mcpbuild/mcpbuild/sign"
)

// Hostile content for memory and budget tests: attestations, bundles and manifests as
// large as a registry may serve them, signed by a key that is not the fixture's (an
// attacker's or a co-signer's), so that nothing in them verifies.

// paddedStatement is a SLSA v1 statement about img whose predicate carries pad bytes.
func paddedStatement(img name.Digest, pad int) []byte {
	h, _ := v1.NewHash(img.DigestStr())
	b, _ := json.Marshal(map[string]any{
		"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1",
		"subject":   []any{map[string]any{"name": img.Context().Name(), "digest": map[string]string{"sha256": h.Hex}}},
		"predicate": map[string]any{"pad": strings.Repeat("x", max(0, pad))},
	})
	return b
}

// sized calls build with a padding chosen so that its result is at most size bytes and
// within a few bytes of it (build's output must grow by about 4/3 byte per pad byte,
// as base64 does).
func sized(size int, build func(pad int) []byte) []byte {
	pad := size*3/4 - 4096
	b := build(pad)
	pad += (size-len(b))*3/4 - 8
	return build(pad)
}

// HostileEnvelope returns a DSSE envelope (a SLSA v1 statement about img, in-toto payload
// type) of at most size bytes, signed by a key that is not the fixture's.
func (f *Fixture) HostileEnvelope(img name.Digest, size int) []byte {
	f.T.Helper()
	sv, err := signature.LoadECDSASignerVerifier(NewKey(f.T), crypto.SHA256)
	f.check(err)
	return sized(size, func(pad int) []byte {
		env, err := dsse.WrapSigner(sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(paddedStatement(img, pad)))
		f.check(err)
		return env
	})
}

// HostileLayer is an .att layer holding env as a blob (not embedded), annotated as SLSA
// v1 provenance.
func HostileLayer(env []byte) *SigLayer {
	return &SigLayer{Payload: env, Desc: v1.Descriptor{MediaType: sign.DSSEMediaType, Size: int64(len(env)), Digest: hashOf(env),
		Annotations: map[string]string{sign.PredicateTypeAnnotation: "https://slsa.dev/provenance/v1", sign.SignatureAnnotation: ""}}}
}

// AttestWith stores img's .att manifest with n layers that are all the envelope env
// (stored once as a blob), after the layers first (e.g. a good Attestation).
func (f *Fixture) AttestWith(img name.Digest, env []byte, n int, first ...*SigLayer) {
	f.T.Helper()
	h, _ := v1.NewHash(img.DigestStr())
	ls := first
	for range n {
		ls = append(ls, HostileLayer(env))
	}
	f.PushLayers(sign.Tag(f.SigRepo, h, sign.AttestationSuffix), ls...)
}

// Attestation returns a provenance attestation layer of img (zero spec: correct).
func (f *Fixture) Attestation(img name.Digest, s ProvSpec) *SigLayer {
	f.T.Helper()
	return f.attestation(img, s)
}

// HostileBundle returns a Sigstore bundle v0.3 (SLSA v1 provenance of img, with a Rekor
// entry) of at most size bytes, signed by key (nil: a key that is not the fixture's).
func (f *Fixture) HostileBundle(img name.Digest, key *ecdsa.PrivateKey, size int) []byte {
	f.T.Helper()
	if key == nil {
		key = NewKey(f.T)
	}
	return sized(size, func(pad int) []byte {
		return f.bundleJSON(paddedStatement(img, pad), key, f.RekorKey, false)
	})
}

// ReferWith stores n referrers of img in the signatures repository, each holding the
// bundle b (one blob), annotated with predicate type predicate.
func (f *Fixture) ReferWith(img name.Digest, b []byte, predicate string, n int) {
	f.T.Helper()
	h, _ := v1.NewHash(img.DigestStr())
	for i := range n {
		f.pushReferrer(h, b, predicate, fmt.Sprint(i))
	}
}

// PushManyLayers pushes at ref a manifest of at most size bytes that lists empty layers
// ({}), as many as fit: small to read, large to decode.
func (f *Fixture) PushManyLayers(ref name.Tag, size int) {
	f.T.Helper()
	head, tail := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[`, `{}]}`
	n := (size - len(head) - len(tail)) / 3
	raw := head + strings.Repeat(`{},`, n) + tail
	f.check(putManifest(ref, []byte(raw), types.OCIManifestSchema1))
}
