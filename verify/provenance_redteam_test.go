package verify_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

func buildDefinition(stmt map[string]any) map[string]any {
	return stmt["predicate"].(map[string]any)["buildDefinition"].(map[string]any)
}

// The build context (configSource) is what the image was built from: another project's
// context fails provenance even when a dependency fetched during the build is the
// pinned project at the pinned commit; a provenance without a build context fails too.
func TestProvenanceBuildContextMustBeThePin(t *testing.T) {
	cases := map[string]func(stmt map[string]any){
		"context from another project, pinned project as a dependency": func(stmt map[string]any) {
			buildDefinition(stmt)["externalParameters"] = map[string]any{"configSource": map[string]any{
				"uri": "https://github.com/evil/fork.git#" + verifytest.OtherCommit, "digest": map[string]string{"sha1": verifytest.OtherCommit}}}
		},
		"context from another project without digest": func(stmt map[string]any) {
			buildDefinition(stmt)["externalParameters"] = map[string]any{"configSource": map[string]any{"uri": "https://github.com/evil/fork.git"}}
		},
		"no build context": func(stmt map[string]any) {
			buildDefinition(stmt)["externalParameters"] = map[string]any{}
		},
		"build context without uri": func(stmt map[string]any) {
			buildDefinition(stmt)["externalParameters"] = map[string]any{"configSource": map[string]any{"digest": map[string]string{"sha1": verifytest.PinCommit}}}
		},
	}
	for n, edit := range cases {
		for _, withProject := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/project=%v", n, withProject), func(t *testing.T) {
				f := verifytest.New(t)
				img := f.PushImage(f.Repo("mcp/prov"), "v1", verifytest.PinCommit)
				f.Sign(img)
				f.Attest(img, verifytest.ProvSpec{Edit: edit})
				v, _ := newVerifier(f)
				p := policy()
				if !withProject {
					p.Pin.Project = ""
				}
				vd, err := v.Verify(ctxT(t), img, p)
				if err != nil {
					t.Fatalf("Verify() error = %v, want a definite verdict", err)
				}
				if first, _ := vd.FirstFailure(); vd.Verified || first.Name != verify.CheckProvenance || first.Status != verify.StatusFail {
					t.Fatalf("first failure = %+v, want provenance fail; checks %+v", first, vd.Checks)
				}
			})
		}
	}
}

// The pinned project appearing again among resolvedDependencies at another commit fails;
// another project's dependency (a base image, a library) is not compared.
func TestProvenanceDependencies(t *testing.T) {
	for _, c := range []struct {
		dep  map[string]any
		want bool
	}{
		{map[string]any{"uri": verifytest.Project + ".git#" + verifytest.OtherCommit, "digest": map[string]string{"sha1": verifytest.OtherCommit}}, false},
		{map[string]any{"uri": verifytest.Project, "digest": map[string]string{}}, false},
		{map[string]any{"uri": "https://github.com/other/lib.git", "digest": map[string]string{"sha1": verifytest.OtherCommit}}, true},
		{map[string]any{"uri": "docker-image://docker.io/library/alpine:3", "digest": map[string]string{"sha256": strings.Repeat("ab", 32)}}, true},
	} {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/deps"), "v1", verifytest.PinCommit)
		f.Sign(img)
		f.Attest(img, verifytest.ProvSpec{Edit: func(stmt map[string]any) {
			bd := buildDefinition(stmt)
			bd["resolvedDependencies"] = append(bd["resolvedDependencies"].([]any), c.dep)
		}})
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, policy())
		if err != nil || vd.Verified != c.want || vd.Check(verify.CheckProvenance).Status != map[bool]verify.Status{true: verify.StatusPass, false: verify.StatusFail}[c.want] {
			t.Errorf("dependency %v: verified %v (%s), err %v; want %v", c.dep, vd.Verified, vd.Reason, err, c.want)
		}
	}
}
