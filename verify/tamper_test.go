package verify_test

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify"
)

// tamperCase prepares a registry state and returns the reference to verify; want is the
// first check expected to fail. Every case must end in a definite "not verified" (no
// error, so exit 1 in the CLI), never in verified and never in "could not decide".
type tamperCase struct {
	name  string
	setup func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference
	want  string
}

var tamperCases = []tamperCase{
	{"label changed after signing", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		f.sign(f.pushImage(repo, "v1", pinCommit))
		f.pushImage(repo, "v1", otherCommit) // rebuilt with another label, re-tagged
		return repo.Tag("v1")
	}, verify.CheckSignature},
	{"signed image whose label is not the pin", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", otherCommit)
		f.sign(img)
		return img
	}, verify.CheckLabel},
	{"image without label", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", "")
		f.sign(img)
		return img
	}, verify.CheckLabel},
	{"tag moved to another digest", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		f.sign(f.pushImage(repo, "v1", pinCommit))
		f.pushImage(repo, "v1", pinCommit) // same label, other content, unsigned
		return repo.Tag("v1")
	}, verify.CheckSignature},
	{"signature of another digest copied over", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		a := f.pushImage(repo, "a", pinCommit)
		b := f.pushImage(repo, "b", pinCommit)
		la := f.signature(a, sigSpec{})
		hb, _ := v1.NewHash(b.DigestStr())
		f.pushLayers(sign.Tag(f.sigRepo, hb, sign.SignatureSuffix), la)
		return b
	}, verify.CheckSignature},
	{"wrong key", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img, sigSpec{key: newKey(f.t)})
		return img
	}, verify.CheckSignature},
	{"payload naming another repository", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img, sigSpec{dockerRef: f.repo("evil/other").Name()})
		return img
	}, verify.CheckSignature},
	{"Rekor bundle from another log key", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img, sigSpec{rekorKey: newKey(f.t)})
		return img
	}, verify.CheckTLog},
	{"bundle of another signature", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		other := f.signature(f.pushImage(repo, "other", pinCommit), sigSpec{})
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img, sigSpec{bundleOf: other})
		return img
	}, verify.CheckTLog},
	{"bundle missing", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img, sigSpec{noBundle: true})
		return img
	}, verify.CheckTLog},
	{"signed claim mismatch", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img, sigSpec{claims: map[string]any{sign.RevisionClaim: otherCommit}})
		return img
	}, verify.CheckSignedRevision},
	{"signed claim required but absent", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img, sigSpec{claims: map[string]any{}})
		p.RequireSignedRevision = true
		return img
	}, verify.CheckSignedRevision},
	{"provenance commit mismatch", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img)
		f.attest(img, provSpec{commit: otherCommit})
		return img
	}, verify.CheckProvenance},
	{"provenance for another subject", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img)
		f.attest(img, provSpec{subject: strings.Repeat("ab", 32)})
		return img
	}, verify.CheckProvenance},
	{"provenance from another project", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img)
		f.attest(img, provSpec{project: "https://github.com/evil/fork"})
		return img
	}, verify.CheckProvenance},
	{"provenance signed with another key", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img)
		f.attest(img, provSpec{key: newKey(f.t)})
		return img
	}, verify.CheckProvenance},
	{"provenance without Rekor bundle", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img)
		f.attest(img, provSpec{noBundle: true})
		return img
	}, verify.CheckProvenance},
	{"provenance required but absent", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img)
		p.Provenance = verify.ProvenanceRequired
		return img
	}, verify.CheckProvenance},
	{"signature only in the image's own repository", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		h, _ := v1.NewHash(img.DigestStr())
		f.pushLayers(sign.Tag(repo, h, sign.SignatureSuffix), f.signature(img, sigSpec{}))
		return img
	}, verify.CheckSignature},
	{"truncated signature", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		good := f.signature(img, sigSpec{})
		s := good.desc.Annotations[sign.SignatureAnnotation]
		f.sign(img, sigSpec{b64sig: s[:len(s)/2]})
		return img
	}, verify.CheckSignature},
	{"non-base64 signature", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img, sigSpec{b64sig: "not*base64!"})
		return img
	}, verify.CheckSignature},
	{"embedded payload not matching its digest", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		l := f.signature(img, sigSpec{})
		forged := f.signature(img, sigSpec{dockerRef: f.repo("evil/other").Name()})
		l.desc.Data = forged.payload
		h, _ := v1.NewHash(img.DigestStr())
		f.pushLayers(sign.Tag(f.sigRepo, h, sign.SignatureSuffix), l)
		return img
	}, verify.CheckSignature},
	{"catalog pin changed after publish", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		img := f.pushImage(repo, "v1", pinCommit)
		f.sign(img)
		f.attest(img, provSpec{})
		p.Pin.Commit = otherCommit
		return img
	}, verify.CheckLabel},
	{"unsigned image", func(f *fixture, repo name.Repository, p *verify.Policy) name.Reference {
		return f.pushImage(repo, "v1", pinCommit)
	}, verify.CheckSignature},
}

func TestTamperMatrix(t *testing.T) {
	if len(tamperCases) < 15 {
		t.Fatalf("tamper matrix has %d cases, want at least 15", len(tamperCases))
	}
	for _, c := range tamperCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			p := policy()
			ref := c.setup(f, f.repo("mcp/server"), &p)
			v, _ := f.verifier()
			vd, err := v.Verify(ctxT(t), ref, p)
			if err != nil {
				t.Fatalf("Verify() error = %v, want a definite verdict", err)
			}
			if vd.Verified {
				t.Fatalf("Verify() verified a tampered image: %+v", vd)
			}
			first, ok := vd.FirstFailure()
			if !ok || first.Name != c.want || first.Status != verify.StatusFail {
				t.Fatalf("first failing check = %+v, want %s (verdict %+v)", first, c.want, vd.Checks)
			}
			if vd.Err() == nil || verify.IsIndeterminate(vd.Err()) {
				t.Fatalf("Verdict.Err() = %v, want *Failure", vd.Err())
			}
			t.Logf("%s: %s", c.name, vd.Reason)
		})
	}
}
