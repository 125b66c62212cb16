//go:build e2e

package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// The testdata catalog names its projects at the stack's fixed git address; a mirror
// maps that to MCPBUILD_E2E_GIT in case the stack runs elsewhere.
const catalogGit = "git://127.0.0.1:19418/"

type e2eStack struct{ registry, git, catalog string }

func e2e(t *testing.T) e2eStack {
	t.Helper()
	s := e2eStack{os.Getenv("MCPBUILD_E2E_REGISTRY"), os.Getenv("MCPBUILD_E2E_GIT"), os.Getenv("MCPBUILD_E2E_CATALOG")}
	if os.Getenv("MCPBUILD_E2E") != "1" || os.Getenv(cliutil.EnvBuildkitHost) == "" || s.registry == "" || s.git == "" || s.catalog == "" {
		t.Skip("needs the local stack: . .stack/env")
	}
	return s
}

func (s e2eStack) mirror() string {
	return "--source-mirror=" + catalogGit + "=" + strings.TrimSuffix(s.git, "/") + "/"
}

// TestE2EBuildCatalog builds the testdata catalog with `mcpbuild build -o json` and
// checks every image in the registry against its pin.
func TestE2EBuildCatalog(t *testing.T) {
	s := e2e(t)
	pattern := filepath.Join(s.catalog, "...")
	out, stderr, code, err := run(t, "build", "--registry", s.registry, "--progress", "plain", "-o", "json", "-j", "3", s.mirror(), pattern)
	if code != 0 {
		t.Fatalf("mcpbuild build: exit %d, %v\n%s", code, err, stderr)
	}
	var got []resultJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("stdout is not the JSON array: %v\n%s", err, out)
	}
	servers, _, err := catalog.Load([]string{pattern}, catalog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]resultJSON{}
	for _, r := range got {
		byName[r.Name] = r
	}
	built, notTip := 0, 0
	for _, srv := range servers {
		r, ok := byName[srv.Name]
		if !srv.Buildable() {
			if !ok || r.Status != statusSkipped || r.MediaType != BuildMediaType || !strings.Contains(r.Reason, "not built from source") {
				t.Errorf("%s (type %s): row %+v, want skipped with a reason", srv.Name, srv.Type, r)
			}
			if !strings.Contains(stderr, "skipping server "+srv.Name) {
				t.Errorf("no note on stderr about skipping %s", srv.Name)
			}
			continue
		}
		built++
		if !ok {
			t.Errorf("%s: not in the output", srv.Name)
			continue
		}
		t.Run(srv.Name, func(t *testing.T) {
			if checkImage(t, s, srv, r) {
				notTip++
			}
		})
	}
	if notTip == 0 {
		t.Errorf("no server pinned below its branch tip with a file that differs there: the catalog proves nothing about the tip")
	}
	nBuilt := 0
	for _, r := range got {
		if r.Status == statusBuilt {
			nBuilt++
		}
	}
	if built < 3 || nBuilt != built || len(got) != len(servers) {
		t.Errorf("built %d servers, output has %d built of %d rows; want at least 3, all of them, a row per entry (%d)", built, nBuilt, len(got), len(servers))
	}
}

// checkImage checks one built image; it reports whether the pin is below the branch tip
// and the checked file differs there (so the image proves the tip was not used).
func checkImage(t *testing.T, s e2eStack, srv *catalog.Server, r resultJSON) bool {
	pin := srv.Source.Commit
	if r.Commit != pin || r.Project != srv.Source.Project {
		t.Errorf("output commit/project = %s %s, want the pin %s %s", r.Commit, r.Project, pin, srv.Source.Project)
	}
	d, err := name.NewDigest(r.Image)
	if err != nil || d.DigestStr() != r.Digest || !strings.HasPrefix(r.Image, s.registry+"/"+srv.Image+"@") {
		t.Errorf("output image %q digest %q: %v", r.Image, r.Digest, err)
		return false
	}
	img, err := remote.Image(d)
	if err != nil {
		t.Errorf("reading %s back: %v", d, err)
		return false
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Error(err)
		return false
	}
	if got := cfg.Config.Labels[catalog.RevisionLabel]; got != pin {
		t.Errorf("revision label %q, want the pin %s", got, pin)
	}
	if got := cfg.Config.Labels[catalog.SourceLabel]; got != srv.Source.Project {
		t.Errorf("source label %q, want %s", got, srv.Source.Project)
	}
	// The files come from the pinned commit, not the branch tip.
	url := strings.Replace(srv.Source.Project, catalogGit, strings.TrimSuffix(s.git, "/")+"/", 1)
	p := "version.txt"
	if srv.Source.Directory != "" {
		p = srv.Source.Directory + "/version.txt"
	}
	want := gitShow(t, url, pin, p)
	if got := imageFile(t, img, "version.txt"); got != want {
		t.Errorf("/version.txt = %q, want %q from %s at %s", got, want, p, pin)
	}
	if tip := gitTip(t, url, srv.Source.Branch); tip != pin {
		if tipContent := gitShow(t, url, tip, p); tipContent != want {
			t.Logf("pinned %s is below the tip %s of %s, where %s differs", pin, tip, srv.Source.Branch, p)
			return true
		}
	}
	return false
}

