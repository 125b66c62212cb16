package catalog

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFiles returns every server.yaml under the package's and the repository's testdata.
func seedFiles(f *testing.F) [][]byte {
	var out [][]byte
	for _, root := range []string{"testdata", "../testdata/bad", "../testdata/catalog"} {
		_ = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && e.Name() == FileName {
				if b, err := os.ReadFile(p); err == nil {
					out = append(out, b)
				}
			}
			return nil
		})
	}
	if len(out) < 30 {
		f.Fatalf("only %d seed files found", len(out))
	}
	return out
}

// checkInvariants asserts what Parse and Load promise for any input.
func checkInvariants(t *testing.T, data []byte, s *Server, warns []*Diagnostic, err error) {
	t.Helper()
	lines := lineCount(data)
	all := warns
	if err != nil {
		for _, e := range unjoin(err) {
			var d *Diagnostic
			if !errors.As(e, &d) {
				t.Fatalf("error %v is not a *Diagnostic", e)
			}
			all = append(all, d)
		}
	}
	for _, d := range all {
		if d.Line < 1 || d.Line > lines || d.Col < 1 {
			t.Fatalf("diagnostic %v is outside the %d-line input", d, lines)
		}
		if d.Message == "" || strings.Contains(d.Error(), "\n") {
			t.Fatalf("diagnostic %q is empty or spans lines", d.Error())
		}
	}
	if err != nil {
		return
	}
	// A valid entry satisfies every rule mcpbuild relies on.
	if s == nil {
		t.Fatal("no error but no server")
	}
	if !nameRE.MatchString(s.Name) {
		t.Fatalf("valid entry has name %q", s.Name)
	}
	if s.Buildable() {
		if checkCommit(s.Source.Commit) != "" || checkProject(s.Source.Project) != "" || checkImage(s.Image) != "" {
			t.Fatalf("valid server has bad pin or image: %+v %q", s.Source, s.Image)
		}
		if checkRelPath(s.Source.Directory) != "" || checkRelPath(s.Source.Dockerfile) != "" {
			t.Fatalf("valid server has unsafe paths: %+v", s.Source)
		}
		if u := s.ContextURL(); strings.Count(u, "#") != 1 || !strings.Contains(u, "#"+s.Source.Commit) {
			t.Fatalf("ContextURL() = %q does not select exactly the pinned commit", u)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, strict bool) {
		s, warns, err := Parse("servers/fuzz/server.yaml", data, Options{Strict: strict})
		checkInvariants(t, data, s, warns, err)
		if strict && len(warns) != 0 {
			t.Fatalf("strict mode returned warnings %v", warns)
		}
	})
}

func FuzzLoad(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := filepath.Join(t.TempDir(), "servers", "fuzz")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		servers, warns, err := Load([]string{filepath.Dir(dir) + "/..."}, Options{})
		var s *Server
		if len(servers) == 1 {
			s = servers[0]
		}
		checkInvariants(t, data, s, warns, err)
		if (err == nil) != (len(servers) == 1) {
			t.Fatalf("Load = %d servers with error %v", len(servers), err)
		}
	})
}

// FuzzProjectURL checks that an accepted project URL always yields a BuildKit context
// that selects the commit (no second '#', no smuggled ref or query).
func FuzzProjectURL(f *testing.F) {
	for _, p := range []string{
		"https://github.com/example/x", "git://127.0.0.1:19418/r.git", "ssh://git@host/r.git",
		"git@github.com:example/x.git", "file:///srv/git/x.git", "https://h/x#main", "http://h/x",
		"https://u:p@h/x", "ftp://h/x", "../x", "git@h:-oProxyCommand=x", "git@h:x.git#main",
	} {
		f.Add(p, "servers/x")
	}
	const commit = "0123456789abcdef0123456789abcdef01234567"
	f.Fuzz(func(t *testing.T, project, dir string) {
		if checkProject(project) != "" || checkRelPath(dir) != "" {
			return
		}
		s := &Server{Source: Source{Project: project, Commit: commit, Directory: dir}}
		u := s.ContextURL()
		frag := u[strings.Index(u, "#")+1:]
		if strings.Count(u, "#") != 1 || !strings.HasPrefix(frag, commit) {
			t.Fatalf("project %q dir %q: ContextURL() = %q", project, dir, u)
		}
		if rest := strings.TrimPrefix(frag, commit); rest != "" && !strings.HasPrefix(rest, ":") {
			t.Fatalf("project %q dir %q: ContextURL() = %q", project, dir, u)
		}
	})
}
