package verify_test

import (
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// cosign v3's default format: a Sigstore bundle referrer found via the fallback tag.
func TestBundleV3(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/v3")
	img := f.PushImage(repo, "latest", verifytest.PinCommit)
	f.SignBundle(img, verifytest.BundleSpec{})
	v, st := newVerifier(f)
	p := policy()
	p.RequireSignedRevision = true
	vd, err := v.Verify(ctxT(t), repo.Tag("latest"), p)
	if err != nil || !vd.Verified {
		t.Fatalf("Verify(v3 bundle) = %+v, %v", vd, err)
	}
	for _, c := range []string{verify.CheckSignature, verify.CheckTLog, verify.CheckSignedRevision} {
		if vd.Check(c).Status != verify.StatusPass {
			t.Errorf("%s = %+v, want pass", c, vd.Check(c))
		}
	}
	t.Logf("stats: %v", st.Snapshot())
}

func TestBundleV3Tampered(t *testing.T) {
	cases := []struct {
		name string
		spec func(f *verifytest.Fixture) verifytest.BundleSpec
		pin  string
		want string
	}{
		{"wrong key", func(f *verifytest.Fixture) verifytest.BundleSpec {
			return verifytest.BundleSpec{Key: verifytest.NewKey(f.T)}
		}, "", verify.CheckSignature},
		{"another subject", func(f *verifytest.Fixture) verifytest.BundleSpec {
			return verifytest.BundleSpec{SubjectHex: strings.Repeat("cd", 32)}
		}, "", verify.CheckSignature},
		{"an attestation, not a signature", func(f *verifytest.Fixture) verifytest.BundleSpec {
			return verifytest.BundleSpec{PredicateType: "https://slsa.dev/provenance/v1"}
		}, "", verify.CheckSignature},
		{"log entry from another log key", func(f *verifytest.Fixture) verifytest.BundleSpec {
			return verifytest.BundleSpec{RekorKey: verifytest.NewKey(f.T)}
		}, "", verify.CheckTLog},
		{"log entry of another signature", func(*verifytest.Fixture) verifytest.BundleSpec {
			return verifytest.BundleSpec{LogOtherEnvelope: true}
		}, "", verify.CheckTLog},
		{"signed claim mismatch", func(f *verifytest.Fixture) verifytest.BundleSpec {
			return verifytest.BundleSpec{Claims: map[string]string{catalog.RevisionLabel: verifytest.OtherCommit}}
		}, "", verify.CheckSignedRevision},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/v3"), "latest", verifytest.PinCommit)
			f.SignBundle(img, c.spec(f))
			v, _ := newVerifier(f)
			vd, err := v.Verify(ctxT(t), img, policy())
			if err != nil {
				t.Fatalf("Verify() error = %v, want a definite verdict", err)
			}
			first, ok := vd.FirstFailure()
			if vd.Verified || !ok || first.Name != c.want {
				t.Fatalf("verdict %+v, want %s failing", vd.Checks, c.want)
			}
			t.Logf("%s", vd.Reason)
		})
	}
}

// SLSA provenance stored as a cosign v3 bundle referrer.
func TestBundleV3Provenance(t *testing.T) {
	cases := []struct {
		name   string
		legacy bool // legacy .sig signature (referrers read only when provenance is required)
		spec   verifytest.ProvSpec
		mode   verify.ProvenanceMode
		want   verify.Status
	}{
		{"v3 signature and provenance", false, verifytest.ProvSpec{}, verify.ProvenanceIfPresent, verify.StatusPass},
		{"v3 provenance required", false, verifytest.ProvSpec{}, verify.ProvenanceRequired, verify.StatusPass},
		{"v3 provenance commit mismatch", false, verifytest.ProvSpec{Commit: verifytest.OtherCommit}, verify.ProvenanceIfPresent, verify.StatusFail},
		{"v3 provenance by another key", false, verifytest.ProvSpec{Key: nil}, verify.ProvenanceIfPresent, verify.StatusSkipped},
		{"v3 provenance by another key, required", false, verifytest.ProvSpec{Key: nil}, verify.ProvenanceRequired, verify.StatusFail},
		{"legacy signature, v3 provenance, if present", true, verifytest.ProvSpec{}, verify.ProvenanceIfPresent, verify.StatusSkipped},
		{"legacy signature, v3 provenance, required", true, verifytest.ProvSpec{}, verify.ProvenanceRequired, verify.StatusPass},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/v3prov"), "latest", verifytest.PinCommit)
			if c.legacy {
				f.Sign(img)
			} else {
				f.SignBundle(img, verifytest.BundleSpec{})
			}
			spec := c.spec
			if strings.HasPrefix(c.name, "v3 provenance by another key") {
				spec.Key = verifytest.NewKey(t)
			}
			f.AttestBundle(img, spec)
			v, st := newVerifier(f)
			p := policy()
			p.Provenance = c.mode
			vd, err := v.Verify(ctxT(t), img, p)
			if err != nil {
				t.Fatal(err)
			}
			got := vd.Check(verify.CheckProvenance)
			if got.Status != c.want || vd.Verified != (c.want != verify.StatusFail) {
				t.Fatalf("provenance = %+v (verified %v), want %s", got, vd.Verified, c.want)
			}
			t.Logf("%s (%v)", got.Detail, st.Snapshot())
		})
	}
}
