package source

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// testRepo is a bare repository made by makeRepo, served as file://.
type testRepo struct {
	url     string
	commits []string // in order
}

// makeRepo makes a bare repository whose commits have the given trees (path -> content),
// in order, on branch main; refs adds "branch NAME N" or "tag NAME N" (N indexes commits).
func makeRepo(t *testing.T, trees []map[string]string, refs ...string) testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := filepath.Join(t.TempDir(), "repo.git")
	work := t.TempDir()
	env := append(baseEnv("file"), "GIT_AUTHOR_NAME=Test Author", "GIT_AUTHOR_EMAIL=author@example.invalid",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.invalid", "PATH="+os.Getenv("PATH"))
	git := func(extra []string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Env = append(append([]string{}, env...), extra...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git(nil, "init", "-q", "--bare", "--initial-branch=main", dir)
	git(nil, "--git-dir="+dir, "config", "uploadpack.allowAnySHA1InWant", "true")
	// Serve filters, as GitHub does: the fetch is really blobless and blobs come on demand.
	git(nil, "--git-dir="+dir, "config", "uploadpack.allowFilter", "true")
	gw := []string{"--git-dir=" + dir, "--work-tree=" + work}
	r := testRepo{url: "file://" + dir}
	for i, tree := range trees {
		entries, _ := os.ReadDir(work)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(work, e.Name()))
		}
		for p, content := range tree {
			f := filepath.Join(work, p)
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		date := []string{"GIT_AUTHOR_DATE=@" + itoa(1700000000+i*3600) + " +0000", "GIT_COMMITTER_DATE=@" + itoa(1700000000+i*3600) + " +0000"}
		git(nil, append(gw, "add", "-A")...)
		git(date, append(gw, "commit", "-q", "--allow-empty", "-m", "commit "+itoa(i+1))...)
		r.commits = append(r.commits, git(nil, "--git-dir="+dir, "rev-parse", "HEAD"))
	}
	for _, ref := range refs {
		f := strings.Fields(ref)
		n, _ := strconv.Atoi(f[2])
		kind := map[string]string{"branch": "refs/heads/", "tag": "refs/tags/"}[f[0]]
		git(nil, "--git-dir="+dir, "update-ref", kind+f[1], r.commits[n])
	}
	return r
}

func itoa(i int) string { return strconv.Itoa(i) }

func newTestClient(t *testing.T) *Client {
	t.Helper()
	c, err := New(WithFileRemotes(), WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var bg = context.Background()

func asRemote(err error, re **RemoteError) bool { return errors.As(err, re) }
