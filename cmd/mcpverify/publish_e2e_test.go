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

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify"
)

const (
	e2eCatalog = "../../testdata/catalog/servers"
	// catalogGit is the git server the testdata catalog names; the stack may serve it elsewhere.
	catalogGit = "git://127.0.0.1:19418/"
)

// TestE2EPublishedCatalogVerifies publishes the testdata catalog with the real `mcpbuild
// publish` (BuildKit, registry, Rekor of the stack) and verifies every image with
// `mcpverify audit` and by digest, then checks that a moved catalog pin and a wrong key
// give exit 1 with the right failing check.
func TestE2EPublishedCatalogVerifies(t *testing.T) {
	s := e2eStack(t)
	if os.Getenv("BUILDKIT_HOST") == "" {
		t.Skip("needs BuildKit of the local stack: . .stack/env")
	}
	dir := t.TempDir()
	mcpbuild := filepath.Join(dir, "mcpbuild")
	if out, err := exec.Command("go", "build", "-o", mcpbuild, "github.com/mcpbuild/mcpbuild/cmd/mcpbuild").CombinedOutput(); err != nil {
		t.Fatalf("building mcpbuild: %v\n%s", err, out)
	}
	runBuild := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		c := exec.CommandContext(ctx, mcpbuild, args...)
		c.Env = append(os.Environ(), "COSIGN_PASSWORD=e2e-verify")
		var out, errb bytes.Buffer
		c.Stdout, c.Stderr = &out, &errb
		if err := c.Run(); err != nil {
			t.Fatalf("mcpbuild %s: %v\n%s\n%s", strings.Join(args, " "), err, out.String(), errb.String())
		}
		return out.String()
	}
	prefix := filepath.Join(dir, "publisher")
	runBuild("generate-key-pair", "--output-key-prefix", prefix)
	run := fmt.Sprint(time.Now().UnixNano())
	tag, sigRepo := "e2e-verify-"+run, s.registry+"/mcpverify-e2e/signatures-"+run
	args := []string{"publish", "--registry", s.registry, "--key", prefix + ".key", "--rekor-url", s.rekorURL,
		"--signatures-repo", sigRepo, "--tag", tag, "--progress", "quiet", "-o", "json", "-j", "2"}
	flags := []string{"--key", prefix + ".pub", "--rekor-key", s.rekorPub, "--signatures-repo", sigRepo,
		"--registry", s.registry, "--require-signed-revision", "--require-provenance"}
	// The stack may serve the catalog's git server elsewhere: publish and verify through
	// a source mirror then (the provenance names the mirror).
	mirrored := false
	if g := strings.TrimSuffix(os.Getenv("MCPBUILD_E2E_GIT"), "/") + "/"; g != "/" && g != catalogGit {
		args, mirrored = append(args, "--source-mirror="+catalogGit+"="+g), true
		flags = append(flags, "--source-mirror="+catalogGit+"="+g)
	}
	runBuild(append(args, e2eCatalog+"/...")...)

	code, out, errs := cli(t, nil, append(flags, "audit", "--catalog", e2eCatalog, "--tag", tag, "-o", "json")...)
	if code != cliutil.ExitOK {
		t.Fatalf("audit of the published catalog: exit %d\n%s\n%s", code, out, errs)
	}
	var audit struct {
		Servers []struct {
			Server  string          `json:"server"`
			Skipped string          `json:"skipped"`
			Verdict *verify.Verdict `json:"verdict"`
		} `json:"servers"`
		Totals map[string]int `json:"totals"`
	}
	if err := json.Unmarshal([]byte(out), &audit); err != nil {
		t.Fatalf("audit json: %v\n%s", err, out)
	}
	if audit.Totals["verified"] != 4 || audit.Totals["skipped"] != 1 {
		t.Fatalf("audit totals = %v, want 4 verified and 1 skipped (remote)\n%s", audit.Totals, out)
	}
	// Audited again with the cache, the unchanged catalog makes no GET (HEADs only).
	cacheDir := t.TempDir()
	for range 2 {
		code, out, errs = cli(t, nil, append(flags, "--cache-dir", cacheDir, "audit", "--catalog", e2eCatalog, "--tag", tag, "--stats")...)
		if code != cliutil.ExitOK {
			t.Fatalf("audit with the cache: exit %d\n%s\n%s", code, out, errs)
		}
	}
	if !strings.Contains(errs, "manifest GETs: 0, blob GETs: 0") {
		t.Errorf("warm audit stats: %s", errs)
	}
	var digestRef string
	for _, r := range audit.Servers {
		if r.Skipped != "" {
			continue
		}
		for _, c := range r.Verdict.Checks {
			if c.Status != verify.StatusPass {
				t.Errorf("%s: check %s is %s (%s), want pass", r.Server, c.Name, c.Status, c.Detail)
			}
		}
		if r.Server == "pinned" {
			digestRef = s.registry + "/mcp/pinned@" + r.Verdict.Digest
		}
	}

	// By digest, offline: 4 registry requests (image, config, .sig, .att) in 2 round trips.
	code, out, errs = cli(t, map[string]string{cliutil.EnvRekorURL: "http://127.0.0.1:1"},
		append(flags, "--catalog", e2eCatalog, "--offline", "--stats", digestRef)...)
	if code != cliutil.ExitOK || !strings.Contains(out, ": VERIFIED") {
		t.Fatalf("by digest: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "registry requests: 4 (GET 4, HEAD 0) in 2 round trips") || !strings.Contains(errs, "rekor requests: 0") {
		t.Errorf("stats by digest: %s", errs)
	}

	// One broken entry in a copy of the catalog: the others still verify, it is INVALID,
	// and the audit is exit 1.
	withBroken := t.TempDir()
	if err := os.CopyFS(withBroken, os.DirFS(e2eCatalog)); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(withBroken, "broken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(withBroken, "broken", "server.yaml"), []byte("name: broken\nimage: mcp/broken\ntype: server\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = cli(t, nil, append(flags, "audit", "--catalog", withBroken, "--tag", tag, "-o", "json")...)
	var partial struct {
		Totals map[string]int `json:"totals"`
	}
	if err := json.Unmarshal([]byte(out), &partial); err != nil || code != cliutil.ExitFailed ||
		partial.Totals["verified"] != 4 || partial.Totals["invalid"] != 1 || partial.Totals["skipped"] != 1 {
		t.Fatalf("audit with a broken entry: exit %d, totals %v, want 1 with 4 verified, 1 invalid, 1 skipped\n%s\n%s", code, partial.Totals, out, errs)
	}

	// The catalog pin moved after publish: label first.
	moved := t.TempDir()
	if err := os.CopyFS(moved, os.DirFS(e2eCatalog)); err != nil {
		t.Fatal(err)
	}
	y := filepath.Join(moved, "pinned", "server.yaml")
	b, err := os.ReadFile(y)
	if err != nil {
		t.Fatal(err)
	}
	var pinned string
	for _, r := range audit.Servers {
		if r.Server == "pinned" {
			pinned = r.Verdict.Pin.Commit
		}
	}
	other := strings.Repeat("0", 40)
	if pinned == "" || !bytes.Contains(b, []byte(pinned)) {
		t.Fatalf("pinned/server.yaml does not hold the pin %q", pinned)
	}
	if err := os.WriteFile(y, bytes.ReplaceAll(b, []byte(pinned), []byte(other)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = cli(t, nil, append(flags, "--catalog", moved, digestRef)...)
	if code != cliutil.ExitFailed || !strings.Contains(out, ": NOT VERIFIED: label: ") {
		t.Fatalf("moved pin: exit %d, want 1 with label first\n%s", code, out)
	}

	// Published through a source mirror: the provenance names the mirror, which counts
	// only with mcpverify --source-mirror (the commit is compared either way).
	mirror := strings.Replace(catalogGit, "127.0.0.1", "localhost", 1)
	if mirrored {
		mirror = strings.TrimSuffix(os.Getenv("MCPBUILD_E2E_GIT"), "/") + "/"
	}
	mtag, msigs := tag+"-mirror", sigRepo+"-mirror"
	runBuild("publish", "--registry", s.registry, "--key", prefix+".key", "--rekor-url", s.rekorURL,
		"--signatures-repo", msigs, "--tag", mtag, "--progress", "quiet", "--source-mirror="+catalogGit+"="+mirror,
		e2eCatalog+"/pinned")
	mflags := []string{"--key", prefix + ".pub", "--rekor-key", s.rekorPub, "--signatures-repo", msigs,
		"--catalog", e2eCatalog, "--require-provenance", s.registry + "/mcp/pinned:" + mtag}
	code, out, _ = cli(t, nil, mflags...)
	if code != cliutil.ExitFailed || !strings.Contains(out, ": NOT VERIFIED: provenance: provenance build context "+mirror) || !strings.Contains(out, " is not project ") {
		t.Fatalf("mirrored provenance without --source-mirror: exit %d, want 1\n%s", code, out)
	}
	code, out, errs = cli(t, nil, append([]string{"--source-mirror=" + catalogGit + "=" + mirror}, mflags...)...)
	if code != cliutil.ExitOK {
		t.Fatalf("mirrored provenance with --source-mirror: exit %d\n%s\n%s", code, out, errs)
	}

	// Another key: the signature check fails.
	wrong := filepath.Join(dir, "wrong")
	runBuild("generate-key-pair", "--output-key-prefix", wrong)
	code, out, _ = cli(t, nil, "--key", wrong+".pub", "--rekor-key", s.rekorPub, "--signatures-repo", sigRepo,
		"--catalog", e2eCatalog, digestRef)
	if code != cliutil.ExitFailed || !strings.Contains(out, ": NOT VERIFIED: signature: ") {
		t.Fatalf("wrong key: exit %d, want 1 with signature first\n%s", code, out)
	}
}
