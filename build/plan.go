package build

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
	"github.com/moby/buildkit/util/sshutil"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// Frontend and exporter settings of every plan.
const (
	frontendDockerfile = "dockerfile.v0"
	// sourceDateEpochContext makes the dockerfile frontend (BuildKit >= 0.23) resolve
	// SOURCE_DATE_EPOCH to the committer time of the git context's commit, i.e. of the
	// pin itself, inside buildkitd. The client needs no git access and never clones.
	sourceDateEpochContext = "context"
)

// PlanOptions are the inputs of Plan other than the catalog entry.
type PlanOptions struct {
	// Registry is the registry host[:port] to push to; one of Registry and Prefix is
	// required (catalog.Destination).
	Registry string
	// Prefix is the repository prefix HOST[:PORT][/PATH] to push under instead
	// (catalog.Destination.Prefix: the image's path, its registry host dropped).
	Prefix string
	// Tag is pushed along with the digest; catalog.DefaultTag when empty. It is the
	// primary tag: Result.Tag.
	Tag string
	// ExtraTags are pushed too, for the same digest, in one export (Result.ExtraTags).
	ExtraTags []string
	// Mirrors rewrite the project URL before it is fetched.
	Mirrors catalog.Mirrors
	// Insecure pushes over plain HTTP. Loopback and localhost registries always are
	// (the go-containerregistry rule: name.Registry.Scheme() == "http").
	Insecure bool
	// Platforms are the normalized platforms to build (ParsePlatforms): one builds that
	// platform's image, several one image index. Empty: the daemon's platform.
	Platforms []string
	// NoCache ignores BuildKit's build cache (the git checkout is still shared).
	NoCache bool
	// BaseImages replace FROM images in every build (ParseBaseImages), as BuildKit
	// named build contexts; the Dockerfiles are not changed.
	BaseImages []BaseImage
}

// Plan returns the SolveOpt that builds s: pure, no I/O. It does not set SolveOpt.Ref or
// Session; the Builder does.
func Plan(s *catalog.Server, opts PlanOptions) (*client.SolveOpt, error) {
	if s == nil {
		return nil, fmt.Errorf("planning build: nil server")
	}
	if !s.Buildable() {
		return nil, fmt.Errorf("planning build for server %s: type %q is not built from source", s.Name, s.Type)
	}
	ctxURL, err := ContextURL(s, opts.Mirrors)
	if err != nil {
		return nil, err
	}
	tags, err := imageTags(s, opts)
	if err != nil {
		return nil, err
	}
	tag := tags[0]
	attrs := map[string]string{
		"context": ctxURL,
		// Set on every image, overriding any inherited from a base image or the Dockerfile.
		"label:" + catalog.RevisionLabel: s.Source.Commit,
		"label:" + catalog.SourceLabel:   s.Source.Project,
		"build-arg:SOURCE_DATE_EPOCH":    sourceDateEpochContext,
	}
	if df := s.Source.Dockerfile; df != "" {
		if err := checkRelPath(df); err != nil {
			return nil, fmt.Errorf("planning build for server %s: source.dockerfile %q: %w", s.Name, df, err)
		}
		attrs["filename"] = path.Clean(df)
	}
	if t := s.Source.BuildTarget; t != "" {
		attrs["target"] = t
	}
	if len(opts.Platforms) > 0 {
		ps, err := ParsePlatforms(opts.Platforms)
		if err != nil {
			return nil, fmt.Errorf("planning build for server %s: %w", s.Name, err)
		}
		attrs["platform"] = strings.Join(ps, ",")
	}
	if opts.NoCache {
		attrs["no-cache"] = ""
	}
	bases, err := baseImageAttrs(opts.BaseImages)
	if err != nil {
		return nil, fmt.Errorf("planning build for server %s: %w", s.Name, err)
	}
	for k, v := range bases {
		attrs[k] = v
	}
	exp := map[string]string{
		"name":              joinTags(tags), // every tag, one digest
		"push":              "true",
		"oci-mediatypes":    "true",
		"rewrite-timestamp": "true",
	}
	if opts.Insecure || tag.Registry.Scheme() == "http" {
		exp["registry.insecure"] = "true"
	}
	return &client.SolveOpt{
		Frontend:      frontendDockerfile,
		FrontendAttrs: attrs,
		Exports:       []client.ExportEntry{{Type: client.ExporterImage, Attrs: exp}},
	}, nil
}

