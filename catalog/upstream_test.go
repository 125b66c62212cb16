package catalog

import (
	"flag"
	"strings"
	"testing"
)

var upstreamDir = flag.String("upstream", "", "directory of a docker/mcp-registry checkout's servers/ to load (test skipped when empty)")

// TestUpstreamRegistry loads a real checkout of Docker's MCP registry, e.g.
//
//	go test ./catalog -run TestUpstreamRegistry -upstream /path/to/mcp-registry/servers -v
//
// Every file must decode; the only errors allowed are the rules mcpbuild adds on top of
// Docker's (image without a tag, the name rule Docker waives for three legacy entries).
func TestUpstreamRegistry(t *testing.T) {
	if *upstreamDir == "" {
		t.Skip("no -upstream directory given")
	}
	servers, warns, err := Load([]string{*upstreamDir + "/..."}, Options{})
	t.Logf("%d valid servers, %d warnings", len(servers), len(warns))
	for _, w := range warns {
		t.Logf("warning: %v", w)
	}
	if err == nil {
		return
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		t.Logf("error: %s", line)
		if !strings.Contains(line, "must not carry a tag") && !strings.Contains(line, "must match ^[a-z0-9-]+$") {
			t.Errorf("unexpected error: %s", line)
		}
	}
}

// TestSharedCatalog loads the project's own testdata catalog (the e2e fixtures).
func TestSharedCatalog(t *testing.T) {
	servers, warns, err := Load([]string{"../testdata/catalog/servers/..."}, Options{Strict: true})
	if err != nil {
		t.Fatalf("Load(testdata/catalog) error:\n%v", err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	buildable := 0
	for _, s := range servers {
		if s.Buildable() {
			buildable++
		}
	}
	if buildable < 3 {
		t.Errorf("testdata catalog has %d buildable servers, want at least 3", buildable)
	}
}
