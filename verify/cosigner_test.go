package verify_test

import (
	"crypto/ecdsa"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// verifierFor is a Verifier trusting key instead of the fixture's publisher key.
func verifierFor(f *verifytest.Fixture, key *ecdsa.PrivateKey) *verify.Verifier {
	f.T.Helper()
	v, err := verify.New(&key.PublicKey, verify.WithRekorPublicKey(&f.RekorKey.PublicKey), verify.WithSignaturesRepository(f.SigRepo))
	if err != nil {
		f.T.Fatal(err)
	}
	return v
}

// A co-signer (key B) signs an image the publisher (key A) signed and attested. Verified
// with B, the publisher's attestation is not B's: provenance is skipped ("no provenance
// by this key"), or fails with that reason when required. An attestation by B that
// verifies but is wrong still fails.
func TestCoSignerProvenance(t *testing.T) {
	for _, c := range []struct {
		name     string
		v3       bool                                                                   // cosign v3 bundles instead of .sig/.att
		cosign   func(f *verifytest.Fixture, b *ecdsa.PrivateKey) []verifytest.ProvSpec // B's own attestations
		mode     verify.ProvenanceMode
		want     verify.Status
		detail   string
		verified bool
	}{
		{name: "legacy, if present", mode: verify.ProvenanceIfPresent, want: verify.StatusSkipped, detail: "no provenance by this key", verified: true},
		{name: "legacy, required", mode: verify.ProvenanceRequired, want: verify.StatusFail, detail: "no provenance by this key"},
		{name: "v3 bundles, if present", v3: true, mode: verify.ProvenanceIfPresent, want: verify.StatusSkipped, detail: "no provenance by this key", verified: true},
		{name: "v3 bundles, required", v3: true, mode: verify.ProvenanceRequired, want: verify.StatusFail, detail: "no provenance by this key"},
		{name: "legacy, co-signer's own provenance is wrong", mode: verify.ProvenanceIfPresent, want: verify.StatusFail, detail: "commit",
			cosign: func(f *verifytest.Fixture, b *ecdsa.PrivateKey) []verifytest.ProvSpec {
				return []verifytest.ProvSpec{{Key: b, Commit: verifytest.OtherCommit}}
			}},
		{name: "legacy, co-signer's own provenance is right", mode: verify.ProvenanceRequired, want: verify.StatusPass, verified: true,
			cosign: func(f *verifytest.Fixture, b *ecdsa.PrivateKey) []verifytest.ProvSpec {
				return []verifytest.ProvSpec{{Key: b}}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := verifytest.New(t)
			b := verifytest.NewKey(t)
			img := f.PushImage(f.Repo("mcp/cosigned"), "v1", verifytest.PinCommit)
			if c.v3 {
				f.SignBundle(img, verifytest.BundleSpec{})
				f.AttestBundle(img, verifytest.ProvSpec{})
				f.SignBundle(img, verifytest.BundleSpec{Key: b})
			} else {
				f.Sign(img, verifytest.SigSpec{}, verifytest.SigSpec{Key: b})
				specs := []verifytest.ProvSpec{{}}
				if c.cosign != nil {
					specs = append(specs, c.cosign(f, b)...)
				}
				f.Attest(img, specs...)
			}
			// The publisher's key verifies everything.
			vd, err := verifierFor(f, f.Key).Verify(ctxT(t), img, verify.Policy{Pin: policy().Pin, Provenance: verify.ProvenanceRequired})
			if c.cosign == nil && (err != nil || !vd.Verified) {
				t.Fatalf("with the publisher's key: %+v, %v", vd, err)
			}

			p := policy()
			p.Provenance = c.mode
			vd, err = verifierFor(f, b).Verify(ctxT(t), img, p)
			if err != nil {
				t.Fatalf("Verify() error = %v, want a definite verdict", err)
			}
			got := vd.Check(verify.CheckProvenance)
			if vd.Verified != c.verified || got.Status != c.want || !strings.Contains(got.Detail, c.detail) {
				t.Fatalf("with the co-signer's key: verified %v, provenance %+v; want verified %v, %s containing %q",
					vd.Verified, got, c.verified, c.want, c.detail)
			}
			if sig := vd.Check(verify.CheckSignature); sig.Status != verify.StatusPass {
				t.Fatalf("co-signer's signature = %+v, want pass", sig)
			}
			if !c.verified && !strings.Contains(vd.Reason, c.detail) {
				t.Fatalf("reason %q does not say %q", vd.Reason, c.detail)
			}
		})
	}
}
