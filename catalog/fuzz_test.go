package catalog

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/dfgitutil"
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
		if msg := checkText(d.Error()); msg != "" {
			t.Fatalf("diagnostic prints a hostile character raw: %s", msg)
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
	src := s.Source
	for _, v := range []string{s.Image, src.Project, src.Upstream, src.Branch, src.Commit, src.Directory, src.Dockerfile, src.BuildTarget} {
		if msg := checkText(v); msg != "" {
			t.Fatalf("valid entry has a hostile value: %s", msg)
		}
	}
	for _, tool := range s.Tools {
		if tool.Container != nil && tool.Container.Image != "" && checkToolImage(tool.Container.Image) != "" {
			t.Fatalf("valid entry has a bad tool image %q", tool.Container.Image)
		}
	}
	if s.Image != "" && checkImage(s.Image) != "" {
		t.Fatalf("valid entry has a bad image %q", s.Image)
	}
	if s.Buildable() {
		if checkCommit(src.Commit) != "" || checkProject(src.Project) != "" || s.Image == "" {
			t.Fatalf("valid server has bad pin or no image: %+v %q", src, s.Image)
		}
		if checkDirectory(src.Directory) != "" || checkRelPath(src.Dockerfile) != "" {
			t.Fatalf("valid server has unsafe paths: %+v", src)
		}
		if u := s.ContextURL(); strings.Count(u, "#") != 1 || !strings.Contains(u, "#"+s.Source.Commit) {
			t.Fatalf("ContextURL() = %q does not select exactly the pinned commit", u)
		}
	}
}

// hostileSeeds are valid entries with one identifier field holding a hostile character.
func hostileSeeds() [][]byte {
	var out [][]byte
	for _, field := range hostileFields {
		for _, r := range []rune{0x00, '\n', 0x1B, 0x85, 0x2028, 0x202E, 0x200B, 0xE0041} {
			out = append(out, []byte(hostileEntry(field, r)))
		}
	}
	return append(out, []byte(hostileEntry("", 0)))
}

func FuzzParse(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b, false)
	}
	for _, b := range hostileSeeds() {
		f.Add(b, true)
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
	for _, b := range hostileSeeds() {
		f.Add(b)
	}
	// One folder per process, the file rewritten for each input (inputs run one at a time
	// in a process): a fresh temporary directory per input made this target about 5x slower.
	dir := filepath.Join(f.TempDir(), "servers", "fuzz")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
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
	for _, d := range []string{
		"servers/%2e%2e", "a%20b", "a?b", "a#b", "a:b", "a/../b", "./a//b/", "\x00", "a\u202eb", "a\nb", ".", "/",
	} {
		f.Add("https://github.com/example/x", d)
	}
	const commit = "0123456789abcdef0123456789abcdef01234567"
	f.Fuzz(func(t *testing.T, project, dir string) {
		if checkProject(project) != "" || checkDirectory(dir) != "" {
			return
		}
		if checkText(project+dir) != "" {
			t.Fatalf("accepted project %q dir %q with a hostile character", project, dir)
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
		if strings.HasPrefix(project, "file:") {
			return // BuildKit does not fetch file:// remotes; build refuses them
		}
		// BuildKit's own parser must read exactly the pinned commit and directory.
		g, isGit, err := dfgitutil.ParseGitRef(u)
		if err != nil || !isGit {
			t.Fatalf("project %q dir %q: BuildKit does not read %q as a git context: %v", project, dir, u, err)
		}
		wantDir := path.Clean(dir)
		if dir == "" || wantDir == "." {
			wantDir = ""
		}
		if g.Ref != commit || g.SubDir != wantDir {
			t.Fatalf("project %q dir %q: BuildKit reads %q as ref %q dir %q", project, dir, u, g.Ref, g.SubDir)
		}
	})
}
