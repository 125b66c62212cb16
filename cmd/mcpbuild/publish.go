package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/spf13/cobra"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/fault"
	"github.com/mcpbuild/mcpbuild/internal/httpx"
	"github.com/mcpbuild/mcpbuild/internal/trustsrc"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign"
)

// signOptions are the signing flags of `mcpbuild publish`.
type signOptions struct {
	key        string
	sigRepo    string
	rekorURL   string
	tlogUpload bool
}

// AddFlags registers the signing flags on cmd.
func (o *signOptions) AddFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.key, "key", "", "signing key: a cosign key file (password in $"+cliutil.EnvCosignPassword+"), env://VAR (that key file's PEM in $VAR) or a KMS URI")
	f.StringVar(&o.sigRepo, "signatures-repo", "", "repository for signatures and attestations (default $"+cliutil.EnvCosignRepo+", then <registry>/mcp/signatures: with --repository-prefix, its host's)")
	f.StringVar(&o.rekorURL, "rekor-url", "", "Rekor transparency log URL (default $"+cliutil.EnvRekorURL+", then "+sign.DefaultRekorURL+")")
	f.BoolVar(&o.tlogUpload, "tlog-upload", true, "record signatures in the transparency log (false: push signatures without log entries)")
}

// Validate checks the flags; every error is a usage error.
func (o *signOptions) Validate() error {
	if o.key == "" {
		return cliutil.Usagef("--key is required (a cosign key file or a KMS URI)")
	}
	if !o.tlogUpload && o.rekorURL != "" {
		return cliutil.Usagef("--rekor-url given with --tlog-upload=false")
	}
	return nil
}

// signaturesRepo resolves --signatures-repo, $COSIGN_REPOSITORY, <registry>/mcp/signatures.
func (o *signOptions) signaturesRepo(getenv func(string) string, registry string, insecure bool) (name.Repository, error) {
	src, repo := "--signatures-repo", o.sigRepo
	if repo == "" {
		src, repo = "$"+cliutil.EnvCosignRepo, getenv(cliutil.EnvCosignRepo)
	}
	if repo == "" {
		src, repo = "default", registry+"/mcp/signatures"
	}
	opts := []name.Option{name.StrictValidation}
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.NewRepository(repo, opts...)
	if err == nil {
		err = catalog.CheckRepository(r)
	}
	if err != nil {
		return name.Repository{}, cliutil.Usagef("signatures repository %q (%s): %v", repo, src, err)
	}
	return r, nil
}

// registryOf is the registry host images go to: --registry, or --repository-prefix's host
// (the default signatures repository is on it, where mcpverify looks by default).
func registryOf(po build.PlanOptions) string {
	if po.Prefix != "" {
		host, _, _ := strings.Cut(po.Prefix, "/")
		return host
	}
	return po.Registry
}

// rekor resolves --rekor-url, $MCPBUILD_REKOR_URL, cosign's default log; a URL that
// mcpverify would refuse (trustsrc.CheckRekorURL) is a usage error naming where it came from.
func (o *signOptions) rekor(getenv func(string) string) (string, error) {
	src, u := "--rekor-url", o.rekorURL
	if u == "" {
		src, u = "$"+cliutil.EnvRekorURL, getenv(cliutil.EnvRekorURL)
	}
	if u == "" {
		return sign.DefaultRekorURL, nil
	}
	if err := trustsrc.CheckRekorURL(u); err != nil {
		return "", cliutil.Usagef("%s: %v", src, err)
	}
	return u, nil
}

