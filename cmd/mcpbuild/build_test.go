package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
)

// run executes mcpbuild with args in-process and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int, error) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := newRootCmd(os.LookupEnv)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), exitCode(err), err
}

// writeEntry writes yaml as <temp>/servers/<name>/server.yaml and returns its path.
func writeEntry(t *testing.T, name, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "servers", name, "server.yaml")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestUsageErrors(t *testing.T) {
	t.Setenv(cliutil.EnvRegistry, "")
	tests := []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"build"}, "no PATTERN"},
		{[]string{"build", "--nope", "servers/..."}, "unknown flag"},
		{[]string{"build", "-j", "0", "servers/..."}, "--jobs 0"},
		{[]string{"build", "-j", "x", "servers/..."}, "invalid argument"},
		{[]string{"build", "--progress", "fancy", "servers/..."}, `--progress "fancy"`},
		{[]string{"build", "--output", "yaml", "servers/..."}, `--output "yaml"`},
		{[]string{"build", "--tag", "", "servers/..."}, "--tag must not be empty"},
		{[]string{"build", "--tag", "a b", "servers/..."}, `--tag "a b"`},
		{[]string{"build", "--registry", "http://r:5000", "servers/..."}, "without scheme or path"},
		{[]string{"build", "--registry", "r:5000/ns", "servers/..."}, "without scheme or path"},
		{[]string{"build", "--source-mirror", "nope", "servers/..."}, "want FROM=TO"},
		{[]string{"build", "--source-mirror", "https://a/=file:///x", "servers/..."}, "TO must start with"},
		{[]string{"build", "servers/..."}, "no registry"},
		{[]string{"build", "--buildkit-addr", "http://bk:1234", "servers/..."}, "want unix:///path"},
		{[]string{"build", "--buildkit-addr", "tcp://bk", "servers/..."}, "want unix:///path"},
		{[]string{"build", "--buildkit-addr", "unix://", "servers/..."}, "want unix:///path"},
	}
	for _, tc := range tests {
		out, _, code, err := run(t, tc.args...)
		if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("mcpbuild %q: exit %d, err %v; want exit 2 and %q", tc.args, code, err, tc.want)
		}
		if tc.args != nil && out != "" {
			t.Errorf("mcpbuild %q wrote to stdout: %q", tc.args, out)
		}
	}
	// A JSON consumer gets nothing, not an empty array, when nothing was built.
	if out, _, code, _ := run(t, "build", "-o", "json", "../../testdata/catalog/servers/..."); code != cliutil.ExitUsage || out != "" {
		t.Errorf("build -o json without a registry: exit %d, stdout %q; want 2 and nothing", code, out)
	}
}

// An invalid entry is a failed row (stdout) and exit 1 naming the file (stderr); with
// nothing else to build, BuildKit is not contacted.
func TestBuildInvalidCatalog(t *testing.T) {
	p := writeEntry(t, "bad", "name: bad\nimage: mcp/bad\ntype: server\nsource:\n  project: https://github.com/x/y\n  commit: main\n")
	pattern := filepath.Join(filepath.Dir(filepath.Dir(p)), "...")
	out, _, code, err := run(t, "build", "--registry", "127.0.0.1:1", "--buildkit-addr", "unix:///nonexistent.sock", pattern)
	if code != cliutil.ExitFailed || err == nil || !strings.Contains(err.Error(), p+":6:11: source.commit:") {
		t.Errorf("exit %d, err %v; want exit 1 naming %s:6:11", code, err, p)
	}
	if want := `bad failed reason="` + p + `:6:11: source.commit: \"main\" looks like a branch or tag name; pin a commit (40 lowercase hex)"` + "\n"; out != want {
		t.Errorf("stdout %q, want %q", out, want)
	}
}

