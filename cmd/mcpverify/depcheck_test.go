package main

import (
	"os/exec"
	"strings"
	"testing"
)

// mcpverify and the verify package are embedded by gateways: they must not link BuildKit
// (nor mcpbuild's build package, which wraps it).
func TestNoBuildKitDependency(t *testing.T) {
	for _, pkg := range []string{".", "github.com/mcpbuild/mcpbuild/verify"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 50 {
			t.Fatalf("go list -deps %s returned only %d packages: %q", pkg, len(deps), out)
		}
		for _, d := range deps {
			if d == "github.com/moby/buildkit" || strings.HasPrefix(d, "github.com/moby/buildkit/") ||
				d == "github.com/mcpbuild/mcpbuild/build" {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
}
