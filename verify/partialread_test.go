package verify_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// failBlob makes the registry answer 500 to reads of the blob with this digest.
func failBlob(f *verifytest.Fixture, digest string) {
	f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/blobs/"+digest) {
			http.Error(w, "boom", http.StatusInternalServerError)
			return true
		}
		return false
	}
}

// Of several signatures, one that cannot be read matters only when none verifies: then
// the answer is "could not check" (it might have been the good one), never "not verified".
func TestUnreadableSignatureAmongOthers(t *testing.T) {
	t.Run("another verifies", func(t *testing.T) {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/partial"), "v1", verifytest.PinCommit)
		ls := f.Sign(img, blobSig(), verifytest.SigSpec{})
		failBlob(f, ls[0].Desc.Digest.String())
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, policy())
		if err != nil || !vd.Verified {
			t.Fatalf("Verify() = %+v, %v; want verified by the readable signature", vd, err)
		}
	})
	t.Run("none verifies", func(t *testing.T) {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/partial"), "v1", verifytest.PinCommit)
		ls := f.Sign(img, verifytest.SigSpec{Key: verifytest.NewKey(t)}, blobSig())
		failBlob(f, ls[1].Desc.Digest.String())
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, policy())
		if !verify.IsIndeterminate(err) || vd.Check(verify.CheckSignature).Status != verify.StatusError {
			t.Fatalf("Verify() = %+v, %v; want indeterminate signature", vd, err)
		}
	})
	t.Run("the readable one has a bad log entry", func(t *testing.T) {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/partial"), "v1", verifytest.PinCommit)
		ls := f.Sign(img, verifytest.SigSpec{NoBundle: true}, blobSig())
		failBlob(f, ls[1].Desc.Digest.String())
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, policy())
		if !verify.IsIndeterminate(err) || vd.Check(verify.CheckTLog).Status != verify.StatusError {
			t.Fatalf("Verify() = %+v, %v; want indeterminate tlog", vd, err)
		}
	})
}
