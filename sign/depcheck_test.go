package sign_test

import (
	"os/exec"
	"strings"
	"testing"
)

// mcpverify links sign/: it must not pull in BuildKit or the build package. catalog, below
// sign in the graph (cmd -> publish -> {build, sign, verify} -> catalog), is allowed.
func TestNoBuildKitDependency(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/moby/buildkit") || dep == "github.com/mcpbuild/mcpbuild/build" {
			t.Errorf("sign depends on %s", dep)
		}
	}
}
