//go:build e2e

package build_test

import (
	"context"
	"errors"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/fault"
)

// hostileRunRepo serves, over git's smart HTTP, a repository whose Dockerfile RUNs a
// program that prints nothing and exits 1, with arguments that read like a git fetch
// failing for the network and a missing commit. It returns the project URL and commit.
func hostileRunRepo(t *testing.T) (string, string) {
	t.Helper()
	root := t.TempDir()
	work := filepath.Join(root, "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Exit(1) }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gobuild := exec.Command("go", "build", "-o", filepath.Join(work, "fail"), src)
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dockerfile := "FROM scratch\nCOPY fail /fail\n" +
		`RUN ["/fail", "failed to fetch remote git fetch: connection refused", "reference is not a tree"]` + "\n"
	if err := os.WriteFile(filepath.Join(work, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
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
	git(work, "commit", "-q", "-m", "hostile RUN")
	commit := git(work, "rev-parse", "HEAD")
	git(root, "clone", "-q", "--bare", work, "hostile.git")
	gitExec := git(root, "--exec-path")
	srv := httptest.NewServer(&cgi.Handler{
		Path: filepath.Join(gitExec, "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
	})
	t.Cleanup(srv.Close)
	return srv.URL + "/hostile.git", commit
}

// A RUN that exits non-zero is the server's build failing (exit 1), whatever its command
// line says: text in the Dockerfile cannot make it "could not check" or a missing commit.
func TestE2EFailedRunIsABuildFailure(t *testing.T) {
	e := stack(t)
	project, commit := hostileRunRepo(t)
	_, err := newBuilder(t, e, build.PlanOptions{}).Build(context.Background(), server("hostile-run", project, commit, ""))
	if err == nil {
		t.Fatal("Build() succeeded, want the RUN to fail")
	}
	var ue *build.UnreachableError
	var nf *build.CommitNotFoundError
	if errors.As(err, &ue) || errors.As(err, &nf) || fault.KindOf(err) == fault.Unreachable {
		t.Fatalf("Build() = %#v (kind %v), want a plain build failure", err, fault.KindOf(err))
	}
	// classify decides by the process's exit, typed: check that the type crosses gRPC.
	if xe, ok := errors.AsType[*gatewaypb.ExitError](err); !ok || xe.ExitCode != 1 {
		t.Errorf("Build() = %v: no *ExitError with code 1 in its chain", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "building server hostile-run") || !strings.Contains(msg, "did not complete successfully: exit code: 1") {
		t.Errorf("error %q does not name the server and the failed process", msg)
	}
}
