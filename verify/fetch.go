package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// maxBlob bounds what is read for a bundle, envelope or config blob.
const maxBlob = 8 << 20

// maxPayload bounds a simple-signing payload (cosign's are a few hundred bytes): with up
// to maxSignatures of them per image, a hostile registry gets little memory.
const maxPayload = 1 << 20

// maxManifest bounds a manifest or index read: the OCI distribution spec's 4 MiB (ggcr
// alone would read up to 100 MiB each, and one verification reads several).
const maxManifest = 4 << 20

// limitTransport refuses manifest responses larger than maxManifest, as bad content.
type limitTransport struct{ inner http.RoundTripper }

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.inner.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/manifests/") || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	if resp.ContentLength > maxManifest {
		resp.Body.Close()
		return nil, errManifestTooLarge(req)
	}
	resp.Body = &limitedBody{rc: resp.Body, n: maxManifest, req: req}
	return resp, nil
}

func errManifestTooLarge(req *http.Request) error {
	return &contentError{fmt.Errorf("manifest %s exceeds the %d byte limit", req.URL.Redacted(), maxManifest)}
}

// limitedBody fails the read that goes past n bytes.
type limitedBody struct {
	rc  io.ReadCloser
	n   int64
	req *http.Request
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		// Allow exactly n bytes: only data past the limit is an error.
		var one [1]byte
		k, err := b.rc.Read(one[:])
		if k > 0 {
			return 0, errManifestTooLarge(b.req)
		}
		return 0, err
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	k, err := b.rc.Read(p)
	b.n -= int64(k)
	return k, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

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

// manifest is a manifest read from the registry; Digest is sha256 of Raw.
type manifest struct {
	Raw       []byte
	MediaType string
	Digest    v1.Hash
}

// getManifest GETs ref's manifest (index or image). It returns errNotFound wrapped when the
// registry answered 404 (a definite absence); any other error is indeterminate.
func (c *registryClient) getManifest(ctx context.Context, ref name.Reference) (*manifest, error) {
	t, err := c.transport(ctx, ref.Context())
	if err != nil {
		return nil, err
	}
	chainOf(ctx).hop()
	d, err := remote.Get(ref, remote.WithTransport(t), remote.WithContext(ctx))
	if err != nil {
		return nil, classify(fmt.Errorf("reading manifest %s: %w", ref, err))
	}
	sum := sha256.Sum256(d.Manifest)
	h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	return &manifest{Raw: d.Manifest, MediaType: string(d.MediaType), Digest: h}, nil
}

// getBlob GETs a blob by digest, at most limit bytes; ggcr verifies the digest while
// reading.
func (c *registryClient) getBlob(ctx context.Context, repo name.Repository, h v1.Hash, limit int64) ([]byte, error) {
	t, err := c.transport(ctx, repo)
	if err != nil {
		return nil, err
	}
	chainOf(ctx).hop()
	l, err := remote.Layer(repo.Digest(h.String()), remote.WithTransport(t), remote.WithContext(ctx))
	if err != nil {
		return nil, classifyBlob(fmt.Errorf("reading blob %s@%s: %w", repo, h, err))
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, classifyBlob(fmt.Errorf("reading blob %s@%s: %w", repo, h, err))
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, classify(fmt.Errorf("reading blob %s@%s: %w", repo, h, err))
	}
	if int64(len(b)) > limit {
		return nil, &contentError{fmt.Errorf("blob %s@%s is larger than %d bytes", repo, h, limit)}
	}
	return b, nil
}

// descriptorContent returns a descriptor's content, at most limit bytes: from its OCI
// "data" field when set (checking that it hashes to the descriptor's digest), else from a
// blob GET.
func (c *registryClient) descriptorContent(ctx context.Context, repo name.Repository, d v1.Descriptor, limit int64) ([]byte, error) {
	if len(d.Data) > 0 {
		sum := sha256.Sum256(d.Data)
		if d.Digest.Algorithm != "sha256" || d.Digest.Hex != hex.EncodeToString(sum[:]) {
			return nil, &contentError{fmt.Errorf("embedded data does not match descriptor digest %s", d.Digest)}
		}
		return d.Data, nil
	}
	if d.Size > limit {
		return nil, &contentError{fmt.Errorf("blob %s@%s is %d bytes, more than %d", repo, d.Digest, d.Size, limit)}
	}
	return c.getBlob(ctx, repo, d.Digest, limit)
}

// errNotFound marks a 404 answer: the registry says the thing does not exist.
var errNotFound = errors.New("not found")

// contentError marks bad content served by the registry (digest mismatch, oversize): a
// definite failure of whatever was being read, not a transport fault.
type contentError struct{ err error }

func (e *contentError) Error() string { return e.err.Error() }
func (e *contentError) Unwrap() error { return e.err }

type notFoundError struct{ err error }

func (e *notFoundError) Error() string        { return e.err.Error() }
func (e *notFoundError) Unwrap() error        { return e.err }
func (e *notFoundError) Is(target error) bool { return target == errNotFound }

// readError marks a failed registry read: network fault, timeout, 5xx, 429, auth. It
// decides nothing about the image.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// classify sorts a registry error: 404 is a definite absence, bad content (an oversize
// manifest) a definite failure, the rest a failed read.
func classify(err error) error {
	var ce *contentError
	if errors.As(err, &ce) {
		return err
	}
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return &notFoundError{err}
	}
	return &readError{err}
}

