package build

import (
	"fmt"
	"net/url"
	"strings"
)

// Mirror rewrites project URLs that start with From to start with To instead, like git's
// url.<To>.insteadOf=<From>. Labels keep the catalog's project URL; only the fetch and the
// provenance see the rewritten one.
type Mirror struct {
	From string
	To   string
}

// mirrorSchemes are the URL schemes BuildKit fetches git contexts from.
var mirrorSchemes = map[string]bool{"https": true, "http": true, "git": true, "ssh": true}

// ParseMirror parses "FROM=TO". FROM is a URL prefix; TO must be an absolute URL prefix
// with a scheme BuildKit can fetch git from.
func ParseMirror(s string) (Mirror, error) {
	from, to, ok := strings.Cut(s, "=")
	if !ok {
		return Mirror{}, fmt.Errorf("source mirror %q: want FROM=TO", s)
	}
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	if from == "" {
		return Mirror{}, fmt.Errorf("source mirror %q: empty FROM prefix", s)
	}
	if to == "" {
		return Mirror{}, fmt.Errorf("source mirror %q: empty TO prefix", s)
	}
	u, err := url.Parse(to)
	if err != nil {
		return Mirror{}, fmt.Errorf("source mirror %q: TO is not a URL: %v", s, err) // %v: a *url.Error would read as a network fault
	}
	if !mirrorSchemes[u.Scheme] {
		return Mirror{}, fmt.Errorf("source mirror %q: TO must start with https://, http://, git:// or ssh://", s)
	}
	if u.Host == "" {
		return Mirror{}, fmt.Errorf("source mirror %q: TO has no host", s)
	}
	return Mirror{From: from, To: to}, nil
}

// Mirrors is an ordered set of rewrites.
type Mirrors []Mirror

// ParseMirrors parses each "FROM=TO" and rejects a FROM given twice with different TOs.
func ParseMirrors(specs []string) (Mirrors, error) {
	var ms Mirrors
	seen := map[string]string{}
	for _, s := range specs {
		m, err := ParseMirror(s)
		if err != nil {
			return nil, err
		}
		if prev, ok := seen[m.From]; ok {
			if prev != m.To {
				return nil, fmt.Errorf("source mirror %q: FROM %q already maps to %q", s, m.From, prev)
			}
			continue
		}
		seen[m.From] = m.To
		ms = append(ms, m)
	}
	return ms, nil
}

// Rewrite returns u with the longest matching From prefix replaced by its To, as git
// does for insteadOf; u unchanged when nothing matches.
func (ms Mirrors) Rewrite(u string) string {
	best := -1
	for i, m := range ms {
		if strings.HasPrefix(u, m.From) && (best < 0 || len(m.From) > len(ms[best].From)) {
			best = i
		}
	}
	if best < 0 {
		return u
	}
	return ms[best].To + strings.TrimPrefix(u, ms[best].From)
}
