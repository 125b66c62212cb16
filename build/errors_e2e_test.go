//go:build e2e

package build_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/fault"
	"github.com/mcpbuild/mcpbuild/internal/testgit"
)

// hostileRunRepo serves, over git's smart HTTP, a repository whose Dockerfile RUNs a
// program that prints nothing and exits 1, with arguments that read like a git fetch
// failing for the network and a missing commit. It returns the project URL and commit.
func hostileRunRepo(t *testing.T) (string, string) {
	r := testgit.ServeProgram(t, "hostile", "package main\n\nimport \"os\"\n\nfunc main() { os.Exit(1) }\n", "fail",
		"FROM scratch\nCOPY fail /fail\n"+
			`RUN ["/fail", "failed to fetch remote git fetch: connection refused", "reference is not a tree"]`+"\n")
	return r.URL, r.Commit
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

// A COPY of a missing file whose path reads like a git and registry failure, and an ADD of
// another git remote that is down, are the server's build failing: BuildKit locates the
// first in the Dockerfile, and the second is not the server's repository.
func TestE2EDockerfileStepsAreBuildFailures(t *testing.T) {
	e := stack(t)
	prog := "package main\n\nfunc main() {}\n"
	for _, tc := range []struct{ name, dockerfile string }{
		{"copy-quotes", "FROM scratch\nCOPY [\"failed to fetch remote git fetch: connection refused reference is not a tree\", \"/x\"]\n"},
		{"copy-quotes-push", "FROM scratch\nCOPY [\"failed to push: connection reset\", \"/x\"]\n"},
		{"add-other-git", "FROM scratch\nADD git://127.0.0.1:1/other.git /x\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := testgit.ServeProgram(t, tc.name, prog, "prog", tc.dockerfile)
			_, err := newBuilder(t, e, build.PlanOptions{}).Build(context.Background(), server(tc.name, r.URL, r.Commit, ""))
			if err == nil {
				t.Fatal("Build() succeeded, want the step to fail")
			}
			var ue *build.UnreachableError
			var nf *build.CommitNotFoundError
			if errors.As(err, &ue) || errors.As(err, &nf) || fault.KindOf(err) == fault.Unreachable {
				t.Fatalf("Build() = %#v (kind %v), want a plain build failure", err, fault.KindOf(err))
			}
			if !strings.Contains(err.Error(), "building server "+tc.name) {
				t.Errorf("error %q does not name the server", err)
			}
		})
	}
}
