package hack

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const fixtureGitBase = "git://127.0.0.1:19418/"

type fixtureCommit struct{ repo, slug, sha string }

// makeFixtures runs hack/fixtures.sh into a fresh directory and returns its output lines.
func makeFixtures(t *testing.T) (string, []fixtureCommit) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	out := t.TempDir()
	cmd := exec.Command("bash", "fixtures.sh", out)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("hack/fixtures.sh: %v", err)
	}
	return out, parseCommits(t, string(b))
}

func parseCommits(t *testing.T, s string) []fixtureCommit {
	t.Helper()
	var cs []fixtureCommit
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			t.Fatalf("malformed fixture line %q", sc.Text())
		}
		cs = append(cs, fixtureCommit{f[0], f[1], f[2]})
	}
	return cs
}

// TestFixtureHashesAreDeterministic re-creates the fixture repositories, with a hostile
// git environment, and compares every commit hash with testdata/repos/hashes.txt.
func TestFixtureHashesAreDeterministic(t *testing.T) {
	t.Setenv("GIT_AUTHOR_NAME", "Someone Else")
	t.Setenv("GIT_COMMITTER_EMAIL", "else@example.invalid")
	t.Setenv("GIT_DEFAULT_HASH", "sha256")
	_, got := makeFixtures(t)
	want, err := os.ReadFile("../testdata/repos/hashes.txt")
	if err != nil {
		t.Fatal(err)
	}
	wantCommits := parseCommits(t, string(want))
	if len(got) != len(wantCommits) {
		t.Fatalf("fixtures.sh made %d commits, hashes.txt lists %d", len(got), len(wantCommits))
	}
	for i := range got {
		if got[i] != wantCommits[i] {
			t.Errorf("commit %d = %v, hashes.txt says %v", i, got[i], wantCommits[i])
		}
	}
}

type catalogEntry struct {
	Name   string `yaml:"name"`
	Type   string `yaml:"type"`
	Source struct {
		Project     string `yaml:"project"`
		Branch      string `yaml:"branch"`
		Commit      string `yaml:"commit"`
		Directory   string `yaml:"directory"`
		Dockerfile  string `yaml:"dockerfile"`
		BuildTarget string `yaml:"buildTarget"`
	} `yaml:"source"`
}

// TestCatalogPinsExistInFixtures checks that every testdata catalog pin names a commit of
// its fixture repository, and that the paths it uses exist at that commit.
func TestCatalogPinsExistInFixtures(t *testing.T) {
	dir, _ := makeFixtures(t)
	files, err := filepath.Glob("../testdata/catalog/servers/*/server.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("testdata catalog: %d files, %v", len(files), err)
	}
	tips := map[string]string{}
	built := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var e catalogEntry
		if err := yaml.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if e.Type != "server" {
			continue
		}
		built++
		repo, ok := strings.CutPrefix(e.Source.Project, fixtureGitBase)
		if !ok {
			t.Errorf("%s: project %q is not served by the stack's git daemon", f, e.Source.Project)
			continue
		}
		gitDir := filepath.Join(dir, repo)
		git := func(args ...string) (string, error) {
			out, err := exec.Command("git", append([]string{"--git-dir=" + gitDir}, args...)...).Output()
			return strings.TrimSpace(string(out)), err
		}
		if typ, err := git("cat-file", "-t", e.Source.Commit); err != nil || typ != "commit" {
			t.Errorf("%s: commit %s not in %s (%v)", f, e.Source.Commit, repo, err)
			continue
		}
		dockerfile := e.Source.Dockerfile
		if dockerfile == "" {
			dockerfile = "Dockerfile"
		}
		path := filepath.ToSlash(filepath.Join(e.Source.Directory, dockerfile))
		if _, err := git("cat-file", "-e", e.Source.Commit+":"+path); err != nil {
			t.Errorf("%s: %s missing at commit %s", f, path, e.Source.Commit)
		}
		tip, err := git("rev-parse", "refs/heads/"+e.Source.Branch)
		if err != nil {
			t.Errorf("%s: branch %q missing in %s", f, e.Source.Branch, repo)
		}
		tips[e.Name] = tip
		if e.Name == "pinned" {
			if tip == e.Source.Commit {
				t.Errorf("%s: pinned must not be the branch tip", f)
			}
			at, _ := git("show", e.Source.Commit+":version.txt")
			atTip, _ := git("show", tip+":version.txt")
			if at == atTip || !strings.Contains(at, "version=0.2.0") {
				t.Errorf("%s: version.txt at pin %q, at tip %q; want 0.2.0 and a different tip", f, at, atTip)
			}
		}
	}
	if built < 3 {
		t.Errorf("testdata catalog has %d buildable servers, want at least 3", built)
	}
	if tips["monorepo-alpha"] == "" || tips["monorepo-alpha"] != tips["monorepo-beta"] {
		t.Errorf("monorepo-alpha and monorepo-beta must share one upstream repository")
	}
}

// TestFixtureRefs checks the refs that testdata/repos/<repo>/refs files add: a branch
// behind main and a tag named like a branch, each at the commit the file names.
func TestFixtureRefs(t *testing.T) {
	dir, commits := makeFixtures(t)
	sha := map[string]string{}
	for _, c := range commits {
		sha[c.repo+" "+c.slug] = c.sha
	}
	for ref, want := range map[string]string{
		"refs/heads/main":    sha["mcp-moving 02-v2"],
		"refs/heads/stable":  sha["mcp-moving 01-v1"],
		"refs/tags/release":  sha["mcp-moving 01-v1"],
		"refs/heads/release": "",
	} {
		out, _ := exec.Command("git", "--git-dir="+filepath.Join(dir, "mcp-moving.git"), "rev-parse", "--verify", "-q", ref).Output()
		if got := strings.TrimSpace(string(out)); got != want {
			t.Errorf("mcp-moving %s = %q, want %q", ref, got, want)
		}
	}
}
