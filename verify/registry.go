package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Every read is bounded, and what it returns has been hashed here and compared with the
// digest asked for (or, for a tag, the digest is the hash of the single GET's bytes).
// Nothing a registry says about its answer is trusted: not Docker-Content-Digest, not the
// library's checks (go-containerregistry believes that header for schema1 manifests).

// maxBlob bounds what is read for a bundle, envelope or config blob.
const maxBlob = 8 << 20

// maxPayload bounds a simple-signing payload (cosign's are a few hundred bytes): with up
// to maxSignatures of them per image, a hostile registry gets little memory.
const maxPayload = 1 << 20

// maxManifest bounds a manifest or index read: the OCI distribution spec's 4 MiB.
const maxManifest = 4 << 20

// registryClient reads manifests and blobs with one authenticated transport per registry
// (one ping/token per registry for the Verifier's lifetime) and no retries: a fault
// surfaces at once as an indeterminate result.
type registryClient struct {
	base     http.RoundTripper // counting transport
	keychain authn.Keychain

	mu         sync.Mutex
	transports map[string]http.RoundTripper
}

// transport returns the registry's authenticated transport, creating it (ping, token) on
// first use with pull scopes for repo and the other repositories given that live on the
// same registry (the image and signatures repositories: one token for both).
func (c *registryClient) transport(ctx context.Context, repo name.Repository, also ...name.Repository) (http.RoundTripper, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := repo.RegistryStr()
	if t, ok := c.transports[key]; ok {
		return t, nil
	}
	auth, err := c.keychain.Resolve(repo.Registry)
	if err != nil {
		return nil, &readError{fmt.Errorf("resolving credentials for %s: %w", key, err)}
	}
	scopes := []string{repo.Scope(transport.PullScope)}
	for _, r := range also {
		if r.RegistryStr() == key && r.Name() != repo.Name() {
			scopes = append(scopes, r.Scope(transport.PullScope))
		}
	}
	t, err := transport.NewWithContext(ctx, repo.Registry, auth, c.base, scopes)
	if err != nil {
		return nil, &readError{fmt.Errorf("authenticating to %s: %w", key, err)}
	}
	c.transports[key] = t
	return t, nil
}

// get makes one GET of /v2/<repo>/<kind>/<id> and returns the body of a 200, at most
// limit bytes (limitWhy names the limit in errors). A 404 is errNotFound; any other
// status, a transport error, a truncated or oversize body is a failed read.
func (c *registryClient) get(ctx context.Context, repo name.Repository, what, kind, id string, accept []string, limit int64, limitWhy string) ([]byte, http.Header, error) {
	t, err := c.transport(ctx, repo)
	if err != nil {
		return nil, nil, err
	}
	u := url.URL{Scheme: repo.Registry.Scheme(), Host: repo.RegistryStr(), Path: "/v2/" + repo.RepositoryStr() + "/" + kind + "/" + id}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, &readError{fmt.Errorf("reading %s: %w", what, err)}
	}
	if len(accept) > 0 {
		req.Header.Set("Accept", strings.Join(accept, ", "))
	}
	chainOf(ctx).hop()
	resp, err := (&http.Client{Transport: t}).Do(req)
	if err != nil {
		return nil, nil, &readError{fmt.Errorf("reading %s: %w", what, err)}
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, nil, &notFoundError{fmt.Errorf("reading %s: registry answered 404 Not Found%s", what, errorCodes(resp.Body))}
	default:
		return nil, nil, &readError{fmt.Errorf("reading %s: registry answered %d %s%s", what, resp.StatusCode, http.StatusText(resp.StatusCode), errorCodes(resp.Body))}
	}
	if resp.ContentLength > limit {
		return nil, nil, badContent("reading %s: registry announces %d bytes, more than %s", what, resp.ContentLength, limitWhy)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, nil, &readError{fmt.Errorf("reading %s: %w", what, err)}
	}
	if int64(len(b)) > limit {
		return nil, nil, badContent("reading %s: registry sent more than %s", what, limitWhy)
	}
	return b, resp.Header, nil
}

