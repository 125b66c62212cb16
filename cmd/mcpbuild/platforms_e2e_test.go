//go:build e2e

package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/verify"
)

// platformsCommit is testdata/repos/mcp-platforms/01-multiarch (hashes.txt).
const platformsCommit = "c223309a2ba71759d0eef4f4bde00fc5676d7790"

// platformsCatalog writes a catalog of the mcp-platforms fixture's two servers (FROM
// scratch + COPY; a $BUILDPLATFORM stage picking TARGETARCH's file) and returns its
// pattern.
func platformsCatalog(t *testing.T, git string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "servers")
	for nm, sub := range map[string]string{"platforms-copy": "copy", "platforms-cross": "crossbuild"} {
		p := filepath.Join(dir, nm, "server.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		y := "name: " + nm + "\nimage: mcpbuild-e2e/" + nm + "\ntype: server\nsource:\n  project: " + strings.TrimSuffix(git, "/") +
			"/mcp-platforms.git\n  commit: " + platformsCommit + "\n  directory: " + sub + "\n"
		if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "...")
}

// TestE2EPublishMultiPlatform publishes two servers for linux/amd64 and linux/arm64: one
// index each, signed and attested once, unchanged when published again, the same index
// from a --no-cache build, verified by cosign v2 and v3 and by mcpverify (every platform,
// or --platform linux/arm64 only); an index whose arm64 image has another label, signed
// with the same key, is NOT VERIFIED naming linux/arm64.
func TestE2EPublishMultiPlatform(t *testing.T) {
	s := e2eSign(t)
	pattern := platformsCatalog(t, s.git)
	tag, sigRepo := s.unique(t)
	plat := "--platform=linux/arm64,linux/amd64"
	rs, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, plat, "--no-cache", pattern)
	if code != 0 || len(rs) != 2 {
		t.Fatalf("publish --platform: exit %d, %v, %+v\n%s", code, err, rs, stderr)
	}
	for _, r := range rs {
		d, err := name.NewDigest(r.Image)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(d)
		if err != nil {
			t.Fatalf("%s: %s is not an index: %v", r.Name, r.Image, err)
		}
		im, _ := idx.IndexManifest()
		if r.Status != publish.Published || len(im.Manifests) != 2 {
			t.Errorf("%s: %+v, %d platform manifests", r.Name, r, len(im.Manifests))
		}
	}
	again, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, "--platform", "linux/amd64", "--platform", "linux/arm64", pattern)
	for i, r := range again {
		if code != 0 || r.Status != publish.Unchanged || r.Image != rs[i].Image {
			t.Errorf("publish again: exit %d, %v, %+v, first %+v\n%s", code, err, r, rs[i], stderr)
		}
	}
	out, stderr, code, err := run(t, "build", "--registry", s.registry, "--tag", tag+"-rebuild", "--progress", "quiet", "-o", "json",
		"--no-cache", plat, pattern)
	var built []resultJSON
	if code != 0 || json.Unmarshal([]byte(out), &built) != nil || len(built) != 2 {
		t.Fatalf("build --platform: exit %d, %v\n%s\n%s", code, err, out, stderr)
	}
	for i, b := range built {
		if b.Digest != strings.SplitN(rs[i].Image, "@", 2)[1] || len(b.Platforms) != 2 || b.Platforms[1].Platform != "linux/arm64" {
			t.Errorf("%s: a --no-cache rebuild gives %s (platforms %+v), the published index is %s", b.Name, b.Digest, b.Platforms, rs[i].Image)
		}
	}

	mcpverify := filepath.Join(t.TempDir(), "mcpverify")
	if b, err := exec.Command("go", "build", "-o", mcpverify, "github.com/mcpbuild/mcpbuild/cmd/mcpverify").CombinedOutput(); err != nil {
		t.Fatalf("building mcpverify: %v\n%s", err, b)
	}
	verifyCLI := func(t *testing.T, image string, extra ...string) (verify.Verdict, int) {
		t.Helper()
		args := append([]string{"--key", e2ePubA, "--rekor-key", s.rekorPub, "--signatures-repo", sigRepo, "--commit", platformsCommit,
			"--require-provenance", "--require-signed-revision", "-o", "json"}, extra...)
		out, errb, err := runCmd(mcpverify, append(args, image)...)
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		var vd verify.Verdict
		if jerr := json.Unmarshal(out, &vd); jerr != nil {
			t.Fatalf("mcpverify %v: exit %d, not a verdict: %v\n%s\n%s", extra, code, jerr, out, errb)
		}
		return vd, code
	}
	for _, r := range rs {
		t.Run(r.Name, func(t *testing.T) {
			vd, code := verifyCLI(t, r.Image)
			if code != 0 || !vd.Verified || vd.Check(verify.CheckLabel).Detail != "linux/amd64, linux/arm64: "+catalog.RevisionLabel+"="+platformsCommit ||
				!strings.Contains(vd.Check(verify.CheckProvenance).Detail, "(platforms linux/amd64, linux/arm64)") {
				t.Errorf("mcpverify index: exit %d, %+v", code, vd)
			}
			vd, code = verifyCLI(t, r.Image, "--platform", "linux/arm64")
			if code != 0 || !vd.Verified || !strings.HasPrefix(vd.Check(verify.CheckLabel).Detail, "linux/arm64: ") {
				t.Errorf("mcpverify --platform linux/arm64: exit %d, %+v", code, vd)
			}
			vd, code = verifyCLI(t, r.Image, "--platform", "linux/s390x")
			if code != 1 || vd.Verified || !strings.Contains(vd.Reason, "no manifest for platform linux/s390x") {
				t.Errorf("mcpverify --platform linux/s390x: exit %d, %+v; want NOT VERIFIED naming it", code, vd)
			}
			s.cosignVerify(t, sigRepo, r, platformsCommit, e2ePubA)
		})
	}

	// A tampered index: the arm64 image relabelled, the whole index signed with the key.
	tampered := tamperArm64(t, rs[0].Image, tag+"-tampered")
	if _, err := s.cosign(t, s.cosign2, sigRepo, "sign", "--key", e2eKeyA, "--rekor-url", s.rekorURL, "--yes",
		"-a", catalog.RevisionLabel+"="+platformsCommit, tampered.String()); err != nil {
		t.Fatal(err)
	}
	vd, code := verifyCLI(t, tampered.String())
	if code != 1 || vd.Verified || !strings.HasPrefix(vd.Reason, "label: linux/arm64: ") || vd.Check(verify.CheckSignature).Status != verify.StatusPass {
		t.Errorf("mcpverify tampered index: exit %d, %+v; want NOT VERIFIED naming linux/arm64 (signature passing)", code, vd)
	}
}

// tamperArm64 pushes to tag a copy of the index ref whose linux/arm64 image is labelled
// with another revision.
func tamperArm64(t *testing.T, ref, tag string) name.Digest {
	t.Helper()
	d, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(d)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	out := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if m.Platform.Architecture == "arm64" {
			cf, _ := img.ConfigFile()
			cf = cf.DeepCopy()
			cf.Config.Labels[catalog.RevisionLabel] = strings.Repeat("0", 40)
			if img, err = mutate.ConfigFile(img, cf); err != nil {
				t.Fatal(err)
			}
		}
		out = mutate.AppendManifests(out, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: m.Platform}})
	}
	tg := d.Context().Tag(tag)
	if err := remote.WriteIndex(tg, out); err != nil {
		t.Fatal(err)
	}
	h, _ := out.Digest()
	return d.Context().Digest(h.String())
}
