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
//   - a glob, where "*" matches within one path segment and "**" any number of them,
//     "mcp/*" or "ghcr.io/acme/**" ("**" alone covers every repository).
//
// A pattern whose first segment is a registry host (it has a "." or a ":", or is
// "localhost"; docker.io is Docker Hub's index.docker.io) matches repositories of that
// registry only; without one it matches the repository path on any registry, as catalog
// images do. Tags and digests are not part of a pattern, nor are wildcards in the host.
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
	prefix string // literal text before the first wildcard (all of it when exact)
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
	case strings.Contains(s, "***"):
		return p, fmt.Errorf("image pattern %q: '***' is not a wildcard ('*' within a segment, '**' across segments)", s)
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.Contains(s, "//"):
		return p, fmt.Errorf("image pattern %q: empty path segment", s)
	}
	first, rest, hasRest := strings.Cut(s, "/")
	if hasRest && (strings.ContainsAny(first, ".:") || first == "localhost") {
		if strings.Contains(first, "*") {
			return p, fmt.Errorf("image pattern %q: no wildcard in the registry host", s)
		}
		reg, err := name.NewRegistry(first)
		if err != nil {
			return p, fmt.Errorf("image pattern %q: registry: %w", s, err)
		}
		p.host = true
		s = reg.RegistryStr() + "/" + rest
	} else if strings.Contains(s, ":") {
		return p, fmt.Errorf("image pattern %q: a tag or digest is not part of a pattern", s)
	}
	if strings.Contains(strings.TrimPrefix(s, firstSegment(s)), ":") {
		return p, fmt.Errorf("image pattern %q: a tag or digest is not part of a pattern", p.raw)
	}
	i := strings.Index(s, "*")
	p.exact = i < 0
	if p.exact {
		p.prefix = s
		if _, err := name.NewRepository(s); err != nil {
			return p, fmt.Errorf("image pattern %q: %w", p.raw, err)
		}
	} else {
		p.prefix = s[:i]
	}
	var re strings.Builder
	re.WriteString("^")
	for j := 0; j < len(s); {
		switch {
		case strings.HasPrefix(s[j:], "**"):
			re.WriteString(".*")
			j += 2
		case s[j] == '*':
			re.WriteString("[^/]*")
			j++
		default:
			k := j
			for k < len(s) && s[k] != '*' {
				k++
			}
			re.WriteString(regexp.QuoteMeta(s[j:k]))
			j = k
		}
	}
	re.WriteString("$")
	p.re = regexp.MustCompile(re.String())
	return p, nil
}

func firstSegment(s string) string {
	first, _, _ := strings.Cut(s, "/")
	return first
}

// String returns the pattern as written.
func (p ImagePattern) String() string { return p.raw }

// Matches reports whether the pattern covers repo.
func (p ImagePattern) Matches(repo name.Repository) bool {
	if p.re == nil {
		return false
	}
	if p.host {
		return p.re.MatchString(repo.RegistryStr() + "/" + repo.RepositoryStr())
	}
	return p.re.MatchString(repo.RepositoryStr())
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
