package verify

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/sign"
)

// ProvenanceMode says how the provenance check is applied.
type ProvenanceMode int

const (
	// ProvenanceIfPresent verifies a SLSA provenance attestation when one is stored, and
	// reports the check as skipped when there is none (default).
	ProvenanceIfPresent ProvenanceMode = iota
	// ProvenanceRequired fails when no valid provenance attestation is stored.
	ProvenanceRequired
	// ProvenanceSkip does not look for attestations (one registry request less).
	ProvenanceSkip
)

// Policy is what an image must satisfy: built from Pin, signed, logged, attested.
type Policy struct {
	Pin catalog.Pin
	// RequireSignedRevision fails signatures that carry no revision claim.
	RequireSignedRevision bool
	Provenance            ProvenanceMode
	// SourceMirrors lists where the project may have been fetched from instead (the
	// provenance then names the mirror), as given to mcpbuild --source-mirror; see
	// catalog.Mirror.
	SourceMirrors catalog.Mirrors
	// Platform, when set, is the only platform of an index that is checked (the image a
	// single-platform reference names must be of it); nil: WithPlatform's, else every
	// platform of an index (index.go).
	Platform *v1.Platform

	// covers is what the provenance must cover besides the digest (set by Verify).
	covers *coverage
}

func (p Policy) validate() error {
	if !catalog.IsCommit(p.Pin.Commit) {
		return fmt.Errorf("policy pin commit %q is not a 40-hex git commit", p.Pin.Commit)
	}
	if p.Platform != nil && (p.Platform.OS == "" || p.Platform.Architecture == "") {
		return fmt.Errorf("policy platform %q: os and architecture are required", p.Platform.String())
	}
	return p.SourceMirrors.Validate()
}

// Verifier verifies images against one signing key and transparency-log policy. It is
// safe for concurrent use and reuses registry connections and authentication.
type Verifier struct {
	key    crypto.PublicKey
	sigVer signature.Verifier
	o      *options
	reg    *registryClient
	rekor  *rekorTrust
	large  largeItems  // budget.go
	heavy  *heavySlots // budget_heavy.go
}

// New returns a Verifier trusting key (the publisher's public key). It refuses an
// incomplete configuration: key is required, and so is a transparency-log policy
// (WithRekorPublicKey, WithTrustedRoot, WithRekorURL, or the explicit opt-out
// WithoutTLogUnsafe).
func New(key crypto.PublicKey, opts ...Option) (*Verifier, error) {
	if key == nil {
		return nil, errors.New("no public key: the signing key to trust is required")
	}
	o, err := makeOptions(opts...)
	if err != nil {
		return nil, err
	}
	sv, err := signature.LoadVerifier(key, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("loading public key: %w", err)
	}
	lim := o.limits
	if lim == nil {
		lim = newLimits()
	}
	v := &Verifier{key: key, sigVer: sv, o: o, large: lim.large, heavy: lim.heavy}
	v.reg = newRegistryClient(&countingTransport{inner: budgetTransport{o.transport}, stats: o.stats, kind: kindRegistry, logger: o.logger}, o.keychain, v.large, o.cache, o.stats)
	if !o.noTLog {
		v.rekor = &rekorTrust{given: o.logKeys(), url: o.rekorURL,
			client: &http.Client{Transport: &countingTransport{inner: o.transport, stats: o.stats, kind: kindRekor, logger: o.logger}}}
	}
	return v, nil
}

// SignaturesRepository returns where signatures of images in repo are looked up.
func (v *Verifier) SignaturesRepository(repo name.Repository) name.Repository {
	if v.o.sigRepo != nil {
		return *v.o.sigRepo
	}
	return repo.Registry.Repo("mcp", "signatures")
}

// fetched holds what the first round trips read.
type fetched struct {
	digest v1.Hash // what the reference resolved to: its digest, or the hash of the tag's one GET
	known  bool    // the image manifest was in the cache (sigReader)
	img    *manifest
	imgErr error
	imgs   []platformImage // whose labels are checked (index.go)
	cfgErr error
	sig    *manifest
	sigErr error
	att    *manifest
	attErr error
}

