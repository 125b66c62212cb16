package verify

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/in-toto/in-toto-golang/in_toto"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/mcpbuild/mcpbuild/sign"
)

const inTotoPayloadType = "application/vnd.in-toto+json"

// checkProvenance verifies the SLSA v1 provenance attestations stored at
// <sigrepo>:sha256-<hex>.att (cosign layout, DSSE envelopes): the envelope verifies with
// the key, its Rekor bundle verifies (unless the tlog is skipped), the subject is this
// digest and the git source is the pinned project at the pinned commit (and, for the
// build context, in the pinned directory).
//
// Without a .att manifest, and when provenance is required or the image has no legacy
// signature either (so the referrers are read anyway), it looks for SLSA v1 provenance in
// cosign v3's format: Sigstore bundles stored as referrers, verified with sigstore-go.
func (v *Verifier) checkProvenance(ctx context.Context, refs *referrers, digest v1.Hash, m *manifest, err error, p Policy, lookReferrers bool) Check {
	sigRepo := refs.sigRepo
	absent := func(why string) Check {
		if p.Provenance == ProvenanceRequired {
			return fail(CheckProvenance, why+" (provenance required)")
		}
		return skipped(CheckProvenance, why)
	}
	if errors.Is(err, errNotFound) {
		if lookReferrers || p.Provenance == ProvenanceRequired {
			if c, found := v.bundleProvenance(ctx, refs, digest, p); found {
				return c
			}
		}
		return absent("no attestations for " + digest.String() + " in " + sigRepo.Name())
	}
	if err != nil {
		return errCheck(CheckProvenance, fmt.Errorf("looking up attestations in %s: %w", sigRepo, err))
	}
	am, err := parseManifest(m.Raw)
	if err != nil {
		return errCheck(CheckProvenance, err)
	}
	var layers []v1.Descriptor
	for _, l := range am.Layers {
		if pt, ok := l.Annotations["predicateType"]; ok && pt != slsa1.PredicateSLSAProvenance {
			continue // another kind of attestation (SBOM...), not ours to judge
		}
		layers = append(layers, l)
	}
	if len(layers) > maxSignatures {
		layers = layers[:maxSignatures]
	}
	results := make([]Check, len(layers))
	fns := make([]func(context.Context), len(layers))
	for i, l := range layers {
		fns[i] = func(ctx context.Context) { results[i] = v.checkAttestation(ctx, sigRepo, l, digest, p) }
	}
	fetchAll(ctx, fns...)
	if c, ok := bestAttestation(results); ok {
		return c
	}
	return absent("no SLSA v1 provenance among the attestations of " + digest.String())
}

// bestAttestation picks the outcome of several attestations: one that passes; else one
// that could not be checked (it might have passed); else the first failure.
func bestAttestation(results []Check) (Check, bool) {
	for _, want := range []Status{StatusPass, StatusError, StatusFail} {
		for _, r := range results {
			if r.Status == want {
				return r, true
			}
		}
	}
	return Check{}, false
}

