package ocireg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// MaxManifest bounds a manifest or index read: the OCI distribution spec's 4 MiB.
const MaxManifest = 4 << 20

// MaxConfig bounds an image config read (real ones are a few KiB).
const MaxConfig = 8 << 20

// Client reads manifests and blobs with one authenticated transport per registry (one
// ping and token per registry for the Client's lifetime). It does not retry: retries and
// per-request deadlines belong to the base transport. It is safe for concurrent use.
type Client struct {
	base       http.RoundTripper
	keychain   authn.Keychain
	beforeGet  func(context.Context)
	onManifest ManifestHook

	mu         sync.Mutex
	transports map[string]http.RoundTripper
}

// New returns a Client sending requests through base (nil: go-containerregistry's
// default transport) with credentials from keychain (nil: anonymous).
func New(base http.RoundTripper, keychain authn.Keychain) *Client {
	if base == nil {
		base = remote.DefaultTransport
	}
	if keychain == nil {
		keychain = authn.NewMultiKeychain() // resolves every registry to anonymous
	}
	return &Client{base: base, keychain: keychain, transports: map[string]http.RoundTripper{}}
}

// BeforeGet sets f to be called with the request's context right before each GET or HEAD is sent
// (verify counts round trips with it). It returns c; set it before the first read.
func (c *Client) BeforeGet(f func(context.Context)) *Client {
	c.beforeGet = f
	return c
}

// Transport returns the registry's authenticated transport, creating it (ping, token) on
// first use with pull scopes for repo and the other repositories given that live on the
// same registry (one token for them all).
func (c *Client) Transport(ctx context.Context, repo name.Repository, also ...name.Repository) (http.RoundTripper, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := repo.RegistryStr()
	if t, ok := c.transports[key]; ok {
		return t, nil
	}
	auth, err := c.keychain.Resolve(repo.Registry)
	if err != nil {
		return nil, &Error{err: fmt.Errorf("resolving credentials for %s: %w", key, err)}
	}
	scopes := []string{repo.Scope(transport.PullScope)}
	for _, r := range also {
		if r.RegistryStr() == key && r.Name() != repo.Name() {
			scopes = append(scopes, r.Scope(transport.PullScope))
		}
	}
	t, err := transport.NewWithContext(ctx, repo.Registry, auth, c.base, scopes)
	if err != nil {
		return nil, &Error{err: fmt.Errorf("authenticating to %s: %w", key, err)}
	}
	c.transports[key] = t
	return t, nil
}

// get makes one GET of /v2/<repo>/<kind>/<id> and returns the body of a 200, at most
// limit bytes (limitWhy names the limit in errors); a manifest's JSON values are counted
// while it is read, and the ManifestHook is called before (done, to be called by the
// caller once the bytes are decoded: never nil). Every failure is an *Error, but the
// hook's own.
func (c *Client) get(ctx context.Context, repo name.Repository, what, kind, id string, accept Accept, limit int64, limitWhy string) ([]byte, http.Header, func(int64), error) {
	noop := func(int64) {}
	resp, err := c.open(ctx, repo, what, kind, id, accept, limit, limitWhy)
	if err != nil {
		return nil, nil, noop, err
	}
	defer resp.Body.Close()
	var body io.Reader = io.LimitReader(resp.Body, limit+1)
	done := noop
	if kind == "manifests" {
		body = &jsonCounter{r: body, what: what, s: jsonScanner{n: 1}}
		if c.onManifest != nil {
			size := limit
			if resp.ContentLength >= 0 {
				size = resp.ContentLength
			}
			if done, err = c.onManifest(ctx, what, size); err != nil {
				return nil, nil, noop, err
			}
		}
	}
	b, err := readBody(body, resp.ContentLength, limit)
	if err != nil {
		done(int64(len(b)))
		var e *Error
		if errors.As(err, &e) {
			return nil, nil, noop, e
		}
		return nil, nil, noop, failed(what, err)
	}
	if int64(len(b)) > limit {
		done(int64(len(b)))
		return nil, nil, noop, badContent("reading %s: registry sent more than %s", what, limitWhy)
	}
	return b, resp.Header, done, nil
}

