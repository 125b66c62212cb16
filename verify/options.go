package verify

import (
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/httpx"
	"github.com/mcpbuild/mcpbuild/internal/trustsrc"
)

// Option configures a Verifier.
type Option func(*options) error

type options struct {
	logger    *slog.Logger
	transport http.RoundTripper
	keychain  authn.Keychain
	stats     *Stats
	cache     *Cache
	sigRepo   *name.Repository
	platform  v1.Platform
	// platformSet: WithPlatform was given (else every platform of an index is checked).
	platformSet bool

	rekorKey crypto.PublicKey
	rekorURL string
	tlogRoot *TrustedRoot
	noTLog   bool

	transportSet   bool
	requestTimeout time.Duration // of the default transport; 0: its default

	limits *limits // shared memory bounds (withLimits); nil: the Verifier's own
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		o.logger = l
		return nil
	}
}

// WithTransport sets the base HTTP transport for registry and Rekor requests. Use it for
// proxies, custom TLS, retries or test servers; it then owns deadlines too (the request
// context still bounds every request). Default: http.DefaultTransport with a deadline per
// request (see WithRequestTimeout) and no retries, so that a fault surfaces at once.
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) error {
		if t == nil {
			return errors.New("WithTransport: nil transport")
		}
		o.transport, o.transportSet = t, true
		return nil
	}
}

// WithKeychain sets how registry credentials are found (default anonymous; the CLI uses
// authn.DefaultKeychain).
func WithKeychain(k authn.Keychain) Option {
	return func(o *options) error {
		if k == nil {
			return errors.New("WithKeychain: nil keychain")
		}
		o.keychain = k
		return nil
	}
}

// WithStats counts the requests and round trips the Verifier makes into s.
func WithStats(s *Stats) Option {
	return func(o *options) error { o.stats = s; return nil }
}

// WithCache reads what is addressed by digest through c (see Cache): tags are then
// resolved with a HEAD, and a manifest, config or blob the cache holds (hashed again) is
// not requested. Default: no cache, every read is a GET.
func WithCache(c *Cache) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("WithCache: nil cache")
		}
		o.cache = c
		return nil
	}
}

// WithSignaturesRepository sets where signatures and attestations are stored (cosign's
// COSIGN_REPOSITORY). Default: <image registry>/mcp/signatures. A repository outside the
// distribution grammar (catalog.CheckRepository: a "." or ".." path component, which a
// registry may resolve to another repository) is refused.
func WithSignaturesRepository(r name.Repository) Option {
	return func(o *options) error {
		if err := catalog.CheckRepository(r); err != nil {
			return fmt.Errorf("WithSignaturesRepository: %w", err)
		}
		o.sigRepo = &r
		return nil
	}
}

// WithPlatform checks only this platform of a multi-platform index (its label, and that
// the provenance covers its manifest), and requires a single image to be of this
// platform, unless Policy.Platform says otherwise. Default: every platform of an index.
// Signatures are always checked on the digest the reference resolves to (the index
// digest for an index).
func WithPlatform(p v1.Platform) Option {
	return func(o *options) error {
		if p.OS == "" || p.Architecture == "" {
			return errors.New("WithPlatform: os and architecture are required")
		}
		o.platform, o.platformSet = p, true
		return nil
	}
}

// WithRekorPublicKey trusts the transparency log with this public key; Rekor bundles are
// verified offline against it.
func WithRekorPublicKey(k crypto.PublicKey) Option {
	return func(o *options) error {
		if k == nil {
			return errors.New("WithRekorPublicKey: nil key")
		}
		o.rekorKey = k
		return nil
	}
}

// WithTrustedRoot trusts the transparency logs of a Sigstore trusted root (see
// ParseTrustedRoot): an entry verifies when its log ID names one of the root's Rekor
// keys and that key was valid at the entry's integrated time. Bundles are verified
// offline.
func WithTrustedRoot(t *TrustedRoot) Option {
	return func(o *options) error {
		if t == nil || len(t.logs) == 0 {
			return errors.New("WithTrustedRoot: no transparency-log key")
		}
		o.tlogRoot = t
		return nil
	}
}

// WithRekorURL fetches the log's public key once from <url>/api/v1/log/publicKey, at the
// first verification that needs it: https, or http to a loopback host only (a local log).
// Prefer WithRekorPublicKey when the key is known.
func WithRekorURL(u string) Option {
	return func(o *options) error {
		if err := trustsrc.CheckRekorURL(u); err != nil {
			return fmt.Errorf("WithRekorURL: %w", err)
		}
		o.rekorURL = u
		return nil
	}
}

// WithoutTLogUnsafe skips the transparency-log check: signatures without a Rekor bundle
// are accepted. The tlog check is then reported as skipped.
func WithoutTLogUnsafe() Option {
	return func(o *options) error { o.noTLog = true; return nil }
}

// WithRequestTimeout bounds each request of the default transport, from sending it to
// the end of its body (default 30 s); exceeded, the check it was for is indeterminate. It
// conflicts with WithTransport, whose transport sets its own deadlines.
func WithRequestTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("WithRequestTimeout: %v is not positive", d)
		}
		o.requestTimeout = d
		return nil
	}
}

func makeOptions(opts ...Option) (*options, error) {
	o := &options{
		logger:   slog.New(slog.DiscardHandler),
		keychain: authn.NewMultiKeychain(), // anonymous
		platform: v1.Platform{OS: "linux", Architecture: "amd64"},
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	switch {
	case o.transportSet && o.requestTimeout > 0:
		return nil, errors.New("conflicting options: WithRequestTimeout applies to the default transport, not to WithTransport's")
	case !o.transportSet:
		hopts := []httpx.Option{httpx.WithRetries(0)}
		if o.requestTimeout > 0 {
			hopts = append(hopts, httpx.WithRequestTimeout(o.requestTimeout))
		}
		t, err := httpx.New(http.DefaultTransport, hopts...)
		if err != nil {
			return nil, err
		}
		o.transport = t
	}
	n := 0
	for _, set := range []bool{o.rekorKey != nil, o.tlogRoot != nil, o.rekorURL != "", o.noTLog} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return nil, errors.New("no transparency-log policy: use WithRekorPublicKey, WithTrustedRoot, WithRekorURL or WithoutTLogUnsafe")
	case n > 1:
		return nil, errors.New("conflicting transparency-log policies: choose one of WithRekorPublicKey, WithTrustedRoot, WithRekorURL, WithoutTLogUnsafe")
	}
	return o, nil
}

// logKeys is the transparency-log keys given (none: fetched from rekorURL).
func (o *options) logKeys() []logKey {
	switch {
	case o.rekorKey != nil:
		return []logKey{{Key: o.rekorKey}}
	case o.tlogRoot != nil:
		return o.tlogRoot.Logs()
	}
	return nil
}
