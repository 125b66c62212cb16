package main

import (
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/repro"
)

func reproRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func decodeRepro(t *testing.T, out string) reproJSON {
	t.Helper()
	var j reproJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if j.MediaType != repro.MediaType {
		t.Errorf("mediaType %q, want %q", j.MediaType, repro.MediaType)
	}
	return j
}

// A 404 of the published image is a definite "not published" (exit 1), and BuildKit
// (whose address does not exist here) is never contacted.
func TestReproNotPublishedWithoutBuildKit(t *testing.T) {
	publishEnv(t)
	host := reproRegistry(t)
	out, errOut, code, err := run(t, "repro", "--registry", host, "-o", "json", catalogDir(t))
	if code != cliutil.ExitFailed {
		t.Fatalf("exit %d: %v\n%s", code, err, errOut)
	}
	j := decodeRepro(t, out)
	if len(j.Reports) != 1 || j.Reports[0].Status != repro.NotPublished || j.Reports[0].Published != host+"/mcp/alpha:latest" {
		t.Errorf("reports %+v, want alpha not-published at %s/mcp/alpha:latest", j.Reports, host)
	}
}

// A registry that does not answer: could not check (exit 3), nothing built.
func TestReproRegistryDown(t *testing.T) {
	publishEnv(t)
	reg := closedAddr(t)
	out, errOut, code, err := run(t, "repro", "--registry", reg, catalogDir(t))
	if code != cliutil.ExitUnreachable || !strings.HasPrefix(out, "alpha failed reason=") {
		t.Errorf("exit %d, %v, stdout %q; want 3 and a failed line\n%s", code, err, out, errOut)
	}
}

// IMAGE is found in --catalog; with the image published, the rebuild needs BuildKit, which
// is unreachable here: exit 3 naming it.
func TestReproImageBuildKitDown(t *testing.T) {
	publishEnv(t)
	host := reproRegistry(t)
	img, _ := random.Image(32, 1)
	tag, _ := name.NewTag(host + "/mcp/alpha:latest")
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(filepath.Dir(catalogDir(t)))
	out, errOut, code, err := run(t, "repro", "--catalog", dir, "-o", "json", host+"/mcp/alpha")
	if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), "nonexistent/buildkitd.sock") {
		t.Fatalf("exit %d, %v; want 3 naming BuildKit\n%s", code, err, errOut)
	}
	d, _ := img.Digest()
	j := decodeRepro(t, out)
	if len(j.Reports) != 1 || j.Reports[0].Status != repro.Failed || j.Reports[0].Published != tag.Context().Digest(d.String()).String() {
		t.Errorf("reports %+v, want failed, published resolved to %s", j.Reports, d)
	}
}

func TestReproUsage(t *testing.T) {
	publishEnv(t)
	host := reproRegistry(t)
	pattern := catalogDir(t)
	dir := filepath.Dir(filepath.Dir(pattern))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"repro", "--registry", host}, "no IMAGE or PATTERN"},
		{[]string{"repro", "--registry", host, "--repro-tag", "latest", pattern}, "must not move it"},
		{[]string{"repro", "--registry", host, "--tag", "v1", "--repro-tag", "v1", pattern}, "must not move it"},
		{[]string{"repro", "--registry", host, "--no-cache=false", pattern}, "without cache"},
		{[]string{"repro", "--registry", host, "-o", "html", pattern}, "want text, json or markdown"},
		{[]string{"repro", "--registry", host, "--repro-repository", "justahost", pattern}, "HOST[:PORT]/PATH"},
		{[]string{"repro", "--catalog", dir, host + "/mcp/other"}, "no catalog entry"},
		{[]string{"repro", "--catalog", dir, host + "/mcp/alpha", "127.0.0.2:5000/mcp/alpha"}, "two registries"},
		{[]string{"repro", "--registry", host, "servers/nothing/..."}, ""},
	} {
		out, _, code, err := run(t, tc.args...)
		if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), tc.want) || out != "" {
			t.Errorf("%v: exit %d, %v, stdout %q; want usage %q", tc.args, code, err, out, tc.want)
		}
	}
}

func TestIsPattern(t *testing.T) {
	dir := t.TempDir()
	for arg, want := range map[string]bool{
		"servers/...": true, "x/server.yaml": true, dir: true,
		"127.0.0.1:5000/mcp/fetch": false, "mcp/fetch@sha256:" + strings.Repeat("0", 64): false, "ghcr.io/x/y:1": false,
	} {
		if got := isPattern(arg); got != want {
			t.Errorf("isPattern(%q) = %v, want %v", arg, got, want)
		}
	}
}
