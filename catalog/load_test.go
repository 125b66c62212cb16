package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const goodRoot = "testdata/good/servers"

func TestLoadGoodFixtures(t *testing.T) {
	for _, strict := range []bool{false, true} {
		servers, warns, err := Load([]string{goodRoot + "/..."}, Options{Strict: strict})
		if err != nil {
			t.Fatalf("Load(strict=%v) error:\n%v", strict, err)
		}
		if len(warns) != 0 {
			t.Errorf("Load(strict=%v) warnings: %v", strict, warns)
		}
		var names []string
		for _, s := range servers {
			names = append(names, s.Name)
		}
		want := []string{"docs-remote", "local-notes", "shell-tools", "ssh-mirror", "weather-kit"}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("Load names = %v, want %v", names, want)
		}
	}
}

func TestLoadDecodesEveryKey(t *testing.T) {
	servers, _, err := Load([]string{goodRoot + "/weather-kit"}, Options{})
	if err != nil || len(servers) != 1 {
		t.Fatalf("Load = %d servers, %v", len(servers), err)
	}
	s := servers[0]
	checks := []struct {
		what      string
		got, want any
	}{
		{"path", s.Path, filepath.Join(goodRoot, "weather-kit", "server.yaml")},
		{"buildable", s.Buildable(), true},
		{"longLived", s.LongLived, true},
		{"dynamic", s.Dynamic != nil && s.Dynamic.Tools, true},
		{"tags", s.Meta.Tags, []string{"weather", "forecast"}},
		{"pin", s.Pin(), Pin{Project: "https://github.com/example/weather-kit", Commit: "5d41402abc4b2a76b9719d911017c592ae4c1f0e", Directory: "servers/weather"}},
		{"source", s.Source, Source{Project: "https://github.com/example/weather-kit", Upstream: "https://github.com/upstream-org/weather-kit",
			Branch: "release/2.x", Commit: "5d41402abc4b2a76b9719d911017c592ae4c1f0e", Directory: "servers/weather",
			Dockerfile: "build/Dockerfile.mcp", BuildTarget: "runtime"}},
		{"context", s.ContextURL(), "https://github.com/example/weather-kit.git#5d41402abc4b2a76b9719d911017c592ae4c1f0e:servers/weather"},
		{"run.user", s.Run.User, "1000:1000"},
		{"run.env", s.Run.Env, map[string]string{"WEATHER_MODE": "readonly", "LOG_LEVEL": "info"}},
		{"run.allowHosts", s.Run.AllowHosts, []string{"api.weather.example.com:443"}},
		{"secret required", *s.Config.Secrets[0].Required, true},
		{"env example int", s.Config.Env[1].Example, 7},
		{"env example bool", s.Config.Env[2].Example, false},
		{"param order", propNames(s.Config.Parameters.Properties), []string{"units", "max_days", "verbose", "cache_dir", "cities", "proxy"}},
		{"param enum", s.Config.Parameters.Properties[0].Schema.Enum, []any{"metric", "imperial"}},
		{"nested props", propNames(s.Config.Parameters.Properties[5].Schema.Properties), []string{"url", "port"}},
		{"items", s.Config.Parameters.Properties[4].Schema.Items.Type, "string"},
		{"params anyOf", s.Config.Parameters.AnyOf[1].Required, []string{"cities"}},
		{"config anyOf", s.Config.AnyOf[0].Required, []string{"units"}},
		{"oauth", s.OAuth, []OAuth{{Provider: "weather-id", Secret: "weather-kit.api_key", Env: "WEATHER_API_KEY"}}},
		{"tool", s.Tools[0].Parameters.Required, []string{"city"}},
		{"requirement", s.Requirement, "weather-db"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.what, c.got, c.want)
		}
	}
	for field, want := range map[string][2]int{"": {2, 1}, "source.commit": {21, 11}, "tools[0].parameters.required[0]": {125, 11}} {
		if l, c := s.Position(field); l != want[0] || c != want[1] {
			t.Errorf("Position(%q) = %d:%d, want %d:%d", field, l, c, want[0], want[1])
		}
	}
	if l, c := s.Position("remote"); l != 0 || c != 0 {
		t.Errorf("Position(remote) = %d:%d, want 0:0 for an unset field", l, c)
	}
}

func propNames(p Properties) []string {
	var out []string
	for _, x := range p {
		out = append(out, x.Name)
	}
	return out
}

