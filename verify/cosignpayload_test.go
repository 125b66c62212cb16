package verify_test

import (
	"net/http"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// blobSig is a signature whose payload is only a blob and is not one of the payloads
// expected for the pin (an extra claim): verifying it reads the blob.
func blobSig() verifytest.SigSpec {
	return verifytest.SigSpec{NoData: true, Claims: map[string]any{catalog.RevisionLabel: verifytest.PinCommit, "note": "not rebuilt"}}
}

// A cosign CLI signature (payload only as a blob) whose payload is the one expected for
// the pin costs no blob read: the same requests and round trips as an embedded one. (A
// signature without claims, "optional":null, is cosign's default: cmd/mcpverify's
// TestCosignerSignature checks it with the real cosign CLI.)
func TestCosignPayloadRebuilt(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims map[string]any
	}{
		{"cosign sign -a revision", map[string]any{catalog.RevisionLabel: verifytest.PinCommit}},
		{"mcpbuild claims", map[string]any{catalog.RevisionLabel: verifytest.PinCommit, catalog.SourceLabel: verifytest.Project}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := verifytest.New(t)
			repo := f.Repo("mcp/cosigned")
			img := f.PushImage(repo, "v1", verifytest.PinCommit)
			l := f.Sign(img, verifytest.SigSpec{NoData: true, Claims: tc.claims})[0]
			v, st := newVerifier(f)
			vd, err := v.Verify(ctxT(t), repo.Tag("v1"), verify.Policy{Pin: policy().Pin, Provenance: verify.ProvenanceSkip})
			if err != nil || vd.Check(verify.CheckSignature).Status != verify.StatusPass {
				t.Fatalf("Verify = %+v, %v; want the signature to verify", vd, err)
			}
			if n := f.Hostile.Count(http.MethodGet, "/blobs/"+l.Desc.Digest.String()); n != 0 {
				t.Errorf("payload blob read %d times; want 0 (rebuilt from the digest, repository and pin)", n)
			}
			if s := st.Snapshot(); s.RegistryRequests != 3 || s.RoundTrips != 2 {
				t.Errorf("stats %v: want 3 requests in 2 round trips", s)
			}
		})
	}
}

// A layer whose digest is not the expected payload's is read, and its real payload
// decides: here it claims another commit (signed-revision fails), though the expected
// payload (the pin's) would pass.
func TestCosignPayloadOtherDigestIsRead(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/cosigned")
	img := f.PushImage(repo, "v1", verifytest.PinCommit)
	l := f.Sign(img, verifytest.SigSpec{NoData: true, Claims: map[string]any{catalog.RevisionLabel: verifytest.OtherCommit}})[0]
	v, st := newVerifier(f)
	vd, err := v.Verify(ctxT(t), repo.Tag("v1"), verify.Policy{Pin: policy().Pin, Provenance: verify.ProvenanceSkip})
	if err != nil || vd.Verified || vd.Check(verify.CheckSignedRevision).Status != verify.StatusFail {
		t.Fatalf("Verify = %+v, %v; want signed-revision to fail on the real payload", vd, err)
	}
	if n := f.Hostile.Count(http.MethodGet, "/blobs/"+l.Desc.Digest.String()); n != 1 || st.Snapshot().BlobGets != 2 {
		t.Errorf("payload blob read %d times (stats %v); want 1 (and the config)", n, st.Snapshot())
	}
}

// The expected payload is used only when the layer names its digest: a registry that
// would serve the expected bytes for another layer digest gets a blob read, hashed.
func TestCosignPayloadServedForAnotherDigest(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/cosigned")
	img := f.PushImage(repo, "v1", verifytest.PinCommit)
	l := f.Sign(img, blobSig())[0]
	// The registry answers the payload blob with the expected (pin's) payload's bytes.
	good := f.Signature(img, verifytest.SigSpec{NoData: true, Claims: map[string]any{catalog.RevisionLabel: verifytest.PinCommit}})
	f.Hostile.On(http.MethodGet, "/blobs/"+l.Desc.Digest.String(), hostile.Respond(200, string(good.Payload)))
	v, _ := newVerifier(f)
	vd, err := v.Verify(ctxT(t), repo.Tag("v1"), verify.Policy{Pin: policy().Pin, Provenance: verify.ProvenanceSkip})
	if !verify.IsIndeterminate(err) || vd.Verified {
		t.Fatalf("Verify = %+v, %v; want indeterminate (bytes of another digest)", vd, err)
	}
}
