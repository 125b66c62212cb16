//go:build e2e

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Test-only cosign key pair committed in testdata/keys (password below); trust nothing it signs.
const (
	e2eKey  = "../../testdata/keys/test-only-a.key"
	e2ePub  = "../../testdata/keys/test-only-a.pub"
	e2ePass = "test-only-password"
)

type stack struct {
	registry, rekorURL, rekorPub, trustedRoot string
}

func e2eStack(t *testing.T) stack {
	t.Helper()
	s := stack{os.Getenv("MCPBUILD_E2E_REGISTRY"), os.Getenv("MCPBUILD_E2E_REKOR_URL"),
		os.Getenv("MCPBUILD_E2E_REKOR_PUBKEY"), os.Getenv("MCPBUILD_E2E_TRUSTED_ROOT")}
	if os.Getenv("MCPBUILD_E2E") != "1" || s.registry == "" || s.rekorURL == "" || s.rekorPub == "" {
		t.Skip("needs the local stack (registry and Rekor): . .stack/env")
	}
	return s
}

func cosignBin(t *testing.T, env string) string {
	t.Helper()
	b := os.Getenv(env)
	if b == "" {
		t.Skipf("needs %s (hack/install.sh cosign)", env)
	}
	return b
}

// pushTiny pushes a small random image labelled with commit to a fresh repository.
func (s stack) pushTiny(t *testing.T, what, commit string) name.Digest {
	t.Helper()
	repo, err := name.NewRepository(fmt.Sprintf("%s/mcpverify-e2e/%s-%d", s.registry, what, time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	return pushTo(t, repo, "v1", commit)
}

// cosign runs a real cosign CLI with the test key's password and the signatures repository.
func cosign(t *testing.T, bin, sigRepo string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+e2ePass, "COSIGN_REPOSITORY="+sigRepo, "COSIGN_YES=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

func (s stack) sigRepo() string { return s.registry + "/mcp/signatures" }

// mcpverify runs the command in-process against the stack.
func (s stack) mcpverify(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	base := []string{"--key", e2ePub, "--rekor-key", s.rekorPub, "--signatures-repo", s.sigRepo()}
	return cli(t, nil, append(base, args...)...)
}

func slsaPredicate(t *testing.T, commit string) string {
	t.Helper()
	p := map[string]any{
		"buildDefinition": map[string]any{
			"buildType": "https://mobyproject.org/buildkit@v1",
			"externalParameters": map[string]any{"configSource": map[string]any{
				"uri": verifytest.Project + ".git#" + commit, "digest": map[string]string{"sha1": commit}}},
		},
		"runDetails": map[string]any{"builder": map[string]any{"id": "https://example.invalid/e2e"}},
	}
	b, _ := json.Marshal(p)
	f := filepath.Join(t.TempDir(), "predicate.json")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func expectVerified(t *testing.T, code int, out, errs string) {
	t.Helper()
	if code != cliutil.ExitOK || !strings.Contains(out, ": VERIFIED\n  digest           pass     sha256:") {
		t.Fatalf("mcpverify: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// cosign v2 CLI: sign with a revision claim, attest SLSA v1 provenance; mcpverify verifies both.
func TestE2ECosignV2(t *testing.T) {
	s := e2eStack(t)
	bin := cosignBin(t, "MCPBUILD_E2E_COSIGN2")
	img := s.pushTiny(t, "cosign2", verifytest.PinCommit)
	cosign(t, bin, s.sigRepo(), "sign", "--key", e2eKey, "--rekor-url", s.rekorURL, "--yes",
		"-a", catalog.RevisionLabel+"="+verifytest.PinCommit, img.String())
	cosign(t, bin, s.sigRepo(), "attest", "--key", e2eKey, "--rekor-url", s.rekorURL, "--yes",
		"--type", "slsaprovenance1", "--predicate", slsaPredicate(t, verifytest.PinCommit), img.String())

	code, out, errs := s.mcpverify(t, "--commit", verifytest.PinCommit, "--require-signed-revision", "--require-provenance", "--stats",
		img.Context().Tag("v1").String())
	expectVerified(t, code, out, errs)
	t.Logf("cosign v2 image:\n%s%s", out, errs)

	// The same image against another pin is a definite "no" (label first).
	code, out, _ = s.mcpverify(t, "--commit", verifytest.OtherCommit, img.String())
	if code != cliutil.ExitFailed || !strings.Contains(out, "NOT VERIFIED: label:") {
		t.Fatalf("other pin: exit %d\n%s", code, out)
	}
	// cosign's signature copied to another image's .sig tag: names the wrong digest.
	other := s.pushTiny(t, "copied", verifytest.PinCommit)
	src, err := name.NewTag(s.sigRepo() + ":sha256-" + img.DigestStr()[len("sha256:"):] + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(src)
	if err != nil {
		t.Fatal(err)
	}
	dst, _ := name.NewTag(s.sigRepo() + ":sha256-" + other.DigestStr()[len("sha256:"):] + ".sig")
	if err := remote.Put(dst, desc); err != nil {
		t.Fatal(err)
	}
	code, out, _ = s.mcpverify(t, "--commit", verifytest.PinCommit, other.String())
	if code != cliutil.ExitFailed || !strings.Contains(out, "NOT VERIFIED: signature:") || !strings.Contains(out, "names digest") {
		t.Fatalf("copied signature: exit %d\n%s", code, out)
	}
	// The tag moved to an unsigned image.
	moved := other.Context().Tag("v1")
	if err := remote.Write(img.Context().Tag("v1"), mustImage(t, moved)); err != nil {
		t.Fatal(err)
	}
	code, out, _ = s.mcpverify(t, "--commit", verifytest.PinCommit, img.Context().Tag("v1").String())
	if code != cliutil.ExitFailed || !strings.Contains(out, "NOT VERIFIED: signature:") {
		t.Fatalf("moved tag: exit %d\n%s", code, out)
	}

	// An unsigned image in the real registry is exit 1, signature failing.
	unsigned := s.pushTiny(t, "unsigned", verifytest.PinCommit)
	code, out, _ = s.mcpverify(t, "--commit", verifytest.PinCommit, unsigned.String())
	if code != cliutil.ExitFailed || !strings.Contains(out, "NOT VERIFIED: signature:") {
		t.Fatalf("unsigned: exit %d\n%s", code, out)
	}
}

// cosign v3 writing the legacy layout (.sig with a Rekor bundle annotation).
func TestE2ECosignV3Legacy(t *testing.T) {
	s := e2eStack(t)
	bin := cosignBin(t, "MCPBUILD_E2E_COSIGN3")
	img := s.pushTiny(t, "cosign3-legacy", verifytest.PinCommit)
	cosign(t, bin, s.sigRepo(), "sign", "--key", e2eKey, "--use-signing-config=false", "--new-bundle-format=false",
		"--rekor-url", s.rekorURL, "--yes", "-a", catalog.RevisionLabel+"="+verifytest.PinCommit, img.String())
	code, out, errs := s.mcpverify(t, "--commit", verifytest.PinCommit, "--require-signed-revision", img.String())
	expectVerified(t, code, out, errs)
}

// cosign v3's default: a Sigstore bundle v0.3 stored as an OCI referrer (fallback tag).
func TestE2ECosignV3Bundle(t *testing.T) {
	s := e2eStack(t)
	bin := cosignBin(t, "MCPBUILD_E2E_COSIGN3")
	img := s.pushTiny(t, "cosign3-bundle", verifytest.PinCommit)
	cosign(t, bin, s.sigRepo(), v3BundleSignArgs(t, s, bin, img)...)
	// SLSA provenance attested by cosign v3, also as a bundle referrer.
	tr, sc := v3Config(t, s, bin)
	cosign(t, bin, s.sigRepo(), "attest", "--key", e2eKey, "--signing-config", sc, "--trusted-root", tr, "--yes",
		"--type", "slsaprovenance1", "--predicate", slsaPredicate(t, verifytest.PinCommit), img.String())
	code, out, errs := s.mcpverify(t, "--commit", verifytest.PinCommit, "--require-signed-revision", "--require-provenance", "--stats", img.String())
	expectVerified(t, code, out, errs)
	t.Logf("cosign v3 bundle image:\n%s%s", out, errs)

	code, out, _ = s.mcpverify(t, "--commit", verifytest.OtherCommit, "--skip-provenance", img.String())
	if code != cliutil.ExitFailed || !strings.Contains(out, "NOT VERIFIED: label:") {
		t.Fatalf("v3 bundle against another pin: exit %d\n%s", code, out)
	}
	// Signed by another key (test-only-b): the bundle does not verify with --key.
	other := s.pushTiny(t, "cosign3-otherkey", verifytest.PinCommit)
	args := v3BundleSignArgs(t, s, bin, other)
	args[2] = "../../testdata/keys/test-only-b.key"
	cosign(t, bin, s.sigRepo(), args...)
	code, out, _ = s.mcpverify(t, "--commit", verifytest.PinCommit, other.String())
	if code != cliutil.ExitFailed || !strings.Contains(out, "NOT VERIFIED: signature:") {
		t.Fatalf("v3 bundle by another key: exit %d\n%s", code, out)
	}
}

// --offline: only the registry is contacted; Rekor's URL in the environment points nowhere.
func TestE2EOffline(t *testing.T) {
	s := e2eStack(t)
	bin := cosignBin(t, "MCPBUILD_E2E_COSIGN2")
	img := s.pushTiny(t, "offline", verifytest.PinCommit)
	cosign(t, bin, s.sigRepo(), "sign", "--key", e2eKey, "--rekor-url", s.rekorURL, "--yes",
		"-a", catalog.RevisionLabel+"="+verifytest.PinCommit, img.String())
	env := map[string]string{cliutil.EnvRekorURL: "http://127.0.0.1:1"}
	code, out, errs := cli(t, env, "--key", e2ePub, "--rekor-key", s.rekorPub, "--signatures-repo", s.sigRepo(),
		"--offline", "--stats", "--commit", verifytest.PinCommit, img.String())
	expectVerified(t, code, out, errs)
	if !strings.Contains(errs, "rekor requests: 0") {
		t.Fatalf("offline made Rekor requests: %s", errs)
	}
	// With the real Rekor URL instead of a key, its key is fetched once.
	code, out, errs = cli(t, nil, "--key", e2ePub, "--rekor-url", s.rekorURL, "--signatures-repo", s.sigRepo(),
		"--stats", "--commit", verifytest.PinCommit, img.String(), img.String())
	expectVerified(t, code, out, errs)
	if !strings.Contains(errs, "rekor requests: 1") {
		t.Fatalf("rekor key not fetched exactly once: %s", errs)
	}
}

// v3Config makes what cosign v3 needs offline for its default new bundle format: a signing
// config naming our Rekor (where to log) and a trusted root holding its key (cosign checks
// the entry it gets back). Both are made with cosign3 itself.
func v3Config(t *testing.T, s stack, bin string) (trustedRoot, signingConfig string) {
	t.Helper()
	dir := t.TempDir()
	tr, sc := filepath.Join(dir, "trusted_root.json"), filepath.Join(dir, "signing_config.json")
	cosign(t, bin, "", "trusted-root", "create", "--rekor=url="+s.rekorURL+",public-key="+s.rekorPub+",start-time=2020-01-01T00:00:00Z", "--out", tr)
	cosign(t, bin, "", "signing-config", "create", "--rekor=url="+s.rekorURL+",api-version=1,start-time=2020-01-01T00:00:00Z,operator=local",
		"--rekor-config=ANY", "--out", sc)
	return tr, sc
}

// v3BundleSignArgs signs in cosign v3's default new bundle format against the local Rekor.
func v3BundleSignArgs(t *testing.T, s stack, bin string, img name.Digest) []string {
	t.Helper()
	tr, sc := v3Config(t, s, bin)
	return []string{"sign", "--key", e2eKey, "--signing-config", sc, "--trusted-root", tr, "--yes",
		"-a", catalog.RevisionLabel + "=" + verifytest.PinCommit, img.String()}
}

func mustImage(t *testing.T, ref name.Reference) v1.Image {
	t.Helper()
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