// Verify checks ref against p and always returns a Verdict, never nil, recording every
// check. The error says how far the Verdict is decided:
//   - nil: decided. Verified, or a definite "no" (Verified false, Reason naming the first
//     failing check).
//   - *Indeterminate: nothing definite could be decided; the Verdict has Indeterminate
//     set, and Reason and the error's Check name why: a check that could not be carried
//     out (registry or Rekor unreachable, a request's timeout, content that is not what
//     was asked for), IndeterminateTimeout or IndeterminateCanceled (ctx ended before
//     the checks were decided: Err is context.Cause(ctx) and the checks show which read
//     it interrupted; a check that had already failed still decides "no"), or
//     IndeterminateInternal (a panic: hostile content crashing a parser).
//   - *InputError: ref or p cannot be checked (nil ref, invalid Policy, a digest of an
//     algorithm it cannot hash); nothing was read, the Verdict is neither verified nor
//     indeterminate (asking again will not help), and Reason names the input (a "." or
//     ".." path component too: catalog.CheckRepository).
func (v *Verifier) Verify(ctx context.Context, ref name.Reference, p Policy) (vd *Verdict, err error) {
	vd = &Verdict{MediaType: MediaType, Pin: p.Pin}
	// Content from a registry is hostile: a panic in a parser (ours or a library's) must
	// end this verification as "could not decide", neither verified nor a crash.
	defer func() {
		if r := recover(); r != nil {
			pe := asPanicError(r)
			v.o.logger.Error("verification panicked", "image", vd.Image, "panic", pe.value, "stack", string(pe.stack))
			vd, err = v.concludePanic(vd, pe)
		}
	}()
	if ref == nil {
		return v.invalid(vd, "reference", errors.New("no image reference"))
	}
	vd.Image = ref.Name()
	if err := catalog.CheckRepository(ref.Context()); err != nil {
		return v.invalid(vd, "reference", err)
	}
	if err := p.validate(); err != nil {
		return v.invalid(vd, "policy", err)
	}
	if d, ok := ref.(name.Digest); ok {
		if _, err := v1.NewHash(d.DigestStr()); err != nil {
			return v.invalid(vd, "reference", fmt.Errorf("parsing digest of %s: %w", ref, err))
		}
	}
	if ctx.Err() != nil {
		return v.stopContext(ctx, vd)
	}
	repo := ref.Context()
	sigRepo := v.SignaturesRepository(repo)
	wantAtt := p.Provenance != ProvenanceSkip
	ctx = v.heavy.withBudget(ctx) // bounds what this verification reads and decodes (budget.go)
	defer budgetOf(ctx).done()    // every read has returned: its heavy slot, if any, is given back

	// Authenticate once per registry for both repositories before the parallel reads. A
	// failure here surfaces again, classified, at the first read.
	_, _ = v.reg.transport(ctx, repo, sigRepo)
	if sigRepo.RegistryStr() != repo.RegistryStr() {
		_, _ = v.reg.transport(ctx, sigRepo)
	}
	root := &chain{}
	ctx = context.WithValue(ctx, chainKey{}, root)
	defer func() { v.o.stats.addRoundTrips(root.get()) }()
	f, err := v.fetch(ctx, ref, sigRepo, wantAtt, v.wantPlatform(p))
	if err != nil { // not reached: the digest was parsed above
		return v.invalid(vd, "reference", err)
	}

	if f.digest.Hex != "" {
		vd.Digest = f.digest.String()
	}
	if f.imgErr != nil {
		vd.Checks = append(vd.Checks, errCheck(CheckDigest, f.imgErr))
		return v.conclude(ctx, vd)
	}
	digest := f.digest
	how := "referenced by digest"
	if _, ok := ref.(name.Tag); ok {
		how = "tag " + ref.Identifier() + " resolved once"
	}
	vd.Checks = append(vd.Checks, Check{Name: CheckDigest, Status: StatusPass, Detail: digest.String() + " (" + how + ")"})

	// Signatures and provenance may each need blob reads: run them side by side.
	var s signed
	prov := Check{Name: CheckProvenance, Status: StatusSkipped, Detail: "not requested"}
	refs := &referrers{sigRepo: sigRepo, digest: digest}
	if f.cfgErr == nil {
		p.covers = coverageOf(f.img, f.imgs)
	}
	labels := labelChecks(f.imgs, f.cfgErr, p.Pin.Commit)
	// Checked: the decoded image manifest and configs (up to 4 and 8 MiB each from a
	// hostile registry) are not held through the signature and provenance checks, nor the
	// .sig manifest through the provenance's.
	f.img, f.imgs = nil, nil
	checkProv := func(ctx context.Context) {
		prov = v.checkProvenance(ctx, refs, digest, f.att, f.attErr, p, errors.Is(f.sigErr, errNotFound))
	}
	if !wantAtt {
		checkProv = nil
	}
	expected := expectedPayloads(repo, digest, p.Pin) // cosign CLI signatures: no blob read (signature.go)
	fetchAll(ctx, func(ctx context.Context) {
		s = v.checkSignaturesOf(ctx, refs, repo, digest, f.sig, f.sigErr, expected)
		f.sig = nil // not held while the provenance is checked
	}, checkProv)
	vd.Checks = append(vd.Checks, s.sig, s.tlog, labels, claimCheck(s, p), prov)
	return v.conclude(ctx, vd)
}

