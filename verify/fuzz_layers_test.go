package verify

import (
	"encoding/json"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// The targets below feed whole .sig and .att manifests (as the registry serves them) to
// checkSignatures and checkProvenance, each with one more layer whose annotations (and,
// for attestations, envelope) are fuzzed directly: a byte-level mutation of a manifest
// rarely lands in them. Besides soundness (what passes verifies, checked as the other
// targets do), they check how outcomes are classified (doc.go): a definite "no" only
// when every examined layer was read, proven, and failed; "could not check" only when
// one could not be read (not embedded here: there is no network; or not matching its
// descriptor) or the list was longer than what is examined.

// layersManifest is an OCI manifest (the .sig/.att layout) listing layers.
func layersManifest(tb testing.TB, layers ...v1.Descriptor) []byte {
	b, err := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mediaOCIManifest, "layers": layers,
		"config": v1.Descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Size: 2, Digest: sha256Of([]byte("{}"))}})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// readable reports whether verify can read l without the network: embedded data that is
// the content its descriptor names.
func readable(l v1.Descriptor) bool {
	return len(l.Data) > 0 && sha256Of(l.Data).String() == l.Digest.String() && l.Size == int64(len(l.Data))
}

// seedLayers returns the manifests the layer targets start from: genuine, behind another
// key's layer, without embedded data, without or with a wrong bundle, with a layer whose
// data is not its digest's, more layers than are examined, none; wrong is a layer by the
// key that fails.
func seedLayers(tb testing.TB, genuine, other, wrong v1.Descriptor) [][]byte {
	noData, bad, noBundle := genuine, genuine, genuine
	noData.Data = nil
	bad.Data = append([]byte("x"), genuine.Data[1:]...)
	noBundle.Annotations = map[string]string{}
	for k, v := range genuine.Annotations {
		if k != sign.BundleAnnotation {
			noBundle.Annotations[k] = v
		}
	}
	many := make([]v1.Descriptor, maxSignatures+1) // that fail at once: no annotation, no signature
	for i := range many {
		many[i] = embedded(string(genuine.MediaType), []byte("{}"), nil)
	}
	return [][]byte{
		layersManifest(tb, genuine), layersManifest(tb, other, genuine), layersManifest(tb, noData), layersManifest(tb, noData, other),
		layersManifest(tb, noBundle), layersManifest(tb, wrong), layersManifest(tb, bad, genuine), layersManifest(tb, bad, other),
		layersManifest(tb, append(many, genuine)...), layersManifest(tb, many[1:]...), layersManifest(tb),
	}
}

// FuzzSignatureManifest feeds .sig manifests to checkSignatures, with and without the log.
func FuzzSignatureManifest(f *testing.F) {
	fx := newFuzzFixture(f)
	other := fx.vt.Signature(fx.img, verifytest.SigSpec{Key: fixedKey(f, 0x43)}).Desc
	wrong, otherBundle := fx.sigLayer.Desc, other.Annotations[sign.BundleAnnotation]
	wrong.Annotations = sigAnnotations(wrong.Annotations[sign.SignatureAnnotation], &otherBundle)
	sig, bun := fx.sigLayer.Desc.Annotations[sign.SignatureAnnotation], fx.sigLayer.Bundle
	for _, m := range seedLayers(f, fx.sigLayer.Desc, other, wrong) {
		for _, withLog := range []bool{true, false} {
			f.Add(m, "", "", withLog)
			f.Add(m, sig, bun, withLog)
			f.Add(m, sig, other.Annotations[sign.BundleAnnotation], withLog)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte, sig, bun string, withLog bool) {
		m, err := decodeManifest(raw, mediaOCIManifest, acceptImage)
		if err != nil {
			return
		}
		m.Digest = sha256Of(raw)
		if jsonValues(raw) > MaxJSONValues {
			return // imageOf refuses it (FuzzDecodeManifest)
		}
		if sig != "" || bun != "" {
			m.Image.Layers = append(m.Image.Layers, embedded(sign.SimpleSigningMediaType, fx.sigLayer.Payload, sigAnnotations(sig, &bun)))
		}
		v := fx.vNoLog
		if withLog {
			v = fx.v
		}
		s := v.checkSignatures(fuzzCtx(), &referrers{sigRepo: fx.vt.SigRepo, digest: fx.digest}, fx.repo, fx.digest, m, nil)
		layers := m.Image.Layers
		allRead := len(layers) <= maxSignatures
		var good, logged bool
		for _, l := range layers[:min(len(layers), maxSignatures)] {
			allRead = allRead && readable(l)
			b64 := l.Annotations[sign.SignatureAnnotation]
			if readable(l) && fx.payloadWrong(l.Data, b64, false) == "" {
				good = true
				bun, ok := l.Annotations[sign.BundleAnnotation]
				logged = logged || ok && fx.signatureEntryWrong(bun, l.Data, b64) == ""
			}
		}
		switch st, tl := s.sig.Status, s.tlog.Status; {
		case st == StatusPass && !good:
			t.Fatalf("a signature passes, but none verifies: %+v", s.sig)
		case st == StatusFail && !allRead, st == StatusError && allRead:
			t.Fatalf("signature %s, every examined layer read: %v: %+v", st, allRead, s.sig)
		case st != StatusPass && st != StatusFail && st != StatusError:
			t.Fatalf("signature check %+v", s.sig)
		case st != StatusPass:
		case !withLog && tl != StatusSkipped:
			t.Fatalf("tlog without a log: %+v", s.tlog)
		case withLog && tl == StatusPass && !logged:
			t.Fatalf("tlog passes, but no verified signature's entry is in the log: %+v", s.tlog)
		case withLog && tl == StatusFail && (logged || !allRead), withLog && tl == StatusError && allRead:
			t.Fatalf("tlog %s, a logged signature: %v, every layer read: %v: %+v", tl, logged, allRead, s.tlog)
		}
	})
}