func TestLoadKinds(t *testing.T) {
	servers, _, err := Load([]string{goodRoot + "/..."}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Server{}
	for _, s := range servers {
		byName[s.Name] = s
	}
	for name, want := range map[string]bool{"weather-kit": true, "local-notes": true, "ssh-mirror": true, "docs-remote": false, "shell-tools": false} {
		if got := byName[name].Buildable(); got != want {
			t.Errorf("%s Buildable() = %v, want %v", name, got, want)
		}
	}
	for name, want := range map[string]string{
		"local-notes": "file:///srv/git/local-notes.git#0123456789abcdef0123456789abcdef01234567",
		"ssh-mirror":  "git@git.example.com:team/ssh-mirror.git#89abcdef0123456789abcdef0123456789abcdef",
	} {
		if got := byName[name].ContextURL(); got != want {
			t.Errorf("%s ContextURL() = %q, want %q", name, got, want)
		}
	}
	if got := mustFindByImage(t, servers, "127.0.0.1:15000/example/ssh-mirror"); got != byName["ssh-mirror"] {
		t.Errorf("FindByImage(registry-prefixed) = %v", got)
	}
	if got := mustFindByImage(t, servers, "registry.example.com:5000/team/local-notes"); got != byName["local-notes"] {
		t.Errorf("FindByImage(exact) = %v", got)
	}
	if got := mustFindByImage(t, servers, "other/ssh-mirror"); got != nil {
		t.Errorf("FindByImage(other namespace) = %v, want nil", got)
	}
}

// TestLoadPatterns covers the pattern forms: recursive, folder, file, and the errors.
func TestLoadPatterns(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	entry := func(name string) string {
		return "name: " + name + "\ntype: server\nimage: ex/" + name +
			"\nsource:\n  project: https://example.com/r\n  commit: 0123456789abcdef0123456789abcdef01234567\n"
	}
	write("servers/a/server.yaml", entry("a"))
	write("servers/group/b/server.yaml", entry("b"))
	write("servers/.hidden/c/server.yaml", entry("c"))
	write("servers/notes.txt", "not a server")
	write("empty/README", "")
	tests := []struct {
		patterns []string
		want     []string // names, or an error substring when wantErr
		wantErr  string
	}{
		{patterns: []string{dir + "/servers/..."}, want: []string{"a", "b"}},
		{patterns: []string{dir + "/servers/.../"}, wantErr: "matches nothing"},
		{patterns: []string{dir + "/servers..."}, wantErr: dir + "/servers...: pattern matches nothing: stat: no such file or directory"},
		{patterns: []string{dir + "/servers/a"}, want: []string{"a"}},
		{patterns: []string{dir + "/servers/a/"}, want: []string{"a"}},
		{patterns: []string{dir + "/servers/group/b/server.yaml"}, want: []string{"b"}},
		{patterns: []string{dir + "/servers/a", dir + "/servers/..."}, want: []string{"a", "b"}},
		{patterns: []string{dir + "/servers"}, wantErr: "no server.yaml in this directory (use " + dir + "/servers/... to search below it)"},
		{patterns: []string{dir + "/empty/..."}, wantErr: "pattern matches nothing: no server.yaml below " + dir + "/empty"},
		{patterns: []string{dir + "/missing"}, wantErr: dir + "/missing: pattern matches nothing: stat: no such file or directory"},
		{patterns: nil, wantErr: "no catalog pattern given"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.patterns, ","), func(t *testing.T) {
			servers, _, err := Load(tt.patterns, Options{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want containing %q", err, tt.wantErr)
				}
				var d *Diagnostic
				if !errors.As(err, &d) {
					t.Errorf("error %v is not a *Diagnostic", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range servers {
				names = append(names, s.Name)
			}
			if !reflect.DeepEqual(names, tt.want) {
				t.Errorf("names = %v, want %v", names, tt.want)
			}
		})
	}
}

// TestLoadRelativeFile checks that "server.yaml" in the current directory is checked
// against the directory's real name.
func TestLoadRelativeFile(t *testing.T) {
	t.Chdir(filepath.Join(goodRoot, "ssh-mirror"))
	servers, _, err := Load([]string{"server.yaml"}, Options{})
	if err != nil || len(servers) != 1 || servers[0].Path != "server.yaml" {
		t.Fatalf("Load(server.yaml) = %v, %v", servers, err)
	}
	t.Chdir("..")
	servers, _, err = Load([]string{"."}, Options{})
	if err == nil {
		t.Fatalf("Load(.) in servers/ = %v, want an error (no server.yaml)", servers)
	}
}

func TestLoadFile(t *testing.T) {
	s, warns, err := LoadFile(filepath.Join(goodRoot, "docs-remote", FileName), Options{Strict: true})
	if err != nil || len(warns) != 0 || s.Name != "docs-remote" || s.Buildable() {
		t.Fatalf("LoadFile(docs-remote) = %+v, %v, %v", s, warns, err)
	}
	if s.Remote.URL != "https://mcp.docs.example.com/mcp" || s.Remote.Headers["Authorization"] != "Bearer ${DOCS_TOKEN}" {
		t.Errorf("remote = %+v", s.Remote)
	}
	_, _, err = LoadFile(filepath.Join(goodRoot, "nope", FileName), Options{})
	var d *Diagnostic
	if !errors.As(err, &d) || !strings.Contains(d.Error(), "no such file or directory") || d.Line != 0 {
		t.Errorf("LoadFile(missing) error = %#v", err)
	}
}

func TestRecursiveRoot(t *testing.T) {
	for in, want := range map[string]string{
		"...": ".", "./...": ".", "/...": "/", "servers/...": "servers", "/abs/servers/...": "/abs/servers",
		"servers": "", "servers...": "", "servers/.../": "", ".../x": "",
	} {
		got, ok := recursiveRoot(in)
		if got != want || ok != (want != "") {
			t.Errorf("recursiveRoot(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// TestLoadFiles: every file of one run gets its own diagnostics, a broken file does not
// hide the others, duplicates belong to the later file, and a pattern problem is reported
// apart from the files.
func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(dir, "servers", name, FileName)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ok := func(name, image string) string {
		return "name: " + name + "\ntype: server\nimage: " + image +
			"\nsource:\n  project: https://example.com/r\n  commit: 0123456789abcdef0123456789abcdef01234567\n"
	}
	write("a", ok("a", "ex/a"))
	write("b", "name: b\ntype: server\nimage: ex/b\nsource:\n  project: http://x/y\n  commit: main\n")
	write("c", ok("c", "ex/a:2")) // same repository as a
	write("d", "name: \"d\\e[31m\"\n: :\n")
	write("e", ok("e", "ex/e")+"extra: 1\n")
	files, err := LoadFiles([]string{filepath.Join(dir, "servers", "..."), filepath.Join(dir, "nope")}, Options{})
	if err == nil || !strings.Contains(err.Error(), "nope: pattern matches nothing") {
		t.Errorf("pattern error = %v", err)
	}
	want := []struct {
		label  string
		valid  bool
		reason string
		warns  int
	}{
		{"a", true, "", 0},
		{"b", false, "servers/b/server.yaml:5:12: source.project: \"http://x/y\" uses plain http; use https (or git, ssh, file); " +
			"servers/b/server.yaml:6:11: source.commit: \"main\" looks like a branch or tag name; pin a commit (40 lowercase hex)", 0},
		{"c", false, "servers/c/server.yaml:3:8: image: \"ex/a\" is already used by servers/a/server.yaml:3:8", 1},
		{filepath.Join(dir, "servers/d/server.yaml"), false, "servers/d/server.yaml:2:1: invalid YAML: did not find expected key", 0},
		{"e", true, "", 1},
	}
	if len(files) != len(want) {
		t.Fatalf("%d files, want %d", len(files), len(want))
	}
	for i, f := range files {
		w := want[i]
		if f.Label() != w.label || f.Valid() != w.valid || len(f.Warnings) != w.warns ||
			strings.ReplaceAll(f.Reason(), dir+"/", "") != w.reason || (f.Err() == nil) != w.valid {
			t.Errorf("file %d: label %q valid %v reason %q warnings %d; want %+v", i, f.Label(), f.Valid(), f.Reason(), len(f.Warnings), w)
		}
	}
	// Load keeps its all-or-nothing contract: the valid servers, every problem joined.
	servers, warns, err := Load([]string{filepath.Join(dir, "servers", "...")}, Options{})
	if len(servers) != 2 || len(warns) != 2 || err == nil || strings.Count(err.Error(), "\n") != 3 {
		t.Errorf("Load = %d servers, %d warnings, %v", len(servers), len(warns), err)
	}
}

// TestFileLabelEscaped: the name of an invalid entry is escaped in reports.
func TestFileLabelEscaped(t *testing.T) {
	f := &File{Path: "servers/x/server.yaml", Server: &Server{Name: "x\x1b[2J\u202e"}}
	if got := f.Label(); got != `x\x1b[2J\u202e` {
		t.Errorf("Label() = %q", got)
	}
	f = &File{Path: "servers/\n/server.yaml"}
	if got := f.Label(); got != `servers/\n/server.yaml` {
		t.Errorf("Label() = %q", got)
	}
}
