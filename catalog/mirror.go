package catalog

import (
	"fmt"
	"net/url"
	"strings"
)

// Mirror rewrites project URLs that start with From to start with To instead, like git's
// url.<To>.insteadOf=<From> (mcpbuild and mcpverify --source-mirror FROM=TO). mcpbuild
// fetches the rewritten URL (labels keep the catalog's project; the provenance names the
// mirror), and mcpverify counts the rewritten URL as the pinned project. The commit is
// compared as always: a mirror only widens which URL may carry it.
type Mirror struct {
	From string
	To   string
}

// mirrorSchemes are the URL schemes BuildKit fetches git contexts from.
var mirrorSchemes = map[string]bool{"https": true, "http": true, "git": true, "ssh": true}

// ParseMirror parses "FROM=TO" (surrounding spaces trimmed) and checks it (Validate).
func ParseMirror(s string) (Mirror, error) {
	from, to, ok := strings.Cut(s, "=")
	if !ok {
		return Mirror{}, fmt.Errorf("source mirror %q: want FROM=TO", s)
	}
	m := Mirror{From: strings.TrimSpace(from), To: strings.TrimSpace(to)}
	if err := m.check(); err != nil {
		return Mirror{}, fmt.Errorf("source mirror %q: %v", s, err)
	}
	return m, nil
}

// Validate says why m is not a usable mirror: FROM is a non-empty URL prefix; TO is an
// absolute URL prefix with a host and a scheme BuildKit can fetch git from (https, http,
// git, ssh). Neither has surrounding whitespace.
func (m Mirror) Validate() error {
	if err := m.check(); err != nil {
		return fmt.Errorf("source mirror %q: %v", m.From+"="+m.To, err)
	}
	return nil
}

func (m Mirror) check() error {
	switch {
	case m.From == "":
		return fmt.Errorf("empty FROM prefix")
	case m.To == "":
		return fmt.Errorf("empty TO prefix")
	case strings.TrimSpace(m.From) != m.From || strings.TrimSpace(m.To) != m.To:
		return fmt.Errorf("FROM and TO must not have leading or trailing whitespace")
	}
	u, err := url.Parse(m.To)
	if err != nil {
		return fmt.Errorf("TO is not a URL: %v", err) // %v: a *url.Error would read as a network fault
	}
	if !mirrorSchemes[u.Scheme] {
		return fmt.Errorf("TO must start with https://, http://, git:// or ssh://")
	}
	if u.Host == "" {
		return fmt.Errorf("TO has no host")
	}
	return nil
}

// Mirrors is an ordered set of rewrites.
type Mirrors []Mirror

// ParseMirrors parses each "FROM=TO" (ParseMirror), drops exact repeats, and rejects a
// FROM given twice with different TOs.
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

// Validate checks each mirror (Mirror.Validate) and rejects a FROM that maps to two
// different TOs, as ParseMirrors does.
func (ms Mirrors) Validate() error {
	seen := map[string]string{}
	for _, m := range ms {
		if err := m.Validate(); err != nil {
			return err
		}
		if prev, ok := seen[m.From]; ok && prev != m.To {
			return fmt.Errorf("source mirror %q: FROM %q already maps to %q", m.From+"="+m.To, m.From, prev)
		}
		seen[m.From] = m.To
	}
	return nil
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
