package sign

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	sigpayload "github.com/sigstore/sigstore/pkg/signature/payload"
)

// FuzzDecodeBundle feeds bundle annotations (dev.sigstore.cosign/bundle, read from the
// registry) to decodeBundle and to everything that reads its result.
func FuzzDecodeBundle(f *testing.F) {
	fx := newFuzzFixture(f)
	for _, s := range []string{
		fx.sigLayer.Annotations[BundleAnnotation], fx.attLayer.Annotations[BundleAnnotation],
		"", "null", "{}", `{"SignedEntryTimestamp":"","Payload":{}}`,
		`{"SignedEntryTimestamp":"AA==","Payload":{"body":5}}`,
		`{"SignedEntryTimestamp":"AA==","Payload":{"body":"!!"}}`,
		`{"SignedEntryTimestamp":"AA==","Payload":{"body":"bnVsbA=="}}`,
		`{"SignedEntryTimestamp":"AA==","Payload":{"body":"` + base64.StdEncoding.EncodeToString([]byte(`{"kind":"dsse","spec":{"envelopeHash":{"algorithm":"sha256","value":"00"},"signatures":[{"verifier":"LS0tLS1CRUdJTg=="},{"verifier":"!"}]}}`)) + `"}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, annotation string) {
		b, body, ok := decodeBundle(annotation)
		if !ok {
			if body != nil {
				t.Fatal("refused bundle with a body")
			}
			return
		}
		if b == nil || body == nil || len(b.SignedEntryTimestamp) == 0 {
			t.Fatalf("accepted bundle without SET or body: %+v", b)
		}
		if fx.withLog.log.verifies(b) && (b.Payload.LogID != fx.withLog.log.id ||
			cosign.VerifySET(b.Payload, b.SignedEntryTimestamp, &fx.logKey.PublicKey) != nil) {
			t.Fatal("a bundle not of the fixture log verifies")
		}
		// These read attacker-controlled fields (base64, PEM keys): they must not panic.
		body.bindsSignature("", fx.withLog.pubPEM, nil)
		body.bindsEnvelope(body.Spec.EnvelopeHash.Value, fx.withLog.pub)
		if _, err := attached(&Attachment{Layer: Layer{Annotations: map[string]string{BundleAnnotation: annotation}}}); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParsePayload feeds simple-signing payloads to ParsePayload: an accepted payload
// names a repository and a digest, and reading it back after writing it with Payload
// yields the same claims.
func FuzzParsePayload(f *testing.F) {
	fx := newFuzzFixture(f)
	for _, s := range []string{
		string(fx.payload), "null", "{}", "[]",
		`{"critical":{"identity":{"docker-reference":"r.example/x"},"image":{"docker-manifest-digest":"sha256:00"},"type":"cosign container image signature"},"optional":null}`,
		`{"critical":{"identity":{"docker-reference":""},"image":{"docker-manifest-digest":""},"type":"cosign container image signature"}}`,
		`{"critical":{"identity":{"docker-reference":"r.example/x:tag"},"image":{"docker-manifest-digest":"` + fx.h.String() + `"},"type":"cosign container image signature"},"optional":{"a":1,"b":"c"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePayload(b)
		if err != nil {
			return
		}
		c := p.Critical
		if c.Type != sigpayload.CosignSignatureType {
			t.Fatalf("accepted payload type %q", c.Type)
		}
		d, err := name.NewDigest(c.Identity.DockerReference + "@" + c.Image.DockerManifestDigest)
		if err != nil || c.Identity.DockerReference == "" {
			t.Fatalf("accepted payload without a repository and digest: %+v (%v)", c, err)
		}
		claims := map[string]string{}
		for k, v := range p.Optional {
			s, ok := v.(string)
			if !ok || k == "" {
				return // Payload writes string claims only
			}
			claims[k] = s
		}
		again, err := Payload(d, claims)
		if err != nil {
			t.Fatalf("Payload(%s): %v", d, err)
		}
		q, err := ParsePayload(again)
		if err != nil {
			t.Fatalf("ParsePayload(Payload(...)): %v", err)
		}
		if q.Critical.Image != c.Image || len(q.Optional) != len(claims) {
			t.Fatalf("round trip changed the payload: %+v -> %+v", p, q)
		}
	})
}

// FuzzBindStatement feeds in-toto statements to bindStatement (Attest signs what it
// returns): the result always names the image's digest in a subject, keeps the predicate
// type, and is the input unchanged when a subject already names the digest.
func FuzzBindStatement(f *testing.F) {
	fx := newFuzzFixture(f)
	var env struct {
		Payload string `json:"payload"`
	}
	if err := json.Unmarshal(fx.envelope, &env); err != nil {
		f.Fatal(err)
	}
	statement, _ := base64.StdEncoding.DecodeString(env.Payload)
	for _, s := range []string{
		string(statement), "", "null", "{}", `{"predicateType":"p"}`, `{"predicateType":"p","subject":[]}`,
		`{"predicateType":"p","subject":null,"predicate":{"a":[1,2]}}`,
		`{"predicateType":"p","subject":[{"name":"x","digest":{"sha256":"00"}}]}`,
		`{"predicateType":"p","subject":[{"digest":{"sha256":"` + fx.h.Hex + `"}}],"subject":[]}`,
		`{"predicateType":"p","Subject":[{"digest":{"sha256":"` + fx.h.Hex + `"}}]}`,
		`{"predicateType":"p"} trailing`, `[{"predicateType":"p"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, head, err := bindStatement(fx.img, fx.h, in)
		if err != nil {
			return
		}
		if head == nil || head.PredicateType == "" {
			t.Fatalf("accepted statement without predicate type: %q", in)
		}
		// What a verifier in any language reads: the exact keys, no duplicates.
		if pt, named := exactStatement(out, fx.h); pt != head.PredicateType || !named {
			t.Fatalf("bound statement %q: predicate type %q (want %q), a subject names the image: %v", out, pt, head.PredicateType, named)
		}
		if dup, err := duplicateKey(out); dup != "" || err != nil {
			t.Fatalf("bound statement %q repeats key %q (%v)", out, dup, err)
		}
		if _, named := exactStatement(in, fx.h); named && !bytes.Equal(in, out) {
			t.Fatalf("statement naming the image was rewritten: %q -> %q", in, out)
		}
	})
}
