package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/in-toto/in-toto-golang/in_toto"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"

	"github.com/mcpbuild/mcpbuild/catalog"
)

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
		if got := gitSubdir(rd.URI); got != catalog.CleanDir(pin.Directory) {
			return fail(CheckProvenance, fmt.Sprintf("provenance build context %s is directory %q, pin is %q", rd.URI, got, catalog.CleanDir(pin.Directory)))
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
	if d := catalog.CleanDir(pin.Directory); d != "." {
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

// bundleProvenance checks SLSA v1 provenance bundles stored as referrers. found is false
// when none is by this key; the Check's Detail then says why when there were bundles by
// other keys (empty when there were none at all).
func (v *Verifier) bundleProvenance(ctx context.Context, refs *referrers, digest v1.Hash, p Policy) (Check, bool) {
	refs.load(ctx, v)
	if refs.err != nil {
		return errCheck(CheckProvenance, fmt.Errorf("looking up attestations in %s: %w", refs.sigRepo, refs.err)), true
	}
	var results []Check
	if refs.truncated != nil { // unless one of the first passes, the answer might be further down
		results = append(results, errCheck(CheckProvenance, refs.truncated))
	}
	others := 0
	for _, rb := range refs.of(slsa1.PredicateSLSAProvenance) { // one at a time
		c, byKey := v.checkProvenanceBundle(ctx, refs.sigRepo, rb, digest, p)
		switch {
		case !byKey && rb.predicateType != "":
			others++ // another party's attestation
		case !byKey: // an unannotated bundle of another kind (the signature), or another key's
		case c.Status == StatusPass:
			return c, true // the first that passes decides: read no more
		default:
			results = append(results, c)
		}
	}
	if c, ok := bestAttestation(results); ok {
		return c, true
	}
	if others > 0 {
		return Check{Detail: noneByKey(others, digest, refs.sigRepo)}, false
	}
	return Check{}, false
}

// checkProvenanceBundle checks one referrer bundle as SLSA v1 provenance of digest;
// byKey is false when it does not verify with the key, or (unannotated) is no
// provenance.
func (v *Verifier) checkProvenanceBundle(ctx context.Context, sigRepo name.Repository, rb referrerBundle, digest v1.Hash, p Policy) (Check, bool) {
	raw, release, err := v.bundleRaw(ctx, sigRepo, rb)
	defer release()
	if err != nil {
		return errCheck(CheckProvenance, fmt.Errorf("reading attestation bundle: %w", err)), true
	}
	r, err := v.checkBundle(ctx, raw, digest, slsa1.PredicateSLSAProvenance)
	var nk *notByKeyError
	switch {
	case isTransport(err):
		return errCheck(CheckProvenance, fmt.Errorf("reading attestation bundle: %w", err)), true
	case errors.As(err, &nk), err != nil && rb.predicateType == "":
		return Check{}, false
	case err != nil:
		return fail(CheckProvenance, "attestation bundle: "+err.Error()), true
	case r.tlog.Status != StatusPass && r.tlog.Status != StatusSkipped:
		c := r.tlog
		c.Name, c.Detail = CheckProvenance, "attestation transparency log: "+c.Detail
		return c, true
	}
	return provenanceMatches(r.payload, digest, p), true
}

// gitSubdir returns the directory a BuildKit git context selects, as BuildKit reads it
// (catalog.ParseGitContext), cleaned ("." for the repository root). It is "" (no
// directory) when the context names two, which BuildKit refuses.
func gitSubdir(uri string) string {
	g, err := catalog.ParseGitContext(uri)
	if err != nil {
		return ""
	}
	return catalog.CleanDir(g.Dir)
}

// mirrored returns the pin's project as fetched through the mirror that applies
// (catalog.Mirrors.Rewrite: the longest From prefix, as git and mcpbuild choose), and
// false when none applies.
func (p Policy) mirrored() (string, bool) {
	if p.Pin.Project == "" {
		return "", false
	}
	m := p.SourceMirrors.Rewrite(p.Pin.Project)
	return m, m != p.Pin.Project
}

// projects returns the normalized URLs that count as the pin's project: the project and
// its mirrored URL. Nil when the pin has no project.
func (p Policy) projects() []string {
	if p.Pin.Project == "" {
		return nil
	}
	out := []string{normalizeGitURI(p.Pin.Project)}
	if m, ok := p.mirrored(); ok {
		out = append(out, normalizeGitURI(m))
	}
	return out
}

// normalizeGitURI reduces a git URL to host/path for comparison: no scheme, "git+"
// prefix, user info, fragment, query, "@ref" suffix, ".git" or trailing slash. An
// scp-like address ([user@]host:path, a colon before any slash) is the ssh URL git reads
// in it.
func normalizeGitURI(s string) string {
	s = strings.TrimPrefix(strings.TrimSpace(s), "git+")
	if i := strings.IndexAny(s, "#?"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, ":"); i > 0 && !strings.Contains(s[:i], "/") && !strings.HasPrefix(s[i:], "://") {
		s = "ssh://" + s[:i] + "/" + strings.TrimPrefix(s[i+1:], "/")
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
