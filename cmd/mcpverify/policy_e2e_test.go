//go:build e2e

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// The stack's trust material as cosign users have it: its trusted_root.json
// (--trusted-root, or a policy's transparencyLog.trustedRoot), the test key as a file and
// as env://VAR; a policy covering the image verifies it and names the publisher, audit
// shows the PUBLISHER column, and the same image under a publisher with another key fails.
func TestE2ETrustMaterialAndPolicy(t *testing.T) {
	s := e2eStack(t)
	if s.trustedRoot == "" {
		t.Skip("needs MCPBUILD_E2E_TRUSTED_ROOT")
	}
	bin := cosignBin(t, "MCPBUILD_E2E_COSIGN2")
	img := s.pushTiny(t, "policy", verifytest.PinCommit)
	cosign(t, bin, s.sigRepo(), "sign", "--key", e2eKey, "--rekor-url", s.rekorURL, "--yes",
		"-a", catalog.RevisionLabel+"="+verifytest.PinCommit, img.String())
	pub, err := filepath.Abs(e2ePub)
	if err != nil {
		t.Fatal(err)
	}
	pemText, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TEST_ONLY_PUB": string(pemText), cliutil.EnvRekorURL: "http://127.0.0.1:1"}

	code, out, errs := cli(t, env, "--key", pub, "--trusted-root", s.trustedRoot, "--offline", "--stats",
		"--signatures-repo", s.sigRepo(), "--commit", verifytest.PinCommit, img.String())
	expectVerified(t, code, out, errs)
	if !strings.Contains(errs, "rekor requests: 0") {
		t.Errorf("--trusted-root made Rekor requests: %s", errs)
	}
	code, out, errs = cli(t, map[string]string{"TEST_ONLY_PUB": string(pemText), cliutil.EnvRekorPublicKey: s.rekorPub},
		"--key", "env://TEST_ONLY_PUB", "--signatures-repo", s.sigRepo(), "--commit", verifytest.PinCommit, img.String())
	expectVerified(t, code, out, errs)

	repo := strings.TrimPrefix(img.Context().Name(), s.registry+"/")
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	write := func(p, body string) {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(policy, `apiVersion: mcpbuild.dev/v1alpha1
kind: TrustPolicy
transparencyLog: {trustedRoot: `+s.trustedRoot+`}
publishers:
  - name: e2e-publisher
    trustLevel: verified
    keys: [`+pub+`, "env://TEST_ONLY_PUB"]
    images: ["`+s.registry+`/mcpverify-e2e/**"]
    signaturesRepository: `+s.sigRepo()+`
    requirements: {signedRevision: true}
  - name: other
    trustLevel: community
    keys: ["`+filepath.Join(filepath.Dir(pub), "test-only-b.pub")+`"]
    images: ["`+img.Context().Name()+`"]
    signaturesRepository: `+s.sigRepo()+`
`)
	// The exact pattern wins: the image belongs to "other", whose key did not sign it.
	code, out, errs = cli(t, env, "--policy", policy, "--offline", "--commit", verifytest.PinCommit, img.String())
	if code != cliutil.ExitFailed || !strings.Contains(out, "NOT VERIFIED: signature: ") || !strings.Contains(out, `(covered by publisher "other")`) || strings.Contains(out, "publisher        other") {
		t.Fatalf("image of another publisher: exit %d\n%s\n%s", code, out, errs)
	}
	write(policy, strings.Replace(mustRead(t, policy), `images: ["`+img.Context().Name()+`"]`, `images: ["`+s.registry+`/elsewhere/*"]`, 1))
	code, out, errs = cli(t, env, "--policy", policy, "--offline", "--commit", verifytest.PinCommit, img.String())
	if code != cliutil.ExitOK || !strings.Contains(out, ": VERIFIED\n  publisher        e2e-publisher (verified)\n") ||
		!strings.Contains(out, "(key 1 of 2: "+pub+")") {
		t.Fatalf("--policy: exit %d\n%s\n%s", code, out, errs)
	}

	cat := writeCatalog(t, map[string]string{"policy": serverYAML("policy", repo, verifytest.PinCommit)})
	code, out, errs = cli(t, env, "--policy", policy, "--registry", s.registry, "audit", "--catalog", cat, "--tag", "v1")
	if code != cliutil.ExitOK || !regexpMatch(`(?m)^SERVER +PUBLISHER +PIN`, out) ||
		!regexpMatch(`(?m)^policy +e2e-publisher \(verified\) +0123456789ab .* VERIFIED$`, out) {
		t.Fatalf("audit --policy: exit %d\n%s\n%s", code, out, errs)
	}
	t.Logf("audit --policy:\n%s", out)
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
