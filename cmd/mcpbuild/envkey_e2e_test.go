//go:build e2e

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

// publish --key env://VAR: the cosign key file's PEM in $VAR (password still in
// $COSIGN_PASSWORD); cosign verifies what it signed with the plain public key. An unset
// variable is a usage error naming it, before any work.
func TestE2EPublishEnvKey(t *testing.T) {
	s := e2eSign(t)
	pattern := filepath.Join(s.catalog, "pinned")
	tag, sigRepo := s.unique(t)
	os.Unsetenv("MCPBUILD_E2E_TEST_ONLY_KEY")
	rs, stderr, code, err := s.publish(t, tag, sigRepo, "env://MCPBUILD_E2E_TEST_ONLY_KEY", pattern)
	if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), "$MCPBUILD_E2E_TEST_ONLY_KEY is unset or empty") || len(rs) != 0 {
		t.Fatalf("unset key variable: exit %d, %v, %+v\n%s", code, err, rs, stderr)
	}
	pemText, err := os.ReadFile(e2eKeyA)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("MCPBUILD_E2E_TEST_ONLY_KEY", string(pemText))
	rs, stderr, code, err = s.publish(t, tag, sigRepo, "env://MCPBUILD_E2E_TEST_ONLY_KEY", pattern)
	if code != 0 || len(rs) != 1 || rs[0].Status != publish.Published {
		t.Fatalf("publish with an env:// key: exit %d, %v, %+v\n%s", code, err, rs, stderr)
	}
	s.cosignVerify(t, sigRepo, rs[0], pins(t, pattern)["pinned"], e2ePubA)
}
