package verify_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-openapi/strfmt"
	"github.com/go-openapi/swag"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/rekor/pkg/generated/models"

	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// hashedRekord is a hashedrekord entry body recording sig over payload with key content.
func hashedRekord(t *testing.T, sig, payload, key []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(payload)
	b, err := json.Marshal(&models.Hashedrekord{APIVersion: swag.String("0.0.1"), Spec: models.HashedrekordV001Schema{
		Data: &models.HashedrekordV001SchemaData{Hash: &models.HashedrekordV001SchemaDataHash{
			Algorithm: swag.String("sha256"), Value: swag.String(hex.EncodeToString(sum[:]))}},
		Signature: &models.HashedrekordV001SchemaSignature{Content: strfmt.Base64(sig),
			PublicKey: &models.HashedrekordV001SchemaSignaturePublicKey{Content: strfmt.Base64(key)}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Rekor entries signed by the trusted log (valid SET) but whose body is hostile or
// malformed must fail the tlog check: never verify, never panic (a gateway embeds this).
func TestHostileRekorBodies(t *testing.T) {
	cases := map[string]func(t *testing.T, f *verifytest.Fixture, sig, payload []byte) []byte{
		"key is not PEM": func(t *testing.T, f *verifytest.Fixture, sig, payload []byte) []byte {
			return hashedRekord(t, sig, payload, []byte("not a key"))
		},
		"key PEM with trailing data": func(t *testing.T, f *verifytest.Fixture, sig, payload []byte) []byte {
			return hashedRekord(t, sig, payload, append(verifytest.PEM(t, &f.Key.PublicKey), "trailing"...))
		},
		"another key": func(t *testing.T, f *verifytest.Fixture, sig, payload []byte) []byte {
			return hashedRekord(t, sig, payload, verifytest.PEM(t, &verifytest.NewKey(t).PublicKey))
		},
		"hash of another payload": func(t *testing.T, f *verifytest.Fixture, sig, payload []byte) []byte {
			return hashedRekord(t, sig, []byte("other"), verifytest.PEM(t, &f.Key.PublicKey))
		},
		"not JSON": func(*testing.T, *verifytest.Fixture, []byte, []byte) []byte { return []byte("\x00\x01") },
		"empty object": func(*testing.T, *verifytest.Fixture, []byte, []byte) []byte {
			return []byte(`{}`)
		},
		"hashedrekord without spec": func(*testing.T, *verifytest.Fixture, []byte, []byte) []byte {
			return []byte(`{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}`)
		},
		"dsse kind for a signature": func(*testing.T, *verifytest.Fixture, []byte, []byte) []byte {
			return []byte(`{"apiVersion":"0.0.1","kind":"dsse","spec":{"signatures":[]}}`)
		},
	}
	for n, body := range cases {
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/hostile"), "v1", verifytest.PinCommit)
			l := f.Signature(img, verifytest.SigSpec{})
			sig, err := base64.StdEncoding.DecodeString(l.Desc.Annotations[sign.SignatureAnnotation])
			if err != nil {
				t.Fatal(err)
			}
			l.Desc.Annotations[sign.BundleAnnotation] = f.RekorBundle(f.RekorKey, body(t, f, sig, l.Payload))
			h, _ := v1.NewHash(img.DigestStr())
			f.PushLayers(sign.Tag(f.SigRepo, h, sign.SignatureSuffix), l)
			v, _ := newVerifier(f)
			vd, err := v.Verify(ctxT(t), img, policy())
			if err != nil {
				t.Fatalf("Verify() error = %v, want a definite verdict", err)
			}
			if first, _ := vd.FirstFailure(); vd.Verified || first.Name != verify.CheckTLog || first.Status != verify.StatusFail {
				t.Fatalf("first failure = %+v, want tlog fail; checks %+v", first, vd.Checks)
			}
		})
	}
}

// The same for the Rekor entries of provenance attestations (intoto and dsse kinds).
func TestHostileAttestationRekorBodies(t *testing.T) {
	cases := map[string]string{
		"intoto v0.0.2 without signatures": `{"apiVersion":"0.0.2","kind":"intoto","spec":{"content":{"envelope":{"payloadType":"application/vnd.in-toto+json","signatures":[]}}}}`,
		"dsse without signatures":          `{"apiVersion":"0.0.1","kind":"dsse","spec":{"signatures":[]}}`,
		"dsse with a null signature":       `{"apiVersion":"0.0.1","kind":"dsse","spec":{"signatures":[null]}}`,
		"intoto without content":           `{"apiVersion":"0.0.1","kind":"intoto","spec":{}}`,
		"hashedrekord for an attestation":  `{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}`,
	}
	for n, body := range cases {
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/hostile"), "v1", verifytest.PinCommit)
			f.Sign(img)
			f.Attest(img, verifytest.ProvSpec{BundleBody: func([]byte) []byte { return []byte(body) }})
			v, _ := newVerifier(f)
			vd, err := v.Verify(ctxT(t), img, policy())
			if err != nil {
				t.Fatalf("Verify() error = %v, want a definite verdict", err)
			}
			if first, _ := vd.FirstFailure(); vd.Verified || first.Name != verify.CheckProvenance || first.Status != verify.StatusFail {
				t.Fatalf("first failure = %+v, want provenance fail; checks %+v", first, vd.Checks)
			}
		})
	}
}

// An attestation whose Rekor entry (valid SET, right key) records another envelope.
func TestAttestationLogEntryOfAnotherEnvelope(t *testing.T) {
	f := verifytest.New(t)
	img := f.PushImage(f.Repo("mcp/hostile"), "v1", verifytest.PinCommit)
	f.Sign(img)
	f.Attest(img, verifytest.ProvSpec{BundleBody: func(env []byte) []byte {
		other := sha256.Sum256(append(env, ' '))
		pk := strfmt.Base64(verifytest.PEM(t, &f.Key.PublicKey))
		b, err := json.Marshal(&models.Intoto{APIVersion: swag.String("0.0.1"), Spec: models.IntotoV001Schema{
			Content: &models.IntotoV001SchemaContent{Hash: &models.IntotoV001SchemaContentHash{
				Algorithm: swag.String("sha256"), Value: swag.String(hex.EncodeToString(other[:]))}},
			PublicKey: &pk,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}})
	v, _ := newVerifier(f)
	vd, err := v.Verify(ctxT(t), img, policy())
	if err != nil {
		t.Fatalf("Verify() error = %v, want a definite verdict", err)
	}
	if first, _ := vd.FirstFailure(); vd.Verified || first.Name != verify.CheckProvenance || !strings.Contains(first.Detail, "transparency log") {
		t.Fatalf("first failure = %+v, want provenance tlog fail; checks %+v", first, vd.Checks)
	}
}
