//go:build e2e

package main

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/mcpbuild/mcpbuild/publish"
)

// TestE2EPublishWithoutTLog: --tlog-upload=false signs without log entries (cosign verifies
// only with --insecure-ignore-tlog); a later publish with the log adds a logged signature
// instead of counting the unlogged one as done.
func TestE2EPublishWithoutTLog(t *testing.T) {
	s := e2eSign(t)
	if s.cosign2 == "" {
		t.Skip("needs MCPBUILD_E2E_COSIGN2")
	}
	pattern := filepath.Join(s.catalog, "pinned")
	tag, sigRepo := s.unique(t)
	out, stderr, code, err := run(t, "publish", "--registry", s.registry, "--tag", tag, "--key", e2eKeyA, "--signatures-repo", sigRepo,
		"--tlog-upload=false", "--progress", "quiet", "-o", "json", s.mirror(), pattern)
	var rs []publish.Report
	if code != 0 || json.Unmarshal([]byte(out), &rs) != nil || len(rs) != 1 {
		t.Fatalf("publish --tlog-upload=false: exit %d, %v, %q\n%s", code, err, out, stderr)
	}
	r := rs[0]
	if r.Status != publish.Published || r.SignatureLogIndex != nil || r.AttestationLogIndex != nil {
		t.Errorf("report %+v; want published without log indexes", r)
	}
	if _, err := s.cosign(t, s.cosign2, sigRepo, "verify", "--key", e2ePubA, "--insecure-ignore-tlog", r.Image); err != nil {
		t.Errorf("cosign verify --insecure-ignore-tlog: %v", err)
	}
	if _, err := s.cosign(t, s.cosign2, sigRepo, "verify", "--key", e2ePubA, "--rekor-url", s.rekorURL, r.Image); err == nil {
		t.Error("cosign verify with the log accepted a signature that has no log entry")
	}

	logged, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, pattern)
	if code != 0 || len(logged) != 1 || logged[0].Status != publish.Published || logged[0].SignatureLogIndex == nil {
		t.Fatalf("publish with the log after an unlogged one: exit %d, %v, %+v\n%s", code, err, logged, stderr)
	}
	if _, sigs := layers(t, sigRepo, r.Image, "sig"); len(sigs) != 2 {
		t.Errorf("%d signature layers, want the unlogged and the logged one", len(sigs))
	}
	s.cosignVerify(t, sigRepo, logged[0], pins(t, pattern)["pinned"], e2ePubA)
}
