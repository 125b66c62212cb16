package verify

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// ImagePattern is a pattern of image repositories a publisher covers:
//
//   - an exact repository, "mcp/github" or "ghcr.io/acme/server";
//   - a glob, where "*" matches within one path segment and "**", written as a whole
//     segment only, one or more whole segments: "mcp/*", "ghcr.io/acme/**",
//     "acme/**/server" ("**" alone covers every repository; "mcp**" is refused).
//
// A pattern whose first segment is a registry host (it has a "." or a ":", or is
// "localhost") matches repositories of that registry only; without one it matches the
// repository path on any registry, as catalog images do. Tags and digests are not part of
// a pattern, nor are wildcards in the host, nor "." or ".." segments.
//
// Registries are compared in one canonical spelling, the pattern's and the image's alike
// (canonicalRegistry): the host in lower case, without the port 443 of an https registry,
// and Docker Hub's names (docker.io, index.docker.io, registry-1.docker.io) as one. So
// GHCR.IO/acme/x and ghcr.io:443/acme/x are covered by ghcr.io/acme/**. A reference
// whose registry or path has no unambiguous canonical spelling (a trailing dot, a port
// with leading zeros, an all-numeric host, a "." or ".." or empty segment) is covered by
// no pattern: PolicyVerifier.Verify refuses it as an InputError.
//
// Docker Hub stores an official image under library/: the pattern docker.io/nginx is
// docker.io/library/nginx, as the reference parser reads the image docker.io/nginx. A
// one-segment pattern without a registry ("nginx", "mcp-*") is refused: it would be
// library/nginx on Docker Hub and nginx elsewhere.
//
// When several patterns cover an image, the most specific wins: an exact repository over
// a glob, then a pattern naming a registry over one that does not, then the longest
// literal prefix (the text before the first wildcard). Two patterns of different
// publishers that could tie (both exact or both globs, both with or both without a
// registry, and the same literal prefix) are ambiguous: NewPolicyVerifier refuses them.
type ImagePattern struct {
	raw    string
	host   bool
	exact  bool
	prefix string // literal text before the first wildcard (all of it when exact), canonical
	re     *regexp.Regexp
}

var patternChars = regexp.MustCompile(`^[a-z0-9._/:*-]+$`)

// ParseImagePattern parses a pattern (see ImagePattern).
func ParseImagePattern(s string) (ImagePattern, error) {
	p := ImagePattern{raw: s}
	switch {
	case s == "":
		return p, fmt.Errorf("empty image pattern")
	case !patternChars.MatchString(s):
		return p, fmt.Errorf("image pattern %q: only lowercase letters, digits, '.', '_', '-', '/', ':' and the wildcards '*' and '**'", s)
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.Contains(s, "//"):
		return p, fmt.Errorf("image pattern %q: empty path segment", s)
	}
	path, host := s, ""
	if first, rest, ok := strings.Cut(s, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		if strings.Contains(first, "*") {
			return p, fmt.Errorf("image pattern %q: no wildcard in the registry host", s)
		}
		reg, err := name.NewRegistry(first)
		if err != nil {
			return p, fmt.Errorf("image pattern %q: registry: %w", s, err)
		}
		if host, err = canonicalRegistry(reg); err != nil {
			return p, fmt.Errorf("image pattern %q: %w", s, err)
		}
		p.host, path = true, rest
	}
	if strings.Contains(path, ":") {
		return p, fmt.Errorf("image pattern %q: a tag or digest is not part of a pattern", s)
	}
	segs := strings.Split(path, "/")
	for _, seg := range segs {
		switch {
		case seg == "." || seg == "..":
			return p, fmt.Errorf("image pattern %q: path segment %q", s, seg)
		case strings.Contains(seg, "**") && seg != "**":
			return p, fmt.Errorf("image pattern %q: '**' only as a whole path segment (%q); '*' matches within one", s, seg)
		}
	}
	if len(segs) == 1 && segs[0] != "**" {
		switch {
		case !p.host:
			return p, fmt.Errorf("image pattern %q: one path segment without a registry is ambiguous: Docker Hub's official images are library/<name> (write docker.io/%s), elsewhere write <registry>/%s", s, path, path)
		case host == name.DefaultRegistry:
			segs = append([]string{"library"}, segs...)
		}
	}
	full := strings.Join(segs, "/")
	if p.host {
		full = host + "/" + full
	}
	i := strings.Index(full, "*")
	p.exact = i < 0
	if p.exact {
		p.prefix = full
		if _, err := name.NewRepository(full); err != nil {
			return p, fmt.Errorf("image pattern %q: %w", p.raw, err)
		}
	} else {
		p.prefix = full[:i]
	}
	re := make([]string, len(segs))
	for j, seg := range segs {
		if seg == "**" {
			re[j] = `[^/]+(?:/[^/]+)*`
			continue
		}
		parts := strings.Split(seg, "*")
		for k := range parts {
			parts[k] = regexp.QuoteMeta(parts[k])
		}
		re[j] = strings.Join(parts, `[^/]*`)
	}
	expr := strings.Join(re, "/")
	if p.host {
		expr = regexp.QuoteMeta(host) + "/" + expr
	}
	p.re = regexp.MustCompile("^" + expr + "$")
	return p, nil
}

// String returns the pattern as written.
func (p ImagePattern) String() string { return p.raw }

// Matches reports whether the pattern covers repo; never when repo has no canonical
// spelling (see ImagePattern).
func (p ImagePattern) Matches(repo name.Repository) bool {
	key, err := canonicalRepo(repo)
	return err == nil && p.matches(key)
}

// matches reports whether the pattern covers the canonical repository key
// (canonicalRepo).
func (p ImagePattern) matches(key string) bool {
	if p.re == nil {
		return false
	}
	if p.host {
		return p.re.MatchString(key)
	}
	_, path, _ := strings.Cut(key, "/")
	return p.re.MatchString(path)
}

// MoreSpecific reports whether p wins over q when both cover an image (see ImagePattern).
func (p ImagePattern) MoreSpecific(q ImagePattern) bool {
	switch {
	case p.exact != q.exact:
		return p.exact
	case p.host != q.host:
		return p.host
	}
	return len(p.prefix) > len(q.prefix)
}

// Ambiguous reports whether p and q could cover one image with neither more specific.
func (p ImagePattern) Ambiguous(q ImagePattern) bool {
	return p.exact == q.exact && p.host == q.host && p.prefix == q.prefix
}
