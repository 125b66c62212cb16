package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// TestImageReferencesRefuseRelativeComponents: an image or repository reference given to
// mcpbuild with a "." or ".." path component (which go-containerregistry accepts and a
// registry or proxy may resolve to another repository) is a usage error, before any work.
func TestImageReferencesRefuseRelativeComponents(t *testing.T) {
	publishEnv(t)
	host := reproRegistry(t)
	pattern := catalogDir(t)
	dir := filepath.Dir(filepath.Dir(pattern))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"repro", "--catalog", dir, host + "/mcp/../alpha"}, `path segment ".."`},
		{[]string{"repro", "--catalog", dir, host + "/mcp/./alpha:v1"}, `path segment "."`},
		{[]string{"repro", "--registry", host, "--repro-repository", host + "/mcp/../x", pattern}, `--repro-repository`},
		{[]string{"publish", "--registry", host, "--key", testKey, "--signatures-repo", host + "/mcp/../sigs", pattern}, `signatures repository`},
	} {
		out, errOut, code, err := run(t, tc.args...)
		if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "relative path") || out != "" {
			t.Errorf("%v: exit %d, %v, stdout %q; want usage naming %s and the relative component", tc.args, code, err, out, tc.want)
		}
		if strings.Contains(errOut, "building") {
			t.Errorf("%v: work started: %s", tc.args, errOut)
		}
	}
}
