package verify

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// hubRepo is the Docker Hub repository the payload targets also verify against.
var hubRepo = name.MustParseReference("docker.io/library/fetch:latest").Context()

// FuzzSignaturePayload feeds simple-signing payloads and signature annotations to
// verifyCandidate; with resign, the payload is signed with the fixed key here, so that
// the payload checks are reached. An accepted signature verifies with the key over the
// payload, and the payload (read here with encoding/json) is cosign's type and names
// exactly the image digest and repository (hub: Docker Hub's library/fetch, whose names
// vary); the claims returned are the payload's.
func FuzzSignaturePayload(f *testing.F) {
	fx := newFuzzFixture(f)
	good := fx.sigLayer.Payload
	b64 := fx.sigLayer.Desc.Annotations[sign.SignatureAnnotation]
	other := fx.vt.Signature(fx.img, verifytest.SigSpec{Key: fixedKey(f, 0x43)})
	hub, _ := name.NewDigest("index.docker.io/library/fetch@" + fx.digest.String())
	for _, p := range []string{
		string(good), string(fx.vt.Signature(hub, verifytest.SigSpec{}).Payload),
		strings.Replace(string(good), "registry.example/mcp/fetch", "registry.example/mcp/fetch:v1", 1),
		strings.Replace(string(good), "registry.example/mcp/fetch", "registry.example/mcp/fetch-evil", 1),
		strings.Replace(string(good), "registry.example/mcp/fetch", "docker.io/fetch", 1),
		strings.Replace(string(good), fx.digest.Hex, strings.Repeat("cd", 32), 1),
		strings.Replace(string(good), `"type"`, `"Type"`, 1),
		`{"critical":{"identity":{"docker-reference":"registry.example/mcp/fetch"},"image":{"docker-manifest-digest":"` + fx.digest.String() +
			`"},"type":"cosign container image signature"},"optional":{"org.opencontainers.image.revision":["x"]}}`,
		`{"critical":{"identity":{"docker-reference":"registry.example/mcp/fetch"},"image":{"docker-manifest-digest":"` + fx.digest.String() +
			`"},"type":"cosign container image signature"},"critical":{"identity":{"docker-reference":"evil.example/x"}}}`,
		"null", "{}", "[]", "",
	} {
		f.Add([]byte(p), "", true, false)
		f.Add([]byte(p), "", true, true)
	}
	f.Add(good, b64, false, false)
	f.Add(good, other.Desc.Annotations[sign.SignatureAnnotation], false, false)
	f.Add(good, b64[:len(b64)-4], false, false)
	f.Add(other.Payload, b64, false, false)
	f.Fuzz(func(t *testing.T, payload []byte, b64sig string, resign, hub bool) {
		if resign {
			b64sig = fx.signB64(t, payload)
		}
		repo := fx.repo
		if hub {
			repo = hubRepo
		}
		c := &candidate{payload: payload, b64sig: b64sig}
		if err := fx.v.verifyCandidate(c, repo, fx.digest); err != nil {
			return
		}
		if why := fx.payloadWrong(payload, b64sig, hub); why != "" {
			t.Fatalf("accepted signature of %q: %s", payload, why)
		}
		var p oPayload
		_ = json.Unmarshal(payload, &p)
		if want, ok := p.Optional[catalog.RevisionLabel].(string); ok && c.claims[catalog.RevisionLabel] != want {
			t.Fatalf("claims %v, the payload claims %q", c.claims, want)
		}
	})
}

// FuzzRekorBundle feeds cosign bundle annotations (dev.sigstore.cosign/bundle) to the
// tlog checks, of the fixture's genuine signature (checkLegacyTLog) or, with att, of its
// genuine attestation envelope (the attestation kinds). With resign, the annotation is
// made here from the entry body given, its SET signed with the fixed log key (as a log
// would), so that cosign's body checks are reached. A passing check had a SET by the
// fixture log over the canonical entry (computed here), and the entry records this
// payload hash, signature and key (or this envelope and key).
func FuzzRekorBundle(f *testing.F) {
	fx := newFuzzFixture(f)
	sigBundle, attBundle := fx.sigLayer.Bundle, fx.attLayer.Desc.Annotations[sign.BundleAnnotation]
	bodyOf := func(annotation string) []byte {
		var b struct{ Payload struct{ Body []byte } }
		if err := json.Unmarshal([]byte(annotation), &b); err != nil {
			f.Fatal(err)
		}
		return b.Payload.Body
	}
	for _, att := range []bool{false, true} {
		for _, a := range []string{sigBundle, attBundle, "", "{}", "null", `{"SignedEntryTimestamp":"","Payload":{"body":5}}`,
			strings.Replace(sigBundle, `"logIndex":`, `"logIndex":1`, 1)} {
			f.Add(a, []byte(nil), false, att, int64(0), int64(0))
		}
		for _, b := range [][]byte{bodyOf(sigBundle), bodyOf(attBundle), []byte(`{"kind":"hashedrekord","apiVersion":"0.0.1","spec":{}}`),
			[]byte(`{"kind":"intoto","apiVersion":"0.0.2","spec":{"content":{"envelope":{"signatures":[]}}}}`),
			[]byte(`{"kind":"dsse","apiVersion":"0.0.1","spec":{"signatures":[]}}`), []byte(`{"kind":"rekord"}`)} {
			f.Add("", b, true, att, int64(1700000000), int64(7))
		}
	}
	sigCand := &candidate{payload: fx.sigLayer.Payload, b64sig: fx.sigLayer.Desc.Annotations[sign.SignatureAnnotation]}
	env := fx.attLayer.Payload
	f.Fuzz(func(t *testing.T, annotation string, body []byte, resign, att bool, integratedTime, logIndex int64) {
		if resign {
			annotation = fx.signSET(t, body, integratedTime, logIndex)
		}
		ctx := fuzzCtx()
		var c Check
		if att {
			b, err := parseRekorBundle(ctx, &annotation)
			if err != nil {
				c = errCheck(CheckTLog, err)
			} else {
				c = fx.v.verifyRekorBundle(ctx, b, []string{"intoto", "dsse"}, func(o ...static.Option) (oci.Signature, error) {
					return static.NewAttestation(env, o...)
				})
			}
		} else {
			cand := *sigCand
			cand.bundleRaw = &annotation
			c = fx.v.checkLegacyTLog(ctx, &cand)
		}
		switch {
		case c.Status == StatusError && jsonValues([]byte(annotation)) <= MaxJSONValues:
			t.Fatalf("a bundle of the configured log is could-not-check: %+v", c)
		case c.Status != StatusPass:
			return
		case att:
			if why := fx.attestationEntryWrong(annotation, env); why != "" {
				t.Fatalf("attestation log entry passes, but %s: %s", why, annotation)
			}
		default:
			if why := fx.signatureEntryWrong(annotation, sigCand.payload, sigCand.b64sig); why != "" {
				t.Fatalf("signature log entry passes, but %s: %s", why, annotation)
			}
		}
	})
}
