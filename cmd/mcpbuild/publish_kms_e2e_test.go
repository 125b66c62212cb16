//go:build e2e

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

// TestE2EPublishKMS runs the KMS path of `publish --key <uri>` offline through sigstore's
// plugin mechanism: sign/testdata/kmsplugin (a test-only plugin serving a cosign key file)
// is installed on PATH as sigstore-kms-testkms. No $COSIGN_PASSWORD is read. A key the KMS
// cannot use fails before any work (exit 2); a usable one publishes, and cosign verifies
// with the plain public key.
func TestE2EPublishKMS(t *testing.T) {
	s := e2eSign(t)
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "sigstore-kms-testkms"), "./sign/testdata/kmsplugin")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the test KMS plugin: %v\n%s", err, out)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	os.Unsetenv(cliutil.EnvCosignPassword) // e2eSign set it; t.Setenv restores it
	keyPath, err := filepath.Abs(e2eKeyB)
	if err != nil {
		t.Fatal(err)
	}
	uri := "testkms://" + keyPath
	pattern := filepath.Join(s.catalog, "pinned")

	t.Setenv("MCPBUILD_TESTKMS_PASSWORD", "wrong")
	tag, sigRepo := s.unique(t)
	rs, stderr, code, err := s.publish(t, tag, sigRepo, uri, pattern)
	if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), "loading key "+uri) || len(rs) != 0 {
		t.Errorf("unusable KMS key: exit %d, %v, %+v; want exit 2 naming the key\n%s", code, err, rs, stderr)
	}
	if strings.Contains(stderr, "building") {
		t.Errorf("work started with an unusable KMS key:\n%s", stderr)
	}
	repo, _ := name.NewRepository(sigRepo)
	if tags, err := remote.List(repo); err == nil && len(tags) > 0 {
		t.Errorf("signatures repository has tags %v", tags)
	}

	t.Setenv("MCPBUILD_TESTKMS_PASSWORD", testPass)
	rs, stderr, code, err = s.publish(t, tag, sigRepo, uri, pattern)
	if code != 0 || len(rs) != 1 || rs[0].Status != publish.Published {
		t.Fatalf("publish with a KMS key: exit %d, %v, %+v\n%s", code, err, rs, stderr)
	}
	s.cosignVerify(t, sigRepo, rs[0], pins(t, pattern)["pinned"], e2ePubB)
}
