package verify_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// BenchmarkWarmAudit is a warm audit of 100 images (publish's layout, no provenance) on
// the in-process registry, 64 at once, with a fresh Verifier per audit as mcpverify
// makes: what a warm run costs in CPU besides the network (profile it with -cpuprofile;
// the cold audit that fills the cache runs before the timer).
func BenchmarkWarmAudit(b *testing.B) {
	f := verifytest.New(b)
	var tags []name.Tag
	for i := range 100 {
		repo := f.Repo(fmt.Sprintf("mcp/w%d", i))
		f.Sign(f.PushImage(repo, "latest", verifytest.PinCommit), verifytest.SigSpec{})
		tags = append(tags, repo.Tag("latest"))
	}
	cache, err := verify.OpenCache(b.TempDir(), 0)
	if err != nil {
		b.Fatal(err)
	}
	p := policy()
	p.Provenance = verify.ProvenanceSkip
	audit := func() {
		v, err := verify.New(&f.Key.PublicKey, verify.WithRekorPublicKey(&f.RekorKey.PublicKey),
			verify.WithSignaturesRepository(f.SigRepo), verify.WithCache(cache))
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, 64)
		for _, tag := range tags {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if vd, err := v.Verify(b.Context(), tag, p); err != nil || !vd.Verified {
					b.Errorf("Verify(%s) = %s, %v; want verified", tag, vd.Reason, err)
				}
			}()
		}
		wg.Wait()
	}
	audit() // cold: fills the cache and the tag hints
	b.ResetTimer()
	for range b.N {
		audit()
	}
}