// fetch makes the first reads: by tag, the manifest (round trip 1) then the config, .sig
// and .att manifests in parallel (2); by digest, the manifest, .sig and .att in parallel,
// then the config. An index adds a round trip (the platforms' manifests). With a cache,
// what it holds is not requested (cached.go; the .sig and .att of an image it held are
// resolved by HEAD); with a hint of the tag's last digest, the tag is resolved by HEAD,
// with the .sig and .att HEADs of that digest in the same round trip (speculate.go).
func (v *Verifier) fetch(ctx context.Context, ref name.Reference, sigRepo name.Repository, wantAtt bool, plat *v1.Platform) (*fetched, error) {
	repo := ref.Context()
	f := &fetched{}
	getSig := func(h v1.Hash) func(context.Context) {
		read := v.reg.sigReader(f.known)
		return func(ctx context.Context) {
			f.sig, f.sigErr = read(ctx, sign.Tag(sigRepo, h, sign.SignatureSuffix), ocireg.AcceptImage)
		}
	}
	getAtt := func(h v1.Hash) func(context.Context) {
		if !wantAtt {
			return nil
		}
		read := v.reg.sigReader(f.known)
		return func(ctx context.Context) {
			f.att, f.attErr = read(ctx, sign.Tag(sigRepo, h, sign.AttestationSuffix), ocireg.AcceptImage)
		}
	}
	getImg := func(ctx context.Context) { f.img, f.known, f.imgErr = v.reg.getImage(ctx, ref) }
	getCfg := func(ctx context.Context) { f.imgs, f.cfgErr = v.images(ctx, repo, f.img, plat) }

	if d, ok := ref.(name.Digest); ok {
		h, err := v1.NewHash(d.DigestStr())
		if err != nil {
			return nil, fmt.Errorf("parsing digest of %s: %w", ref, err)
		}
		f.digest = h
		f.known = v.reg.cache.has(h) // read in parallel: whether the cache holds it now
		fetchAll(ctx, getImg, getSig(h), getAtt(h))
		if f.imgErr == nil {
			getCfg(ctx)
		}
		return f, nil
	}
	// The tag is read once; everything else is read by the digest of what that read got.
	tag, _ := ref.(name.Tag)
	hint, hinted := v.reg.cache.hint(tag)
	var spec *speculation
	if hinted {
		spec = v.headHinted(ctx, tag, hint, sigRepo, wantAtt)
		f.img, f.known, f.imgErr = v.reg.fromHead(ctx, tag, ocireg.AcceptImageRef, spec.img)
	} else {
		getImg(ctx)
	}
	if f.imgErr != nil {
		return f, nil
	}
	f.digest = f.img.Digest
	v.reg.cache.updateHint(tag, f.digest, hint, hinted)
	if hinted && f.digest == hint {
		fetchAll(ctx, getCfg, spec.readSig(v.reg, f), spec.readAtt(v.reg, f))
		return f, nil
	}
	// No hint, or the tag moved since: whatever was asked about the hinted digest is dropped.
	fetchAll(ctx, getCfg, getSig(f.digest), getAtt(f.digest))
	return f, nil
}

// conclude finishes the verdict. It is indeterminate when some check errored and none
// failed definitively; when ctx has ended by then, the deadline or cancel is the reason.
func (v *Verifier) conclude(ctx context.Context, vd *Verdict) (*Verdict, error) {
	vd.finish(v.rekor != nil)
	var errored *Check
	for i, c := range vd.Checks {
		if c.Status == StatusFail {
			v.o.logger.Debug("not verified", "image", vd.Image, "reason", vd.Reason)
			return vd, nil
		}
		if c.Status == StatusError && errored == nil {
			errored = &vd.Checks[i]
		}
	}
	if errored != nil {
		if ctx.Err() != nil {
			return v.stopContext(ctx, vd)
		}
		vd.Indeterminate = true
		return vd, &Indeterminate{Image: vd.Image, Check: errored.Name, Err: errors.New(errored.Detail)}
	}
	v.o.logger.Debug("verified", "image", vd.Image, "digest", vd.Digest)
	return vd, nil
}

