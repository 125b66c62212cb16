package catalog

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// mustFindByImage is FindByImage of the reference ref names; two matches fail the test.
func mustFindByImage(t *testing.T, servers []*Server, ref string) *Server {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	s, err := FindByImage(servers, r, Destination{})
	if err != nil {
		t.Fatalf("FindByImage(%s): %v", ref, err)
	}
	return s
}

// FindByImage finds every entry again where ImageRef says it is, with or without a
// registry, and nothing else.
func TestFindByImageRoundTrip(t *testing.T) {
	servers := []*Server{
		{Name: "a", Image: "mcp/a"},
		{Name: "b", Image: "ghcr.io/org/b"},
		{Name: "c", Image: "ghcr.io/org/c:1.0"},
		{Name: "d", Image: "localhost:5000/d"},
		{Name: "none"},
	}
	for _, s := range servers[:4] {
		for _, reg := range []string{"", "127.0.0.1:15000", "registry.example.com"} {
			ref, err := s.ImageRef(Destination{Registry: reg}, "v1")
			if err != nil && s.Name == "d" && reg != "" {
				continue // a host:port is not a repository path component
			}
			if err != nil {
				t.Fatalf("ImageRef(%s, %q): %v", s.Name, reg, err)
			}
			if got := mustFindByImage(t, servers, ref.String()); got != s {
				t.Errorf("FindByImage(%s) = %v, want %s", ref, got, s.Name)
			}
		}
	}
	for _, ref := range []string{"127.0.0.1:15000/org/b", "mcp/other", "ghcr.io/org/a", "localhost:5001/d"} {
		if got := mustFindByImage(t, servers, ref); got != nil {
			t.Errorf("FindByImage(%s) = %s, want none", ref, got.Name)
		}
	}
}

// The rule mcpverify's pin lookup used is the one rule: a reference two entries match is
// an error, never the first or the "exact" one (catalog.FindByImage used to prefer an
// exact repository match over a registry-prefixed one).
func TestFindByImageAmbiguous(t *testing.T) {
	servers := []*Server{{Name: "exact", Image: "r.io/ex/a"}, {Name: "prefixed", Image: "ex/a"}}
	ref, _ := name.ParseReference("r.io/ex/a")
	s, err := FindByImage(servers, ref, Destination{})
	if err == nil || s != nil || !strings.Contains(err.Error(), "matches two catalog entries: exact and prefixed") {
		t.Errorf("FindByImage(r.io/ex/a) = %v, %v; want an error naming both entries", s, err)
	}
}

// ImageRef refuses a registry with a scheme or path (mcpbuild always did; mcpverify audit
// --registry r.io/ns now does too) and an entry without image.
func TestImageRefBadInputs(t *testing.T) {
	for _, c := range []struct {
		s             *Server
		registry, tag string
		want          string
	}{
		{&Server{Image: "mcp/x"}, "r.example.com/ns", "", "without scheme or path"},
		{&Server{Image: "mcp/x"}, "https://r.example.com", "", "without scheme or path"},
		{&Server{Image: "mcp/x"}, "r.example.com:x", "", `registry "r.example.com:x"`},
		{&Server{}, "r.example.com", "", "image is empty"},
		{&Server{Image: "mcp/x"}, "r.io", "a b", `tag "a b"`},
		{&Server{Image: "MCP/x"}, "r.io", "", `image "MCP/x"`},
	} {
		if ref, err := c.s.ImageRef(Destination{Registry: c.registry}, c.tag); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ImageRef(%q, %q) of %q = %v, %v; want error containing %q", c.registry, c.tag, c.s.Image, ref, err, c.want)
		}
	}
}
