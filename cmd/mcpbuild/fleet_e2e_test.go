//go:build e2e

package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

// closedPort is a tcp:// address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "tcp://" + addr
}

// builtOnce checks that stderr shows one "<server>: building" step per server of rs and
// no build sent again to another daemon.
func builtOnce(t *testing.T, rs []publish.Report, stderr string) {
	t.Helper()
	for _, r := range rs {
		if n := strings.Count(stderr, r.Name+": building\n"); n != 1 {
			t.Errorf("%s: %d build steps, want 1", r.Name, n)
		}
	}
	if strings.Contains(stderr, "building again on another BuildKit daemon") {
		t.Errorf("a server was built again:\n%s", stderr)
	}
}

// TestE2EPublishFleet publishes the catalog over both daemons of the stack (the unix
// socket and the mutual-TLS one): every server is built once, servers of one repository
// on one daemon, both daemons build (--no-cache: really), and the images are those one
// daemon builds.
func TestE2EPublishFleet(t *testing.T) {
	s := e2eSign(t)
	tlsAddr, dir, _ := tlsDaemon(t)
	unix := os.Getenv(cliutil.EnvBuildkitHost)
	pattern := filepath.Join(s.catalog, "...")
	want := pins(t, pattern)

	tag, sigRepo := s.unique(t)
	rs, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, "--no-cache", "--buildkit-addr", unix, "--buildkit-addr", tlsAddr, "--tlsdir", dir, pattern)
	if code != 0 || len(rs) != len(want) {
		t.Fatalf("publish over two daemons: exit %d, %v, %+v\n%s", code, err, rs, stderr)
	}
	builtOnce(t, rs, stderr)
	byName := map[string]publish.Report{}
	used := map[string]int{}
	for _, r := range rs {
		byName[r.Name] = r
		used[r.Builder]++
		if r.Status != publish.Published || r.Commit != want[r.Name] || (r.Builder != unix && r.Builder != tlsAddr) {
			t.Errorf("%s: %+v; want published at %s on %s or %s", r.Name, r, want[r.Name], unix, tlsAddr)
		}
	}
	if used[unix] == 0 || used[tlsAddr] == 0 {
		t.Errorf("servers per daemon %v: want both daemons used", used)
	}
	// monorepo-alpha and monorepo-beta are one repository: one daemon fetches it.
	if a, b := byName["monorepo-alpha"].Builder, byName["monorepo-beta"].Builder; a != b {
		t.Errorf("the monorepo's servers went to %s and %s, want one daemon", a, b)
	}

	// One daemon, a fresh tag: the same images.
	tag1, sigRepo1 := s.unique(t)
	one, stderr1, code, err := s.publish(t, tag1, sigRepo1, e2eKeyA, "--buildkit-addr", unix, pattern)
	if code != 0 || len(one) != len(rs) {
		t.Fatalf("publish over one daemon: exit %d, %v, %+v\n%s", code, err, one, stderr1)
	}
	for _, r := range one {
		if r.Builder != "" {
			t.Errorf("%s: builder %q with one daemon, want none", r.Name, r.Builder)
		}
		if got := byName[r.Name].Image; digestOf(got) != digestOf(r.Image) {
			t.Errorf("%s: %s over two daemons, %s over one", r.Name, got, r.Image)
		}
	}
}

func digestOf(image string) string {
	_, d, _ := strings.Cut(image, "@")
	return d
}

// TestE2EPublishFleetDeadDaemon: a daemon that does not answer (a closed port) is taken
// out with a warning naming it, and every server is published on the live one, once.
func TestE2EPublishFleetDeadDaemon(t *testing.T) {
	s := e2eSign(t)
	unix := os.Getenv(cliutil.EnvBuildkitHost)
	dead := closedPort(t)
	pattern := filepath.Join(s.catalog, "...")
	want := pins(t, pattern)
	tag, sigRepo := s.unique(t)
	rs, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, "--buildkit-addr", dead, "--buildkit-addr", unix, pattern)
	if code != 0 || len(rs) != len(want) {
		t.Fatalf("publish with a dead daemon: exit %d, %v, %+v\n%s", code, err, rs, stderr)
	}
	for _, r := range rs {
		if r.Status != publish.Published || r.Builder != unix {
			t.Errorf("%s: %+v; want published on %s", r.Name, r, unix)
		}
		if n := strings.Count(stderr, r.Name+": building\n"); n != 1 {
			t.Errorf("%s: %d build steps, want 1", r.Name, n)
		}
	}
	if !strings.Contains(stderr, "BuildKit daemon taken out") || !strings.Contains(stderr, dead) {
		t.Errorf("stderr does not say %s was taken out:\n%s", dead, stderr)
	}
}

// TestE2EBuildFleetPlainProgress: `mcpbuild build` over both daemons with the plain
// progress display of both: every server built, each row naming its daemon, and the
// display shows the solves.
func TestE2EBuildFleetPlainProgress(t *testing.T) {
	s := e2e(t)
	tlsAddr, dir, _ := tlsDaemon(t)
	unix := os.Getenv(cliutil.EnvBuildkitHost)
	pattern := filepath.Join(s.catalog, "...")
	want := pins(t, pattern)
	out, stderr, code, err := run(t, "build", "--registry", s.registry, "--progress", "plain", "-o", "json", s.mirror(),
		"--buildkit-addr", tlsAddr, "--buildkit-addr", unix, "--tlsdir", dir, pattern)
	var all, rows []resultJSON
	if code == 0 && json.Unmarshal([]byte(out), &all) == nil {
		for _, r := range all {
			if r.Status != statusSkipped { // entries not built from source
				rows = append(rows, r)
			}
		}
	}
	if code != 0 || len(rows) != len(want) {
		t.Fatalf("build over two daemons: exit %d, %v, stdout %q\n%s", code, err, out, stderr)
	}
	used := map[string]bool{}
	for _, r := range rows {
		used[r.Builder] = true
		if r.Status != statusBuilt || r.Commit != want[r.Name] || (r.Builder != unix && r.Builder != tlsAddr) {
			t.Errorf("row %+v: want built at %s on one of the daemons", r, want[r.Name])
		}
	}
	if !used[unix] || !used[tlsAddr] {
		t.Errorf("daemons used %v, want both", used)
	}
	if !strings.Contains(stderr, "["+unix+"] exporting to image") || !strings.Contains(stderr, "["+tlsAddr+"] exporting to image") {
		t.Errorf("plain progress does not show both daemons' solves:\n%s", stderr)
	}
}
