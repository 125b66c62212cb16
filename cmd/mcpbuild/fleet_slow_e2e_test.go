//go:build e2e

package main

import (
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// slowRunRepo serves, over git's smart HTTP, a repository whose Dockerfile RUNs a program
// that sleeps for ten minutes (a hostile RUN sleep), and returns its base URL (the
// repository is <base>slow.git) and commit.
func slowRunRepo(t *testing.T) (string, string) {
	t.Helper()
	root := t.TempDir()
	work := filepath.Join(root, "work")
	src := filepath.Join(t.TempDir(), "main.go")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(work, 0o755))
	must(os.WriteFile(src, []byte("package main\n\nimport \"time\"\n\nfunc main() { time.Sleep(10 * time.Minute) }\n"), 0o644))
	gobuild := exec.Command("go", "build", "-o", filepath.Join(work, "sleep"), src)
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// The timestamp makes the RUN's cache key new: nothing cached can answer it.
	must(os.WriteFile(filepath.Join(work, "Dockerfile"), []byte(
		"FROM scratch\nCOPY sleep /sleep\nRUN [\"/sleep\", \""+time.Now().String()+"\"]\n"), 0o644))
	git := func(dir string, args ...string) string {
		c := exec.Command("git", append([]string{"-c", "user.name=e2e", "-c", "user.email=e2e@example.com"}, args...)...)
		c.Dir = dir
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git(work, "init", "-q", "-b", "main")
	git(work, "add", ".")
	git(work, "commit", "-q", "-m", "slow RUN")
	commit := git(work, "rev-parse", "HEAD")
	git(root, "clone", "-q", "--bare", work, "slow.git")
	srv := httptest.NewServer(&cgi.Handler{
		Path: filepath.Join(git(root, "--exec-path"), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	})
	t.Cleanup(srv.Close)
	return srv.URL + "/", commit
}

// TestE2EBuildFleetSlowServer: over both daemons, a server whose own RUN outlasts
// --build-timeout fails alone (exit 3, naming it and the deadline), built once: no daemon
// is taken out for it, and the other server is built.
func TestE2EBuildFleetSlowServer(t *testing.T) {
	s := e2e(t)
	tlsAddr, dir, _ := tlsDaemon(t)
	unix := os.Getenv(cliutil.EnvBuildkitHost)
	base, commit := slowRunRepo(t)
	// The catalog wants https: the mirror maps it to the plain-http test server.
	slow := writeEntry(t, "slow", "name: slow\nimage: mcpbuild-e2e/slow\ntype: server\nsource:\n  project: https://example.invalid/slow.git\n  commit: "+commit+"\n")
	good := writeEntry(t, "good", "name: good\nimage: mcpbuild-e2e/good\ntype: server\nsource:\n  project: "+catalogGit+"mcp-pinned.git\n  commit: "+pinOf(t, s, "pinned")+"\n")
	out, stderr, code, err := runWithin(t, 3*time.Minute, "build", "--registry", s.registry, "--progress", "quiet",
		"--buildkit-addr", unix, "--buildkit-addr", tlsAddr, "--tlsdir", dir, "--build-timeout", "15s", s.mirror(), "--source-mirror=https://example.invalid/="+base, slow, good)
	if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), "server slow did not finish within 15s") {
		t.Fatalf("exit %d, %v; want 3 naming server slow and its deadline\n%s", code, err, stderr)
	}
	if !strings.Contains(out, "good ") || strings.Contains(err.Error(), "server good") {
		t.Errorf("server good not built: %v\nstdout %q", err, out)
	}
	if strings.Contains(stderr, "taken out") || strings.Contains(stderr, "building again") {
		t.Errorf("a slow build took a daemon out or was built again:\n%s", stderr)
	}
}
