package main

import (
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// TestImageReferencesRefuseRelativeComponents: without --policy as with it, an IMAGE or
// --signatures-repo with a "." or ".." path component is exit 2 (catalog.CheckRepository).
func TestImageReferencesRefuseRelativeComponents(t *testing.T) {
	f, flags := setup(t)
	for n, args := range map[string][]string{
		"dotdot image":   append(flags, "--commit", verifytest.PinCommit, f.Host+"/mcp/../evil"),
		"dot image":      append(flags, "--commit", verifytest.PinCommit, f.Host+"/mcp/./a"),
		"dotdot tagged":  append(flags, "--commit", verifytest.PinCommit, f.Host+"/mcp/a/..:v1"),
		"dotdot sigrepo": append(flags, "--commit", verifytest.PinCommit, "--signatures-repo", f.Host+"/mcp/../sigs", f.Host+"/mcp/a"),
	} {
		t.Run(n, func(t *testing.T) {
			code, out, errs := cli(t, nil, args...)
			if code != cliutil.ExitUsage || !strings.Contains(errs, "relative path") {
				t.Errorf("exit %d, stderr %q; want 2 naming the relative path component\n%s", code, errs, out)
			}
		})
	}
}
