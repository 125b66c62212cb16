package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

// publishCatalog writes catalogDir's alpha with image, and a broken entry beside it, and
// returns the recursive pattern and the broken file's path.
func publishCatalog(t *testing.T, image string) (string, string) {
	t.Helper()
	alpha := catalogDir(t)
	y := "name: alpha\nimage: " + image + "\ntype: server\nsource:\n  project: https://example.com/alpha.git\n  commit: " + testPin + "\n"
	if err := os.WriteFile(alpha, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	servers := filepath.Dir(filepath.Dir(alpha))
	broken := filepath.Join(servers, "broken", "server.yaml")
	if err := os.MkdirAll(filepath.Dir(broken), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, []byte("name: broken\nimage: mcp/broken\ntype: server\nsource:\n  project: https://example.com/b.git\n  commit: HEAD\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return servers + "/...", broken
}

// One broken entry among published ones: the others are processed (here alpha, already
// published, is unchanged without BuildKit), the broken one is a failed report naming its
// problem, and the exit code is 1. alpha's image carries a tag, which is dropped: it is
// found where publish pushes it, <registry>/mcp/alpha:latest.
func TestPublishInvalidEntry(t *testing.T) {
	publishEnv(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	dig, _ := publishedImage(t, host)
	pattern, broken := publishCatalog(t, "mcp/alpha:9.9")
	diag := broken + `:6:11: source.commit: "HEAD" moves with the branch; pin a commit (40 lowercase hex)`

	out, errOut, code, err := run(t, "publish", "--registry", host, "--key", testKey, "--tlog-upload=false", "-o", "json", pattern)
	if code != cliutil.ExitFailed || err == nil || !strings.Contains(err.Error(), diag) {
		t.Errorf("exit %d, err %v; want 1 naming %s", code, err, diag)
	}
	var rs []publish.Report
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 2 {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if r := rs[0]; r.Name != "alpha" || r.Status != publish.Unchanged || r.Image != dig.String() {
		t.Errorf("alpha: %+v, want unchanged %s", r, dig)
	}
	if r := rs[1]; r.Name != "broken" || r.Status != publish.Failed || r.Reason != diag || r.Image != "" {
		t.Errorf("broken: %+v, want failed with reason %q", r, diag)
	}
	if !strings.Contains(errOut, "warning: "+filepath.Join(filepath.Dir(filepath.Dir(broken)), "alpha", "server.yaml")+`:2:8: image: "mcp/alpha:9.9" carries a tag (":9.9")`) {
		t.Errorf("no warning about alpha's tag on stderr: %s", errOut)
	}

	out, _, code, _ = run(t, "publish", "--registry", host, "--key", testKey, "--tlog-upload=false", pattern)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != cliutil.ExitFailed || len(lines) != 2 || !strings.HasPrefix(lines[0], "alpha unchanged ") ||
		lines[1] != `broken failed - commit= reason="`+strings.ReplaceAll(diag, `"`, `\"`)+`"` {
		t.Errorf("text (exit %d):\n%s", code, out)
	}

	// --strict: the tag is an error too; both entries fail before any service is contacted.
	out, _, code, _ = run(t, "publish", "--strict", "--registry", closedAddr(t), "--key", testKey, "--rekor-url", "http://"+closedAddr(t), pattern)
	if code != cliutil.ExitFailed || !strings.HasPrefix(out, `alpha failed - commit= reason="`) || !strings.Contains(out, `carries a tag (\":9.9\")`) {
		t.Errorf("--strict: exit %d, stdout %q; want 1 and two failed rows", code, out)
	}
}

// A broken entry when the run cannot start (Rekor down): exit 3, nothing on stdout, and
// the error names both the broken entry and what stopped the run.
func TestPublishInvalidAndRekorDown(t *testing.T) {
	publishEnv(t)
	pattern, broken := publishCatalog(t, "mcp/alpha")
	rekor := "http://" + closedAddr(t)
	out, _, code, err := run(t, "publish", "--registry", closedAddr(t), "--key", testKey, "--rekor-url", rekor, pattern)
	if code != cliutil.ExitUnreachable || out != "" || err == nil || !strings.Contains(err.Error(), broken+":6:11") || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("exit %d, stdout %q, err %v", code, out, err)
	}
}