// An invalid entry among valid ones when BuildKit cannot be reached: the run stops before
// building (exit 3, stdout empty) and the error names both.
func TestBuildInvalidAndUnreachable(t *testing.T) {
	pattern := writeCatalog(t, map[string]string{"a": serverYAML("a"), "b": "name: b\n"})
	addr := "unix://" + filepath.Join(t.TempDir(), "no-buildkitd.sock")
	out, _, code, err := run(t, "build", "--registry", "127.0.0.1:1", "--progress", "quiet", "--buildkit-addr", addr, pattern)
	if code != cliutil.ExitUnreachable || out != "" || err == nil || !strings.Contains(err.Error(), addr) ||
		!strings.Contains(err.Error(), "b/server.yaml:1:1: type: is required") {
		t.Errorf("exit %d, stdout %q, err %v; want 3, nothing, BuildKit's address and b's problems", code, out, err)
	}
}

// An unreachable BuildKit is exit 3 with its address in the message.
func TestBuildUnreachableBuildKit(t *testing.T) {
	p := writeEntry(t, "ok", "name: ok\nimage: mcp/ok\ntype: server\nsource:\n  project: https://github.com/x/y\n  commit: "+strings.Repeat("ab", 20)+"\n")
	addr := "unix://" + filepath.Join(t.TempDir(), "no-buildkitd.sock")
	_, _, code, err := run(t, "build", "--registry", "127.0.0.1:1", "--progress", "quiet", "--buildkit-addr", addr, p)
	if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("exit %d, err %v; want exit 3 naming %s", code, err, addr)
	}
	// The same address from the environment; a malformed one there is a usage error.
	t.Setenv(cliutil.EnvBuildkitHost, addr)
	if _, _, code, err = run(t, "build", "--registry", "127.0.0.1:1", "--progress", "quiet", p); code != cliutil.ExitUnreachable {
		t.Errorf("$BUILDKIT_HOST=%s: exit %d, err %v; want 3", addr, code, err)
	}
	t.Setenv(cliutil.EnvBuildkitHost, "http://buildkitd:1234")
	if _, _, code, err = run(t, "build", "--registry", "127.0.0.1:1", "--progress", "quiet", p); code != cliutil.ExitUsage || !strings.Contains(err.Error(), cliutil.EnvBuildkitHost) {
		t.Errorf("$BUILDKIT_HOST=http://: exit %d, err %v; want 2 naming the variable", code, err)
	}
}

