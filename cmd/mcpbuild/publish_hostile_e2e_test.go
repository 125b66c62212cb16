//go:build e2e

package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/publish"
)

// Publish through a hostile proxy in front of the stack's registry (--registry is the
// proxy, so BuildKit pushes through it too: buildkitd treats every loopback registry as
// plain HTTP, whatever its port).

// publishVia runs publish with registry (the proxy) for the image and signatures.
func (s signStack) publishVia(t *testing.T, registry, tag, sigRepo string, extra ...string) ([]publish.Report, string, int, error) {
	t.Helper()
	args := append([]string{"publish", "--registry", registry, "--tag", tag, "--key", e2eKeyA, "--signatures-repo", sigRepo,
		"--rekor-url", s.rekorURL, "--progress", "quiet", "-o", "json", s.mirror()}, extra...)
	out, stderr, code, err := run(t, args...)
	var rs []publish.Report
	if out != "" {
		if jerr := json.Unmarshal([]byte(out), &rs); jerr != nil {
			t.Fatalf("stdout is not the report: %v\n%s", jerr, out)
		}
	}
	return rs, stderr, code, err
}

// TestE2ELyingRegistryKeepsCosignSignature: the registry answers the .sig GET with
// 500 {"errors":[{"code":"MANIFEST_UNKNOWN"}]}, on the check before building or on the
// read before writing. Publish fails with exit 3, writes no .sig, and the cosign
// co-signature already there keeps verifying with cosign v2 and v3.
func TestE2ELyingRegistryKeepsCosignSignature(t *testing.T) {
	s := e2eSign(t)
	if s.cosign2 == "" {
		t.Skip("needs MCPBUILD_E2E_COSIGN2")
	}
	pattern := filepath.Join(s.catalog, "pinned")
	tag, _ := s.unique(t)
	out, stderr, code, err := run(t, "build", "--registry", s.registry, "--tag", tag, "--progress", "quiet", "-o", "json", s.mirror(), pattern)
	var built []resultJSON
	if code != 0 || json.Unmarshal([]byte(out), &built) != nil || len(built) != 1 {
		t.Fatalf("build: exit %d, %v, %q\n%s", code, err, out, stderr)
	}
	img := built[0].Image
	proxy, err := hostile.NewProxy("http://" + s.registry)
	if err != nil {
		t.Fatal(err)
	}
	host := proxy.Start(t)
	const sigPath = `/manifests/sha256-[0-9a-f]{64}\.sig$`
	for _, tc := range []struct {
		name   string
		action hostile.Action
		reason string // where publish stopped
	}{
		{"on the check", hostile.Fail(http.StatusInternalServerError, "MANIFEST_UNKNOWN"), "checking "},
		// The check's read passes (cosign's signature, not ours: rebuild and sign); the read
		// before writing gets the lie.
		{"before the write", hostile.Sequence(hostile.Pass(), hostile.Fail(http.StatusInternalServerError, "MANIFEST_UNKNOWN")),
			"attaching signature of "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, sigRepo := s.unique(t)
			if _, err := s.cosign(t, s.cosign2, sigRepo, "sign", "--key", e2eKeyB, "--rekor-url", s.rekorURL, "--yes",
				"-a", "by=cosign", img); err != nil {
				t.Fatal(err)
			}
			before, _ := layers(t, sigRepo, img, "sig")
			proxy.Clear()
			proxy.On(http.MethodGet, sigPath, tc.action)
			puts := proxy.Count(http.MethodPut, sigPath)

			rs, stderr, code, err := s.publishVia(t, host, tag, host+strings.TrimPrefix(sigRepo, s.registry), pattern)
			proxy.Clear()
			if code != cliutil.ExitUnreachable || len(rs) != 1 || rs[0].Status != publish.Failed || rs[0].Signature != "" {
				t.Errorf("publish against a 500 MANIFEST_UNKNOWN: exit %d, %v, %+v; want exit 3, failed\n%s", code, err, rs, stderr)
			} else if !strings.Contains(rs[0].Reason, tc.reason) {
				t.Errorf("failed with %q; want it to stop at %q", rs[0].Reason, tc.reason)
			}
			if n := proxy.Count(http.MethodPut, sigPath) - puts; n != 0 {
				t.Errorf("%d .sig PUTs after a read that could not check", n)
			}
			if after, _ := layers(t, sigRepo, img, "sig"); !bytes.Equal(after, before) {
				t.Errorf(".sig manifest changed:\nbefore %s\nafter  %s", before, after)
			}
			if _, err := s.cosign(t, s.cosign2, sigRepo, "verify", "--key", e2ePubB, "--rekor-url", s.rekorURL, "-a", "by=cosign", img); err != nil {
				t.Errorf("cosign v2 no longer verifies its co-signature: %v", err)
			}
			if s.cosign3 != "" {
				if _, err := s.cosign(t, s.cosign3, sigRepo, append(append([]string{"verify", "--key", e2ePubB}, s.cosign3VerifyFlags(t)...), img)...); err != nil {
					t.Errorf("cosign v3 no longer verifies the co-signature: %v", err)
				}
			}
		})
	}
}

// TestE2EDroppedImageWriteIsNotPublished: the registry answers 201 to BuildKit's image
// manifest PUT and stores nothing. Publish fails (exit 1) with no signature, attestation
// or log entry.
func TestE2EDroppedImageWriteIsNotPublished(t *testing.T) {
	s := e2eSign(t)
	proxy, err := hostile.NewProxy("http://" + s.registry)
	if err != nil {
		t.Fatal(err)
	}
	host := proxy.Start(t)
	proxy.On(http.MethodPut, `/v2/mcp/pinned/manifests/`, hostile.DropWrite())
	tag, sigRepo := s.unique(t)
	sigRepo = host + strings.TrimPrefix(sigRepo, s.registry)
	size := s.logSize(t)

	rs, stderr, code, err := s.publishVia(t, host, tag, sigRepo, filepath.Join(s.catalog, "pinned"))
	if code != cliutil.ExitFailed || err == nil || !strings.Contains(err.Error(), publish.ErrImageNotStored.Error()) {
		t.Errorf("publish with the image write dropped: exit %d, %v; want exit 1, %q\n%s", code, err, publish.ErrImageNotStored, stderr)
	}
	if len(rs) != 1 || rs[0].Status != publish.Failed || rs[0].Image != "" || rs[0].Signature != "" || rs[0].Attestation != "" {
		t.Errorf("report %+v; want failed, no image, nothing signed", rs)
	}
	if n := proxy.Count(http.MethodPut, `/v2/mcp/pinned/manifests/`); n == 0 {
		t.Error("BuildKit did not push through the proxy")
	}
	proxy.Clear()
	repo, _ := name.NewRepository(sigRepo)
	if tags, err := remote.List(repo); err == nil && len(tags) > 0 {
		t.Errorf("signatures repository has tags %v for an image the registry does not have", tags)
	}
	ref, _ := name.NewTag(s.registry + "/mcp/pinned:" + tag)
	if _, err := remote.Head(ref); err == nil {
		t.Errorf("%s exists although its write was dropped", ref)
	}
	if got := s.logSize(t); got != size {
		t.Logf("Rekor log size %d -> %d: entries from concurrent tests (this publish signed nothing: see the report)", size, got)
	}
}
