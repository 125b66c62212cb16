package main

import (
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// A bad --platform is a usage error naming the flag, on build and publish, before
// anything is contacted.
func TestPlatformFlagUsageErrors(t *testing.T) {
	t.Setenv(cliutil.EnvRegistry, "")
	for _, verb := range []string{"build", "publish"} {
		for value, want := range map[string]string{
			"linux":                    `--platform: platform "linux": want os/arch`,
			"linux/amd64,":             "--platform: empty platform",
			"linux/amd64,linux/x86_64": `--platform: platform "linux/amd64" is given twice`,
			"linux/amd64/v2/x":         `--platform: platform "linux/amd64/v2/x"`,
		} {
			out, _, code, err := run(t, verb, "--registry", "127.0.0.1:1", "--platform", value, "servers/...")
			if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), want) || out != "" {
				t.Errorf("mcpbuild %s --platform %q: exit %d, err %v, stdout %q; want exit 2 and %q", verb, value, code, err, out, want)
			}
		}
	}
}
