package sign

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
)

// The fuzz targets below feed what publish reads from the signatures repository (a .sig
// or .att manifest, its layers' annotations and embedded content) to the functions that
// decide whether an existing signature or attestation is reused. The invariant is the
// one that matters: nothing is reused unless it verifies, checked here independently of
// the package's own code (ECDSA over the payload, DSSE PAE, SET and entry body).

// layersFrom parses manifest bytes as Store.List does; nil when they are refused.
func layersFrom(t *testing.T, fx *fuzzFixture, raw []byte) []Layer {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil
	}
	layers, err := layersOf(fx.tag, m)
	if err != nil {
		return nil
	}
	for i, l := range layers {
		if l.Data == nil {
			continue
		}
		if h := sha256.Sum256(l.Data); l.Digest.Algorithm != "sha256" || l.Digest.Hex != hex.EncodeToString(h[:]) || l.Size != int64(len(l.Data)) {
			t.Fatalf("layer %d keeps embedded data that does not match its descriptor", i)
		}
	}
	return layers
}

// entryBody checks annotation is a bundle of the fixture's log (log ID, SET) and returns
// its decoded entry body.
func (fx *fuzzFixture) entryBody(annotation string) (map[string]any, error) {
	var b bundle.RekorBundle
	if err := json.Unmarshal([]byte(annotation), &b); err != nil {
		return nil, err
	}
	if b.Payload.LogID != fx.withLog.log.id {
		return nil, fmt.Errorf("log ID %q is not the fixture log's", b.Payload.LogID)
	}
	if err := cosign.VerifySET(b.Payload, b.SignedEntryTimestamp, &fx.logKey.PublicKey); err != nil {
		return nil, err
	}
	s, _ := b.Payload.Body.(string)
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	var body map[string]any
	return body, json.Unmarshal(raw, &body)
}

// jsonAt walks nested JSON objects; nil when a step is missing.
func jsonAt(m any, path ...string) any {
	for _, p := range path {
		o, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = o[p]
	}
	return m
}

// exactStatement reads an in-toto statement with exact keys, without the package's code:
// its predicate type and whether a subject names h.
func exactStatement(b []byte, h v1.Hash) (predicateType string, named bool) {
	var doc map[string]any
	if json.Unmarshal(b, &doc) != nil {
		return "", false
	}
	subjects, _ := doc["subject"].([]any)
	for _, s := range subjects {
		named = named || field(s, "digest", h.Algorithm) == h.Hex
	}
	return field(doc, "predicateType"), named
}

// field is the string at path, "" when missing or not a string.
func field(m any, path ...string) string {
	s, _ := jsonAt(m, path...).(string)
	return s
}

// checkSignature says why l is not a signature by the fixture key over its payload
// (bound by an entry of its log when withLog); "" when it is.
func (fx *fuzzFixture) checkSignature(l *Layer, withLog bool) string {
	digest := sha256.Sum256(fx.payload)
	if l.MediaType != SimpleSigningMediaType || l.Digest.String() != "sha256:"+hex.EncodeToString(digest[:]) {
		return "layer is not the payload"
	}
	b64 := l.Annotations[SignatureAnnotation]
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || !ecdsa.VerifyASN1(&fx.signKey.PublicKey, digest[:], sig) {
		return "signature does not verify"
	}
	if !withLog {
		return ""
	}
	body, err := fx.entryBody(l.Annotations[BundleAnnotation])
	switch {
	case err != nil:
		return "bundle: " + err.Error()
	case field(body, "kind") != "hashedrekord" || field(body, "spec", "data", "hash", "algorithm") != "sha256" ||
		field(body, "spec", "data", "hash", "value") != hex.EncodeToString(digest[:]) ||
		field(body, "spec", "signature", "content") != b64 ||
		field(body, "spec", "signature", "publicKey", "content") != base64.StdEncoding.EncodeToString(fx.withLog.pubPEM):
		return "log entry does not record this signature"
	}
	return ""
}

