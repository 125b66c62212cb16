package verify

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// How a Verifier with a Cache reads (doc.go, "Cache"). A HEAD's Docker-Content-Digest is
// the registry's claim: it only picks a cache key, or the digest to GET by. Whatever is
// used hashes to that digest (the cache re-hashes every entry; ocireg every GET), is
// decoded and checked as a GET's content is, and is charged to the image's budget.

// cachedManifestRef reads ref's manifest with a cache: by digest, from the cache or a
// GET; by tag, a HEAD names the digest, whose manifest comes from the cache or a GET by
// that digest. A HEAD without a sha256 Docker-Content-Digest falls back to one GET of
// the tag (its digest is then the hash of its bytes, as without a cache).
func (c *registryClient) cachedManifestRef(ctx context.Context, ref name.Reference, acc ocireg.Accept) (*manifest, error) {
	m, _, err := c.resolve(ctx, ref, acc)
	return m, err
}

// resolve is cachedManifestRef, and reports whether the cache held the manifest (after a
// HEAD without a digest, whether it held what the GET of the tag read).
func (c *registryClient) resolve(ctx context.Context, ref name.Reference, acc ocireg.Accept) (*manifest, bool, error) {
	if d, ok := ref.(name.Digest); ok {
		if h, err := v1.NewHash(d.DigestStr()); err == nil {
			if m, hit, err := c.cachedManifest(ctx, ref.Context(), h, acc, nil); hit {
				return m, true, err
			}
		}
		m, err := c.get(ctx, ref, acc)
		return m, false, err
	}
	return c.fromHead(ctx, ref, acc, c.head(ctx, ref, acc))
}

// headAnswer is what a tag's HEAD said: its sha256 digest (ok), no digest (!ok), or err.
type headAnswer struct {
	h   v1.Hash
	ok  bool
	err error
}

// head asks for ref's digest with a HEAD (one round trip).
func (c *registryClient) head(ctx context.Context, ref name.Reference, acc ocireg.Accept) headAnswer {
	h, ok, err := c.cl.Head(ctx, ref, acc)
	return headAnswer{h, ok, err}
}

// fromHead finishes resolving the tag ref from its HEAD's answer a: the manifest of the
// digest it names, from the cache or a GET by that digest; without a digest, one GET of
// the tag. A 404 proves absence, as a GET's does; any other error is a failed read.
func (c *registryClient) fromHead(ctx context.Context, ref name.Reference, acc ocireg.Accept, a headAnswer) (*manifest, bool, error) {
	if a.err != nil {
		return nil, false, classified(a.err)
	}
	if !a.ok {
		return c.getKnown(ctx, ref, acc)
	}
	if m, hit, err := c.cachedManifest(ctx, ref.Context(), a.h, acc, nil); hit {
		return m, true, err
	}
	m, err := c.get(ctx, ref.Context().Digest(a.h.String()), acc)
	if errors.Is(err, errNotFound) {
		// The tag exists (HEAD 200) and its digest does not: the registry contradicts
		// itself, which proves nothing absent.
		return nil, false, badContent("%s: the registry's HEAD names %s, which it does not serve: %v", ref, a.h, err)
	}
	return m, false, err
}

// getImage reads an image reference's manifest and reports whether the cache held it
// (see sigReader). A tag without a hint (fetch) is read with one GET, whatever the cache
// holds: its digest is the hash of the bytes read, which are cached under it, and a HEAD
// first would only add a round trip (a GET by tag is counted by registries as a GET by
// digest is, and the cache could spare at most the GET after the HEAD). By digest, from
// the cache or a GET.
func (c *registryClient) getImage(ctx context.Context, ref name.Reference) (*manifest, bool, error) {
	if _, ok := ref.(name.Tag); ok || c.cache == nil {
		return c.getKnown(ctx, ref, ocireg.AcceptImageRef)
	}
	return c.resolve(ctx, ref, ocireg.AcceptImageRef)
}

