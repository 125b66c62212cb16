package verify_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// A registry with bearer tokens: one token, scoped to the image and signatures
// repositories, serves all reads of a verification.
func TestBearerTokenOncePerRegistry(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/private")
	img := f.PushImage(repo, "v1", verifytest.PinCommit)
	f.Sign(img)
	var tokens atomic.Int32
	var scopes atomic.Value
	f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/token" {
			tokens.Add(1)
			scopes.Store(strings.Join(r.URL.Query()["scope"], " "))
			fmt.Fprint(w, `{"token":"t0k3n"}`)
			return true
		}
		if r.Header.Get("Authorization") != "Bearer t0k3n" {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="test"`, f.Server.URL))
			w.WriteHeader(http.StatusUnauthorized)
			return true
		}
		return false
	}
	v, st := newVerifier(f)
	vd, err := v.Verify(ctxT(t), repo.Tag("v1"), verify.Policy{Pin: policy().Pin, Provenance: verify.ProvenanceSkip})
	if err != nil || !vd.Verified {
		t.Fatalf("Verify with bearer auth = %+v, %v", vd, err)
	}
	got, _ := scopes.Load().(string)
	if tokens.Load() != 1 || !strings.Contains(got, "repository:mcp/private:pull") || !strings.Contains(got, "repository:mcp/signatures:pull") {
		t.Fatalf("%d token requests with scopes %q, want 1 covering both repositories", tokens.Load(), got)
	}
	if s := st.Snapshot(); s.RegistryRequests != 3 || s.RoundTrips != 2 {
		t.Fatalf("stats %v, want 3 requests in 2 round trips after the token", s)
	}
}
