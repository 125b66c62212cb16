package verify_test

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/verify"
)

func TestImagePatternMatches(t *testing.T) {
	cases := []struct {
		pattern string
		image   string
		want    bool
	}{
		{"mcp/github", "mcp/github", true},
		{"mcp/github", "ghcr.io/mcp/github", true}, // no host: any registry
		{"mcp/github", "mcp/github-x", false},
		{"mcp/*", "mcp/github", true},
		{"mcp/*", "mcp/a/b", false},
		{"mcp/**", "mcp/a/b", true},
		{"mcp/**", "other/a", false},
		{"mcp/git*", "mcp/github", true},
		{"ghcr.io/acme/**", "ghcr.io/acme/x/y", true},
		{"ghcr.io/acme/**", "quay.io/acme/x", false},
		{"ghcr.io/acme/**", "acme/x", false},
		{"docker.io/mcp/*", "mcp/github", true}, // docker.io is index.docker.io
		{"docker.io/mcp/*", "index.docker.io/mcp/github", true},
		{"localhost:5000/mcp/*", "localhost:5000/mcp/a", true},
		{"localhost:5000/mcp/*", "localhost:5001/mcp/a", false},
		{"**", "anything/at/all", true},
	}
	for _, c := range cases {
		p, err := verify.ParseImagePattern(c.pattern)
		if err != nil {
			t.Fatalf("ParseImagePattern(%q) = %v", c.pattern, err)
		}
		repo, err := name.NewRepository(c.image)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Matches(repo); got != c.want {
			t.Errorf("%q.Matches(%s) = %v, want %v", c.pattern, c.image, got, c.want)
		}
	}
	for _, bad := range []string{"", "MCP/x", "mcp/x:latest", "mcp/x@sha256:00", "ghcr.io:5000/a:b", "*.io/acme/x", "mcp/***", "/mcp", "mcp//x", "mcp/"} {
		if _, err := verify.ParseImagePattern(bad); err == nil {
			t.Errorf("ParseImagePattern(%q) accepted", bad)
		}
	}
}

// The winner rule: exact over glob, then a registry host over none, then the longest
// literal prefix; equal ones are ambiguous.
func TestImagePatternPrecedence(t *testing.T) {
	cases := []struct {
		a, b      string
		more      bool // a wins over b
		ambiguous bool
	}{
		{"mcp/github", "mcp/*", true, false},
		{"mcp/github", "ghcr.io/mcp/*", true, false},
		{"ghcr.io/mcp/*", "mcp/*", true, false},
		{"ghcr.io/mcp/*", "mcp/github/**", true, false},
		{"mcp/git*", "mcp/*", true, false},
		{"mcp/*", "**", true, false},
		{"mcp/*", "mcp/**", false, true},
		{"mcp/**", "mcp/*", false, true},
		{"mcp/a*", "mcp/b*", false, false}, // same length, cannot both match
		{"mcp/github", "mcp/github", false, true},
		{"docker.io/mcp/x", "index.docker.io/mcp/x", false, true},
		{"mcp/x", "docker.io/mcp/x", false, false},
	}
	for _, c := range cases {
		a, err := verify.ParseImagePattern(c.a)
		if err != nil {
			t.Fatal(err)
		}
		b, err := verify.ParseImagePattern(c.b)
		if err != nil {
			t.Fatal(err)
		}
		if got := a.MoreSpecific(b); got != c.more {
			t.Errorf("%q.MoreSpecific(%q) = %v, want %v", c.a, c.b, got, c.more)
		}
		if got := a.Ambiguous(b); got != c.ambiguous {
			t.Errorf("%q.Ambiguous(%q) = %v, want %v", c.a, c.b, got, c.ambiguous)
		}
	}
}
