package verify_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Rekor bodies that name the publisher's key (so cosign's key comparison passes) but
// omit fields cosign dereferences without checking: they must fail, not panic.
func TestAttestationRekorBodiesWithoutHash(t *testing.T) {
	cases := map[string]func(pemB64 string) string{
		"intoto v0.0.1 without content hash": func(pk string) string {
			return fmt.Sprintf(`{"apiVersion":"0.0.1","kind":"intoto","spec":{"content":{},"publicKey":%q}}`, pk)
		},
		"intoto v0.0.2 with empty payload and no hash": func(pk string) string {
			return fmt.Sprintf(`{"apiVersion":"0.0.2","kind":"intoto","spec":{"content":{"envelope":{"payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AAAA","publicKey":%q}]}}}}`, pk)
		},
	}
	for n, body := range cases {
		t.Run(n, func(t *testing.T) {
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/hostile"), "v1", verifytest.PinCommit)
			f.Sign(img)
			pk := base64.StdEncoding.EncodeToString(verifytest.PEM(t, &f.Key.PublicKey))
			f.Attest(img, verifytest.ProvSpec{BundleBody: func([]byte) []byte { return []byte(body(pk)) }})
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

// panicOnSig panics while reading the .sig manifest (in one of Verify's goroutines).
type panicOnSig struct{ inner http.RoundTripper }

func (p panicOnSig) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, ".sig") {
		panic("hostile content")
	}
	return p.inner.RoundTrip(r)
}

// A panic during a verification (here in a parallel read) ends it as indeterminate: not
// verified, an *Indeterminate error, and the process (a gateway) keeps running.
func TestPanicDuringVerifyIsIndeterminate(t *testing.T) {
	f := verifytest.New(t)
	img := f.PushImage(f.Repo("mcp/panic"), "v1", verifytest.PinCommit)
	f.Sign(img)
	v, _ := newVerifier(f, verify.WithTransport(panicOnSig{http.DefaultTransport}))
	vd, err := v.Verify(ctxT(t), img, policy())
	if !verify.IsIndeterminate(err) || vd == nil || vd.Verified || !vd.Indeterminate || !strings.Contains(vd.Reason, "hostile content") {
		t.Fatalf("Verify() = %+v, %v; want indeterminate naming the panic", vd, err)
	}
}

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
