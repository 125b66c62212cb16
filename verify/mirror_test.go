package verify_test

import (
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Provenance of an image built through a source mirror names the mirror: it counts as
// the project only when the policy names that mirror, and the commit is still compared.
func TestProvenanceThroughSourceMirror(t *testing.T) {
	mirror := catalog.Mirror{From: "https://github.com/example/", To: "https://mirror.example/git/"}
	for _, c := range []struct {
		name    string
		spec    verifytest.ProvSpec
		mirrors catalog.Mirrors
		want    verify.Status
	}{
		{"mirrored, mirror given", verifytest.ProvSpec{Project: "https://mirror.example/git/mcp-server"}, catalog.Mirrors{mirror}, verify.StatusPass},
		{"mirrored, no mirror given", verifytest.ProvSpec{Project: "https://mirror.example/git/mcp-server"}, nil, verify.StatusFail},
		{"elsewhere, mirror given", verifytest.ProvSpec{Project: "https://evil.example/git/mcp-server"}, catalog.Mirrors{mirror}, verify.StatusFail},
		{"mirrored at another commit", verifytest.ProvSpec{Project: "https://mirror.example/git/mcp-server", Commit: verifytest.OtherCommit}, catalog.Mirrors{mirror}, verify.StatusFail},
		{"not mirrored, mirror given", verifytest.ProvSpec{}, catalog.Mirrors{mirror}, verify.StatusPass},
		{"the longest prefix wins", verifytest.ProvSpec{Project: "https://mirror.example/git/mcp-server"},
			catalog.Mirrors{{From: "https://github.com/example/mcp", To: "https://evil.example/mcp"}, mirror}, verify.StatusFail},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/mirrored"), "v1", verifytest.PinCommit)
			f.Sign(img)
			f.Attest(img, c.spec)
			v, _ := newVerifier(f)
			p := policy()
			p.Provenance, p.SourceMirrors = verify.ProvenanceRequired, c.mirrors
			vd, err := v.Verify(ctxT(t), img, p)
			if err != nil || vd.Check(verify.CheckProvenance).Status != c.want {
				t.Fatalf("provenance = %+v (%v), want %s", vd.Check(verify.CheckProvenance), err, c.want)
			}
		})
	}
	f := verifytest.New(t)
	v, _ := newVerifier(f)
	p := policy()
	p.SourceMirrors = catalog.Mirrors{{From: "https://github.com/"}}
	if _, err := v.Verify(ctxT(t), f.Repo("mcp/x").Tag("v1"), p); err == nil || verify.IsIndeterminate(err) || !strings.Contains(err.Error(), "mirror") {
		t.Fatalf("Verify with a mirror without To = %v, want a policy error", err)
	}
	// verify used to accept any non-empty To; it now takes mcpbuild's rule
	// (catalog.Mirror.Validate): a To no build could have fetched from is refused, and so
	// is a From mapped to two Tos.
	for _, ms := range []catalog.Mirrors{
		{{From: "https://github.com/", To: "mirror.example/git/"}},
		{{From: "https://github.com/", To: "file:///srv/git/"}},
		{{From: "https://github.com/", To: "https://a.example/"}, {From: "https://github.com/", To: "https://b.example/"}},
	} {
		p.SourceMirrors = ms
		if _, err := v.Verify(ctxT(t), f.Repo("mcp/x").Tag("v1"), p); err == nil || verify.IsIndeterminate(err) || !strings.Contains(err.Error(), "source mirror") {
			t.Errorf("Verify with mirrors %+v = %v, want a policy error", ms, err)
		}
	}
}