// The address is buildctl's: the flag, else $BUILDKIT_HOST, else the root socket. No
// local-stack path is guessed: neither $MCPBUILD_STATE nor a .stack directory is looked at.
func TestBuildkitAddress(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	root := t.TempDir()
	sock := filepath.Join(root, ".stack", "buildkitd", "buildkitd.sock")
	if err := os.MkdirAll(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	tests := []struct {
		name, flag string
		env        map[string]string
		want       string
	}{
		{"flag wins", "tcp://bk:1234", map[string]string{"BUILDKIT_HOST": "unix:///env.sock"}, "tcp://bk:1234"},
		{"env", "", map[string]string{"BUILDKIT_HOST": "unix:///env.sock"}, "unix:///env.sock"},
		{"state dir is not read", "", map[string]string{"MCPBUILD_STATE": "/state"}, "unix:///run/buildkit/buildkitd.sock"},
		{"no stack socket guessed", "", nil, "unix:///run/buildkit/buildkitd.sock"},
	}
	for _, tc := range tests {
		if got := buildkitAddress(tc.flag, env(tc.env)); got != tc.want {
			t.Errorf("%s: buildkitAddress() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func fakeResult(s *catalog.Server) (*build.Result, error) {
	tag, err := name.NewTag("127.0.0.1:15000/" + s.Image + ":latest")
	if err != nil {
		return nil, err
	}
	d, err := name.NewDigest(tag.Context().Name() + "@sha256:" + strings.Repeat("0a", 32))
	if err != nil {
		return nil, err
	}
	return &build.Result{Server: s.Name, Image: d, Tag: tag, Commit: s.Source.Commit, Project: s.Source.Project,
		Directory: s.Source.Directory, ContextURL: s.Source.Project + "#" + s.Source.Commit}, nil
}

// writeCatalog writes name -> server.yaml entries under a temp servers/ and returns the
// recursive pattern.
func writeCatalog(t *testing.T, entries map[string]string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "servers")
	for n, y := range entries {
		p := filepath.Join(root, n, "server.yaml")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root + "/..."
}

func serverYAML(n string) string {
	return "name: " + n + "\nimage: mcp/" + n + "\ntype: server\nsource:\n  project: git://h/" + n + ".git\n  commit: " +
		strings.Repeat("1", 40) + "\n  directory: d\n"
}

// buildRows keeps catalog order, builds every valid entry, reports an invalid one and a
// failed build as failed rows, and joins the failures (exit 1).
func TestBuildRowsAndOutput(t *testing.T) {
	pattern := writeCatalog(t, map[string]string{
		"a": serverYAML("a"), "b": "name: b\nimage: mcp/b\ntype: server\nsource:\n  project: git://h/b.git\n  commit: main\n",
		"c": serverYAML("c"), "d": serverYAML("d"),
		"e": "name: e\ntype: remote\nremote:\n  url: https://mcp.example.com/mcp\n  transport_type: streamable-http\n",
	})
	var stderr bytes.Buffer
	entries, err := loadEntries(&stderr, []string{pattern}, false)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom\x1b[2J")
	rec := &build.Recorder{Fake: func(s *catalog.Server) (*build.Result, error) {
		if s.Name == "c" {
			return nil, boom
		}
		return fakeResult(s)
	}}
	rows, err := buildRows(context.Background(), rec, entries)
	if !errors.Is(err, boom) || exitCode(err) != cliutil.ExitFailed || !strings.Contains(err.Error(), "b/server.yaml:6:11: source.commit:") {
		t.Errorf("err = %v (exit %d), want the failures of b and c, exit 1", err, exitCode(err))
	}
	if got := rec.Calls(); len(got) != 3 {
		t.Errorf("built %v, want a, c and d", got)
	}
	var names []string
	for _, r := range rows {
		names = append(names, r.name)
	}
	if strings.Join(names, ",") != "a,b,c,d,e" {
		t.Errorf("rows %v, want a,b,c,d,e in order", names)
	}

	var text bytes.Buffer
	if err := writeResults(&text, "text", rows); err != nil {
		t.Fatal(err)
	}
	dir := strings.TrimSuffix(pattern, "/...")
	lines := strings.Split(text.String(), "\n")
	want := []string{
		"a 127.0.0.1:15000/mcp/a@sha256:" + strings.Repeat("0a", 32) + " " + strings.Repeat("1", 40),
		`b failed reason="` + dir + `/b/server.yaml:6:11: source.commit: \"main\" looks like a branch or tag name; pin a commit (40 lowercase hex)"`,
		`c failed reason="boom\x1b[2J"`,
		"d 127.0.0.1:15000/mcp/d@sha256:" + strings.Repeat("0a", 32) + " " + strings.Repeat("1", 40),
		"",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("text output:\n%s\nwant:\n%s", text.String(), strings.Join(want, "\n"))
	}

	var js bytes.Buffer
	if err := writeResults(&js, "json", rows); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(js.Bytes(), &got); err != nil {
		t.Fatalf("json output %q: %v", js.String(), err)
	}
	if len(got) != 5 {
		t.Fatalf("json has %d entries, want 5", len(got))
	}
	const mt = "application/vnd.mcpbuild.build.v1+json"
	wantJSON := []map[string]any{{
		"mediaType": mt, "name": "a", "status": "built", "image": "127.0.0.1:15000/mcp/a@sha256:" + strings.Repeat("0a", 32), "digest": "sha256:" + strings.Repeat("0a", 32),
		"tag": "127.0.0.1:15000/mcp/a:latest", "tags": []any{"127.0.0.1:15000/mcp/a:latest"}, "commit": strings.Repeat("1", 40), "project": "git://h/a.git",
		"directory": "d", "context": "git://h/a.git#" + strings.Repeat("1", 40),
	}, {
		"mediaType": mt, "name": "b", "status": "failed", "reason": dir + `/b/server.yaml:6:11: source.commit: "main" looks like a branch or tag name; pin a commit (40 lowercase hex)`,
	}, {
		"mediaType": mt, "name": "c", "status": "failed", "reason": `boom\x1b[2J`,
	}, 3: nil, 4: {
		"mediaType": mt, "name": "e", "status": "skipped", "reason": `type "remote" is not built from source`,
	}}
	for i, w := range wantJSON {
		if w != nil && !reflect.DeepEqual(got[i], w) {
			t.Errorf("json[%d] = %v\nwant %v", i, got[i], w)
		}
	}
	js.Reset()
	if err := writeResults(&js, "json", []buildRow{}); err != nil || strings.TrimSpace(js.String()) != "[]" {
		t.Errorf("empty json output = %q, %v; want []", js.String(), err)
	}
}

// Unknown keys warn on stderr (and the build goes on, here to an absent BuildKit: exit 3);
// with --strict they are errors: a failed row, exit 1, and BuildKit is not dialled.
func TestBuildStrict(t *testing.T) {
	p := writeEntry(t, "ok", "name: ok\nimage: mcp/ok\ntype: server\nlicence: MIT\nsource:\n  project: https://github.com/x/y\n  commit: "+strings.Repeat("ab", 20)+"\n")
	addr := "unix://" + filepath.Join(t.TempDir(), "no-buildkitd.sock")
	want := p + `:4:1: licence: unknown key "licence"`
	out, stderr, code, err := run(t, "build", "--registry", "127.0.0.1:1", "--progress", "quiet", "--buildkit-addr", addr, p)
	if code != cliutil.ExitUnreachable || !strings.Contains(stderr, "warning: "+want) || out != "" {
		t.Errorf("without --strict: exit %d, err %v, stderr %q, stdout %q; want 3 after a warning %q", code, err, stderr, out, want)
	}
	out, _, code, err = run(t, "build", "--strict", "--registry", "127.0.0.1:1", "--progress", "quiet", "--buildkit-addr", addr, p)
	if code != cliutil.ExitFailed || err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(out, `ok failed reason="`+p+":4:1: licence:") {
		t.Errorf("--strict: exit %d, err %v, stdout %q; want 1 naming %q", code, err, out, want)
	}
}

// A catalog of only remote entries builds nothing and needs no BuildKit: exit 0, a note
// per skipped entry on stderr, and no result line (with -o json, a skipped row per entry).
func TestBuildOnlyRemote(t *testing.T) {
	p := writeEntry(t, "hosted", "name: hosted\ntype: remote\nremote:\n  url: https://mcp.example.com/mcp\n  transport_type: streamable-http\n")
	skipped := `[
  {
    "mediaType": "application/vnd.mcpbuild.build.v1+json",
    "name": "hosted",
    "status": "skipped",
    "reason": "type \"remote\" is not built from source"
  }
]
`
	for format, wantOut := range map[string]string{"text": "", "json": skipped} {
		out, stderr, code, err := run(t, "build", "-o", format, "--registry", "127.0.0.1:1", "--buildkit-addr", "unix:///nonexistent.sock", p)
		if code != cliutil.ExitOK || out != wantOut || !strings.Contains(stderr, `note: skipping server hosted: type "remote" is not built from source`) {
			t.Errorf("-o %s: exit %d (%v), stdout %q, stderr %q; want 0, %q and a note", format, code, err, out, stderr, wantOut)
		}
	}
}
