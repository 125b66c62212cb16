package verify

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// Every manifest and blob is read by internal/ocireg, the one implementation of the read
// rules publish follows too: bounded, hashed here and compared with the digest asked for
// (or, for a tag, the digest is the hash of the single GET's bytes), of an accepted media
// type. Nothing a registry says about its answer is trusted. registryClient adds verify's
// classification of what ocireg returns; the budget (budget.go) and the request counts
// (stats.go) are charged by the transport under it, the round trips by its BeforeGet.

// maxPayload bounds a simple-signing payload (cosign's are a few hundred bytes): with up
// to maxSignatures of them per image, a hostile registry gets little memory.
const maxPayload = 1 << 20

// registryClient reads manifests and blobs with one authenticated transport per registry
// (one ping/token per registry for the Verifier's lifetime). It does not retry: retries
// and per-request deadlines belong to the base transport (see WithTransport). With a
// cache (cached.go), what is read by digest is looked up there first and tags are
// resolved with a HEAD.
type registryClient struct {
	cl    *ocireg.Client
	cache *Cache
	large largeItems
	stats *Stats
}

// newRegistryClient reads through base (the counting, budget-charging transport) with
// credentials from keychain; every GET or HEAD adds a hop to its context's chain, and
// every manifest read is reserved in the budget and, when large, takes a slot of large
// (manifestReads). cache may be nil (no cache).
func newRegistryClient(base http.RoundTripper, keychain authn.Keychain, large largeItems, cache *Cache, stats *Stats) *registryClient {
	return &registryClient{cl: ocireg.New(base, keychain).
		BeforeGet(func(ctx context.Context) { chainOf(ctx).hop() }).
		OnManifest(large.manifestRead), cache: cache, large: large, stats: stats}
}

// classified sorts an ocireg error: a 404 stays as it is (errNotFound: the registry says
// the thing does not exist); anything else is a failed read (indeterminate).
func classified(err error) error {
	if err == nil || errors.Is(err, errNotFound) {
		return err
	}
	return &readError{err}
}

// transport returns the registry's authenticated transport (ocireg.Client.Transport):
// pull scopes for repo and the other repositories given on the same registry.
func (c *registryClient) transport(ctx context.Context, repo name.Repository, also ...name.Repository) (http.RoundTripper, error) {
	t, err := c.cl.Transport(ctx, repo, also...)
	return t, classified(err)
}

// getManifest reads ref's manifest, accepting only the media types in acc
// (ocireg.Client.Manifest). errNotFound (wrapped) is a 404; every other error is the
// registry failing (indeterminate). With a cache, see cachedManifestRef.
func (c *registryClient) getManifest(ctx context.Context, ref name.Reference, acc ocireg.Accept) (*manifest, error) {
	if c.cache != nil {
		return c.cachedManifestRef(ctx, ref, acc)
	}
	return c.get(ctx, ref, acc)
}

// get GETs ref's manifest and stores it in the cache by the hash of its bytes.
func (c *registryClient) get(ctx context.Context, ref name.Reference, acc ocireg.Accept) (*manifest, error) {
	m, _, err := c.getKnown(ctx, ref, acc)
	return m, err
}

// getKnown is get, and reports whether the cache already held what it read.
func (c *registryClient) getKnown(ctx context.Context, ref name.Reference, acc ocireg.Accept) (*manifest, bool, error) {
	m, err := readManifest(ctx, func() (*manifest, error) { return c.cl.Manifest(ctx, ref, acc) })
	known := false
	if err == nil && c.cache != nil {
		known = c.cache.has(m.Digest)
		c.cache.put(m.Digest, m.MediaType, m.Raw)
	}
	return decoded(m), known, classified(err)
}

// decoded drops a manifest's raw bytes, which verify has no use for once they are hashed
// and decoded: a hostile registry's 4 MiB manifests are then held once, not twice.
func decoded(m *manifest) *manifest {
	if m != nil {
		m.Raw = nil
	}
	return m
}

// getManifestFor reads the manifest descriptor d of repo names (an index's child, a
// referrer): by d's digest, with d's media type and size (ocireg.Client.ManifestFor).
func (c *registryClient) getManifestFor(ctx context.Context, repo name.Repository, d v1.Descriptor, acc ocireg.Accept) (*manifest, error) {
	if m, hit, err := c.cachedManifest(ctx, repo, d.Digest, acc, &d); hit {
		return m, err
	}
	m, err := readManifest(ctx, func() (*manifest, error) { return c.cl.ManifestFor(ctx, repo, d, acc) })
	if err == nil {
		c.cache.put(m.Digest, m.MediaType, m.Raw)
	}
	return decoded(m), classified(err)
}

// descriptorContent returns a descriptor's content, at most limit bytes: its embedded
// data, else its blob (ocireg.Client.Content), from the cache when it holds it. A 404
// for the blob is the registry failing too: a manifest just read names it.
func (c *registryClient) descriptorContent(ctx context.Context, repo name.Repository, d v1.Descriptor, limit int64) ([]byte, error) {
	if len(d.Data) == 0 {
		if b, ok, err := c.cachedBlob(ctx, repo, d, limit); ok {
			return b, err
		}
	}
	b, err := c.cl.Content(ctx, repo, d, limit)
	if err == nil && len(d.Data) == 0 {
		c.cache.put(d.Digest, "", b)
	}
	return b, referenced(classified(err))
}
