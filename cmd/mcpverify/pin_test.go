package main

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/catalog"
)

func TestPinForAndServerRefFollowMcpbuildPushes(t *testing.T) {
	const commitA = "1111111111111111111111111111111111111111"
	const commitB = "2222222222222222222222222222222222222222"
	const commitC = "3333333333333333333333333333333333333333"
	servers := []*catalog.Server{
		{Name: "a", Image: "mcp/a", Type: catalog.TypeServer, Source: catalog.Source{Project: "https://example.com/a.git", Commit: commitA}},
		{Name: "b", Image: "ghcr.io/org/b", Type: catalog.TypeServer, Source: catalog.Source{Project: "https://example.com/b.git", Commit: commitB}},
		// Docker's registry lets an image carry a tag; mcpbuild drops it when pushing.
		{Name: "c", Image: "ghcr.io/org/c:1.0", Type: catalog.TypeServer, Source: catalog.Source{Project: "https://example.com/c.git", Commit: commitC}},
	}
	c := &common{}
	c.reg.registry = "127.0.0.1:15000"
	for _, tc := range []struct {
		ref, want string
	}{
		{"127.0.0.1:15000/mcp/a:latest", commitA},
		{"docker.io/mcp/a", commitA},
		{"ghcr.io/org/b", commitB},
		// mcpbuild --registry 127.0.0.1:15000 pushed ghcr.io/org/b here:
		{"127.0.0.1:15000/ghcr.io/org/b:latest", commitB},
		{"127.0.0.1:15000/org/b", ""},
		{"127.0.0.1:15000/ghcr.io/org/c:latest", commitC},
		{"ghcr.io/org/c:1.0", commitC},
		{"127.0.0.1:15000/mcp/other", ""},
	} {
		ref, err := name.ParseReference(tc.ref)
		if err != nil {
			t.Fatal(err)
		}
		pin, err := c.pinFor(ref, servers, "")
		if tc.want == "" {
			if err == nil {
				t.Errorf("pinFor(%s) = %+v, want no pin", tc.ref, pin)
			}
			continue
		}
		if err != nil || pin.Commit != tc.want {
			t.Errorf("pinFor(%s) = %+v, %v; want commit %s", tc.ref, pin, err, tc.want)
		}
	}
	// audit looks each entry up where mcpbuild --registry pushed it.
	for _, tc := range []struct {
		s    *catalog.Server
		want string
	}{
		{servers[0], "127.0.0.1:15000/mcp/a:latest"},
		{servers[1], "127.0.0.1:15000/ghcr.io/org/b:latest"},
		{servers[2], "127.0.0.1:15000/ghcr.io/org/c:latest"},
	} {
		ref, err := serverRef(tc.s, catalog.Destination{Registry: c.reg.registry})
		if err != nil || ref.Name() != tc.want {
			t.Errorf("serverRef(%s) = %v, %v; want %s", tc.s.Name, ref, err, tc.want)
		}
		// and the pin is found again from that reference.
		if pin, err := c.pinFor(ref, servers, ""); err != nil || pin.Commit != tc.s.Source.Commit {
			t.Errorf("pinFor(serverRef(%s)) = %+v, %v", tc.s.Name, pin, err)
		}
	}
	if ref, err := serverRef(servers[1], catalog.Destination{}); err != nil || ref.Name() != "ghcr.io/org/b:latest" {
		t.Errorf("serverRef without --registry = %v, %v", ref, err)
	}
}

// With --repository-prefix, audit looks where mcpbuild --repository-prefix pushed (the
// image's path under the prefix) and the pin is found again from that reference; a bad
// prefix, or one with --registry on audit's command line, is a usage error.
func TestPinForPrefix(t *testing.T) {
	servers := []*catalog.Server{
		{Name: "a", Image: "mcp/a", Type: catalog.TypeServer, Source: catalog.Source{Commit: strings.Repeat("a", 40)}},
		{Name: "b", Image: "ghcr.io/org/b", Type: catalog.TypeServer, Source: catalog.Source{Commit: strings.Repeat("b", 40)}},
	}
	c := &common{catalog: catalogOptions{prefix: "127.0.0.1:15000/team"}}
	c.reg.registry = "127.0.0.1:15000" // e.g. $MCPBUILD_REGISTRY: only a default
	dst, err := c.destination(false)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"127.0.0.1:15000/team/mcp/a:latest", "127.0.0.1:15000/team/org/b:latest"} {
		ref, err := serverRef(servers[i], dst)
		if err != nil || ref.Name() != want {
			t.Errorf("serverRef(%s) = %v, %v; want %s", servers[i].Name, ref, err, want)
			continue
		}
		if pin, err := c.pinFor(ref, servers, ""); err != nil || pin.Commit != servers[i].Source.Commit {
			t.Errorf("pinFor(%s) = %+v, %v", ref, pin, err)
		}
	}
	if _, err := c.destination(true); err == nil || !strings.Contains(err.Error(), "exclude each other") {
		t.Errorf("--registry with --repository-prefix: %v", err)
	}
	for _, bad := range []string{"team/mcp", "https://r.io/x", "r.io/x:v1", "r.io/X"} {
		c.catalog.prefix = bad
		if _, err := c.destination(false); err == nil || !strings.Contains(err.Error(), "--repository-prefix") {
			t.Errorf("--repository-prefix %q: %v", bad, err)
		}
	}
}