// imageTags are where s is pushed: catalog.Server.ImageRef under the registry or prefix,
// which a build requires, with strict validation; Tag first, then ExtraTags (no two the
// same).
func imageTags(s *catalog.Server, opts PlanOptions) ([]name.Tag, error) {
	dst := catalog.Destination{Registry: opts.Registry, Prefix: opts.Prefix}
	if dst.IsZero() {
		return nil, fmt.Errorf("planning build for server %s: no registry given", s.Name)
	}
	var out []name.Tag
	seen := map[string]bool{}
	for _, tag := range append([]string{opts.Tag}, opts.ExtraTags...) {
		t, err := s.ImageRef(dst, tag, name.StrictValidation)
		if err != nil {
			return nil, fmt.Errorf("planning build for server %s: %w", s.Name, err)
		}
		if seen[t.TagStr()] {
			return nil, fmt.Errorf("planning build for server %s: tag %q given twice", s.Name, t.TagStr())
		}
		seen[t.TagStr()] = true
		out = append(out, t)
	}
	return out, nil
}

// joinTags is the image exporter's name attribute: several names, comma-separated.
func joinTags(tags []name.Tag) string {
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = t.String()
	}
	return strings.Join(names, ",")
}

// ContextURL returns the git context BuildKit fetches for s: the (mirrored) project URL,
// "#<commit>" and ":<directory>" (catalog.Server.ContextURL of the mirrored project). A
// commit SHA as the ref makes BuildKit check out exactly that commit; the branch is never
// consulted. The result is parsed back with BuildKit's own git reference parser, and
// refused unless BuildKit will read it as a git remote at exactly the pinned commit and
// directory.
func ContextURL(s *catalog.Server, mirrors catalog.Mirrors) (string, error) {
	src := s.Source
	if !catalog.IsCommit(src.Commit) {
		return "", fmt.Errorf("planning build for server %s: source.commit %q is not a full 40-character lowercase hex commit", s.Name, src.Commit)
	}
	if src.Project == "" {
		return "", fmt.Errorf("planning build for server %s: source.project is empty", s.Name)
	}
	remote := mirrors.Rewrite(src.Project)
	if err := checkRemote(remote); err != nil {
		return "", fmt.Errorf("planning build for server %s: project URL %q: %v", s.Name, remote, err)
	}
	dir := ""
	if d := src.Directory; d != "" {
		if err := checkRelPath(d); err != nil {
			return "", fmt.Errorf("planning build for server %s: source.directory %q: %w", s.Name, d, err)
		}
		if c := path.Clean(d); c != "." {
			dir = c
		}
	}
	mirrored := *s
	mirrored.Source.Project = remote
	ref := mirrored.ContextURL()
	// Ask BuildKit's parser what it will fetch. Its error is kept as text (%v): it may be
	// a *url.Error, which must not read as a network fault.
	g, isGit, err := dfgitutil.ParseGitRef(ref)
	switch {
	case err != nil || !isGit:
		return "", fmt.Errorf("planning build for server %s: project URL %q is not a git remote BuildKit can fetch (https, http, git, ssh or user@host:path): %v", s.Name, remote, err)
	case g.Ref != src.Commit || g.SubDir != dir:
		return "", fmt.Errorf("planning build for server %s: BuildKit would read context %q as ref %q, directory %q; want commit %s, directory %q", s.Name, ref, g.Ref, g.SubDir, src.Commit, dir)
	}
	return ref, nil
}

// checkRemote rejects what BuildKit cannot fetch or would read as more than a remote.
func checkRemote(remote string) error {
	if strings.ContainsAny(remote, "#? \t\r\n") {
		return fmt.Errorf("must not have a query or fragment or contain whitespace; the commit goes in source.commit")
	}
	scheme, _, ok := strings.Cut(remote, "://")
	if !ok {
		if !sshutil.IsImplicitSSHTransport(remote) {
			return fmt.Errorf("want https://, http://, git://, ssh:// or scp-like user@host:path")
		}
		return nil
	}
	u, err := url.Parse(remote)
	if err != nil {
		return fmt.Errorf("%v", err)
	}
	switch scheme {
	case "https", "http", "git", "ssh":
		if u.Host == "" {
			return fmt.Errorf("no host")
		}
		return nil
	case "file":
		return fmt.Errorf("BuildKit cannot fetch file:// remotes; serve it over git:// or https:// and use --source-mirror")
	}
	return fmt.Errorf("unsupported scheme %q", scheme)
}

// checkRelPath rejects absolute paths and paths that leave their root.
func checkRelPath(p string) error {
	if strings.HasPrefix(p, "/") {
		return fmt.Errorf("must be relative")
	}
	if strings.ContainsAny(p, "#:?\\") {
		return fmt.Errorf("must not contain '#', ':', '?' or '\\'")
	}
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return fmt.Errorf("must not contain '..'")
		}
	}
	return nil
}
