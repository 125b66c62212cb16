//go:build e2e

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

const (
	e2eKeyB = "../../testdata/keys/test-only-b.key"
	e2ePubB = "../../testdata/keys/test-only-b.pub"
)

// A co-signer: the real `mcpbuild publish` signs and attests an image with key A; the
// real cosign v2 CLI co-signs it with key B (cosign verify --key B passes). Verified with
// key B, the image is VERIFIED with provenance skipped: the publisher's attestation is
// not B's. With --require-provenance it is NOT VERIFIED for that reason; key A still
// verifies everything.
func TestE2ECoSignerWithoutProvenance(t *testing.T) {
	s := e2eStack(t)
	if os.Getenv("BUILDKIT_HOST") == "" {
		t.Skip("needs BuildKit of the local stack: . .stack/env")
	}
	cosign2 := cosignBin(t, "MCPBUILD_E2E_COSIGN2")
	mcpbuild := filepath.Join(t.TempDir(), "mcpbuild")
	if out, err := exec.Command("go", "build", "-o", mcpbuild, "github.com/mcpbuild/mcpbuild/cmd/mcpbuild").CombinedOutput(); err != nil {
		t.Fatalf("building mcpbuild: %v\n%s", err, out)
	}
	run := fmt.Sprint(time.Now().UnixNano())
	tag, sigRepo := "e2e-cosigner-"+run, s.registry+"/mcpverify-e2e/cosigner-"+run
	args := []string{"publish", "--registry", s.registry, "--key", e2eKey, "--rekor-url", s.rekorURL,
		"--signatures-repo", sigRepo, "--tag", tag, "--progress", "quiet", "-o", "json"}
	var mirror []string // the stack may serve the catalog's git server elsewhere
	if g := strings.TrimSuffix(os.Getenv("MCPBUILD_E2E_GIT"), "/") + "/"; g != "/" && g != catalogGit {
		mirror = []string{"--source-mirror=" + catalogGit + "=" + g}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, mcpbuild, append(append(args, mirror...), e2eCatalog+"/pinned")...)
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+e2ePass)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mcpbuild publish: %v\n%s", err, out)
	}
	var reports []publish.Report
	if err := json.Unmarshal(out, &reports); err != nil || len(reports) != 1 || reports[0].Image == "" {
		t.Fatalf("publish report %q: %v", out, err)
	}
	img := reports[0].Image

	cosign(t, cosign2, sigRepo, "sign", "--key", e2eKeyB, "--rekor-url", s.rekorURL, "--yes", img)
	verifyB := func(extra ...string) (int, string, string) {
		t.Helper()
		base := []string{"--key", e2ePubB, "--rekor-key", s.rekorPub, "--signatures-repo", sigRepo, "--catalog", e2eCatalog}
		return cli(t, nil, append(append(append(base, mirror...), extra...), img)...)
	}
	code, stdout, stderr := verifyB()
	expectVerified(t, code, stdout, stderr)
	if !strings.Contains(stdout, "  provenance       skipped  no provenance by this key") {
		t.Fatalf("with the co-signer's key, provenance is not skipped as not by this key:\n%s", stdout)
	}
	code, stdout, _ = verifyB("--require-provenance")
	if code != cliutil.ExitFailed || !strings.Contains(stdout, ": NOT VERIFIED: provenance: no provenance by this key") {
		t.Fatalf("co-signer's key, provenance required: exit %d, want 1 (no provenance by this key)\n%s", code, stdout)
	}
	base := []string{"--key", e2ePub, "--rekor-key", s.rekorPub, "--signatures-repo", sigRepo, "--catalog", e2eCatalog, "--require-provenance"}
	code, stdout, stderr = cli(t, nil, append(append(base, mirror...), img)...)
	expectVerified(t, code, stdout, stderr)
}
