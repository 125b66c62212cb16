package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

func TestBuildkitAddrRepeatedUsage(t *testing.T) {
	t.Setenv(cliutil.EnvBuildkitHost, "")
	pattern := writeCatalog(t, map[string]string{"a": serverYAML("a")})
	ca := filepath.Join(tlsFiles(t), "ca.pem")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--buildkit-addr", "tcp://a:1", "--buildkit-addr", "tcp://a:1"}, "--buildkit-addr tcp://a:1 given twice"},
		{[]string{"--buildkit-addr", "tcp://a:1", "--buildkit-addr", "tcp://b"}, "no host or port"},
		{[]string{"--tlscacert", ca, "--buildkit-addr", "unix:///a.sock", "--buildkit-addr", "unix:///b.sock"}, "need a tcp://host:port"},
	} {
		args := append(append([]string{"build", "--registry", "127.0.0.1:1", "--progress", "quiet"}, tc.args...), pattern)
		_, _, code, err := run(t, args...)
		if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d, err %v; want 2 and %q", tc.args, code, err, tc.want)
		}
	}
}

// TLS settings apply to the tcp:// daemons of a fleet and to no other.
func TestFleetConnectionsTLS(t *testing.T) {
	o := buildkitOptions{addrs: []string{"unix:///a.sock", "tcp://b:1234"}, tlsDir: tlsFiles(t)}
	conns, err := o.fleetConnections(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 2 || len(conns[0].opts) != 0 || len(conns[1].opts) != 1 {
		t.Errorf("connections %+v: want TLS on the tcp:// one only", conns)
	}
}

func TestDaemonName(t *testing.T) {
	for in, want := range map[string]string{
		"tcp://bk:1234":                  "tcp://bk:1234",
		"ssh://me@host":                  "ssh://me@host",
		"ssh://me:secret@host:22":        "ssh://me@host:22",
		"unix:///run/buildkitd.sock":     "unix:///run/buildkitd.sock",
		"kube-pod://bk?namespace=builds": "kube-pod://bk?namespace=builds",
	} {
		if got := daemonName(in); got != want {
			t.Errorf("daemonName(%s) = %s, want %s", in, got, want)
		}
	}
}

// Two daemons that do not answer: each is taken out (a warning naming it), every server
// fails as unreachable (exit 3), and a row names the daemon it failed on, or says that
// all were taken out before it was sent to one.
func TestBuildFleetAllDown(t *testing.T) {
	pattern := writeCatalog(t, map[string]string{"a": serverYAML("a"), "b": serverYAML("b"), "c": serverYAML("c")})
	dir := t.TempDir()
	a1, a2 := "unix://"+filepath.Join(dir, "one.sock"), "unix://"+filepath.Join(dir, "two.sock")
	out, stderr, code, err := run(t, "build", "--registry", "127.0.0.1:1", "--progress", "quiet", "-o", "json",
		"--buildkit-addr", a1, "--buildkit-addr", a2, pattern)
	if code != cliutil.ExitUnreachable || err == nil {
		t.Fatalf("exit %d, err %v; want 3", code, err)
	}
	for _, a := range []string{a1, a2} {
		if !strings.Contains(stderr, "BuildKit daemon taken out") || !strings.Contains(stderr, a) {
			t.Errorf("stderr does not say %s was taken out:\n%s", a, stderr)
		}
	}
	var rows []resultJSON
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 3 {
		t.Fatalf("stdout %q: %v", out, err)
	}
	tried := map[string]bool{}
	for _, r := range rows {
		tried[r.Builder] = true
		switch {
		case r.Status != statusFailed || !strings.Contains(r.Reason, "unreachable"):
			t.Errorf("row %+v: want failed unreachable", r)
		case r.Builder == "" && !strings.Contains(r.Reason, "every daemon was taken out"):
			t.Errorf("row %+v names no daemon, and not that all were taken out", r)
		case r.Builder != "" && r.Builder != a1 && r.Builder != a2:
			t.Errorf("row %+v: builder is neither daemon", r)
		}
	}
	if !tried[a1] && !tried[a2] {
		t.Errorf("no row names a daemon: %+v", rows)
	}
}

func TestReportsBuilderColumn(t *testing.T) {
	rs := []publish.Report{
		{Name: "a", Image: "r/mcp/a@sha256:00", Commit: "c", Status: publish.Published, Builder: "tcp://bk1:1"},
		{Name: "b", Commit: "c", Status: publish.Failed, Reason: "boom", Builder: "unix:///bk2.sock"},
	}
	var text, md strings.Builder
	if err := writeReports(&text, "text", rs); err != nil {
		t.Fatal(err)
	}
	if err := writeReports(&md, "markdown", rs); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text.String(), "\n")
	if !strings.HasSuffix(lines[0], " builder=tcp://bk1:1") || !strings.HasSuffix(lines[1], `reason="boom" builder=unix:///bk2.sock`) {
		t.Errorf("text report:\n%s", text.String())
	}
	if !strings.Contains(md.String(), "| Rekor entries | Builder | Reason |") || !strings.Contains(md.String(), "`tcp://bk1:1`") {
		t.Errorf("markdown report has no builder column:\n%s", md.String())
	}
	md.Reset()
	rs[0].Builder, rs[1].Builder = "", ""
	if err := writeReports(&md, "markdown", rs); err != nil || strings.Contains(md.String(), "Builder") {
		t.Errorf("markdown report of one daemon has a builder column (%v):\n%s", err, md.String())
	}
}
