package verify_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// countBlobs makes f count the blob GETs it serves.
func countBlobs(f *verifytest.Fixture) func() int {
	var mu sync.Mutex
	n := 0
	f.Hook = func(_ http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			mu.Lock()
			n++
			mu.Unlock()
		}
		return false
	}
	return func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// A registry serving more than the per-image budget (hostile attestations, bundles,
// manifests) makes the verification stop reading and answer "could not check": the
// registry failed, which says nothing about the image. Declared sizes over a limit are
// refused before any read.
func TestBudgetStopsHostileContent(t *testing.T) {
	perEnvelope := verify.MaxImageBytes/verify.MaxEnvelopeBytes + 1 // reads before the budget must end it
	for _, c := range []struct {
		name      string
		setup     func(f *verifytest.Fixture, img name.Digest)
		check     string
		detail    string
		maxBlobs  int
		signature bool // sign the image (legacy .sig)
	}{
		{"att: 32 envelopes at the limit, by another key", func(f *verifytest.Fixture, img name.Digest) {
			f.AttestWith(img, f.HostileEnvelope(img, verify.MaxEnvelopeBytes), 32)
		}, verify.CheckProvenance, "per-image budget", perEnvelope + 1, true},
		{"att: 32 envelopes declared over the limit", func(f *verifytest.Fixture, img name.Digest) {
			f.AttestWith(img, f.HostileEnvelope(img, verify.MaxEnvelopeBytes+1024), 32)
		}, verify.CheckProvenance, "4194304 byte limit", 1, true},
		{"referrers: 31 bundles at the limit, by another key", func(f *verifytest.Fixture, img name.Digest) {
			f.SignBundle(img, verifytest.BundleSpec{})
			f.ReferWith(img, f.HostileBundle(img, nil, verify.MaxEnvelopeBytes), "https://slsa.dev/provenance/v1", 31)
		}, verify.CheckProvenance, "per-image budget", perEnvelope + 2, false},
		{"sig: a manifest of 4 MiB of empty layers", func(f *verifytest.Fixture, img name.Digest) {
			h, _ := v1.NewHash(img.DigestStr())
			f.PushManyLayers(sign.Tag(f.SigRepo, h, sign.SignatureSuffix), 4<<20)
		}, verify.CheckSignature, "JSON values", 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/budget"), "v1", verifytest.PinCommit)
			if c.signature {
				f.Sign(img)
			}
			c.setup(f, img)
			blobs := countBlobs(f)
			v, _ := newVerifier(f)
			vd, err := v.Verify(ctxT(t), img, policy())
			got := vd.Check(c.check)
			if !verify.IsIndeterminate(err) || got.Status != verify.StatusError || !strings.Contains(got.Detail, c.detail) {
				t.Fatalf("Verify() = %v; %s = %+v, want indeterminate, error containing %q\n%+v", err, c.check, got, c.detail, vd.Checks)
			}
			if n := blobs(); n > c.maxBlobs {
				t.Errorf("%d blob reads, want at most %d: reading must stop at the budget", n, c.maxBlobs)
			}
		})
	}
}

// The first valid answer ends the reading: an attestation by this key that passes, or a
// signature by this key whose log entry verifies, before a list of hostile ones.
func TestBudgetFirstValidAnswerStopsReading(t *testing.T) {
	t.Run("provenance", func(t *testing.T) {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/budget"), "v1", verifytest.PinCommit)
		f.Sign(img)
		f.AttestWith(img, f.HostileEnvelope(img, verify.MaxEnvelopeBytes), 31, f.Attestation(img, verifytest.ProvSpec{}))
		blobs := countBlobs(f)
		v, _ := newVerifier(f)
		p := policy()
		p.Provenance = verify.ProvenanceRequired
		vd, err := v.Verify(ctxT(t), img, p)
		if err != nil || !vd.Verified {
			t.Fatalf("Verify() = %+v, %v", vd, err)
		}
		if n := blobs(); n != 1 {
			t.Errorf("%d blob reads, want 1 (the config; the good attestation is embedded)", n)
		}
	})
	t.Run("signature", func(t *testing.T) {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/budget"), "v1", verifytest.PinCommit)
		specs := []verifytest.SigSpec{{NoData: true}}
		for range 31 {
			specs = append(specs, verifytest.SigSpec{Key: verifytest.NewKey(t), NoData: true})
		}
		f.Sign(img, specs...)
		blobs := countBlobs(f)
		v, _ := newVerifier(f)
		p := policy()
		p.Provenance = verify.ProvenanceSkip
		vd, err := v.Verify(ctxT(t), img, p)
		if err != nil || !vd.Verified {
			t.Fatalf("Verify() = %+v, %v", vd, err)
		}
		if n := blobs(); n > 1+4 { // the config and the first window of payloads
			t.Errorf("%d blob reads, want at most 5: the first signature verifies", n)
		}
	})
}

// Only the first 32 signatures, attestations or referrers are examined: when none of them
// verifies and more are listed, the answer might be further down, so the verification
// could not decide; it is never "unsigned" or "no provenance".
func TestTruncatedListsAreIndeterminate(t *testing.T) {
	others := func(t *testing.T, n int) []verifytest.SigSpec {
		var specs []verifytest.SigSpec
		for range n {
			specs = append(specs, verifytest.SigSpec{Key: verifytest.NewKey(t)})
		}
		return specs
	}
	t.Run("signatures, the key's 33rd", func(t *testing.T) {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/many"), "v1", verifytest.PinCommit)
		f.Sign(img, append(others(t, 32), verifytest.SigSpec{})...)
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, verify.Policy{Pin: policy().Pin, Provenance: verify.ProvenanceSkip})
		if c := vd.Check(verify.CheckSignature); !verify.IsIndeterminate(err) || c.Status != verify.StatusError || !strings.Contains(c.Detail, "only the first 32") {
			t.Fatalf("Verify() = %v; signature %+v, want indeterminate", err, c)
		}
	})
	t.Run("signatures, the key's 32nd", func(t *testing.T) {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/many"), "v1", verifytest.PinCommit)
		f.Sign(img, append(append(others(t, 31), verifytest.SigSpec{}), others(t, 2)...)...)
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, verify.Policy{Pin: policy().Pin, Provenance: verify.ProvenanceSkip})
		if err != nil || !vd.Verified {
			t.Fatalf("Verify() = %+v, %v; want verified", vd, err)
		}
	})
	t.Run("attestations by other keys", func(t *testing.T) {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/many"), "v1", verifytest.PinCommit)
		f.Sign(img)
		specs := make([]verifytest.ProvSpec, 33)
		for i := range specs {
			specs[i].Key = verifytest.NewKey(t)
		}
		f.Attest(img, specs...)
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, policy())
		if c := vd.Check(verify.CheckProvenance); !verify.IsIndeterminate(err) || c.Status != verify.StatusError || !strings.Contains(c.Detail, "only the first 32") {
			t.Fatalf("Verify() = %v; provenance %+v, want indeterminate", err, c)
		}
	})
}
