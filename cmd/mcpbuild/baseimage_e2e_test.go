//go:build e2e

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/testbase"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/verify"
)

const (
	// baseCommit is testdata/repos/mcp-base/01-overridable (hashes.txt).
	baseCommit = "0075ad179dd7b6414c505888f9e5daf8f63a921c"
	// baseFixtureDigest is what its digest/Dockerfile pins: FROM example.invalid/base@...
	baseFixtureDigest = "sha256:3b669b458e284daf8c5d180824d9fc3b9e5af3f0a4427031420037b125e8e890"
)

// baseCatalog writes a catalog of the mcp-base fixture's tag and digest servers (FROM
// example.invalid/base:1, and the same by digest) and returns its directory.
func baseCatalog(t *testing.T, git string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "servers")
	for _, sub := range []string{"tag", "digest"} {
		nm := "base-" + sub
		p := filepath.Join(dir, nm, "server.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		y := "name: " + nm + "\nimage: mcpbuild-e2e/" + nm + "\ntype: server\nsource:\n  project: " + strings.TrimSuffix(git, "/") +
			"/mcp-base.git\n  commit: " + baseCommit + "\n  directory: " + sub + "\n"
		if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestE2EPublishBaseImageOverride: the mcp-base servers, whose FROM images exist
// nowhere, fail to build (exit 3, naming example.invalid); with --base-image to a base
// pushed to the stack's registry (by tag for the FROM by tag, by digest for the FROM by
// digest) `mcpbuild build` and `publish` succeed on that base, and mcpverify VERIFIES the
// published images against the catalog pin, provenance included.
func TestE2EPublishBaseImageOverride(t *testing.T) {
	s := e2eSign(t)
	dir := baseCatalog(t, s.git)
	pattern := filepath.Join(dir, "...")
	marker := fmt.Sprintf("cli-%d", time.Now().UnixNano())
	baseTag, err := name.NewTag(s.registry + "/mcpbuild-e2e/base:" + marker)
	if err != nil {
		t.Fatal(err)
	}
	base, err := testbase.Push(baseTag, marker)
	if err != nil {
		t.Fatal(err)
	}
	overrides := []string{"--base-image", "example.invalid/base:1=" + baseTag.String(),
		"--base-image=example.invalid/base@" + baseFixtureDigest + "=" + base.String()}
	tag, sigRepo := s.unique(t)

	out, stderr, code, err := run(t, "build", "--registry", s.registry, "--tag", tag, "--progress", "quiet", "-o", "json", pattern)
	if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), "registry example.invalid unreachable") {
		t.Errorf("build without --base-image: exit %d, %v; want exit 3 naming registry example.invalid\n%s\n%s", code, err, out, stderr)
	}

	// By tag, the override is resolved at build time: a warning says so.
	out, stderr, code, err = run(t, append([]string{"build", "--registry", s.registry, "--tag", tag, "--progress", "quiet", "-o", "json"},
		append(overrides, pattern)...)...)
	var built []resultJSON
	if code != 0 || json.Unmarshal([]byte(out), &built) != nil || len(built) != 2 {
		t.Fatalf("build --base-image: exit %d, %v\n%s\n%s", code, err, out, stderr)
	}
	if !strings.Contains(stderr, "base image override by tag") || !strings.Contains(stderr, "example.invalid/base:1="+baseTag.String()) ||
		strings.Contains(stderr, baseFixtureDigest+"=") {
		t.Errorf("build --base-image: stderr does not warn (only) about the override by tag:\n%s", stderr)
	}

	rs, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, append(overrides, pattern)...)
	if code != 0 || len(rs) != 2 {
		t.Fatalf("publish --base-image: exit %d, %v, %+v\n%s", code, err, rs, stderr)
	}
	mcpverify := filepath.Join(t.TempDir(), "mcpverify")
	if b, err := exec.Command("go", "build", "-o", mcpverify, "github.com/mcpbuild/mcpbuild/cmd/mcpverify").CombinedOutput(); err != nil {
		t.Fatalf("building mcpverify: %v\n%s", err, b)
	}
	for i, r := range rs {
		if r.Status != publish.Published || !strings.HasSuffix(r.Image, "@"+built[i].Digest) {
			t.Errorf("%s: published %+v, built %s", r.Name, r, built[i].Digest)
		}
		d, err := name.NewDigest(r.Image)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(d)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		if got, want := imageFile(t, img, testbase.BaseFile), testbase.Content(marker, cf.OS+"/"+cf.Architecture); got != want {
			t.Errorf("%s: /%s = %q, want the override's %q", r.Name, testbase.BaseFile, got, want)
		}
		vout, verr, err := runCmd(mcpverify, "--key", e2ePubA, "--rekor-key", s.rekorPub, "--signatures-repo", sigRepo, "--catalog", dir,
			"--require-provenance", "--require-signed-revision", "-o", "json", r.Image)
		var ee *exec.ExitError
		vcode := 0
		if errors.As(err, &ee) {
			vcode = ee.ExitCode()
		}
		var vd verify.Verdict
		if jerr := json.Unmarshal(vout, &vd); jerr != nil {
			t.Fatalf("mcpverify %s: exit %d, not a verdict: %v\n%s\n%s", r.Image, vcode, jerr, vout, verr)
		}
		prov := vd.Check(verify.CheckProvenance)
		if vcode != 0 || !vd.Verified || prov.Status != verify.StatusPass || !strings.Contains(prov.Detail, "mcp-base.git@"+baseCommit) {
			t.Errorf("mcpverify %s: exit %d, %+v\n%s", r.Image, vcode, vd, verr)
		}
	}

	// "unchanged" is decided by the pin and the signatures (README): another base for a
	// published tag builds nothing.
	other, err := testbase.Push(baseTag.Context().Tag(marker+"-other"), marker+"-other")
	if err != nil {
		t.Fatal(err)
	}
	again, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, "--base-image", "example.invalid/base:1="+other.String(),
		"--base-image", "example.invalid/base@"+baseFixtureDigest+"="+other.String(), pattern)
	if code != 0 || len(again) != len(rs) {
		t.Fatalf("publish again with another base: exit %d, %v, %+v\n%s", code, err, again, stderr)
	}
	for i, r := range again {
		if r.Status != publish.Unchanged || r.Image != rs[i].Image {
			t.Errorf("publish again with another base: exit %d, %v, %+v, first %+v\n%s", code, err, r, rs[i], stderr)
		}
	}
}
