package main

import (
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// A bad --base-image is a usage error naming the flag and the value, on build and
// publish, before anything is contacted; with --strict a REF by tag is one too.
func TestBaseImageFlagUsageErrors(t *testing.T) {
	t.Setenv(cliutil.EnvRegistry, "")
	const pinned = "m.internal/base@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, verb := range []string{"build", "publish"} {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--base-image", "alpine:3.20"}, `--base-image: base image "alpine:3.20": want NAME=REF`},
			{[]string{"--base-image", "alpine:3.20="}, `--base-image: base image "alpine:3.20=": want NAME=REF, both non-empty`},
			{[]string{"--base-image", "=" + pinned}, "both non-empty"},
			{[]string{"--base-image", "Alpine=" + pinned}, `NAME "Alpine" is not an image reference`},
			{[]string{"--base-image", "alpine=m.internal/base@sha256:12"}, `REF "m.internal/base@sha256:12" is not an image reference`},
			{[]string{"--base-image", "alpine=" + pinned, "--base-image", "docker.io/library/alpine:latest=" + pinned}, `"alpine" is overridden twice`},
			{[]string{"--strict", "--base-image", "alpine=" + pinned, "--base-image", "docker.io/library/node:22=m.internal/node:22"},
				`--base-image "docker.io/library/node:22=m.internal/node:22": REF is not pinned by digest (--strict)`},
		} {
			args := append([]string{verb, "--registry", "127.0.0.1:1"}, tc.args...)
			out, _, code, err := run(t, append(args, "servers/...")...)
			if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), tc.want) || out != "" {
				t.Errorf("mcpbuild %s %q: exit %d, err %v, stdout %q; want exit 2 and %q", verb, tc.args, code, err, out, tc.want)
			}
		}
	}
}