// classifyBlob sorts a blob read error (see referenced).
func classifyBlob(err error) error { return referenced(classify(err)) }

// referenced sorts the error of a read by digest of content that a manifest just read
// refers to (a blob, an index's child, a referrer): a 404 is then the registry failing
// (lost or unlinked data), not a statement that a signature does not exist, so it is a
// failed read.
func referenced(err error) error {
	if errors.Is(err, errNotFound) {
		// Not wrapped: it must no longer read as errNotFound.
		return &readError{fmt.Errorf("%v (content the manifest refers to is missing from the registry)", err)}
	}
	return err
}

// chain tracks the sequential round trips of one line of dependent requests. Every
// registry request adds one hop to its context's chain; requests run by fetchAll start
// from the same depth, so parallel requests count as one round trip whatever the timing.
type chain struct {
	mu    sync.Mutex
	depth int
}

type chainKey struct{}

func chainOf(ctx context.Context) *chain {
	if c, ok := ctx.Value(chainKey{}).(*chain); ok {
		return c
	}
	return &chain{}
}

func (c *chain) get() int { c.mu.Lock(); defer c.mu.Unlock(); return c.depth }
func (c *chain) hop()     { c.mu.Lock(); c.depth++; c.mu.Unlock() }
func (c *chain) raise(d int) {
	c.mu.Lock()
	c.depth = max(c.depth, d)
	c.mu.Unlock()
}

// fetchAll runs fns in parallel (nil entries are skipped) and waits for all of them. A
// panic in one of them is raised again in the caller's goroutine, where Verify turns it
// into an indeterminate verdict (a panic in a goroutine would end the whole process).
func fetchAll(ctx context.Context, fns ...func(context.Context)) {
	parent := chainOf(ctx)
	start := parent.get()
	var wg sync.WaitGroup
	var children []*chain
	var mu sync.Mutex
	var panicked *panicError
	for _, f := range fns {
		if f == nil {
			continue
		}
		ch := &chain{depth: start}
		children = append(children, ch)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					if panicked == nil {
						panicked = asPanicError(r)
					}
					mu.Unlock()
				}
			}()
			f(context.WithValue(ctx, chainKey{}, ch))
		}()
	}
	wg.Wait()
	for _, ch := range children {
		parent.raise(ch.get())
	}
	if panicked != nil {
		panic(panicked)
	}
}

// panicError is a recovered panic with the stack where it happened.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("internal error: %v", p.value) }

func asPanicError(r any) *panicError {
	if p, ok := r.(*panicError); ok {
		return p
	}
	return &panicError{value: r, stack: debug.Stack()}
}

func parseManifest(raw []byte) (*v1.Manifest, error) {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, &contentError{fmt.Errorf("parsing manifest: %w", err)}
	}
	return m, nil
}

func parseIndex(raw []byte) (*v1.IndexManifest, error) {
	m, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, &contentError{fmt.Errorf("parsing index: %w", err)}
	}
	return m, nil
}
