package catalog

import (
	"flag"
	"slices"
	"strings"
	"testing"
)

var upstreamDir = flag.String("upstream", "", "directory of a docker/mcp-registry checkout's servers/ to load (test skipped when empty)")

// TestUpstreamRegistry loads a real checkout of Docker's MCP registry, e.g.
//
//	go test ./catalog -run TestUpstreamRegistry -upstream /path/to/mcp-registry/servers -v
//
// What Docker's CI accepts loads: every file is valid, with warnings at most. With
// Options.Strict the only errors are those warnings: tagged images, the names and the
// secret Docker grandfathers, titles it refuses in new entries, its OAuth exception.
func TestUpstreamRegistry(t *testing.T) {
	if *upstreamDir == "" {
		t.Skip("no -upstream directory given")
	}
	servers, warns, err := Load([]string{*upstreamDir + "/..."}, Options{})
	t.Logf("%d valid servers, %d warnings", len(servers), len(warns))
	for _, w := range warns {
		t.Logf("warning: %v", w)
	}
	if err != nil {
		t.Errorf("errors:\n%v", err)
	}
	_, _, err = Load([]string{*upstreamDir + "/..."}, Options{Strict: true})
	if err == nil {
		t.Fatal("strict: no errors; want the warnings as errors")
	}
	soft := []string{"carries a tag", "legacy name", "legacy secret name", "new titles", "Docker grandfathers this entry", "unknown key"}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !slices.ContainsFunc(soft, func(s string) bool { return strings.Contains(line, s) }) {
			t.Errorf("strict: unexpected error: %s", line)
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