// open makes one GET of /v2/<repo>/<kind>/<id> and returns the response of a 200 whose
// Content-Length, when announced, is at most limit (the caller closes its body). Every
// failure is an *Error.
func (c *Client) open(ctx context.Context, repo name.Repository, what, kind, id string, accept Accept, limit int64, limitWhy string) (*http.Response, error) {
	t, err := c.Transport(ctx, repo)
	if err != nil {
		return nil, err
	}
	u := url.URL{Scheme: repo.Registry.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/" + kind + "/" + id}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, failed(what, err)
	}
	if len(accept) > 0 {
		req.Header.Set("Accept", strings.Join(accept, ", "))
	}
	if c.beforeGet != nil {
		c.beforeGet(ctx)
	}
	resp, err := (&http.Client{Transport: t}).Do(req)
	if err != nil {
		return nil, failed(what, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, statusError(what, resp)
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		return nil, badContent("reading %s: registry announces %d bytes, more than %s", what, resp.ContentLength, limitWhy)
	}
	return resp, nil
}

// jsonCounter fails a read once the document has more than MaxJSONValues values.
type jsonCounter struct {
	r    io.Reader
	what string
	s    jsonScanner
}

func (j *jsonCounter) Read(p []byte) (int, error) {
	n, err := j.r.Read(p)
	if j.s.scan(p[:n]); j.s.n > MaxJSONValues {
		return 0, badContent("reading %s: the registry sent more than %d JSON values", j.what, MaxJSONValues)
	}
	return n, err
}

// Manifest GETs ref's manifest, accepting only the media types in acc. For a digest
// reference the bytes must hash to that digest; for a tag, the digest is the hash of the
// bytes of this one GET. A Docker-Content-Digest header that names another sha256 digest
// is refused either way (the registry contradicts itself). The body must be a valid
// manifest of its Content-Type (Decode).
func (c *Client) Manifest(ctx context.Context, ref name.Reference, acc Accept) (*Manifest, error) {
	what := "manifest " + ref.String()
	raw, hdr, done, err := c.get(ctx, ref.Context(), what, "manifests", ref.Identifier(), acc, MaxManifest, fmt.Sprintf("the %d byte manifest limit", MaxManifest))
	if err != nil {
		return nil, err
	}
	defer done(int64(len(raw)))
	got := SHA256(raw)
	if d, ok := ref.(name.Digest); ok && d.DigestStr() != got.String() {
		return nil, badContent("reading %s: the registry served %d bytes hashing to %s, not the digest asked for", what, len(raw), got)
	}
	if h := hdr.Get("Docker-Content-Digest"); h != "" && h != got.String() {
		if hh, err := v1.NewHash(h); err == nil && hh.Algorithm == "sha256" {
			return nil, badContent("reading %s: Docker-Content-Digest says %s, the bytes served hash to %s", what, h, got)
		}
	}
	m, err := Decode(raw, hdr.Get("Content-Type"), acc)
	if err != nil {
		return nil, badContent("reading %s (%s): %v", what, got, err)
	}
	m.Digest = got
	return m, nil
}

// ManifestFor reads the manifest descriptor d of repo names (an index's child, a
// referrer): by d's digest, and it must have d's media type (when d gives one) and size.
func (c *Client) ManifestFor(ctx context.Context, repo name.Repository, d v1.Descriptor, acc Accept) (*Manifest, error) {
	m, err := c.Manifest(ctx, repo.Digest(d.Digest.String()), acc)
	if err != nil {
		return nil, err
	}
	if d.MediaType != "" && string(d.MediaType) != m.MediaType {
		return nil, badContent("manifest %s@%s is %s, its descriptor says %s", repo, d.Digest, m.MediaType, d.MediaType)
	}
	if int64(len(m.Raw)) != d.Size {
		return nil, badContent("manifest %s@%s is %d bytes, its descriptor says %d", repo, d.Digest, len(m.Raw), d.Size)
	}
	return m, nil
}

// Blob GETs blob h of repo, whose descriptor declares size bytes (-1: unknown), at most
// limit bytes, and checks that the bytes hash to h (and have that size). A declared size
// over limit is refused before any request. The Content-Type of a blob is not looked at:
// the digest decides what the bytes are.
func (c *Client) Blob(ctx context.Context, repo name.Repository, h v1.Hash, size, limit int64) ([]byte, error) {
	what := "blob " + repo.Name() + "@" + h.String()
	if h.Algorithm != "sha256" {
		return nil, badContent("reading %s: digest algorithm %q is not supported", what, h.Algorithm)
	}
	if size > limit {
		return nil, badContent("reading %s: its descriptor declares %d bytes, more than the %d byte limit", what, size, limit)
	}
	read, why := limit, fmt.Sprintf("the %d byte limit", limit)
	if size >= 0 {
		read, why = size, fmt.Sprintf("the %d bytes its descriptor declares", size)
	}
	raw, _, _, err := c.get(ctx, repo, what, "blobs", h.String(), nil, read, why)
	if err != nil {
		return nil, err
	}
	if got := SHA256(raw); got != h {
		return nil, badContent("reading %s: the registry served %d bytes hashing to %s", what, len(raw), got)
	}
	if size >= 0 && int64(len(raw)) != size {
		return nil, badContent("reading %s: %d bytes, its descriptor declares %d", what, len(raw), size)
	}
	return raw, nil
}

// Content returns a descriptor's content, at most limit bytes: its OCI "data" field when
// set (CheckData), else the blob (Blob).
func (c *Client) Content(ctx context.Context, repo name.Repository, d v1.Descriptor, limit int64) ([]byte, error) {
	if d.Size < 0 {
		return nil, badContent("descriptor %s declares a negative size", d.Digest)
	}
	if len(d.Data) > 0 {
		if err := CheckData(d); err != nil {
			return nil, err
		}
		return d.Data, nil
	}
	return c.Blob(ctx, repo, d.Digest, d.Size, limit)
}

// CheckData checks a descriptor's embedded data (the OCI "data" field): it must hash to
// the descriptor's digest and have its size.
func CheckData(d v1.Descriptor) error {
	if got := SHA256(d.Data); got != d.Digest || int64(len(d.Data)) != d.Size {
		return badContent("embedded data (%d bytes, %s) does not match its descriptor (%d bytes, %s)", len(d.Data), got, d.Size, d.Digest)
	}
	return nil
}

// SHA256 returns the sha256 digest of b.
func SHA256(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}