func (v *Verifier) checkAttestation(ctx context.Context, sigRepo name.Repository, l v1.Descriptor, digest v1.Hash, p Policy) Check {
	env, err := v.reg.descriptorContent(ctx, sigRepo, l, maxBlob)
	if err != nil {
		return errCheck(CheckProvenance, fmt.Errorf("reading attestation: %w", err))
	}
	var e struct {
		Payload string `json:"payload"`
	}
	if err := json.Unmarshal(env, &e); err != nil {
		return fail(CheckProvenance, fmt.Sprintf("parsing attestation envelope: %v", err))
	}
	stmtJSON, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		return fail(CheckProvenance, fmt.Sprintf("decoding attestation payload: %v", err))
	}
	// An attestation that does not even claim to be SLSA v1 provenance (an SBOM, a scan,
	// perhaps by another party) is not this check's business; ignoring it can only make
	// provenance absent. One that claims to be provenance must verify.
	var hdr in_toto.StatementHeader
	if json.Unmarshal(stmtJSON, &hdr) == nil && hdr.PredicateType != "" && hdr.PredicateType != slsa1.PredicateSLSAProvenance {
		return skipped(CheckProvenance, "attestation of predicate type "+hdr.PredicateType)
	}
	dv := dsse.WrapVerifier(v.sigVer, dsse.WithExpectedPayloadType(inTotoPayloadType))
	if err := dv.VerifySignature(bytes.NewReader(env), nil); err != nil {
		return fail(CheckProvenance, fmt.Sprintf("attestation envelope does not verify with the key: %v", err))
	}
	if v.rekor != nil {
		var b *bundle.RekorBundle
		if raw, ok := l.Annotations[sign.BundleAnnotation]; ok {
			b = &bundle.RekorBundle{}
			_ = json.Unmarshal([]byte(raw), b) // a bad bundle fails verifyRekorBundle
		}
		tl := v.verifyRekorBundle(ctx, b, []string{"intoto", "dsse"}, func(o ...static.Option) (oci.Signature, error) {
			return static.NewAttestation(env, o...)
		})
		if tl.Status != StatusPass {
			tl.Name, tl.Detail = CheckProvenance, "attestation transparency log: "+tl.Detail
			return tl
		}
	}
	return provenanceMatches(stmtJSON, digest, p)
}

// provenanceMatches checks a verified in-toto statement: SLSA v1, subject == digest, the
// build context (configSource) is the pinned project (or its mirror) at the pinned commit
// in the pinned directory, and every other git source naming the project is at the pinned
// commit. With no project in the pin, the build context and every source with a sha1
// digest are compared by commit.
func provenanceMatches(stmtJSON []byte, digest v1.Hash, p Policy) Check {
	pin := p.Pin
	var st struct {
		in_toto.StatementHeader
		Predicate slsa1.ProvenancePredicate `json:"predicate"`
	}
	if err := json.Unmarshal(stmtJSON, &st); err != nil {
		return fail(CheckProvenance, fmt.Sprintf("parsing provenance statement: %v", err))
	}
	if st.PredicateType != slsa1.PredicateSLSAProvenance {
		return fail(CheckProvenance, fmt.Sprintf("predicate type %q is not SLSA v1", st.PredicateType))
	}
	subjectOK := false
	for _, s := range st.Subject {
		if s.Digest["sha256"] == digest.Hex {
			subjectOK = true
		}
	}
	if !subjectOK {
		return fail(CheckProvenance, "provenance subject is not "+digest.String())
	}
	projects := p.projects()
	isProject := func(uri string) bool { return slices.Contains(projects, normalizeGitURI(uri)) }
	// The build context (configSource) is what the image was built from: it must be the
	// pinned project (or its mirror) at the pinned commit, in the pinned directory. A
	// dependency fetched during the build that happens to be the project proves nothing.
	rd, ok := configSource(st.Predicate.BuildDefinition.ExternalParameters)
	switch {
	case !ok || rd.URI == "":
		return fail(CheckProvenance, "provenance records no build context (buildDefinition.externalParameters.configSource with a uri)")
	case projects != nil && !isProject(rd.URI):
		also := ""
		if m, ok := p.mirrored(); ok {
			also = fmt.Sprintf(" or its mirror %q", m)
		}
		return fail(CheckProvenance, fmt.Sprintf("provenance build context %s is not project %q%s", rd.URI, pin.Project, also))
	case rd.Digest["sha1"] != pin.Commit:
		return fail(CheckProvenance, fmt.Sprintf("provenance build context %s is at commit %q, pin is %q", rd.URI, rd.Digest["sha1"], pin.Commit))
	}
	// With no project in the pin, the directory is unknown.
	if projects != nil {
		if got := gitSubdir(rd.URI); got != cleanDir(pin.Directory) {
			return fail(CheckProvenance, fmt.Sprintf("provenance build context %s is directory %q, pin is %q", rd.URI, got, cleanDir(pin.Directory)))
		}
	}
	sources := append([]slsa1.ResourceDescriptor{rd}, st.Predicate.BuildDefinition.ResolvedDependencies...)
	for _, s := range sources {
		// Without a project in the pin (--commit alone), every git source is compared.
		if projects == nil && s.Digest["sha1"] == "" || projects != nil && !isProject(s.URI) {
			continue
		}
		if got := s.Digest["sha1"]; got != pin.Commit {
			return fail(CheckProvenance, fmt.Sprintf("provenance source %s is at commit %q, pin is %q", s.URI, got, pin.Commit))
		}
	}
	from := pin.Project + "@" + pin.Commit
	if d := cleanDir(pin.Directory); d != "." {
		from += " (directory " + d + ")"
	}
	if m, ok := p.mirrored(); ok {
		from += " (or its mirror " + m + ")"
	}
	if pin.Project == "" {
		from = "commit " + pin.Commit + " (pin has no project: sources compared by commit)"
	}
	return Check{Name: CheckProvenance, Status: StatusPass, Detail: fmt.Sprintf("SLSA v1 provenance for %s built from %s", digest, from)}
}

