package main

import (
	"context"
	"crypto"
	"net/http"
	"net/url"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/httpx"
	"github.com/mcpbuild/mcpbuild/trust"
	"github.com/mcpbuild/mcpbuild/verify"
)

// trustOptions say what to trust: the signing key, the log, where signatures live.
type trustOptions struct {
	key         string
	sigRepo     string
	rekorURL    string
	rekorKey    string
	rekorKeySrc string // "--rekor-key", or the environment variable it came from
	trustedRoot string
	policy      string // --policy FILE: the publishers, instead of the flags above
	offline     bool
	ignoreTLog  bool
}

func (o *trustOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&o.key, "key", "", "publisher's public key: PEM file, env://VAR (the PEM in $VAR), or KMS URI (its public key is fetched from the provider)")
	f.StringVar(&o.sigRepo, "signatures-repo", "", "signatures repository (default $"+cliutil.EnvCosignRepo+", else <registry>/mcp/signatures)")
	f.StringVar(&o.rekorURL, "rekor-url", "", "Rekor URL to fetch the log's public key from, once: trust on first use, prefer --rekor-key (default $"+cliutil.EnvRekorURL+")")
	f.StringVar(&o.rekorKey, "rekor-key", "", "Rekor log public key (PEM file); bundles are verified offline against it (default $"+cliutil.EnvRekorPublicKey+", as cosign reads it)")
	f.StringVar(&o.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json: its Rekor log keys, each within its validity period, verify bundles offline")
	f.StringVar(&o.policy, "policy", "", "trust policy file (YAML, "+trust.APIVersion+" "+trust.Kind+"): the publishers, their keys, logs, trust levels, requirements and the images each covers; replaces --key, the log flags, --signatures-repo and the requirement flags")
	f.BoolVar(&o.offline, "offline", false, "make no request to anything but the registry (needs --rekor-key or --insecure-ignore-tlog)")
	f.BoolVar(&o.ignoreTLog, "insecure-ignore-tlog", false, "accept signatures without a verified Rekor bundle (unsafe)")
}

// registryOptions say where images are and how long to wait.
type registryOptions struct {
	registry string
	platform string
	timeouts cliutil.Timeouts
	stats    bool
	cache    cacheOptions
	hostJobs int // images verified at once per registry host (--jobs-per-registry)
}

// Defaults of -j and --jobs-per-registry: an audit of hundreds of images keeps 64 in
// flight, all of them against one registry host if need be, so that 300 images at 50 ms
// a request take about 5 waves of round trips (hack/bench/verify: the defaults meet the
// audit goals; 32 and 16 took twice as long). Memory does not grow with them whatever
// the registries serve: each image's reads are charged to its own budget, a run holds at
// most two heavy images' budgets plus 32 MiB, and items over 1 MiB are read 2 at a time
// per run (package verify; TestHostileContentMemoryAtScale: under 256 MiB at 64).
const (
	defaultJobs     = 64
	defaultHostJobs = 64
)

// defaultTimeout bounds a whole mcpverify run: long enough for a catalog's audit, short
// enough for a gateway waiting on a verdict.
const defaultTimeout = 2 * time.Minute

func (o *registryOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&o.registry, "registry", "", "registry host for images named without one (default $"+cliutil.EnvRegistry+", else Docker Hub)")
	f.StringVar(&o.platform, "platform", "", "os/arch[/variant]: check only this platform of a multi-platform index (its label, and that the provenance covers it), or require a single image to be of it (default: every platform of an index; the signature is always checked on the index digest)")
	o.timeouts.AddFlags(f, defaultTimeout, cliutil.EnvVerifyTimeout)
	f.BoolVar(&o.stats, "stats", false, "print registry requests and sequential round trips to stderr")
	f.IntVar(&o.hostJobs, "jobs-per-registry", defaultHostJobs, "images verified at once against one registry host (within -j; lower it for a registry that throttles)")
	o.cache.AddFlags(f)
}

// policyOptions tighten the policy.
type policyOptions struct {
	requireProvenance     bool
	skipProvenance        bool
	requireSignedRevision bool
	mirrorSpecs           []string
	mirrors               catalog.Mirrors
}

func (o *policyOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.BoolVar(&o.requireProvenance, "require-provenance", false, "fail images without a valid signed SLSA provenance")
	f.BoolVar(&o.skipProvenance, "skip-provenance", false, "do not look for provenance attestations (one registry request less, no round trip less)")
	f.BoolVar(&o.requireSignedRevision, "require-signed-revision", false, "fail signatures without a signed revision claim")
	f.StringArrayVar(&o.mirrorSpecs, "source-mirror", nil, "FROM=TO: the images were built with mcpbuild --source-mirror FROM=TO; provenance naming the mirrored project URL counts as the project (the commit is still compared)")
}

func (o *policyOptions) Validate() error {
	if o.requireProvenance && o.skipProvenance {
		return cliutil.Usagef("--require-provenance and --skip-provenance exclude each other")
	}
	ms, err := catalog.ParseMirrors(o.mirrorSpecs)
	if err != nil {
		return cliutil.Usagef("--source-mirror: %v", err)
	}
	o.mirrors = ms
	return nil
}

func (o *policyOptions) mode() verify.ProvenanceMode {
	switch {
	case o.requireProvenance:
		return verify.ProvenanceRequired
	case o.skipProvenance:
		return verify.ProvenanceSkip
	}
	return verify.ProvenanceIfPresent
}

