//go:build e2e

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	movingV1 = "efc65db736121cd9132ffbd5469ca29b9dee9177" // mcp-moving 01-v1: stable, tag release
	movingV2 = "cd096615214520b9c061cfc82deb0df228bf9ec2" // mcp-moving 02-v2: main
)

// copyEntries copies testdata/remote/servers/NAME for each name into a temporary
// servers/ directory, makes it the working directory (so that reports name
// servers/NAME/server.yaml) and returns the original bytes by name.
func copyEntries(t *testing.T, names ...string) map[string][]byte {
	t.Helper()
	src, err := filepath.Abs(remoteCatalog)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	orig := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(src, n, "server.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "servers", n), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "servers", n, "server.yaml"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		orig[n] = b
	}
	t.Chdir(dir)
	return orig
}

func readEntry(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("servers", name, "server.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestE2EUpdatePins moves the pin of a branch that moved ahead, leaves the tag named like
// a branch alone, and reports the review in Markdown (golden file).
func TestE2EUpdatePins(t *testing.T) {
	mirror := e2eGit(t)
	golden, err := filepath.Abs("testdata/updatepins/e2e.md")
	if err != nil {
		t.Fatal(err)
	}
	orig := copyEntries(t, "moving", "tagged")

	out, stderr, code, err := run(t, "update-pins", "--dry-run", mirror, "servers/...")
	if code != 0 || !strings.Contains(out, "moving would-update efc65db73612 -> cd0966152145 branch=main commits=1 files=3 dockerfile-changed manifests=package.json\n") ||
		!strings.Contains(out, "tagged left-alone efc65db73612 branch=release") {
		t.Fatalf("update-pins --dry-run: exit %d, %v\n%s%s", code, err, out, stderr)
	}
	if !bytes.Equal(readEntry(t, "moving"), orig["moving"]) {
		t.Fatalf("--dry-run changed servers/moving/server.yaml")
	}

	out, stderr, code, err = run(t, "update-pins", "-o", "markdown", mirror, "servers/...")
	if code != 0 {
		t.Fatalf("update-pins: exit %d, %v\n%s", code, err, stderr)
	}
	out = strings.ReplaceAll(out, strings.TrimSuffix(os.Getenv("MCPBUILD_E2E_GIT"), "/")+"/", catalogGit)
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("update-pins -o markdown =\n%s\nwant (%s)\n%s", out, golden, want)
	}
	wantMoving := bytes.Replace(orig["moving"], []byte(movingV1), []byte(movingV2), 1)
	if got := readEntry(t, "moving"); !bytes.Equal(got, wantMoving) {
		t.Errorf("servers/moving/server.yaml =\n%s\nwant only the commit changed:\n%s", got, wantMoving)
	}
	if !bytes.Equal(readEntry(t, "tagged"), orig["tagged"]) {
		t.Errorf("servers/tagged/server.yaml changed; a tag named like a branch must be left alone")
	}

	// Run again: nothing left to move.
	out, _, code, _ = run(t, "update-pins", "-o", "json", mirror, "servers/...")
	var doc pinUpdatesJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 || doc.MediaType != PinUpdatesMediaType || len(doc.Servers) != 2 ||
		doc.Servers[0].Status != pinCurrent || doc.Servers[0].Old != movingV2 || doc.Servers[1].Status != pinLeft {
		t.Errorf("second update-pins: exit %d, %v\n%s", code, err, out)
	}
}

// TestE2EUpdatePinsProblems: a pinned commit gone from the remote is a definite problem
// (exit 1), a remote that cannot be reached exit 3; neither file changes.
func TestE2EUpdatePinsProblems(t *testing.T) {
	mirror := e2eGit(t)
	orig := copyEntries(t, "no-commit", "moving")
	out, stderr, code, _ := run(t, "update-pins", mirror, "servers/no-commit")
	if code != 1 || !strings.Contains(out, "no-commit failed") || !strings.Contains(out, "does not exist on the remote") {
		t.Errorf("update-pins no-commit: exit %d\n%s%s", code, out, stderr)
	}
	out, stderr, code, _ = run(t, "update-pins", "--source-mirror="+catalogGit+"=git://127.0.0.1:1/", "servers/...")
	if code != 3 || !strings.Contains(out, "moving unreachable") {
		t.Errorf("update-pins, remote down: exit %d\n%s%s", code, out, stderr)
	}
	for n, b := range orig {
		if !bytes.Equal(readEntry(t, n), b) {
			t.Errorf("servers/%s/server.yaml changed", n)
		}
	}
}