// FuzzAttestationManifest feeds .att manifests to checkProvenance (provenance required
// or not), with and without the log, the pin of mode 0 (FuzzProvenance).
func FuzzAttestationManifest(f *testing.F) {
	fx := newFuzzFixture(f)
	other := fx.vt.Attestation(fx.img, verifytest.ProvSpec{Key: fixedKey(f, 0x43)}).Desc
	wrong := fx.vt.Attestation(fx.img, verifytest.ProvSpec{Commit: verifytest.OtherCommit}).Desc
	sbom := fx.vt.Attestation(fx.img, verifytest.ProvSpec{PredicateType: "https://spdx.dev/Document"}).Desc
	bun := fx.attLayer.Desc.Annotations[sign.BundleAnnotation]
	for _, m := range append(seedLayers(f, fx.attLayer.Desc, other, wrong), layersManifest(f, sbom), layersManifest(f, wrong, other)) {
		for _, opt := range []uint8{0, 1, 2, 3} {
			f.Add(m, []byte(nil), "", "", opt)
			f.Add(m, fx.attLayer.Payload, "https://slsa.dev/provenance/v1", bun, opt)
			f.Add(m, fx.attLayer.Payload, "", other.Annotations[sign.BundleAnnotation], opt)
		}
	}
	f.Fuzz(func(t *testing.T, raw, env []byte, predicateType, bun string, opt uint8) {
		m, err := decodeManifest(raw, mediaOCIManifest, acceptImage)
		if err != nil {
			return
		}
		m.Digest = sha256Of(raw)
		if jsonValues(raw) > MaxJSONValues {
			return // imageOf refuses it (FuzzDecodeManifest)
		}
		if env != nil {
			ann := map[string]string{sign.BundleAnnotation: bun}
			if predicateType != "" {
				ann[sign.PredicateTypeAnnotation] = predicateType
			}
			m.Image.Layers = append(m.Image.Layers, embedded(sign.DSSEMediaType, env, ann))
		}
		withLog, p := opt&1 == 1, fx.policy(0, "")
		if opt&2 != 0 {
			p.Provenance = ProvenanceRequired
		}
		v := fx.vNoLog
		if withLog {
			v = fx.v
		}
		c := v.checkProvenance(fuzzCtx(), &referrers{sigRepo: fx.vt.SigRepo, digest: fx.digest}, fx.digest, m, nil, p, false)
		var layers []v1.Descriptor
		for _, l := range m.Image.Layers {
			if pt, ok := l.Annotations["predicateType"]; !ok || pt == "https://slsa.dev/provenance/v1" {
				layers = append(layers, l)
			}
		}
		allRead, good := len(layers) <= maxSignatures, false
		for _, l := range layers[:min(len(layers), maxSignatures)] {
			allRead = allRead && readable(l)
			if !readable(l) {
				continue
			}
			pt, stmt, _, err := fx.openEnvelopeOracle(l.Data)
			good = good || err == nil && pt == "application/vnd.in-toto+json" && fx.provenanceWrong(stmt, p) == "" &&
				(!withLog || fx.attestationEntryWrong(l.Annotations[sign.BundleAnnotation], l.Data) == "")
		}
		switch {
		case c.Status == StatusPass && !good:
			t.Fatalf("provenance passes, but no attestation verifies: %+v", c)
		case c.Status == StatusError && allRead, c.Status != StatusError && c.Status != StatusPass && !allRead:
			t.Fatalf("provenance %s, every examined attestation read: %v: %+v", c.Status, allRead, c)
		case c.Status == StatusSkipped && p.Provenance == ProvenanceRequired:
			t.Fatalf("required provenance skipped: %+v", c)
		case c.Status == StatusFail && good:
			t.Fatalf("provenance fails, but an attestation verifies: %+v", c)
		case !strings.Contains("pass fail error skipped", string(c.Status)):
			t.Fatalf("provenance check %+v", c)
		}
	})
}