// outputOptions choose the result format.
type outputOptions struct{ output string }

func (o *outputOptions) AddFlags(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVarP(&o.output, "output", "o", "text", "result format: text, json (one verdict object per line), markdown or html (one table)")
}

func (o *outputOptions) Validate() error {
	if o.output != "text" && o.output != "json" && o.output != "markdown" && o.output != "html" {
		return cliutil.Usagef("--output must be text, json, markdown or html, not %q", o.output)
	}
	return nil
}

// applyEnv fills unset flags from the environment (the only place env is read); fs holds
// the parsed flags.
func (c *common) applyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	if c.reg.registry == "" {
		c.reg.registry = getenv(cliutil.EnvRegistry)
	}
	if c.trust.policy != "" { // the policy file is the whole trust configuration
		return c.reg.timeouts.Resolve(fs, getenv)
	}
	if c.trust.sigRepo == "" {
		c.trust.sigRepo = getenv(cliutil.EnvCosignRepo)
	}
	t := &c.trust
	if t.rekorKey != "" {
		t.rekorKeySrc = "--rekor-key"
	}
	// The environment gives the log key (preferred: verified offline), else where to
	// fetch it, only when no flag says how the log is trusted.
	if t.rekorURL == "" && t.rekorKey == "" && t.trustedRoot == "" && !t.ignoreTLog {
		if k := getenv(cliutil.EnvRekorPublicKey); k != "" {
			t.rekorKey, t.rekorKeySrc = k, "$"+cliutil.EnvRekorPublicKey
		} else {
			t.rekorURL = getenv(cliutil.EnvRekorURL)
		}
	}
	return c.reg.timeouts.Resolve(fs, getenv)
}

// transport is the HTTP transport of every registry and Rekor request: --request-timeout
// per request, body included, and httpx's bounded retries (429 and 5xx, honouring
// Retry-After up to 10 s; a timed-out request is not retried), all within --timeout.
func (c *common) transport() (http.RoundTripper, error) {
	opts := []httpx.Option{httpx.WithService("registry"), httpx.WithRequestTimeout(c.reg.timeouts.Request), httpx.WithLogger(c.logger)}
	if u, err := url.Parse(c.trust.rekorURL); err == nil && u.Host != "" {
		opts = append(opts, httpx.WithHostService(u.Host, "Rekor"))
	}
	return httpx.New(c.pooled(http.DefaultTransport), opts...)
}

// readsPerImage is the most registry reads one image makes at once (its config, .sig and
// .att manifests).
const readsPerImage = 3

// pooled keeps enough idle connections for every read in flight against one registry
// (--jobs-per-registry images, readsPerImage reads each): with net/http's default of 2
// per host, each round trip of a catalog's audit over HTTP/1.1 would close most of its
// connections and open new ones (a TCP and TLS handshake each) for the next. HTTP/2
// multiplexes on one connection anyway. A base that is not an *http.Transport is used
// as it is.
func (c *common) pooled(base http.RoundTripper) http.RoundTripper {
	t, ok := base.(*http.Transport)
	if !ok {
		return base
	}
	t = t.Clone()
	n := readsPerImage*c.reg.hostJobs + 1 // and the ping's
	t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, n)
	t.MaxIdleConns = max(t.MaxIdleConns, n)
	return t
}

// verifierOptions is the one adapter from flags to library options.
func (c *common) verifierOptions(ctx context.Context, stats *verify.Stats) (crypto.PublicKey, []verify.Option, error) {
	t := c.trust
	if t.key == "" {
		return nil, nil, cliutil.Usagef("--key is required: the publisher's public key (PEM)")
	}
	key, err := c.publicKey(ctx, "--key", t.key)
	if err != nil {
		return nil, nil, err
	}
	opts, err := c.baseOptions(stats)
	if err != nil {
		return nil, nil, err
	}
	tlog, err := t.tlogOption()
	if err != nil {
		return nil, nil, err
	}
	opts = append(opts, tlog)
	if t.sigRepo != "" {
		r, err := name.NewRepository(t.sigRepo, c.nameOpts()...)
		if err == nil {
			err = catalog.CheckRepository(r)
		}
		if err != nil {
			return nil, nil, cliutil.Usagef("--signatures-repo: %v", err)
		}
		opts = append(opts, verify.WithSignaturesRepository(r))
	}
	return key, opts, nil
}

// baseOptions are the library options of every Verifier: logging, registry credentials,
// stats, the transport and --platform.
func (c *common) baseOptions(stats *verify.Stats) ([]verify.Option, error) {
	tr, err := c.transport()
	if err != nil {
		return nil, cliutil.Usagef("%v", err)
	}
	opts := []verify.Option{verify.WithLogger(c.logger), verify.WithKeychain(authn.DefaultKeychain), verify.WithStats(stats),
		verify.WithTransport(tr)}
	cache, err := c.cacheOption()
	if err != nil {
		return nil, err
	}
	opts = append(opts, cache...)
	if c.reg.platform != "" {
		plat, err := v1.ParsePlatform(c.reg.platform)
		if err != nil || plat.OS == "" || plat.Architecture == "" {
			return nil, cliutil.Usagef("--platform %q: want os/arch[/variant]", c.reg.platform)
		}
		opts = append(opts, verify.WithPlatform(*plat))
	}
	return opts, nil
}

func (c *common) nameOpts() []name.Option {
	if c.reg.registry == "" {
		return nil
	}
	return []name.Option{name.WithDefaultRegistry(c.reg.registry)}
}