// sigReader is how the .sig and .att tags of an image are read: with a cache, by HEAD
// (cachedManifestRef) when the cache held the image's manifest (known), whose signatures
// may then be cached too; when it did not, the image is new to the cache and so are
// they: a GET of the tag at once (one round trip less than a HEAD and a GET), cached by
// its hash. Without a cache, a GET.
func (c *registryClient) sigReader(known bool) func(context.Context, name.Reference, ocireg.Accept) (*manifest, error) {
	if c.cache != nil && known {
		return c.cachedManifestRef
	}
	return c.get
}

// cachedManifest returns the manifest cached under h, checked as ocireg checks a GET's:
// an accepted media type, a valid manifest of it, the descriptor's media type and size
// (when d is given); the bytes are charged to the budget and the decoding reserved as a
// read's (manifestRead; when that needs a heavy slot that is not free, the bytes are
// dropped while it waits, and read again). hit is false when the cache does not hold it
// (or holds it as a blob, without a media type): the caller reads it from the registry.
// Content that hashes to h but fails a check is what the registry would serve for h: the
// same error as a GET's (the registry failing).
func (c *registryClient) cachedManifest(ctx context.Context, repo name.Repository, h v1.Hash, acc ocireg.Accept, d *v1.Descriptor) (m *manifest, hit bool, err error) {
	if c.cache == nil {
		return nil, false, nil
	}
	m, err = readManifest(ctx, func() (*manifest, error) {
		mt, raw, ok := c.cache.get(h, ocireg.MaxManifest)
		if hit = ok && mt != ""; !hit {
			return nil, nil
		}
		return c.decodeCached(ctx, repo, h, mt, raw, acc, d)
	})
	c.stats.cache(hit)
	return decoded(m), hit, err
}

// decodeCached is cachedManifest's check of raw, the bytes of media type mt cached under
// h; the manifest returned holds raw (readManifest settles the budget with it).
func (c *registryClient) decodeCached(ctx context.Context, repo name.Repository, h v1.Hash, mt string, raw []byte, acc ocireg.Accept, d *v1.Descriptor) (*manifest, error) {
	what := fmt.Sprintf("manifest %s@%s (cached)", repo.Name(), h)
	b := budgetOf(ctx)
	if err := b.charge(int64(len(raw)), what); err != nil {
		return nil, err
	}
	done, err := c.large.manifestRead(ctx, what, int64(len(raw)))
	if errors.Is(err, errNeedSlot) {
		_ = b.charge(-int64(len(raw)), what) // dropped: read again once the slot is held
	}
	if err != nil {
		return nil, err
	}
	defer done(int64(len(raw)))
	if _, err := ocireg.CountJSONValues(raw, what); err != nil {
		return nil, &readError{err}
	}
	m, err := ocireg.Decode(raw, mt, acc)
	if err != nil {
		return nil, badContent("reading %s: %v", what, err)
	}
	m.Digest = h
	if d != nil && d.MediaType != "" && string(d.MediaType) != m.MediaType {
		return nil, badContent("%s is %s, its descriptor says %s", what, m.MediaType, d.MediaType)
	}
	if d != nil && int64(len(raw)) != d.Size {
		return nil, badContent("%s is %d bytes, its descriptor says %d", what, len(raw), d.Size)
	}
	return m, nil
}

// cachedBlob returns d's blob from the cache when it holds d's size in bytes hashing to
// d's digest (charged to the budget); ok is false otherwise.
func (c *registryClient) cachedBlob(ctx context.Context, repo name.Repository, d v1.Descriptor, limit int64) (b []byte, ok bool, err error) {
	if c.cache == nil || d.Size < 0 || d.Size > limit {
		return nil, false, nil
	}
	_, b, ok = c.cache.get(d.Digest, limit)
	if !ok || int64(len(b)) != d.Size {
		c.stats.cache(false)
		return nil, false, nil
	}
	c.stats.cache(true)
	if err := budgetOf(ctx).charge(int64(len(b)), fmt.Sprintf("blob %s@%s (cached)", repo.Name(), d.Digest)); err != nil {
		return nil, true, err
	}
	return b, true, nil
}
