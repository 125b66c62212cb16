//go:build e2e

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

// TestE2EPublishWithInvalidEntry publishes a copy of the testdata catalog holding one
// broken entry: every valid server is built, pushed, signed and attested, the broken one
// is a failed report naming its problem (nothing is built for it), and the exit code is 1.
// pinned's image carries a tag in the copy, which is dropped: it is pushed to
// <registry>/mcp/pinned:<--tag>.
func TestE2EPublishWithInvalidEntry(t *testing.T) {
	s := e2eSign(t)
	dir := filepath.Join(t.TempDir(), "servers")
	if err := os.CopyFS(dir, os.DirFS(s.catalog)); err != nil {
		t.Fatal(err)
	}
	pinned := filepath.Join(dir, "pinned", "server.yaml")
	y, err := os.ReadFile(pinned)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pinned, []byte(strings.Replace(string(y), "image: mcp/pinned\n", "image: mcp/pinned:1.0\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken", "server.yaml")
	if err := os.MkdirAll(filepath.Dir(broken), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, []byte("name: broken\nimage: mcp/broken\ntype: server\nsource:\n  project: "+catalogGit+"mcp-pinned.git\n  commit: HEAD\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tag, sigRepo := s.unique(t)

	rs, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, filepath.Join(dir, "..."))
	diag := broken + `:6:11: source.commit: "HEAD" moves with the branch; pin a commit (40 lowercase hex)`
	if code != cliutil.ExitFailed || err == nil || !strings.Contains(err.Error(), diag) {
		t.Fatalf("exit %d, err %v; want 1 naming %s\n%s", code, err, diag, stderr)
	}
	if !strings.Contains(stderr, `carries a tag (":1.0")`) {
		t.Errorf("no warning about pinned's tag:\n%s", stderr)
	}
	want := map[string]bool{"broken": false, "monorepo-alpha": true, "monorepo-beta": true, "multistage": true, "pinned": true}
	if len(rs) != len(want) {
		t.Fatalf("%d reports, want %d: %+v", len(rs), len(want), rs)
	}
	for i, r := range rs {
		ok, known := want[r.Name]
		switch {
		case !known:
			t.Errorf("report %d for %q", i, r.Name)
		case !ok && (r.Status != publish.Failed || r.Reason != diag || r.Image != ""):
			t.Errorf("broken: %+v, want failed with reason %q and no image", r, diag)
		case ok && (r.Status != publish.Published || r.Signature == "" || r.Attestation == "" ||
			!strings.HasPrefix(r.Image, s.registry+"/mcp/"+r.Name+"@sha256:")):
			t.Errorf("%s: %+v, want published to %s/mcp/%s", r.Name, r, s.registry, r.Name)
		}
	}
	if strings.Contains(stderr, "broken: building") {
		t.Errorf("the broken entry was built:\n%s", stderr)
	}
	// pinned's digest is tagged with the run's tag, not the catalog's.
	for _, r := range rs {
		if r.Name != "pinned" {
			continue
		}
		ref, err := name.NewTag(s.registry + "/mcp/pinned:" + tag)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Head(ref)
		if err != nil || !strings.HasSuffix(r.Image, "@"+desc.Digest.String()) {
			t.Errorf("%s = %v, %v; want pinned's published digest %s", ref, desc, err, r.Image)
		}
	}
}
