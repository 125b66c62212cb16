package sign_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
)

func statementFor(img name.Digest) []byte { return signtest.Statement(img) }

func TestAttestLayoutAndCosignVerifies(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	tl := &fakeTLog{}
	svc := newService(t, host, keyA, tl)
	a, err := svc.Attest(ctx, img, statementFor(img))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(a.Tag.String(), ".att") || !a.Appended || a.LogIndex != 1 || tl.Count() != 1 {
		t.Errorf("Attest() = %+v, uploads %d", a, tl.Count())
	}
	m := rawManifest(t, a.Tag)
	if len(m.Layers) != 1 {
		t.Fatalf("%d layers", len(m.Layers))
	}
	l := m.Layers[0]
	if l.MediaType != sign.DSSEMediaType || l.Annotations[sign.PredicateTypeAnnotation] != sign.SLSAProvenanceV1 ||
		l.Annotations[sign.BundleAnnotation] == "" {
		t.Errorf("layer %s annotations %v", l.MediaType, l.Annotations)
	}
	if v, ok := l.Annotations[sign.SignatureAnnotation]; !ok || v != "" {
		t.Errorf("signature annotation = %q (present %v), want empty as cosign attest writes", v, ok)
	}
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
	}
	if err := json.Unmarshal(l.Data, &env); err != nil || env.PayloadType != sign.InTotoPayloadType {
		t.Fatalf("embedded envelope %q: %v", l.Data, err)
	}
	stmt, _ := base64.StdEncoding.DecodeString(env.Payload)
	if !bytes.Equal(stmt, statementFor(img)) {
		t.Errorf("signed statement differs from the one given")
	}

	// cosign's verify-attestation code accepts it (key, DSSE, subject == digest).
	pub, _ := mustSigner(t, keyA).PublicKey(ctx)
	v, _ := cosignVerifier(pub)
	atts, _, err := cosign.VerifyImageAttestations(ctx, img, &cosign.CheckOpts{
		SigVerifier: v, IgnoreTlog: true, ClaimVerifier: cosign.IntotoSubjectClaimVerifier,
		RegistryClientOpts: []ociremote.Option{ociremote.WithTargetRepository(svc.Store().Repository())},
	})
	if err != nil || len(atts) != 1 {
		t.Errorf("cosign VerifyImageAttestations = %d, %v", len(atts), err)
	}

	// Idempotent: a second provenance of the same type by the same key is not added.
	again, err := svc.Attest(ctx, img, statementFor(img))
	if err != nil || again.Appended || tl.Count() != 1 {
		t.Errorf("second Attest = %+v, %v, uploads %d", again, err, tl.Count())
	}
	f, err := svc.FindAttestation(ctx, img, sign.SLSAProvenanceV1)
	if err != nil || f == nil || f.LogIndex != 1 {
		t.Errorf("FindAttestation = %+v, %v", f, err)
	}
	// Another key's attestation does not count as ours.
	if f, _ := newService(t, host, keyB, tl).FindAttestation(ctx, img, sign.SLSAProvenanceV1); f != nil {
		t.Error("FindAttestation with key B found key A's attestation")
	}
}

func TestAttestSubject(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	other := pushImage(t, host, "mcp/beta")
	svc := newService(t, host, keyA, nil)

	if _, err := svc.Attest(ctx, img, statementFor(other)); err == nil || !strings.Contains(err.Error(), "do not name") {
		t.Errorf("Attest(statement about another image) = %v", err)
	}
	for _, bad := range []string{"", "not json", `{"_type":"x"}`} {
		if _, err := svc.Attest(ctx, img, []byte(bad)); err == nil {
			t.Errorf("Attest(%q): want error", bad)
		}
	}
	noSubject := []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"https://slsa.dev/provenance/v1","predicate":{"x":1}}`)
	if _, err := svc.Attest(ctx, img, noSubject); err != nil {
		t.Fatal(err)
	}
	if f, err := svc.FindAttestation(ctx, img, sign.SLSAProvenanceV1); err != nil || f == nil {
		t.Errorf("statement without subject was not bound to the image: %v", err)
	}
}

type ctxKey struct{}

// ctxSigner records the context values its calls see.
type ctxSigner struct {
	sign.Signer
	seen []any
}

func (c *ctxSigner) Sign(ctx context.Context, p []byte) ([]byte, error) {
	c.seen = append(c.seen, ctx.Value(ctxKey{}))
	return c.Signer.Sign(ctx, p)
}

// The caller's context reaches the signer (a KMS call) when the attestation is signed.
func TestAttestPassesContextToSigner(t *testing.T) {
	ctx := context.WithValue(context.Background(), ctxKey{}, "attest-call")
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	cs := &ctxSigner{Signer: mustSigner(t, keyA)}
	repo, _ := name.NewRepository(host + "/mcp/signatures")
	svc, err := sign.New(cs, sign.NewStore(repo), &fakeTLog{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Attest(ctx, img, statementFor(img)); err != nil {
		t.Fatal(err)
	}
	if len(cs.seen) != 1 || cs.seen[0] != "attest-call" {
		t.Errorf("signer saw context values %v, want [attest-call]", cs.seen)
	}
}
