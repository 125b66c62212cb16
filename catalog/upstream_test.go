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
