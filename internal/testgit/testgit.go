// Package testgit serves throwaway git repositories to BuildKit in end-to-end tests: one
// commit holding a static Go program and a Dockerfile that RUNs it, over git's smart HTTP
// (git-http-backend), so a test controls exactly what a build executes. Tests only.
package testgit

import (
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RunRepo is a served repository.
type RunRepo struct {
	Base   string // the server's URL with a trailing slash: the repository is Base+Name+".git"
	URL    string // the repository's URL
	Commit string // its one commit
}

// ServeProgram builds program (the source of a Go main package) statically as the file
// bin, commits it with dockerfile (which COPYs and RUNs it) into the repository name, and
// serves it until the test ends.
func ServeProgram(t testing.TB, name, program, bin, dockerfile string) RunRepo {
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
	must(os.WriteFile(src, []byte(program), 0o644))
	gobuild := exec.Command("go", "build", "-o", filepath.Join(work, bin), src)
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	must(os.WriteFile(filepath.Join(work, "Dockerfile"), []byte(dockerfile), 0o644))
	git := func(dir string, args ...string) string {
		t.Helper()
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
	git(work, "commit", "-q", "-m", name)
	commit := git(work, "rev-parse", "HEAD")
	git(root, "clone", "-q", "--bare", work, name+".git")
	srv := httptest.NewServer(&cgi.Handler{
		Path: filepath.Join(git(root, "--exec-path"), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	})
	t.Cleanup(srv.Close)
	return RunRepo{Base: srv.URL + "/", URL: srv.URL + "/" + name + ".git", Commit: commit}
}
