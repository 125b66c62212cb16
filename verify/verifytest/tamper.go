package verifytest

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
)

// TamperCase prepares a registry state and returns the reference to verify; want is the
// first check expected to fail. Every case must end in a definite "not verified" (no
// error, so exit 1 in the CLI), never in verified and never in "could not decide".
type TamperCase struct {
	Name  string
	Setup func(f *Fixture, repo name.Repository, p *Policy) name.Reference
	Want  string // name of the first check expected to fail
}

// Policy is the part of the verification policy a tamper case may change; it maps to
// verify.Policy and to mcpverify flags.
type Policy struct {
	Commit                string
	RequireSignedRevision bool
	RequireProvenance     bool
}

// TamperCases returns the tamper matrix (a fresh slice: no shared state between tests);
// each case must end in a definite "not verified".
func TamperCases() []TamperCase {
	return []TamperCase{
		{"label changed after signing", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			f.Sign(f.PushImage(repo, "v1", PinCommit))
			f.PushImage(repo, "v1", OtherCommit) // rebuilt with another label, re-tagged
			return repo.Tag("v1")
		}, "signature"},
		{"signed image whose label is not the pin", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", OtherCommit)
			f.Sign(img)
			return img
		}, "label"},
		{"image without label", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", "")
			f.Sign(img)
			return img
		}, "label"},
		{"tag moved to another digest", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			f.Sign(f.PushImage(repo, "v1", PinCommit))
			f.PushImage(repo, "v1", PinCommit) // same label, other content, unsigned
			return repo.Tag("v1")
		}, "signature"},
		{"signature of another digest copied over", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			a := f.PushImage(repo, "a", PinCommit)
			b := f.PushImage(repo, "b", PinCommit)
			la := f.Signature(a, SigSpec{})
			hb, _ := v1.NewHash(b.DigestStr())
			f.PushLayers(sign.Tag(f.SigRepo, hb, sign.SignatureSuffix), la)
			return b
		}, "signature"},
		{"wrong key", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img, SigSpec{Key: NewKey(f.T)})
			return img
		}, "signature"},
		{"payload naming another repository", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img, SigSpec{DockerRef: f.Repo("evil/other").Name()})
			return img
		}, "signature"},
		{"Rekor bundle from another log key", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img, SigSpec{RekorKey: NewKey(f.T)})
			return img
		}, "tlog"},
		{"bundle of another signature", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			other := f.Signature(f.PushImage(repo, "other", PinCommit), SigSpec{})
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img, SigSpec{BundleOf: other})
			return img
		}, "tlog"},
		{"bundle missing", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img, SigSpec{NoBundle: true})
			return img
		}, "tlog"},
		{"signed claim mismatch", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img, SigSpec{Claims: map[string]any{catalog.RevisionLabel: OtherCommit}})
			return img
		}, "signed-revision"},
		{"signed claim required but absent", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img, SigSpec{Claims: map[string]any{}})
			p.RequireSignedRevision = true
			return img
		}, "signed-revision"},
		{"provenance commit mismatch", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img)
			f.Attest(img, ProvSpec{Commit: OtherCommit})
			return img
		}, "provenance"},
		{"provenance for another subject", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img)
			f.Attest(img, ProvSpec{Subject: strings.Repeat("ab", 32)})
			return img
		}, "provenance"},
		{"provenance from another project", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img)
			f.Attest(img, ProvSpec{Project: "https://github.com/evil/fork"})
			return img
		}, "provenance"},
		{"provenance built from another directory of the project", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img)
			f.Attest(img, ProvSpec{Directory: "servers/other"})
			return img
		}, "provenance"},
		// Another key's attestation is not this key's provenance: absent, so required.
		{"provenance signed with another key", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			p.RequireProvenance = true
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img)
			f.Attest(img, ProvSpec{Key: NewKey(f.T)})
			return img
		}, "provenance"},
		{"provenance without Rekor bundle", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img)
			f.Attest(img, ProvSpec{NoBundle: true})
			return img
		}, "provenance"},
		{"provenance required but absent", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img)
			p.RequireProvenance = true
			return img
		}, "provenance"},
		{"signature only in the image's own repository", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			h, _ := v1.NewHash(img.DigestStr())
			f.PushLayers(sign.Tag(repo, h, sign.SignatureSuffix), f.Signature(img, SigSpec{}))
			return img
		}, "signature"},
		{"truncated signature", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			good := f.Signature(img, SigSpec{})
			s := good.Desc.Annotations[sign.SignatureAnnotation]
			f.Sign(img, SigSpec{B64Sig: s[:len(s)/2]})
			return img
		}, "signature"},
		{"non-base64 signature", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img, SigSpec{B64Sig: "not*base64!"})
			return img
		}, "signature"},
		{"catalog pin changed after publish", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			img := f.PushImage(repo, "v1", PinCommit)
			f.Sign(img)
			f.Attest(img, ProvSpec{})
			p.Commit = OtherCommit
			return img
		}, "label"},
		{"unsigned image", func(f *Fixture, repo name.Repository, p *Policy) name.Reference {
			return f.PushImage(repo, "v1", PinCommit)
		}, "signature"},
	}
}
