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
