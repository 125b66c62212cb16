package cliutil

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestReadVersion(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.99", Main: debug.Module{Path: "example.com/m", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}}
	v := ReadVersion("mcpbuild", bi)
	want := Version{MediaType: VersionMediaType, Binary: "mcpbuild", Module: "example.com/m", Version: "v1.2.3", Revision: "abc123",
		Time: "2026-01-02T03:04:05Z", Modified: true, Go: "go1.99"}
	if v != want {
		t.Errorf("ReadVersion = %+v, want %+v", v, want)
	}
	if got := v.Short(); got != "mcpbuild v1.2.3 (abc123, modified)" {
		t.Errorf("Short() = %q", got)
	}
	var b bytes.Buffer
	if err := v.Write(&b, "text"); err != nil {
		t.Fatal(err)
	}
	wantText := "mcpbuild: v1.2.3\nmodule:   example.com/m\nrevision: abc123\ntime:     2026-01-02T03:04:05Z\nmodified: true\ngo:       go1.99\n"
	if b.String() != wantText {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), wantText)
	}
	if none := ReadVersion("mcpverify", nil); none.Version != "unknown" || none.Module != "" || none.Go == "" || none.Short() != "mcpverify unknown" {
		t.Errorf("without build info: %+v", none)
	}
}

// The version command prints JSON or text, refuses another format (usage), takes no
// arguments, and skips the root's persistent hooks; --version prints the short line.
func TestAddVersion(t *testing.T) {
	root := &cobra.Command{Use: "tool", SilenceErrors: true, SilenceUsage: true,
		PersistentPreRunE: func(*cobra.Command, []string) error { return Usagef("root hook ran") }}
	AddVersion(root)
	exec := func(args ...string) (string, error) {
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs(args)
		err := root.Execute()
		return out.String(), err
	}
	out, err := exec("version", "-o", "json")
	var v Version
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v.MediaType != VersionMediaType || v.Binary != "tool" || v.Go == "" {
		t.Errorf("version -o json = %q, %v", out, err)
	}
	if out, err := exec("version", "-o", "yaml"); ExitCode(err, ExitFailed) != ExitUsage {
		t.Errorf("version -o yaml = %q, %v; want a usage error", out, err)
	}
	if _, err := exec("version", "x"); err == nil {
		t.Error("version x: no error")
	}
	if out, err := exec("--version"); err != nil || !strings.HasPrefix(out, "tool ") {
		t.Errorf("--version = %q, %v", out, err)
	}
}

// A binary built from a git checkout reports its module, version, and the commit it
// was built from (Go stamps the VCS state into builds made in a git checkout). Go does
// not stamp builds in a linked worktree (.git is a file there): the test then builds in
// a local clone of HEAD.
func TestVersionOfBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds mcpverify")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	dir := strings.TrimSpace(string(top))
	if st, err := os.Stat(filepath.Join(dir, ".git")); err != nil || !st.IsDir() {
		clone := filepath.Join(t.TempDir(), "src")
		if out, err := exec.Command("git", "clone", "-q", "--shared", dir, clone).CombinedOutput(); err != nil {
			t.Fatalf("git clone: %v\n%s", err, out)
		}
		dir = clone
	}
	head := gitOut(t, dir, "rev-parse", "HEAD")
	bin := filepath.Join(t.TempDir(), "mcpverify")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, "./cmd/mcpverify")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version", "-o", "json").Output()
	var v Version
	if err != nil || json.Unmarshal(out, &v) != nil {
		t.Fatalf("mcpverify version -o json = %q, %v", out, err)
	}
	// Go 1.24 and later stamp a pseudo-version naming the commit; older ones "(devel)".
	if v.Binary != "mcpverify" || v.Module != "github.com/mcpbuild/mcpbuild" || (v.Version != "(devel)" && !strings.HasSuffix(v.Version, head[:12])) ||
		v.Revision != head || v.Time == "" || !strings.HasPrefix(v.Go, "go1.") {
		t.Errorf("mcpverify version = %+v; want module github.com/mcpbuild/mcpbuild, a version of it, revision %s", v, head)
	}
	text, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.Contains(string(text), "revision:  "+v.Revision) || !strings.Contains(string(text), "module:    github.com/mcpbuild/mcpbuild") {
		t.Errorf("mcpverify version = %q, %v", text, err)
	}
	short, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.HasPrefix(string(short), "mcpverify "+v.Version+" ("+v.Revision) {
		t.Errorf("mcpverify --version = %q, %v", short, err)
	}
}

func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}
