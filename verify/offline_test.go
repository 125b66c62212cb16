package verify_test

import (
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// onlyHost fails, and records, every request to another host than host.
type onlyHost struct {
	host    string
	mu      sync.Mutex
	foreign []string
}

func (o *onlyHost) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != o.host {
		o.mu.Lock()
		o.foreign = append(o.foreign, r.URL.String())
		o.mu.Unlock()
		return nil, errors.New("offline: no request to " + r.URL.Host)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// With the log key given, a verification talks to the registry only (no Rekor, no TUF),
// for cosign's legacy layout and for cosign v3 bundles, provenance included.
func TestOfflineRegistryOnly(t *testing.T) {
	f := verifytest.New(t)
	legacy := f.PushImage(f.Repo("mcp/legacy"), "v1", verifytest.PinCommit)
	f.Sign(legacy)
	f.Attest(legacy, verifytest.ProvSpec{})
	bundled := f.PushImage(f.Repo("mcp/bundled"), "v1", verifytest.PinCommit)
	f.SignBundle(bundled, verifytest.BundleSpec{})
	f.AttestBundle(bundled, verifytest.ProvSpec{})

	tr := &onlyHost{host: f.Host}
	v, _ := newVerifier(f, verify.WithTransport(tr))
	p := policy()
	p.Provenance = verify.ProvenanceRequired
	p.RequireSignedRevision = true
	for _, img := range []string{"mcp/legacy", "mcp/bundled"} {
		vd, err := v.Verify(ctxT(t), f.Repo(img).Tag("v1"), p)
		if err != nil || !vd.Verified {
			t.Fatalf("Verify(%s) = %+v, %v", img, vd, err)
		}
	}
	if len(tr.foreign) > 0 {
		t.Fatalf("requests to other hosts than the registry: %v", tr.foreign)
	}
}
