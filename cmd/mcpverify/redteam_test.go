package main

import (
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Near-misses in what the user gives are usage errors (exit 2), never compared loosely.
func TestPinAndDigestNearMissesAreUsageErrors(t *testing.T) {
	f, flags := setup(t)
	img := f.PushImage(f.Repo("mcp/alpha"), "v1", verifytest.PinCommit)
	f.Sign(img)
	upperDigest := img.Context().Name() + "@sha256:" + strings.ToUpper(strings.TrimPrefix(img.DigestStr(), "sha256:"))
	for n, args := range map[string][]string{
		"uppercase --commit":       {"--commit", strings.ToUpper(verifytest.PinCommit), img.String()},
		"--commit with a space":    {"--commit", verifytest.PinCommit + " ", img.String()},
		"uppercase digest":         {"--commit", verifytest.PinCommit, upperDigest},
		"short digest":             {"--commit", verifytest.PinCommit, img.Context().Name() + "@sha256:abcd"},
		"64-hex (sha256) --commit": {"--commit", strings.Repeat("a", 64), img.String()},
	} {
		code, out, errs := cli(t, nil, append(flags, args...)...)
		if code != cliutil.ExitUsage || strings.Contains(out, "VERIFIED") {
			t.Errorf("%s: exit %d, want 2\n%s\n%s", n, code, out, errs)
		}
	}
}
