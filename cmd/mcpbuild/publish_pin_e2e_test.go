//go:build e2e

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/publish"
)

// The tip of mcp-pinned (testdata/repos/hashes.txt, 03-v0.3.0); the catalog pins 02-v0.2.0.
const pinnedTip = "f3bf51cad780e93dbee5cb021507ea3e37068c19"

// TestE2EPublishChangedPin: a changed pin publishes anew (new digest, signature with the
// new revision claim, verified by cosign), and is unchanged on the next run.
func TestE2EPublishChangedPin(t *testing.T) {
	s := e2eSign(t)
	orig := filepath.Join(s.catalog, "pinned")
	oldPin := pins(t, orig)["pinned"]
	y, err := os.ReadFile(filepath.Join(orig, "server.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if oldPin == pinnedTip || !strings.Contains(string(y), "commit: "+oldPin) {
		t.Fatalf("fixture: pinned is pinned to %s", oldPin)
	}
	changed := filepath.Join(t.TempDir(), "servers", "pinned")
	if err := os.MkdirAll(changed, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(changed, "server.yaml"), []byte(strings.Replace(string(y), "commit: "+oldPin, "commit: "+pinnedTip, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	tag, sigRepo := s.unique(t)

	first, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, orig)
	if code != 0 || len(first) != 1 || first[0].Status != publish.Published {
		t.Fatalf("publish at %s: exit %d, %v, %+v\n%s", oldPin, code, err, first, stderr)
	}
	rs, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, changed)
	if code != 0 || len(rs) != 1 {
		t.Fatalf("publish at %s: exit %d, %v\n%s", pinnedTip, code, err, stderr)
	}
	r := rs[0]
	if r.Status != publish.Published || r.Commit != pinnedTip || r.Image == first[0].Image || r.SignatureLogIndex == nil ||
		*r.SignatureLogIndex == *first[0].SignatureLogIndex {
		t.Errorf("changed pin: %+v, first %+v", r, first[0])
	}
	s.cosignVerify(t, sigRepo, r, pinnedTip, e2ePubA)
	again, _, code, _ := s.publish(t, tag, sigRepo, e2eKeyA, changed)
	if code != 0 || len(again) != 1 || again[0].Status != publish.Unchanged || again[0].Image != r.Image {
		t.Errorf("second publish at the changed pin: exit %d, %+v", code, again)
	}
}
