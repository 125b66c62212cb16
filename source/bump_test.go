package source

import (
	"slices"
	"strings"
	"testing"
)

func TestBump(t *testing.T) {
	r := makeRepo(t, fixtureTrees(), "tag release 0")
	c1, c2 := r.commits[0], r.commits[1]
	pins := []Pin{
		{Server: "good", Remote: r.url, Branch: "main", Commit: c1, Directory: "servers/good"},
		{Server: "current", Remote: r.url, Commit: c2},
		{Server: "tagged", Remote: r.url, Branch: "release", Commit: c1},
		{Server: "nobranch", Remote: r.url, Branch: "nope", Commit: c1},
	}
	got := newTestClient(t).Bump(bg, pins, Limits{})
	good := got[0]
	if good.Err != nil || !good.Moved() || good.New != c2 || good.Branch != "main" {
		t.Fatalf("Bump(good) = %+v, want moved to %s", good, c2)
	}
	rv := good.Review
	if !rv.Ancestor || rv.CommitsTotal != 1 || len(rv.Commits) != 1 || rv.Commits[0].Subject != "commit 2" ||
		rv.Commits[0].Author != "Test Author <author@example.invalid>" || rv.Commits[0].Date.Unix() != 1700003600 {
		t.Errorf("review commits = %+v (total %d)", rv.Commits, rv.CommitsTotal)
	}
	wantFiles := []Change{{"A", "servers/good/new.txt"}, {"M", "servers/good/package.json"}}
	if !slices.Equal(rv.Files, wantFiles) {
		t.Errorf("review files = %v, want %v (app.txt is outside the context)", rv.Files, wantFiles)
	}
	if rv.DockerfileChanged || !slices.Equal(rv.Manifests, []string{"servers/good/package.json"}) {
		t.Errorf("review dockerfile changed %v, manifests %v", rv.DockerfileChanged, rv.Manifests)
	}
	if !strings.Contains(rv.Diff, `+{"v": 2}`) || strings.Contains(rv.Diff, "app.txt") || rv.DiffTruncated {
		t.Errorf("review diff (truncated %v):\n%s", rv.DiffTruncated, rv.Diff)
	}
	if got[1].Moved() || got[1].New != c2 || got[1].Review != nil || got[1].Branch != "main" {
		t.Errorf("Bump(current) = %+v, want up to date on the default branch", got[1])
	}
	if got[2].Moved() || !strings.Contains(got[2].Note, "tag") {
		t.Errorf("Bump(tagged) = %+v, want left alone with a note", got[2])
	}
	if got[3].Moved() || len(got[3].Findings) != 1 || got[3].Findings[0].Field != "source.branch" {
		t.Errorf("Bump(nobranch) = %+v, want a source.branch finding", got[3])
	}
}

func TestBumpCapsTheReview(t *testing.T) {
	trees := fixtureTrees()
	trees = append(trees, map[string]string{"servers/good/big.txt": strings.Repeat("line\n", 1000)})
	r := makeRepo(t, trees)
	got := newTestClient(t).Bump(bg, []Pin{{Remote: r.url, Commit: r.commits[0], Directory: "servers/good"}}, Limits{Commits: 1, DiffBytes: 512})
	rv := got[0].Review
	if rv == nil || rv.CommitsTotal != 2 || len(rv.Commits) != 1 || rv.Commits[0].Subject != "commit 3" {
		t.Fatalf("review = %+v, want 1 of 2 commits listed", rv)
	}
	if !rv.DiffTruncated || len(rv.Diff) != 512 {
		t.Errorf("diff truncated %v, %d bytes; want cut at 512", rv.DiffTruncated, len(rv.Diff))
	}
}

func TestIsManifest(t *testing.T) {
	for p, want := range map[string]bool{
		"package.json": true, "a/pnpm-lock.yaml": true, "go.sum": true, "x/requirements-dev.txt": true,
		"uv.lock": true, "pyproject.toml": true, "README.md": false, "requirements.md": false, "Dockerfile": false,
	} {
		if isManifest(p) != want {
			t.Errorf("isManifest(%q) = %v, want %v", p, !want, want)
		}
	}
}
