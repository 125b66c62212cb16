package sign_test

import (
	"os/exec"
	"strings"
	"testing"
)

// mcpverify links sign/: it must not pull in BuildKit or the build/catalog packages.
func TestNoBuildKitDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/moby/buildkit") || dep == "github.com/mcpbuild/mcpbuild/build" ||
			dep == "github.com/mcpbuild/mcpbuild/catalog" {
			t.Errorf("sign depends on %s", dep)
		}
	}
}