// configSource reads externalParameters.configSource (BuildKit's build context).
func configSource(ep any) (slsa1.ResourceDescriptor, bool) {
	var rd slsa1.ResourceDescriptor
	m, ok := ep.(map[string]any)
	if !ok {
		return rd, false
	}
	cs, ok := m["configSource"].(map[string]any)
	if !ok {
		return rd, false
	}
	b, err := json.Marshal(cs)
	if err != nil || json.Unmarshal(b, &rd) != nil {
		return rd, false
	}
	return rd, true
}

// bundleProvenance checks SLSA v1 provenance bundles stored as referrers; found is false
// when there are none.
func (v *Verifier) bundleProvenance(ctx context.Context, refs *referrers, digest v1.Hash, p Policy) (Check, bool) {
	refs.load(ctx, v)
	if refs.err != nil {
		return errCheck(CheckProvenance, fmt.Errorf("looking up attestations in %s: %w", refs.sigRepo, refs.err)), true
	}
	var results []Check
	for _, rb := range refs.of(slsa1.PredicateSLSAProvenance) {
		var c Check
		switch {
		case rb.err != nil:
			c = errCheck(CheckProvenance, fmt.Errorf("reading attestation bundle: %w", rb.err))
		default:
			r, err := v.checkBundle(ctx, rb.raw, digest, slsa1.PredicateSLSAProvenance)
			if err != nil {
				if rb.predicateType == "" {
					continue // an unannotated bundle of another kind (the signature)
				}
				c = fail(CheckProvenance, "attestation bundle: "+err.Error())
			} else if r.tlog.Status != StatusPass && r.tlog.Status != StatusSkipped {
				c = r.tlog
				c.Name, c.Detail = CheckProvenance, "attestation transparency log: "+c.Detail
			} else {
				c = provenanceMatches(r.payload, digest, p)
			}
		}
		results = append(results, c)
	}
	return bestAttestation(results)
}

// gitSubdir returns the directory a BuildKit git context selects: "dir" in
// URL#ref:dir or URL?ref=...&subdir=dir, cleaned ("." for the repository root).
func gitSubdir(uri string) string {
	if _, frag, ok := strings.Cut(uri, "#"); ok {
		_, dir, _ := strings.Cut(frag, ":")
		return cleanDir(dir)
	}
	if i := strings.Index(uri, "?"); i >= 0 {
		if q, err := url.ParseQuery(uri[i+1:]); err == nil {
			return cleanDir(q.Get("subdir"))
		}
	}
	return "."
}

// cleanDir cleans a repository-relative directory; the root is ".".
func cleanDir(d string) string {
	return path.Clean("./" + strings.Trim(d, "/"))
}

// normalizeGitURI reduces a git URL to host/path for comparison: no scheme, "git+"
// prefix, user info, fragment, query, "@ref" suffix, ".git" or trailing slash.
func normalizeGitURI(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "git+")
	if i := strings.IndexAny(s, "#?"); i >= 0 {
		s = s[:i]
	}
	if u, err := url.Parse(s); err == nil && u.Host != "" {
		s = strings.ToLower(u.Host) + u.Path
	}
	if i := strings.LastIndex(s, "@"); i > strings.LastIndex(s, "/") {
		s = s[:i]
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	return s
}
