package verify_test

import (
	"testing"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Attestations that are not SLSA provenance (an SBOM by another party, without a
// predicateType annotation) are not the provenance check's business, nor are other
// keys' attestations; provenance by this key that is present must verify.
func TestOtherAttestations(t *testing.T) {
	sbom := func(f *verifytest.Fixture) verifytest.ProvSpec {
		return verifytest.ProvSpec{PredicateType: "https://spdx.dev/Document", Key: verifytest.NewKey(f.T)}
	}
	for _, c := range []struct {
		name     string
		specs    func(f *verifytest.Fixture) []verifytest.ProvSpec
		required bool
		want     verify.Status
	}{
		{"SBOM only", func(f *verifytest.Fixture) []verifytest.ProvSpec { return []verifytest.ProvSpec{sbom(f)} }, false, verify.StatusSkipped},
		{"SBOM only, provenance required", func(f *verifytest.Fixture) []verifytest.ProvSpec { return []verifytest.ProvSpec{sbom(f)} }, true, verify.StatusFail},
		{"SBOM and provenance", func(f *verifytest.Fixture) []verifytest.ProvSpec { return []verifytest.ProvSpec{sbom(f), {}} }, true, verify.StatusPass},
		{"SBOM and bad provenance", func(f *verifytest.Fixture) []verifytest.ProvSpec {
			return []verifytest.ProvSpec{sbom(f), {Commit: verifytest.OtherCommit}}
		}, false, verify.StatusFail},
		// Another party's attestation is not this key's provenance (a co-signer's view).
		{"provenance by another key", func(f *verifytest.Fixture) []verifytest.ProvSpec {
			return []verifytest.ProvSpec{{Key: verifytest.NewKey(f.T)}}
		}, false, verify.StatusSkipped},
		{"provenance by another key, required", func(f *verifytest.Fixture) []verifytest.ProvSpec {
			return []verifytest.ProvSpec{{Key: verifytest.NewKey(f.T)}}
		}, true, verify.StatusFail},
		{"bad provenance by another key, good by this key", func(f *verifytest.Fixture) []verifytest.ProvSpec {
			return []verifytest.ProvSpec{{Key: verifytest.NewKey(f.T), Commit: verifytest.OtherCommit}, {}}
		}, true, verify.StatusPass},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/attested"), "v1", verifytest.PinCommit)
			f.Sign(img)
			f.Attest(img, c.specs(f)...)
			v, _ := newVerifier(f)
			p := policy()
			if c.required {
				p.Provenance = verify.ProvenanceRequired
			}
			vd, err := v.Verify(ctxT(t), img, p)
			if err != nil || vd.Check(verify.CheckProvenance).Status != c.want || vd.Verified != (c.want != verify.StatusFail) {
				t.Fatalf("provenance = %+v, verified %v (%v), want %s", vd.Check(verify.CheckProvenance), vd.Verified, err, c.want)
			}
		})
	}
}
