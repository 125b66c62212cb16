package main

import (
	"os/exec"
	"strings"
	"testing"
)

// mcpverify is embedded by gateways: it must not link BuildKit.
func TestNoBuildKitDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps returned only %d packages: %q", len(deps), out)
	}
	for _, d := range deps {
		if d == "github.com/moby/buildkit" || strings.HasPrefix(d, "github.com/moby/buildkit/") {
			t.Errorf("mcpverify depends on %s", d)
		}
	}
}
