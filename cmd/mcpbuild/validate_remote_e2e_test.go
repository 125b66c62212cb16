//go:build e2e

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// e2eGit returns the --source-mirror flag that maps the fixture catalogs' git address to
// the stack's git daemon; it skips without the stack.
func e2eGit(t *testing.T) string {
	t.Helper()
	g := os.Getenv("MCPBUILD_E2E_GIT")
	if os.Getenv("MCPBUILD_E2E") != "1" || g == "" {
		t.Skip("needs the local stack's git daemon: . .stack/env")
	}
	return "--source-mirror=" + catalogGit + "=" + strings.TrimSuffix(g, "/") + "/"
}

const remoteCatalog = "testdata/remote/servers"

// TestE2EValidateRemote checks every fixture case on the git daemon: a branch moved ahead
// (fine), a tag named like a branch, a pin off its branch, a missing commit, a missing
// directory, a Dockerfile copying from outside its context, one escaping it, a missing
// target.
func TestE2EValidateRemote(t *testing.T) {
	mirror := e2eGit(t)
	out, stderr, code, err := run(t, "validate", "--remote", mirror, "-o", "json", remoteCatalog+"/...")
	if code != 1 {
		t.Fatalf("validate --remote: exit %d, want 1 (%v)\n%s\n%s", code, err, out, stderr)
	}
	var doc struct {
		Valid       bool
		Errors      int
		Warnings    int
		Diagnostics []struct {
			Severity, Path, Field, Message string
			Line                           int
			Source                         *remoteLoc
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	type want struct {
		severity, field, msg, file string
		line                       int
	}
	wants := map[string]want{
		"broken-copy":   {"error", "source.directory", `COPY source "src/memory" does not exist in the build context (src/memory); src/memory exists from the repository root`, "src/memory/Dockerfile", 4},
		"broken-escape": {"error", "source.directory", `COPY source "../shared" escapes the build context (escape)`, "escape/Dockerfile", 2},
		"broken-target": {"error", "source.buildTarget", `target "debug" is not a stage of the Dockerfile (named stages: build, runtime)`, "targets/Dockerfile", 0},
		"broken-dir":    {"error", "source.directory", `directory "does/not/exist" does not exist at commit 8211560618e0`, "", 0},
		"no-commit":     {"error", "source.commit", "commit 0000000000000000000000000000000000000001 does not exist on the remote", "", 0},
		"offbranch":     {"error", "source.commit", `commit cd0966152145 is not reachable from branch "stable" (at efc65db73612)`, "", 0},
		"tagged":        {"warning", "source.branch", `"release" is a tag on the remote, not a branch`, "", 0},
	}
	if len(doc.Diagnostics) != len(wants) || doc.Errors != 6 || doc.Warnings != 1 || doc.Valid {
		t.Errorf("%d diagnostics (%d errors, %d warnings, valid %v), want one per broken entry:\n%s", len(doc.Diagnostics), doc.Errors, doc.Warnings, doc.Valid, out)
	}
	for _, d := range doc.Diagnostics {
		name := filepath.Base(filepath.Dir(d.Path))
		w, ok := wants[name]
		switch {
		case !ok:
			t.Errorf("unexpected diagnostic for %s: %+v", name, d)
		case d.Severity != w.severity || d.Field != w.field || !strings.Contains(d.Message, w.msg) || d.Line == 0:
			t.Errorf("%s: %+v, want %+v", name, d, w)
		case d.Source == nil || d.Source.File != w.file || d.Source.Line != w.line || !strings.HasSuffix(d.Source.Remote, ".git"):
			t.Errorf("%s: source %+v, want file %q line %d", name, d.Source, w.file, w.line)
		case w.file != "" && !strings.HasPrefix(d.Message, w.file):
			t.Errorf("%s: message %q does not start with the Dockerfile's path", name, d.Message)
		}
	}

	// Text and GitHub annotations carry the same, with the Dockerfile's path:line.
	out, _, code, _ = run(t, "validate", "--remote", mirror, remoteCatalog+"/broken-copy")
	if code != 1 || !strings.Contains(out, "broken-copy/server.yaml:16:14: source.directory: src/memory/Dockerfile:4: COPY source") {
		t.Errorf("validate --remote (text): exit %d\n%s", code, out)
	}
	out, _, code, _ = run(t, "validate", "--remote", mirror, "-o", "github", remoteCatalog+"/broken-escape")
	if code != 1 || !strings.HasPrefix(out, "::error file=testdata/remote/servers/broken-escape/server.yaml,line=16,col=14::source.directory: escape/Dockerfile:2: ") {
		t.Errorf("validate --remote (github): exit %d\n%s", code, out)
	}
	// A branch moved ahead of its pin is fine; the tag is an error with --strict.
	if out, stderr, code, _ := run(t, "validate", "--remote", mirror, remoteCatalog+"/moving"); code != 0 || out != "" {
		t.Errorf("validate --remote moving: exit %d\n%s%s", code, out, stderr)
	}
	if out, _, code, _ := run(t, "validate", "--remote", "--strict", mirror, remoteCatalog+"/tagged"); code != 1 || !strings.Contains(out, "source.branch") {
		t.Errorf("validate --remote --strict tagged: exit %d\n%s", code, out)
	}
}

func TestE2EValidateRemoteUnreachable(t *testing.T) {
	e2eGit(t)
	out, stderr, code, _ := run(t, "validate", "--remote", "--source-mirror="+catalogGit+"=git://127.0.0.1:1/", "-o", "json", remoteCatalog+"/moving", remoteCatalog+"/broken-dir")
	if code != 3 {
		t.Fatalf("validate --remote, remote down: exit %d, want 3\n%s\n%s", code, out, stderr)
	}
	var doc struct{ Unreachable []string }
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Unreachable) != 2 {
		t.Errorf("unreachable = %v (%v), want both remotes\n%s", doc.Unreachable, err, out)
	}
	if !strings.Contains(stderr, "server moving: not checked on its remote") {
		t.Errorf("stderr does not name the server not checked:\n%s", stderr)
	}
}
