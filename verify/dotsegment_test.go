package verify_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// go-containerregistry accepts "." and ".." path components, which a registry or a proxy
// may resolve as a relative path to another repository than the one checked: Verify
// refuses such a reference as an input (nothing read), and WithSignaturesRepository such
// a repository (catalog.CheckRepository is the rule).
func TestDotSegmentsAreRefused(t *testing.T) {
	f := verifytest.New(t)
	img := legacyImage(f, f.Repo("mcp/x"), "latest")
	v, st := newVerifier(f)
	before := len(f.Hostile.Log())
	for _, s := range []string{
		f.Host + "/evil/../mcp/x:latest",
		f.Host + "/mcp/./x:latest",
		f.Host + "/mcp/x/..:latest",
		f.Host + "/evil/../mcp/x@" + img.DigestStr(),
	} {
		ref, err := name.ParseReference(s, name.Insecure)
		if err != nil {
			t.Fatalf("%s: the parser refuses it, the test is moot: %v", s, err)
		}
		vd, err := v.Verify(ctxT(t), ref, policy())
		var ie *verify.InputError
		if !errors.As(err, &ie) || vd.Verified || vd.Indeterminate || !strings.HasPrefix(vd.Reason, "reference: ") ||
			!strings.Contains(vd.Reason, "relative path") {
			t.Errorf("Verify(%s) = %+v, %v; want an InputError naming the relative path", s, vd, err)
		}
	}
	if n := len(f.Hostile.Log()) - before; n != 0 || st.Snapshot().RegistryRequests != 0 {
		t.Errorf("%d requests for refused references, want none", n)
	}
	// The same image by its own name verifies: the refusal is of the name only.
	if vd, err := v.Verify(ctxT(t), img, policy()); err != nil || !vd.Verified {
		t.Fatalf("Verify(%s) = %+v, %v; want verified", img, vd, err)
	}

	for _, s := range []string{f.Host + "/mcp/../signatures", f.Host + "/./mcp/signatures"} {
		repo, err := name.NewRepository(s, name.Insecure)
		if err != nil {
			t.Fatalf("%s: the parser refuses it, the test is moot: %v", s, err)
		}
		if _, err := verify.New(&f.Key.PublicKey, verify.WithSignaturesRepository(repo)); err == nil ||
			!strings.Contains(err.Error(), "relative path") {
			t.Errorf("WithSignaturesRepository(%s): %v; want refused", s, err)
		}
	}
}
