package verify

import (
	"encoding/json"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// TestFuzzSeeds checks that the fuzz targets reach both outcomes from their seeds, so that
// their invariants are not vacuous: genuine content (made by verifytest, or here with the
// fixed keys, which also checks the independent checks' own encodings: SET payload, PAE)
// passes verify and the independent checks alike; content one step away fails.
func TestFuzzSeeds(t *testing.T) {
	fx := newFuzzFixture(t)
	ctx := fuzzCtx()
	sigAnn := fx.sigLayer.Desc.Annotations[sign.SignatureAnnotation]
	other := fx.vt.Signature(fx.img, verifytest.SigSpec{Key: fixedKey(t, 0x43)})
	want := func(what string, got, want Status) {
		t.Helper()
		if got != want {
			t.Errorf("%s: %s, want %s", what, got, want)
		}
	}
	status := func(err error) Status {
		if err != nil {
			return StatusFail
		}
		return StatusPass
	}

	// Payload and signature.
	want("genuine signature", status(fx.v.verifyCandidate(&candidate{payload: fx.sigLayer.Payload, b64sig: sigAnn}, fx.repo, fx.digest)), StatusPass)
	want("signature by another key", status(fx.v.verifyCandidate(&candidate{payload: fx.sigLayer.Payload, b64sig: other.Desc.Annotations[sign.SignatureAnnotation]}, fx.repo, fx.digest)), StatusFail)
	want("signature of another repository", status(fx.v.verifyCandidate(&candidate{payload: fx.sigLayer.Payload, b64sig: sigAnn}, hubRepo, fx.digest)), StatusFail)
	if why := fx.payloadWrong(fx.sigLayer.Payload, fx.signB64(t, fx.sigLayer.Payload), false); why != "" {
		t.Errorf("independent payload check: %s", why)
	}

	// Rekor bundles, as verifytest makes them and as signSET does.
	var body struct{ Payload struct{ Body []byte } }
	if err := json.Unmarshal([]byte(fx.sigLayer.Bundle), &body); err != nil {
		t.Fatal(err)
	}
	for name, bun := range map[string]string{"verifytest": fx.sigLayer.Bundle, "signSET": fx.signSET(t, body.Payload.Body, 1700000000, 7)} {
		want(name+" bundle", fx.v.checkLegacyTLog(ctx, &candidate{payload: fx.sigLayer.Payload, b64sig: sigAnn, bundleRaw: &bun}).Status, StatusPass)
		if why := fx.signatureEntryWrong(bun, fx.sigLayer.Payload, sigAnn); why != "" {
			t.Errorf("independent check of the %s bundle: %s", name, why)
		}
	}
	attBundle := fx.attLayer.Desc.Annotations[sign.BundleAnnotation]
	want("attestation bundle for a signature", fx.v.checkLegacyTLog(ctx, &candidate{payload: fx.sigLayer.Payload, b64sig: sigAnn, bundleRaw: &attBundle}).Status, StatusFail)
	b, _ := parseRekorBundle(ctx, &attBundle)
	want("attestation bundle", fx.v.verifyRekorBundle(ctx, b, []string{"intoto", "dsse"}, func(o ...static.Option) (oci.Signature, error) {
		return static.NewAttestation(fx.attLayer.Payload, o...)
	}).Status, StatusPass)
	if why := fx.attestationEntryWrong(attBundle, fx.attLayer.Payload); why != "" {
		t.Errorf("independent check of the attestation bundle: %s", why)
	}

	// Envelopes and provenance.
	p := fx.policy(0, "")
	for name, env := range map[string][]byte{"verifytest": fx.attLayer.Payload, "envelope": fx.envelope(t, "application/vnd.in-toto+json", fx.statement)} {
		r := fx.vNoLog.checkAttestation(ctx, fx.vt.SigRepo, embedded(sign.DSSEMediaType, env, nil), fx.digest, p)
		want(name+" envelope", r.check.Status, StatusPass)
		if _, _, plain, err := fx.openEnvelopeOracle(env); !r.byKey || !plain || err != nil {
			t.Errorf("%s envelope: by key %v, independent check %v (plain %v)", name, r.byKey, err, plain)
		}
	}
	for mode := range uint8(4) {
		want("provenance, pin mode "+string('0'+mode), provenanceMatches(fx.statement, fx.digest, fx.policy(mode, "")).Status, StatusPass)
		if why := fx.provenanceWrong(fx.statement, fx.policy(mode, "")); why != "" {
			t.Errorf("independent provenance check, pin mode %d: %s", mode, why)
		}
	}
	for _, s := range provenanceSeeds(fx, t)[2:5] { // another commit, project, subject
		want("provenance one step away", provenanceMatches(s, fx.digest, p).Status, StatusFail)
	}

	// Manifests and configs.
	for i, c := range []struct {
		ct  string
		acc accept
	}{{mediaOCIManifest, acceptImage}, {mediaDockerManifest, acceptImageRef}, {mediaOCIIndex, acceptImageRef}, {mediaDockerList, acceptImageRef}, {mediaOCIIndex, acceptReferrers}, {mediaOCIManifest, acceptReferrer}} {
		raw := manifestSeeds(fx)[i]
		if m, err := decodeManifest(raw, c.ct, c.acc); err != nil || manifestWrong(raw, c.ct, c.acc, m) != "" {
			t.Errorf("manifest seed %d (%s): %v", i, c.ct, err)
		}
	}
	cfg := func(label string) []byte {
		b, _ := json.Marshal(map[string]any{"config": map[string]any{"Labels": map[string]string{catalog.RevisionLabel: label}}, "rootfs": map[string]any{"type": "layers"}})
		return b
	}
	img := []byte(`{"schemaVersion":2,"config":{"mediaType":"x","size":@CS@,"digest":"@CD@"},"layers":[]}`)
	index := []byte(`{"schemaVersion":2,"manifests":[{"mediaType":"` + mediaOCIManifest + `","size":@MS@,"digest":"@MD@","platform":{"os":"linux","architecture":"amd64"}}]}`)
	nested := []byte(`{"schemaVersion":2,"manifests":[{"mediaType":"` + mediaOCIIndex + `","size":@MS@,"digest":"@MD@","platform":{"os":"linux","architecture":"amd64"}}]}`)
	for _, c := range []struct {
		name             string
		top, child, conf []byte
		want             Status
	}{
		{"image", nil, img, cfg(verifytest.PinCommit), StatusPass}, {"index", index, img, cfg(verifytest.PinCommit), StatusPass},
		{"label not the pin", index, img, cfg(verifytest.OtherCommit), StatusFail}, {"nested index", nested, img, cfg(verifytest.PinCommit), StatusError},
	} {
		got, label, reached, why := fx.checkConfig(c.top, c.child, c.conf, 1, 0)
		want("config of "+c.name, got.Status, c.want)
		if c.want == StatusPass && (!reached || label != verifytest.PinCommit) {
			t.Errorf("independent config check of %s: %s", c.name, why)
		}
	}

	// .sig and .att manifests.
	sigs := func(withLog bool, layers ...v1.Descriptor) signed {
		m, err := decodeManifest(layersManifest(t, layers...), mediaOCIManifest, acceptImage)
		if err != nil {
			t.Fatal(err)
		}
		v := fx.vNoLog
		if withLog {
			v = fx.v
		}
		return v.checkSignatures(ctx, &referrers{sigRepo: fx.vt.SigRepo}, fx.repo, fx.digest, m, nil)
	}
	noData := fx.sigLayer.Desc
	noData.Data = nil
	s := sigs(true, fx.sigLayer.Desc)
	want("signature manifest", s.sig.Status, StatusPass)
	want("signature manifest tlog", s.tlog.Status, StatusPass)
	want("signature manifest of another key", sigs(true, other.Desc).sig.Status, StatusFail)
	want("signature manifest without data", sigs(false, noData).sig.Status, StatusError)
	m, _ := decodeManifest(layersManifest(t, fx.attLayer.Desc), mediaOCIManifest, acceptImage)
	want("attestation manifest", fx.v.checkProvenance(ctx, &referrers{sigRepo: fx.vt.SigRepo}, fx.digest, m, nil, p, false).Status, StatusPass)

	// Sigstore bundles.
	for name, raw := range map[string][]byte{"signature": fx.vt.SignatureBundle(fx.img, &verifytest.BundleSpec{}), "provenance": fx.vt.ProvenanceBundle(fx.img, verifytest.ProvSpec{})} {
		predicate := cosignSignPredicate
		if name == "provenance" {
			predicate = "https://slsa.dev/provenance/v1"
		}
		r, err := fx.v.checkBundle(ctx, raw, fx.digest, predicate)
		b, _, payload, oerr := fx.bundleStatement(raw)
		if err != nil || oerr != nil || r.tlog.Status != StatusPass || !fx.bundleLogged(b, payload) {
			t.Errorf("%s bundle: %v, %+v; independent check %v, logged %v", name, err, r, oerr, oerr == nil && fx.bundleLogged(b, payload))
		}
		if name == "provenance" && err == nil {
			want("bundle provenance", provenanceMatches(r.payload, fx.digest, p).Status, StatusPass)
		}
	}
}
