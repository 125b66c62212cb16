//go:build e2e

package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/testgit"
)

// slowRunRepo serves, over git's smart HTTP, a repository whose Dockerfile RUNs a program
// that sleeps for ten minutes (a hostile RUN sleep), and returns its base URL (the
// repository is <base>slow.git) and commit.
func slowRunRepo(t *testing.T) (string, string) {
	// The timestamp makes the RUN's cache key new: nothing cached can answer it.
	r := testgit.ServeProgram(t, "slow", "package main\n\nimport \"time\"\n\nfunc main() { time.Sleep(10 * time.Minute) }\n", "sleep",
		"FROM scratch\nCOPY sleep /sleep\nRUN [\"/sleep\", \""+time.Now().String()+"\"]\n")
	return r.Base, r.Commit
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