// getManifest GETs ref's manifest, accepting only the media types in acc. For a digest
// reference the bytes must hash to that digest; for a tag, the digest is the hash of the
// bytes of this one GET. A Docker-Content-Digest header that names another sha256 digest
// is refused either way (the registry contradicts itself). The body must be a valid
// manifest of its Content-Type (decodeManifest). errNotFound (wrapped) is a 404; every
// other error is the registry failing (indeterminate).
func (c *registryClient) getManifest(ctx context.Context, ref name.Reference, acc accept) (*manifest, error) {
	what := "manifest " + ref.String()
	raw, hdr, err := c.get(ctx, ref.Context(), what, "manifests", ref.Identifier(), acc, maxManifest, fmt.Sprintf("the %d byte manifest limit", maxManifest))
	if err != nil {
		return nil, err
	}
	got := sha256Of(raw)
	if d, ok := ref.(name.Digest); ok && d.DigestStr() != got.String() {
		return nil, badContent("reading %s: the registry served %d bytes hashing to %s, not the digest asked for", what, len(raw), got)
	}
	if h := hdr.Get("Docker-Content-Digest"); h != "" && h != got.String() {
		if hh, err := v1.NewHash(h); err == nil && hh.Algorithm == "sha256" {
			return nil, badContent("reading %s: Docker-Content-Digest says %s, the bytes served hash to %s", what, h, got)
		}
	}
	m, err := decodeManifest(raw, hdr.Get("Content-Type"), acc)
	if err != nil {
		return nil, badContent("reading %s (%s): %v", what, got, err)
	}
	m.Digest = got
	return m, nil
}

// getManifestFor reads the manifest descriptor d of repo names (an index's child, a
// referrer): by d's digest, and it must have d's media type (when d gives one) and size.
func (c *registryClient) getManifestFor(ctx context.Context, repo name.Repository, d v1.Descriptor, acc accept) (*manifest, error) {
	m, err := c.getManifest(ctx, repo.Digest(d.Digest.String()), acc)
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

// getBlob GETs blob h of repo, whose descriptor declares size bytes (-1: unknown), at
// most limit bytes, and checks that the bytes hash to h (and have that size). The
// Content-Type of a blob is not looked at: the digest decides what the bytes are. A 404
// is the registry failing too: a manifest just read names the blob.
func (c *registryClient) getBlob(ctx context.Context, repo name.Repository, h v1.Hash, size, limit int64) ([]byte, error) {
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
	raw, _, err := c.get(ctx, repo, what, "blobs", h.String(), nil, read, why)
	if err != nil {
		return nil, referenced(err) // a manifest names every blob: a 404 is lost data
	}
	if got := sha256Of(raw); got != h {
		return nil, badContent("reading %s: the registry served %d bytes hashing to %s", what, len(raw), got)
	}
	if size >= 0 && int64(len(raw)) != size {
		return nil, badContent("reading %s: %d bytes, its descriptor declares %d", what, len(raw), size)
	}
	return raw, nil
}

// descriptorContent returns a descriptor's content, at most limit bytes: from its OCI
// "data" field when set (it must hash to the descriptor's digest and have its size), else
// from a blob GET.
func (c *registryClient) descriptorContent(ctx context.Context, repo name.Repository, d v1.Descriptor, limit int64) ([]byte, error) {
	if d.Size < 0 {
		return nil, badContent("descriptor %s declares a negative size", d.Digest)
	}
	if len(d.Data) > 0 {
		if got := sha256Of(d.Data); got != d.Digest || int64(len(d.Data)) != d.Size {
			return nil, badContent("embedded data (%d bytes, %s) does not match its descriptor (%d bytes, %s)", len(d.Data), got, d.Size, d.Digest)
		}
		return d.Data, nil
	}
	return c.getBlob(ctx, repo, d.Digest, d.Size, limit)
}

func sha256Of(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// errorCodes returns the codes and messages of a registry error body (distribution's
// {"errors":[{"code","message"}]}), as ": CODE: message", sanitized and short; "" when
// the body is not one.
func errorCodes(body io.Reader) string {
	var e struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	raw, _ := io.ReadAll(io.LimitReader(body, 4<<10))
	if json.Unmarshal(raw, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	s := e.Errors[0].Code
	if e.Errors[0].Message != "" {
		s += ": " + e.Errors[0].Message
	}
	return ": " + printable(s, 200)
}

// printable keeps text from a registry safe to print: printable ASCII only, at most n
// bytes.
func printable(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= n {
			b.WriteString("...")
			break
		}
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}