// TestE2EUnknownCommitExit1: a pin the remote does not have fails with exit 1 naming
// project and commit.
func TestE2EUnknownCommitExit1(t *testing.T) {
	s := e2e(t)
	commit := strings.Repeat("de", 20)
	project := catalogGit + "mcp-pinned.git"
	p := writeEntry(t, "ghost", "name: ghost\nimage: mcpbuild-e2e/ghost\ntype: server\nsource:\n  project: "+project+"\n  commit: "+commit+"\n")
	out, _, code, err := run(t, "build", "--registry", s.registry, "--progress", "quiet", s.mirror(), p)
	if code != cliutil.ExitFailed || err == nil || !strings.Contains(err.Error(), project) || !strings.Contains(err.Error(), commit) {
		t.Errorf("exit %d, err %v; want exit 1 naming %s and %s", code, err, project, commit)
	}
	if !strings.HasPrefix(out, `ghost failed reason="server ghost: commit `+commit+" not found in "+project) || strings.Count(out, "\n") != 1 {
		t.Errorf("stdout %q, want one failed row naming the commit", out)
	}
}

// TestE2EPartialFailureExit1: one server builds, one fails (its Dockerfile path does not
// exist at the pin): exit 1 naming the failed server and its Dockerfile, and stdout lists
// the server that was built and a failed row for the other.
func TestE2EPartialFailureExit1(t *testing.T) {
	s := e2e(t)
	good := writeEntry(t, "good", "name: good\nimage: mcpbuild-e2e/good\ntype: server\nsource:\n  project: "+catalogGit+"mcp-pinned.git\n  commit: "+pinOf(t, s, "pinned")+"\n")
	bad := writeEntry(t, "nodockerfile", "name: nodockerfile\nimage: mcpbuild-e2e/nodockerfile\ntype: server\nsource:\n  project: "+catalogGit+"mcp-pinned.git\n  commit: "+pinOf(t, s, "pinned")+"\n  dockerfile: build/Missing.Dockerfile\n")
	out, _, code, err := run(t, "build", "--registry", s.registry, "--progress", "quiet", "-j", "2", s.mirror(), good, bad)
	if code != cliutil.ExitFailed || err == nil || !strings.Contains(err.Error(), "server nodockerfile") || !strings.Contains(err.Error(), "build/Missing.Dockerfile") {
		t.Errorf("exit %d, err %v; want exit 1 naming server nodockerfile and its Dockerfile", code, err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if f := strings.Fields(lines[0]); len(lines) != 2 || len(f) != 3 || f[0] != "good" || !strings.HasPrefix(f[1], s.registry+"/mcpbuild-e2e/good@sha256:") ||
		!strings.HasPrefix(lines[1], `nodockerfile failed reason="building server nodockerfile: `) || !strings.Contains(lines[1], "build/Missing.Dockerfile") {
		t.Errorf("stdout %q, want a line for the server built and a failed row for the other", out)
	}
}

// pinOf returns the commit the testdata catalog pins for server name.
func pinOf(t *testing.T, s e2eStack, name string) string {
	t.Helper()
	servers, _, err := catalog.Load([]string{filepath.Join(s.catalog, name)}, catalog.Options{})
	if err != nil || len(servers) != 1 {
		t.Fatalf("loading %s from %s: %v", name, s.catalog, err)
	}
	return servers[0].Source.Commit
}

// TestE2EUnreachableExit3: unreachable BuildKit and registry are exit 3 with the address.
func TestE2EUnreachableExit3(t *testing.T) {
	s := e2e(t)
	pattern := filepath.Join(s.catalog, "pinned")
	addr := "tcp://127.0.0.1:1"
	_, _, code, err := run(t, "build", "--registry", s.registry, "--buildkit-addr", addr, s.mirror(), pattern)
	if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("buildkit %s: exit %d, err %v; want exit 3 naming it", addr, code, err)
	}
	_, _, code, err = run(t, "build", "--registry", "127.0.0.1:1", "--progress", "quiet", s.mirror(), pattern)
	if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("registry 127.0.0.1:1: exit %d, err %v; want exit 3 naming it", code, err)
	}
}

func git(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return string(out)
}

func gitShow(t *testing.T, url, commit, path string) string {
	t.Helper()
	dir := t.TempDir()
	git(t, "init", "-q", "--bare", dir)
	git(t, "--git-dir", dir, "fetch", "-q", "--depth=1", url, commit)
	return git(t, "--git-dir", dir, "show", commit+":"+path)
}

func gitTip(t *testing.T, url, branch string) string {
	t.Helper()
	if branch == "" {
		branch = "HEAD"
	}
	f := strings.Fields(git(t, "ls-remote", url, branch))
	if len(f) == 0 {
		t.Fatalf("no %s in %s", branch, url)
	}
	return f[0]
}

func imageFile(t *testing.T, img v1.Image, p string) string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("image has no file %s", p)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "/") == p {
			var b bytes.Buffer
			if _, err := io.Copy(&b, tr); err != nil {
				t.Fatal(err)
			}
			return b.String()
		}
	}
}
