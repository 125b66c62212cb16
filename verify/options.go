package verify

import (
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Option configures a Verifier.
type Option func(*options) error

type options struct {
	logger    *slog.Logger
	transport http.RoundTripper
	keychain  authn.Keychain
	stats     *Stats
	sigRepo   *name.Repository
	platform  v1.Platform

	rekorKey crypto.PublicKey
	rekorURL string
	noTLog   bool
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

// WithTransport sets the base HTTP transport for registry and Rekor requests (default
// http.DefaultTransport). Use it for proxies, custom TLS or test servers.
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) error {
		if t == nil {
			return errors.New("WithTransport: nil transport")
		}
		o.transport = t
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

// WithSignaturesRepository sets where signatures and attestations are stored (cosign's
// COSIGN_REPOSITORY). Default: <image registry>/mcp/signatures.
func WithSignaturesRepository(r name.Repository) Option {
	return func(o *options) error { o.sigRepo = &r; return nil }
}

// WithPlatform chooses which platform's config carries the label when the reference names
// a multi-platform index (default linux/amd64). Signatures and provenance are always
// bound to the digest the reference resolves to (the index digest for an index).
func WithPlatform(p v1.Platform) Option {
	return func(o *options) error {
		if p.OS == "" || p.Architecture == "" {
			return errors.New("WithPlatform: os and architecture are required")
		}
		o.platform = p
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

// WithRekorURL fetches the log's public key once from <url>/api/v1/log/publicKey, at the
// first verification that needs it. Prefer WithRekorPublicKey when the key is known.
func WithRekorURL(u string) Option {
	return func(o *options) error {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return fmt.Errorf("WithRekorURL: %q is not an http(s) URL", u)
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

func makeOptions(opts ...Option) (*options, error) {
	o := &options{
		logger:    slog.New(slog.DiscardHandler),
		transport: http.DefaultTransport,
		keychain:  authn.NewMultiKeychain(), // anonymous
		platform:  v1.Platform{OS: "linux", Architecture: "amd64"},
	}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	n := 0
	for _, set := range []bool{o.rekorKey != nil, o.rekorURL != "", o.noTLog} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return nil, errors.New("no transparency-log policy: use WithRekorPublicKey, WithRekorURL or WithoutTLogUnsafe")
	case n > 1:
		return nil, errors.New("conflicting transparency-log policies: choose one of WithRekorPublicKey, WithRekorURL, WithoutTLogUnsafe")
	}
	return o, nil
}
