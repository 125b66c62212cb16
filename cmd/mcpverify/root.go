package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify"
)

// common holds what the root command and audit share.
type common struct {
	trust   trustOptions
	reg     registryOptions
	policy  policyOptions
	out     outputOptions
	catalog catalogOptions
	verbose bool
	logger  *slog.Logger
	getenv  func(string) string // the only way the environment is read
	cache   *verify.Cache       // opened once per run (cacheOption)
}

// newRootCmd returns a fresh command tree (no globals: tests run several in parallel).
func newRootCmd(getenv func(string) string) *cobra.Command {
	c := &common{getenv: getenv}
	var commit string
	var jobs int
	cmd := &cobra.Command{
		Use:   "mcpverify [flags] IMAGE...",
		Short: "Verify MCP server images against their catalog pin",
		Long: `mcpverify checks, for each IMAGE (repo[:tag|@digest]), that the tag resolves once to a
digest; that a signature in the signatures repository verifies with --key and names that
digest and repository; that its Rekor bundle verifies offline against the log key; that
the image config's org.opencontainers.image.revision label and the signed revision claim
equal the pin; and that a signed SLSA v1 provenance (when present, or required) names
the pinned project, commit and directory.

The pin comes from --commit, else from the catalog entry whose image matches
(--catalog, default ./servers when it exists; the registry host is ignored in the match).
With --commit and no matching catalog entry, the provenance's git source is compared by
commit only (the project is unknown).

Trust: --key (PEM file, env://VAR holding the PEM, or KMS URI) and the log's key
(--rekor-key PEM, else $SIGSTORE_REKOR_PUBLIC_KEY; or --trusted-root, Sigstore's
trusted_root.json, whose Rekor keys count within their validity; or --rekor-url) trust one
publisher for every image. --policy FILE (apiVersion mcpbuild.dev/v1alpha1, kind
TrustPolicy; see README) names several publishers, each with a trust level, keys, a log,
a signatures repository, requirements and the images it covers (the most specific pattern
wins); the verdict names the publisher, and an image none covers is NOT VERIFIED.

Provenance: a stored SLSA provenance is always verified; a missing one is "skipped"
unless --require-provenance (without it, whoever can delete the attestation turns the
check into "skipped", so gateways should require it). Only attestations signed by --key
count: with a co-signer's key, the publisher's provenance is "no provenance by this key".

Limits: at most 32 MiB read and decoded per image, 4 MiB per envelope or bundle, 32
signatures or attestations examined; past them the image is COULD NOT VERIFY (exit 3).

Cost (--stats): one single-platform image by tag takes 4 registry requests in 2 round
trips after the token: the manifest, then the config, the .sig and the .att manifests in
parallel (by digest: manifest, .sig and .att, then the config). The .att read costs a
request but no round trip. It is not skipped on what the .sig says: nothing in a
signature tells whether an attestation exists, and reading the .sig first would add a
round trip. --skip-provenance drops it (3 requests in 2 round trips). Signatures made by
the cosign CLI cost nothing more when their payload is the one the pin predicts (no
claims, or the revision claim), else one blob read (and round trip); a multi-platform
index one round trip more.

Cache: what is read by digest is kept under --cache-dir (default <user cache
dir>/mcpverify; --no-cache: none), named by its digest and hashed again on every read.
An image not yet cached costs what it costs without one: its tag is read with one GET
(its digest is the hash of the bytes, never a header), cached under that digest. The
digest each tag last resolved to is kept as a hint, and the next run resolves the tag with
HEAD: the .sig and .att HEADs of that digest go out with the tag's, so an unchanged image
costs 3 HEADs in 1 round trip and no GET (registries count GETs against rate limits;
--stats shows their rate-limit headers). A tag that moved costs those HEADs (at most two) and
is read as new; the hint never decides anything, every check is of the digest the tag's
HEAD names.

Output: per image "VERIFIED", "NOT VERIFIED: <first failing check>: <detail>" (exit 1)
or "COULD NOT VERIFY: <check>: <error>" (exit 3: a failed lookup is never reported as
unsigned), then every check; --output json prints one verdict object per line.

Deadlines: each registry or Rekor request has --request-timeout (default 30s, body
included); 429 and 5xx answers and dropped connections are retried up to 3 times,
honouring Retry-After up to 10s; --timeout (default 2m) bounds the whole run.

Exit codes: 0 verified, 1 not verified (a 404 for the image or its signatures, or
content proven by its digest failing a check), 2 usage error (or no pin), 3 could not
check (registry or Rekor unreachable, any status but 200 and 404, timeout, or the
registry serving what was not asked for: bytes that do not hash to the digest asked
for, an HTML page, a schema1 or unexpected media type, an oversized or truncated body).
With several images: 2 before 3 before 1.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs, // images, not subcommands
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.applyEnv(cmd.Flags(), getenv); err != nil {
				return err
			}
			if err := c.checkPolicyFlags(cmd.Flags()); err != nil {
				return err
			}
			c.logger = cliutil.NewLogger(cmd.ErrOrStderr(), c.verbose)
			if err := c.policy.Validate(); err != nil {
				return err
			}
			return c.out.Validate()
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cliutil.Usagef("no IMAGE given")
			}
			return c.runVerify(cmd, args, commit, jobs)
		},
	}
	c.trust.AddFlags(cmd)
	c.reg.AddFlags(cmd)
	c.policy.AddFlags(cmd)
	c.out.AddFlags(cmd)
	c.catalog.AddFlags(cmd)
	cmd.PersistentFlags().BoolVarP(&c.verbose, "verbose", "v", false, "log debug messages to stderr")
	cmd.Flags().StringVar(&commit, "commit", "", "pin: the git commit the images must be built from (overrides the catalog)")
	cmd.Flags().IntVarP(&jobs, "jobs", "j", defaultJobs, "images verified in parallel (see --jobs-per-registry; memory does not grow with it: a run holds at most two heavy images' budgets plus 32 MiB)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cliutil.UsageError{Err: err} })
	cmd.CompletionOptions.DisableDefaultCmd = true
	cmd.AddCommand(newAuditCmd(c))
	cliutil.AddVersion(cmd)
	return cmd
}

// target is one image to verify with its policy (or the reason it is skipped, or the
// invalid catalog entry it stands for).
type target struct {
	label   string // what the user named (image argument or server name)
	ref     name.Reference
	policy  verify.Policy
	skip    string
	invalid *catalog.File // audit: an entry with errors; nothing is verified for it
}

// verifiable reports whether the target names an image to verify.
func (t target) verifiable() bool { return t.skip == "" && t.invalid == nil }

// result is a target's outcome.
type result struct {
	target
	verdict *verify.Verdict
	err     error
}

func (c *common) runVerify(cmd *cobra.Command, args []string, commit string, jobs int) error {
	if commit != "" && !catalog.IsCommit(commit) {
		return cliutil.Usagef("--commit %q is not a 40-hex git commit", commit)
	}
	servers, err := c.catalog.load(commit == "")
	if err != nil {
		if commit == "" || c.catalog.dir != "" {
			return err
		}
		// --commit gives the pin; the default ./servers only adds projects. Don't let a
		// broken one block the verification.
		c.logger.Warn("ignoring the default catalog", "err", err)
		servers = nil
	}
	var targets []target
	for _, a := range args {
		ref, err := name.ParseReference(a, c.nameOpts()...)
		if err == nil {
			err = catalog.CheckRepository(ref.Context())
		}
		if err != nil {
			return cliutil.Usagef("image %q: %v", a, err)
		}
		pin, err := c.pinFor(ref, servers, commit)
		if err != nil {
			return err
		}
		targets = append(targets, target{label: a, ref: ref, policy: c.policyFor(pin)})
	}
	results, err := c.verifyAll(cmd.Context(), cmd, targets, jobs)
	if err != nil {
		return err
	}
	if err := c.printResults(cmd.OutOrStdout(), results); err != nil {
		return err
	}
	return resultsErr(results)
}

func (c *common) policyFor(pin catalog.Pin) verify.Policy {
	return verify.Policy{Pin: pin, RequireSignedRevision: c.policy.requireSignedRevision, Provenance: c.policy.mode(),
		SourceMirrors: c.policy.mirrors}
}

// verifyAll verifies the targets with one Verifier (shared connections and auth), at
// most jobs at a time, under the --timeout deadline, and prints --stats.
func (c *common) verifyAll(ctx context.Context, cmd *cobra.Command, targets []target, jobs int) ([]result, error) {
	if jobs < 1 {
		return nil, cliutil.Usagef("-j must be at least 1")
	}
	if c.reg.hostJobs < 1 {
		return nil, cliutil.Usagef("--jobs-per-registry must be at least 1")
	}
	ctx, cancel := c.reg.timeouts.WithDeadline(ctx) // the KMS key fetch included
	defer cancel()
	stats := &verify.Stats{}
	v, err := c.newVerifier(ctx, stats)
	if err != nil {
		return nil, c.reg.timeouts.Err(ctx, err)
	}
	start := time.Now()
	results := make([]result, len(targets))
	var g errgroup.Group
	g.SetLimit(jobs)
	hosts := hostSlots{n: c.reg.hostJobs}
	for i, t := range targets {
		results[i].target = t
		if !t.verifiable() {
			continue
		}
		slot := hosts.of(t.ref.Context().RegistryStr())
		g.Go(func() error {
			// Always a verdict; past --timeout, an indeterminate one naming the flag (the
			// deadline's cause): a slot not had by then is not waited for.
			select {
			case slot <- struct{}{}:
				defer func() { <-slot }()
			case <-ctx.Done():
			}
			results[i].verdict, results[i].err = v.Verify(ctx, t.ref, t.policy)
			return nil
		})
	}
	_ = g.Wait()
	if c.reg.stats {
		n := 0
		for _, t := range targets {
			if t.verifiable() {
				n++
			}
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "mcpverify stats: %d image(s) in %s; %s\n",
			n, time.Since(start).Round(time.Millisecond), stats.Snapshot())
	}
	return results, nil
}

// hostSlots holds one semaphore of n slots per registry host (--jobs-per-registry).
type hostSlots struct {
	n     int
	slots map[string]chan struct{}
}

func (h *hostSlots) of(host string) chan struct{} {
	if h.slots == nil {
		h.slots = map[string]chan struct{}{}
	}
	if h.slots[host] == nil {
		h.slots[host] = make(chan struct{}, h.n)
	}
	return h.slots[host]
}

// resultsErr joins the per-image outcomes for exitCode.
func resultsErr(results []result) error {
	var errs []error
	for _, r := range results {
		switch {
		case r.skip != "":
		case r.invalid != nil:
			errs = append(errs, r.invalid.Err())
		case r.err != nil:
			errs = append(errs, r.err)
		case r.verdict != nil && !r.verdict.Verified:
			errs = append(errs, r.verdict.Err())
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &quietError{errors.Join(errs...)}
}

// quietError carries the exit code of results already printed on stdout; main prints
// only a one-line summary.
type quietError struct{ err error }

func (e *quietError) Error() string {
	n := len(e.Unwrap())
	if n == 1 {
		return e.Unwrap()[0].Error()
	}
	return fmt.Sprintf("%d image(s) not verified", n)
}
func (e *quietError) Unwrap() []error {
	if j, ok := e.err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{e.err}
}