func newPublishCmd(ro *rootOptions) *cobra.Command {
	bo, so := &buildOptions{}, &signOptions{}
	cmd := &cobra.Command{
		Use:   "publish [build flags] --key KEY [--signatures-repo REPO] [--rekor-url URL] [--tlog-upload] PATTERN...",
		Short: "Build, push, sign and attest catalog entries, idempotently",
		Long: `For every "server" entry matched by PATTERN: if <registry>/<image>:<tag> already carries
the pin as its revision label, a signature by KEY for its digest and a provenance
attestation by KEY, report it "unchanged" and touch nothing. Otherwise build and push it
(as mcpbuild build does), read it back at its digest and tag (nothing is signed for an
image the registry does not serve), sign the digest (cosign simple-signing payload with claims
org.opencontainers.image.revision=<commit> and org.opencontainers.image.source=<project>),
record the signature in Rekor, push it to <sigrepo>:sha256-<hex>.sig, then sign the SLSA v1
provenance as an in-toto DSSE envelope, record it, and push it to <sigrepo>:sha256-<hex>.att.
No signature or attestation is pushed without its Rekor entry: Rekor is checked before
anything is built, and when an upload fails later that server's signature is not pushed
(its image, pushed by the build, stays unsigned until a re-run). A digest already signed
and attested by KEY (e.g. a pin changed back) gets no new signature or log entry; the
server is still reported "published" because its tag was pushed again. Only a 404 means
"absent": any other failed read of a tag fails that server and the tag is not written.
Every write is read back; layers of other keys or cosign that it lacks are pushed again,
and a server whose read-back still lacks them fails naming them.

One report at the end (text, --output json or markdown); progress lines on stderr. A failing server
does not stop the others. An invalid catalog entry is a failed report naming its problems
(path:line:col; nothing is built or signed for it) and the others are published. A tag the
catalog's image carries is dropped (a warning; an error with --strict): the image goes to
<registry>/<repository>:<tag> (--repository-prefix: <prefix>/<path>:<tag>). With several
-t tags, "unchanged" needs every tag at the signed digest; a tag missing or elsewhere
rebuilds the server (reproducible: the same digest, pushed under every tag, and no new
signature or log entry).

Exit codes: 0 all published or unchanged, 1 a server failed or is invalid, 2 usage or key
error (missing key file, wrong $COSIGN_PASSWORD, a PATTERN matching nothing), 3 BuildKit,
registry or Rekor unreachable, or a request (--request-timeout) or the command (--timeout)
timed out.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cliutil.Usagef("publish: no PATTERN given (e.g. servers/...)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validatePublish(bo); err != nil {
				return err
			}
			if err := so.Validate(); err != nil {
				return err
			}
			ctx, cancel := ro.timeouts.WithDeadline(cmd.Context())
			defer cancel()
			reports, err := runPublish(ctx, cmd, ro, bo, so, args)
			if err != nil {
				return ro.timeouts.Err(ctx, err)
			}
			if werr := writeReports(cmd.OutOrStdout(), bo.output, reports); werr != nil {
				return werr
			}
			return ro.timeouts.Err(ctx, publish.Failures(reports))
		},
	}
	bo.AddFlags(cmd)
	addPublishOutput(cmd)
	so.AddFlags(cmd)
	return cmd
}

// runPublish wires the catalog, the builder and the signing service together. Errors it
// returns stop the whole run before anything is pushed; per-server failures, invalid
// entries included, are in the reports (one per entry, in catalog order).
func runPublish(ctx context.Context, cmd *cobra.Command, ro *rootOptions, bo *buildOptions, so *signOptions, patterns []string) (reports []publish.Report, err error) {
	stderr := cmd.ErrOrStderr()
	log := ro.logger(cmd)
	po, err := bo.planOptions(ro.getenv)
	if err != nil {
		return nil, err
	}
	sigRepo, err := so.signaturesRepo(ro.getenv, registryOf(po), bo.insecure)
	if err != nil {
		return nil, err
	}
	signer, err := openSigner(ctx, so.key, ro.getenv, func() ([]byte, error) {
		return []byte(ro.getenv(cliutil.EnvCosignPassword)), nil
	})
	if err != nil {
		// Only a KMS can be unreachable; a key file problem is the caller's to fix.
		if sign.IsKMSRef(so.key) && httpx.KindOf(err) == fault.Unreachable {
			return nil, &cliutil.UnreachableError{Addr: so.key, Err: err}
		}
		if _, set := ro.lookupEnv(cliutil.EnvCosignPassword); !set && errors.Is(err, sign.ErrWrongPassword) {
			err = fmt.Errorf("%w (%s is not set)", err, cliutil.EnvCosignPassword)
		}
		return nil, &cliutil.UsageError{Err: err}
	}
	// Each signing call (a KMS is a network service) gets --request-timeout.
	if signer, err = sign.WithCallTimeout(signer, ro.timeouts.Request); err != nil {
		return nil, err
	}
	entries, err := loadEntries(stderr, patterns, bo.strict)
	if err != nil {
		return nil, err
	}
	// From here on, invalid entries are failed reports among the others, or, when the
	// run stops before publishing, their problems are joined to the error that stopped it.
	defer func() {
		if err != nil {
			err = errors.Join(append(invalidErrs(entries), err)...)
			return
		}
		reports = withInvalid(entries, reports)
	}()
	servers := buildable(entries)
	if len(servers) == 0 { // nothing to build, sign or log: no service is contacted
		return nil, nil
	}

	var tlog sign.TLog
	var sopts = []sign.Option{sign.WithLogger(log)}
	if so.tlogUpload {
		logURL, err := so.rekor(ro.getenv)
		if err != nil {
			return nil, err
		}
		rk, err := sign.NewRekor(logURL, 3, sign.WithRequestTimeout(ro.timeouts.Request))
		if err != nil {
			return nil, cliutil.Usagef("Rekor URL %q: %v", logURL, err)
		}
		pctx, cancel := context.WithTimeout(ctx, ro.timeouts.Request)
		err = rk.Ping(pctx)
		cancel()
		if err != nil {
			return nil, &cliutil.UnreachableError{Addr: logURL, Err: err}
		}
		log.Info("recording signatures in the transparency log", "url", logURL)
		tlog = rk
	} else {
		sopts = append(sopts, sign.WithoutTLogUnsafe())
		log.Warn("--tlog-upload=false: signatures get no transparency-log entry")
	}
	tr, err := ro.registryTransport(log)
	if err != nil {
		return nil, err
	}
	// Writes go through go-containerregistry, reads are the Store's own (bounded, hashed:
	// internal/ocireg); both with the same transport and credentials.
	ropts := append([]remote.Option{remote.WithAuthFromKeychain(authn.DefaultKeychain)}, httpx.RemoteOptions(tr)...)
	store := sign.NewStore(sigRepo, ropts...).WithReads(tr, authn.DefaultKeychain).WithLogger(log)
	svc, err := sign.New(signer, store, tlog, sopts...)
	if err != nil {
		return nil, err
	}

	var display atomic.Pointer[build.Progress] // set once BuildKit is opened; statusLines reads it
	lazy, err := build.NewLazy(func(ctx context.Context) (build.Builder, error) {
		if bo.buildkit.several() { // several --buildkit-addr: buildkit_fleet.go
			return bo.fleetBuilder(stderr, log, po, ro.getenv, ro.timeouts.Request, servers, &display)
		}
		return openSession(ctx, bo, stderr, log, po, ro.getenv, ro.timeouts.Request, &display)
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := lazy.Close(); err != nil {
			log.Warn("progress display", "error", err)
		}
	}()

	jobs := make([]publish.Job, 0, len(servers))
	probes := []name.Reference{sigRepo.Tag("latest")}
	for _, s := range servers {
		job, err := publish.NewJob(s, catalog.Destination{Registry: po.Registry, Prefix: po.Prefix}, append([]string{po.Tag}, po.ExtraTags...), bo.insecure)
		if err != nil {
			return nil, err
		}
		probes = append(probes, job.Image)
		jobs = append(jobs, job)
	}
	if err := preflightRegistries(ctx, probes, ropts); err != nil {
		return nil, err
	}
	pub, err := publish.New(lazy, svc, publish.WithParallelism(bo.jobs*bo.buildkit.daemons()), publish.WithPlatforms(po.Platforms),
		publish.WithProgress(&statusLines{w: stderr, display: &display}), publish.WithLogger(log))
	if err != nil {
		return nil, err
	}
	return pub.Publish(ctx, jobs), nil
}

// withInvalid returns one report per entry in catalog order: the publisher's reports
// (one per valid entry, in order) with a failed report for each invalid entry, whose
// reason is its diagnostics.
func withInvalid(entries []entry, published []publish.Report) []publish.Report {
	out := make([]publish.Report, 0, len(entries))
	i := 0
	for _, e := range entries {
		if f := e.invalid; f != nil {
			out = append(out, publish.Report{Name: f.Label(), Status: publish.Failed, Reason: f.Reason(), Err: f.Err()})
			continue
		}
		if e.skipped != nil {
			continue // publish reports only what it publishes (the note on stderr says why)
		}
		out = append(out, published[i])
		i++
	}
	return out
}

// preflightRegistries fails the run before any work when a registry of refs (images or
// signatures) does not answer at all; any HTTP answer, 404 or 401 included, passes. Each
// request has the transport's deadline (ropts).
func preflightRegistries(ctx context.Context, refs []name.Reference, ropts []remote.Option) error {
	seen := map[string]bool{}
	for _, ref := range refs {
		reg := ref.Context().RegistryStr()
		if seen[reg] {
			continue
		}
		seen[reg] = true
		_, err := remote.Head(ref, append([]remote.Option{remote.WithContext(ctx)}, ropts...)...)
		if err != nil && httpx.KindOf(err) == fault.Unreachable {
			return &cliutil.UnreachableError{Addr: reg, Err: err}
		}
	}
	return nil
}
