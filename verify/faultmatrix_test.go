package verify_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Every registry read of a verification, failing with a fault, gives "could not decide"
// naming the check it was for, never a definite failure and never "unsigned".
func TestFaultMatrix(t *testing.T) {
	faults := map[string]func(f *verifytest.Fixture, w http.ResponseWriter, r *http.Request){
		"403": func(_ *verifytest.Fixture, w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"errors":[{"code":"DENIED"}]}`, http.StatusForbidden)
		},
		"502": func(_ *verifytest.Fixture, w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		},
		"redirect to a 500": func(_ *verifytest.Fixture, w http.ResponseWriter, r *http.Request) {
			if r.URL.Query().Get("redirected") == "" {
				http.Redirect(w, r, r.URL.Path+"?redirected=1", http.StatusTemporaryRedirect)
				return
			}
			http.Error(w, "boom", http.StatusInternalServerError)
		},
		"truncated body": func(_ *verifytest.Fixture, w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte(`{"schemaVersion":`))
		},
	}
	type place struct {
		setup func(f *verifytest.Fixture, repo name.Repository) (name.Reference, string) // ref, path suffix to fault
		check string
	}
	places := map[string]place{
		"referrers fallback tag of an image without .sig": {func(f *verifytest.Fixture, repo name.Repository) (name.Reference, string) {
			img := f.PushImage(repo, "v1", verifytest.PinCommit)
			return img, "/manifests/sha256-" + strings.TrimPrefix(img.DigestStr(), "sha256:")
		}, verify.CheckSignature},
		"signature payload blob": {func(f *verifytest.Fixture, repo name.Repository) (name.Reference, string) {
			img := f.PushImage(repo, "v1", verifytest.PinCommit)
			l := f.Sign(img, blobSig())[0]
			return img, "/blobs/" + l.Desc.Digest.String()
		}, verify.CheckSignature},
		"attestation manifest": {func(f *verifytest.Fixture, repo name.Repository) (name.Reference, string) {
			img := f.PushImage(repo, "v1", verifytest.PinCommit)
			f.Sign(img)
			f.Attest(img)
			return img, ".att"
		}, verify.CheckProvenance},
		"image manifest by tag": {func(f *verifytest.Fixture, repo name.Repository) (name.Reference, string) {
			f.Sign(f.PushImage(repo, "v1", verifytest.PinCommit))
			return repo.Tag("v1"), "/manifests/v1"
		}, verify.CheckDigest},
	}
	for pn, pl := range places {
		for fn, fault := range faults {
			t.Run(pn+"/"+fn, func(t *testing.T) {
				f := verifytest.New(t)
				ref, suffix := pl.setup(f, f.Repo("mcp/faults"))
				hit := 0
				f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
					if !strings.HasSuffix(r.URL.Path, suffix) {
						return false
					}
					hit++
					fault(f, w, r)
					return true
				}
				v, _ := newVerifier(f)
				vd, err := v.Verify(ctxT(t), ref, policy())
				if hit == 0 {
					t.Fatalf("fault never hit %s", suffix)
				}
				if !verify.IsIndeterminate(err) || vd == nil || vd.Verified || !vd.Indeterminate {
					t.Fatalf("Verify() = %+v, %v; want indeterminate", vd, err)
				}
				if c := vd.Check(pl.check); c.Status != verify.StatusError || strings.Contains(vd.Reason, "unsigned") {
					t.Fatalf("%s check %+v, reason %q; want error, not unsigned", pl.check, c, vd.Reason)
				}
			})
		}
	}
}

// Content that a manifest refers to (a blob, an index's platform manifest) but the
// registry answers 404 for is the registry
// failing: the check reading it could not be carried out (not "unsigned", not a label
// mismatch).
func TestMissingBlobIsIndeterminate(t *testing.T) {
	cases := map[string]struct {
		setup func(f *verifytest.Fixture, repo name.Repository) (name.Reference, string)
		check string
	}{
		"signature payload": {func(f *verifytest.Fixture, repo name.Repository) (name.Reference, string) {
			img := f.PushImage(repo, "v1", verifytest.PinCommit)
			return img, "/blobs/" + f.Sign(img, blobSig())[0].Desc.Digest.String()
		}, verify.CheckSignature},
		"image config": {func(f *verifytest.Fixture, repo name.Repository) (name.Reference, string) {
			img := f.PushImage(repo, "v1", verifytest.PinCommit)
			f.Sign(img)
			im, err := remote.Image(img)
			if err != nil {
				f.T.Fatal(err)
			}
			cfg, err := im.ConfigName()
			if err != nil {
				f.T.Fatal(err)
			}
			return img, "/blobs/" + cfg.String()
		}, verify.CheckLabel},
		"platform manifest of an index": {func(f *verifytest.Fixture, repo name.Repository) (name.Reference, string) {
			idx := f.PushIndex(repo, "latest", verifytest.PinCommit)
			f.Sign(idx)
			ii, err := remote.Index(idx)
			if err != nil {
				f.T.Fatal(err)
			}
			im, err := ii.IndexManifest()
			if err != nil {
				f.T.Fatal(err)
			}
			for _, d := range im.Manifests {
				if d.Platform.Architecture == "amd64" {
					return idx, "/manifests/" + d.Digest.String()
				}
			}
			f.T.Fatal("no amd64 manifest")
			return nil, ""
		}, verify.CheckLabel},
	}
	for n, c := range cases {
		t.Run(n, func(t *testing.T) {
			f := verifytest.New(t)
			ref, suffix := c.setup(f, f.Repo("mcp/lostblob"))
			f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, suffix) {
					http.Error(w, `{"errors":[{"code":"BLOB_UNKNOWN"}]}`, http.StatusNotFound)
					return true
				}
				return false
			}
			v, _ := newVerifier(f)
			vd, err := v.Verify(ctxT(t), ref, policy())
			if !verify.IsIndeterminate(err) || vd.Verified || vd.Check(c.check).Status != verify.StatusError {
				t.Fatalf("Verify() = %+v, %v; want %s error (indeterminate)", vd, err, c.check)
			}
		})
	}
}