// checkAttestation says why content (layer l) is not a DSSE envelope by the fixture key of
// an in-toto SLSA v1 statement about the fixture image (bound by an entry of its log when
// withLog); "" when it is.
func (fx *fuzzFixture) checkAttestation(l *Layer, content []byte, withLog bool) string {
	h := sha256.Sum256(content)
	if l.MediaType != DSSEMediaType || l.Digest.Hex != hex.EncodeToString(h[:]) {
		return "layer is not its content"
	}
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	}
	if json.Unmarshal(content, &env) != nil || env.PayloadType != InTotoPayloadType {
		return "not an in-toto DSSE envelope"
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		if payload, err = base64.URLEncoding.DecodeString(env.Payload); err != nil {
			return "payload is not base64"
		}
	}
	pae := sha256.Sum256(fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(env.PayloadType), env.PayloadType, len(payload), payload))
	verified := false
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		verified = verified || (err == nil && ecdsa.VerifyASN1(&fx.signKey.PublicKey, pae[:], sig))
	}
	if !verified {
		return "no envelope signature verifies"
	}
	if pt, named := exactStatement(payload, fx.h); pt != SLSAProvenanceV1 || !named {
		return "statement is not SLSA v1 provenance about the image"
	}
	if !withLog {
		return ""
	}
	body, err := fx.entryBody(l.Annotations[BundleAnnotation])
	if err != nil {
		return "bundle: " + err.Error()
	}
	if field(body, "kind") != "dsse" || field(body, "spec", "envelopeHash", "algorithm") != "sha256" ||
		field(body, "spec", "envelopeHash", "value") != hex.EncodeToString(h[:]) {
		return "log entry does not record this envelope"
	}
	sigs, _ := jsonAt(body, "spec", "signatures").([]any)
	for _, s := range sigs {
		if field(s, "verifier") == base64.StdEncoding.EncodeToString(fx.withLog.pubPEM) {
			return ""
		}
	}
	return "log entry names another key"
}

// TestFuzzFixture checks that the seeds reach both outcomes, so that the invariants of the
// fuzz targets are not vacuous: the genuine layers are reused, damaged ones are not.
func TestFuzzFixture(t *testing.T) {
	fx := newFuzzFixture(t)
	ctx := context.Background()
	for i, raw := range fx.seedManifests(t, fx.sigLayer, fx.attLayer) {
		layers := layersFrom(t, fx, raw)
		for _, withLog := range []bool{true, false} {
			l := findSignature(layers, fx.payload, fx.keys(withLog))
			// 0 genuine, 1 behind another layer, 2 without embedded data (the payload is
			// known, its digest suffices); 3 without and 4 with a wrong bundle only count
			// without a log.
			want := i <= 2 || (i <= 4 && !withLog)
			if (l != nil) != want {
				t.Errorf("signature seed %d (log %v): reused = %v, want %v", i, withLog, l != nil, want)
			}
			if l != nil {
				if why := fx.checkSignature(l, withLog); why != "" {
					t.Errorf("signature seed %d: reused, but %s", i, why)
				}
			}
		}
	}
	for i, raw := range fx.seedManifests(t, fx.attLayer, fx.sigLayer) {
		layers := layersFrom(t, fx, raw)
		for _, withLog := range []bool{true, false} {
			l, err := fx.svc.findAttestation(ctx, layers, fx.h, SLSAProvenanceV1, fx.keys(withLog))
			// 2: the envelope must be read, and the registry is unreachable here.
			want := i <= 1 || ((i == 3 || i == 4) && !withLog)
			if (l != nil) != want {
				t.Errorf("attestation seed %d (log %v): reused = %v (%v), want %v", i, withLog, l != nil, err, want)
			}
			if l != nil {
				if why := fx.checkAttestation(l, l.Data, withLog); why != "" {
					t.Errorf("attestation seed %d: reused, but %s", i, why)
				}
			}
		}
	}
}