// stop makes vd indeterminate for a reason outside the checks (see Verify): the checks
// not carried out are reported as not reached.
func (v *Verifier) stop(vd *Verdict, check string, err error) (*Verdict, error) {
	vd.finish(v.rekor != nil)
	vd.Verified, vd.Indeterminate = false, true
	vd.Reason = check + ": " + err.Error()
	v.o.logger.Debug("could not verify", "image", vd.Image, "reason", vd.Reason)
	return vd, &Indeterminate{Image: vd.Image, Check: check, Err: err}
}

// invalid finishes vd for an input Verify cannot check (what: "policy" or "reference"):
// nothing was read, nothing is decided, and asking again will not help.
func (v *Verifier) invalid(vd *Verdict, what string, err error) (*Verdict, error) {
	vd.finish(v.rekor != nil)
	vd.Verified, vd.Reason = false, what+": "+err.Error()
	return vd, &InputError{Image: vd.Image, Err: err}
}

// stopContext is stop for ctx having ended: its cause (context.Cause) is the reason.
func (v *Verifier) stopContext(ctx context.Context, vd *Verdict) (*Verdict, error) {
	check := IndeterminateCanceled
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		check = IndeterminateTimeout
	}
	return v.stop(vd, check, context.Cause(ctx))
}

// concludePanic makes vd indeterminate after a panic: whatever checks had passed, the
// verification did not finish.
func (v *Verifier) concludePanic(vd *Verdict, pe *panicError) (*Verdict, error) {
	vd.finish(v.rekor != nil)
	vd.Verified, vd.Indeterminate = false, true
	vd.Reason = "internal error: " + fmt.Sprint(pe.value)
	return vd, &Indeterminate{Image: vd.Image, Check: IndeterminateInternal, Err: pe}
}

// errCheck turns a read error into a check: a 404 or authentic content failing a check
// (contentError) is a definite fail; anything else (network, any other status, timeout,
// auth, content that is not a valid object of the expected media type, digest and size)
// is an error: could not check.
func errCheck(name string, err error) Check {
	var ce *contentError
	if errors.Is(err, errNotFound) || errors.As(err, &ce) {
		return Check{Name: name, Status: StatusFail, Detail: err.Error()}
	}
	return Check{Name: name, Status: StatusError, Detail: err.Error()}
}

// CheckRevisionLabel is Verify's label check of an image config read without error: pass
// when its org.opencontainers.image.revision label is exactly pin (presence is not
// enough: base images leak the label), else fail with what it found. mcpbuild publish
// decides "already published" with it.
func CheckRevisionLabel(cfg *v1.ConfigFile, pin string) Check { return labelCheck(cfg, nil, pin) }

func labelCheck(cfg *v1.ConfigFile, err error, pin string) Check {
	if err != nil {
		return errCheck(CheckLabel, fmt.Errorf("reading image config: %w", err))
	}
	got, ok := cfg.Config.Labels[catalog.RevisionLabel]
	switch {
	case !ok:
		return Check{Name: CheckLabel, Status: StatusFail, Detail: "image config has no " + catalog.RevisionLabel + " label"}
	case got != pin:
		return Check{Name: CheckLabel, Status: StatusFail, Detail: fmt.Sprintf("label %s=%q, pin is %q", catalog.RevisionLabel, got, pin)}
	}
	return Check{Name: CheckLabel, Status: StatusPass, Detail: catalog.RevisionLabel + "=" + got}
}

func claimCheck(s signed, p Policy) Check {
	if s.sig.Status != StatusPass {
		return Check{Name: CheckSignedRevision, Status: StatusSkipped, Detail: "no verified signature"}
	}
	got, ok := s.claims[catalog.RevisionLabel]
	switch {
	case !ok && p.RequireSignedRevision:
		return Check{Name: CheckSignedRevision, Status: StatusFail, Detail: "signature carries no " + catalog.RevisionLabel + " claim"}
	case !ok:
		return Check{Name: CheckSignedRevision, Status: StatusSkipped, Detail: "signature carries no revision claim"}
	case got != p.Pin.Commit:
		return Check{Name: CheckSignedRevision, Status: StatusFail, Detail: fmt.Sprintf("signed claim %s=%q, pin is %q", catalog.RevisionLabel, got, p.Pin.Commit)}
	}
	return Check{Name: CheckSignedRevision, Status: StatusPass, Detail: "signed " + catalog.RevisionLabel + "=" + got}
}