// forgedEnvelope is the fixture envelope with its signature replaced by a well-formed
// signature over something else.
func (fx *fuzzFixture) forgedEnvelope(tb testing.TB) []byte {
	var env map[string]any
	if err := json.Unmarshal(fx.envelope, &env); err != nil {
		tb.Fatal(err)
	}
	d := sha256.Sum256([]byte("something else"))
	sig, err := ecdsa.SignASN1(rand.Reader, fx.signKey, d[:])
	if err != nil {
		tb.Fatal(err)
	}
	env["signatures"] = []any{map[string]any{"keyid": "", "sig": base64.StdEncoding.EncodeToString(sig)}}
	out, err := json.Marshal(env)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func (fx *fuzzFixture) keys(withLog bool) *keys {
	if withLog {
		return fx.withLog
	}
	return fx.noLog
}

// FuzzFindSignature: a .sig manifest (parsed as Store.List does), then one more layer
// over the fixture payload whose signature and bundle annotations are fuzzed directly (a
// byte-level mutation of the whole manifest rarely lands in them).
func FuzzFindSignature(f *testing.F) {
	fx := newFuzzFixture(f)
	sig, bun := fx.sigLayer.Annotations[SignatureAnnotation], fx.sigLayer.Annotations[BundleAnnotation]
	attBundle := fx.attLayer.Annotations[BundleAnnotation]
	for _, m := range fx.seedManifests(f, fx.sigLayer, fx.attLayer) {
		for _, withLog := range []bool{true, false} {
			f.Add(m, "", "", withLog)
			f.Add([]byte("{}"), sig, bun, withLog)
			f.Add(m, sig, attBundle, withLog)
			f.Add(m, sig[4:], bun, withLog)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, sig, bun string, withLog bool) {
		layers := layersFrom(t, fx, raw)
		if sig != "" || bun != "" {
			extra := fx.sigLayer
			extra.Annotations = map[string]string{SignatureAnnotation: sig, BundleAnnotation: bun}
			layers = append(layers, Layer{MediaType: extra.MediaType, Digest: extra.Digest, Size: extra.Size, Annotations: extra.Annotations})
		}
		l := findSignature(layers, fx.payload, fx.keys(withLog))
		if l == nil {
			return
		}
		if why := fx.checkSignature(l, withLog); why != "" {
			t.Fatalf("reused a signature that does not verify: %s", why)
		}
		if a, err := attached(&Attachment{Tag: fx.tag, Layer: *l}); err != nil || (withLog && a.LogIndex < 0) {
			t.Fatalf("attached = %+v, %v", a, err)
		}
	})
}

// FuzzFindAttestation: an .att manifest, then one more layer whose embedded envelope,
// predicateType and bundle annotations are fuzzed directly.
func FuzzFindAttestation(f *testing.F) {
	fx := newFuzzFixture(f)
	bun, sigBundle := fx.attLayer.Annotations[BundleAnnotation], fx.sigLayer.Annotations[BundleAnnotation]
	for _, m := range fx.seedManifests(f, fx.attLayer, fx.sigLayer) {
		for _, withLog := range []bool{true, false} {
			f.Add(m, []byte(nil), "", "", withLog)
			f.Add([]byte("{}"), fx.envelope, SLSAProvenanceV1, bun, withLog)
			f.Add(m, fx.envelope, SLSAProvenanceV1, sigBundle, withLog)
			f.Add(m, fx.envelope[1:], SLSAProvenanceV1, bun, withLog)
			f.Add(m, fx.forgedEnvelope(f), SLSAProvenanceV1, bun, withLog)
			f.Add(m, fx.envelope, "https://slsa.dev/provenance/v0.2", bun, withLog)
		}
	}
	f.Fuzz(func(t *testing.T, raw, env []byte, predicateType, bun string, withLog bool) {
		layers := layersFrom(t, fx, raw)
		if env != nil {
			d := fx.descriptor(DSSEMediaType, env, map[string]string{PredicateTypeAnnotation: predicateType, BundleAnnotation: bun})
			layers = append(layers, Layer{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, Annotations: d.Annotations, Data: d.Data})
		}
		l, err := fx.svc.findAttestation(context.Background(), layers, fx.h, SLSAProvenanceV1, fx.keys(withLog))
		if err != nil || l == nil {
			return
		}
		if l.Data == nil {
			t.Fatal("reused an attestation whose content was never read")
		}
		if why := fx.checkAttestation(l, l.Data, withLog); why != "" {
			t.Fatalf("reused an attestation that does not verify: %s", why)
		}
	})
}
