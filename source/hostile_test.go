package source

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRepoRefusesArgumentsThatAreNotCommits: every Repo method that takes a commit
// refuses anything but a full commit hash, so no argument reaches git as an option
// (git log --output= writes a file of the caller's choosing) or as a revision expression.
func TestRepoRefusesArgumentsThatAreNotCommits(t *testing.T) {
	r := makeRepo(t, []map[string]string{{"a": "1"}, {"a": "2"}})
	c := newTestClient(t)
	repo, missing, err := c.Fetch(bg, r.url, r.commits)
	if err != nil || len(missing) > 0 {
		t.Fatal(err, missing)
	}
	defer repo.Close()
	good := r.commits[1]
	out := filepath.Join(t.TempDir(), "pwned")
	for _, bad := range []string{"--output=" + out, "-n", "HEAD", "main", good[:12], strings.ToUpper(good), good + "^", ""} {
		calls := map[string]func() error{
			"HasCommit":       func() error { _, err := repo.HasCommit(bg, bad); return err },
			"ObjectType":      func() error { _, err := repo.ObjectType(bg, bad, "a"); return err },
			"ReadFile":        func() error { _, err := repo.ReadFile(bg, bad, "a", 100); return err },
			"ListTree":        func() error { _, err := repo.ListTree(bg, bad, ""); return err },
			"IsAncestor from": func() error { _, err := repo.IsAncestor(bg, bad, good); return err },
			"IsAncestor to":   func() error { _, err := repo.IsAncestor(bg, good, bad); return err },
			"Log from":        func() error { _, _, err := repo.Log(bg, bad, good, 5); return err },
			"Log to":          func() error { _, _, err := repo.Log(bg, good, bad, 5); return err },
			"DiffNames from":  func() error { _, err := repo.DiffNames(bg, bad, good, ""); return err },
			"DiffNames to":    func() error { _, err := repo.DiffNames(bg, good, bad, ""); return err },
			"Diff from":       func() error { _, _, err := repo.Diff(bg, bad, good, "", 1000); return err },
			"Diff to":         func() error { _, _, err := repo.Diff(bg, good, bad, "", 1000); return err },
		}
		for name, call := range calls {
			if err := call(); err == nil || !strings.Contains(err.Error(), "not a full commit hash") {
				t.Errorf("%s(%q) = %v, want refused as not a full commit hash", name, bad, err)
			}
		}
	}
	matches, _ := filepath.Glob(out + "*")
	if len(matches) > 0 {
		t.Errorf("git wrote %v (argument injection through a commit argument)", matches)
	}
	// Valid commits still work.
	if ok, err := repo.IsAncestor(bg, r.commits[0], good); err != nil || !ok {
		t.Errorf("IsAncestor(c1, c2) = %v, %v", ok, err)
	}
	if cs, n, err := repo.Log(bg, r.commits[0], good, 5); err != nil || n != 1 || len(cs) != 1 || cs[0].Hash != good {
		t.Errorf("Log(c1, c2) = %v, %d, %v", cs, n, err)
	}
}

// TestRepoPathsAreLiteral: a directory is a path, never pathspec magic (":!sub" would
// list everything but sub, ":(top)" would escape the directory).
func TestRepoPathsAreLiteral(t *testing.T) {
	r := makeRepo(t, []map[string]string{
		{"a": "1", "sub/b": "1", "sub/c": "1"},
		{"a": "2", "sub/b": "2", "sub/c": "1"},
	})
	c := newTestClient(t)
	repo, _, err := c.Fetch(bg, r.url, r.commits)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	from, to := r.commits[0], r.commits[1]
	if cs, err := repo.DiffNames(bg, from, to, "sub"); err != nil || len(cs) != 1 || cs[0].Path != "sub/b" {
		t.Fatalf("DiffNames(sub) = %v, %v, want sub/b alone", cs, err)
	}
	for _, dir := range []string{":!sub", ":(exclude)sub", ":(top)", ":/", ":(glob)**", "*", "su?"} {
		if cs, err := repo.DiffNames(bg, from, to, dir); err != nil || len(cs) != 0 {
			t.Errorf("DiffNames(%q) = %v, %v, want no changes (no such directory)", dir, cs, err)
		}
		if d, _, err := repo.Diff(bg, from, to, dir, 1<<16); err != nil || d != "" {
			t.Errorf("Diff(%q) = %q, %v, want empty (no such directory)", dir, d, err)
		}
		if typ, err := repo.ObjectType(bg, from, dir); err != nil || typ != "" {
			t.Errorf("ObjectType(%q) = %q, %v, want \"\" (no such path)", dir, typ, err)
		}
	}
}

// bigRepo is a remote whose second commit adds an incompressible blob of size bytes;
// filter says whether it serves filters (a remote that does not, or that ignores
// --filter, sends every blob with the commits).
func bigRepo(t *testing.T, size int, filter bool) testRepo {
	t.Helper()
	b := make([]byte, size/2)
	rand.Read(b)
	r := makeRepo(t, []map[string]string{{"a": "1"}, {"a": "1", "big": hex.EncodeToString(b)}})
	if !filter {
		dir := strings.TrimPrefix(r.url, "file://")
		if out, err := exec.Command("git", "--git-dir="+dir, "config", "uploadpack.allowFilter", "false").CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	return r
}

// TestFetchIsBounded: a remote that sends more than WithMaxRepoSize (here by ignoring
// the blob filter) fails the fetch as a *RemoteError, and the temporary repository is
// removed.
func TestFetchIsBounded(t *testing.T) {
	r := bigRepo(t, 4<<20, false)
	tmp := t.TempDir()
	c, err := New(WithFileRemotes(), WithTempDir(tmp), WithMaxRepoSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	repo, _, err := c.Fetch(bg, r.url, r.commits)
	var re *RemoteError
	if !errors.As(err, &re) || re.Op != "fetch" || !errors.Is(err, ErrRepoTooLarge) {
		if repo != nil {
			repo.Close()
		}
		t.Fatalf("Fetch() from a remote sending 4 MiB with a 1 MiB cap = %v, want a *RemoteError matching ErrRepoTooLarge", err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("temporary directory holds %d entries after the failed fetch, want none", len(ents))
	}

	// The same remote under the default cap is fine.
	c = newTestClient(t)
	repo, missing, err := c.Fetch(bg, r.url, r.commits)
	if err != nil || len(missing) != 0 {
		t.Fatalf("Fetch() under the default cap = %v, missing %v", err, missing)
	}
	repo.Close()
}

// TestOnDemandBlobsAreBounded: a blob fetched on demand counts against the cap too.
func TestOnDemandBlobsAreBounded(t *testing.T) {
	r := bigRepo(t, 4<<20, true)
	c, err := New(WithFileRemotes(), WithTempDir(t.TempDir()), WithMaxRepoSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	repo, _, err := c.Fetch(bg, r.url, r.commits)
	if err != nil {
		t.Fatalf("blobless Fetch() under a 1 MiB cap = %v", err)
	}
	defer repo.Close()
	if _, err := repo.ReadFile(bg, r.commits[1], "big", 8<<20); !errors.Is(err, ErrRepoTooLarge) {
		t.Errorf("ReadFile(big) = %v, want ErrRepoTooLarge", err)
	}
	if _, _, err := repo.Diff(bg, r.commits[0], r.commits[1], "", 16<<20); !errors.Is(err, ErrRepoTooLarge) {
		t.Errorf("Diff() = %v, want ErrRepoTooLarge", err)
	}
}

func TestWithMaxRepoSizeRejectsNonPositive(t *testing.T) {
	for _, n := range []int64{0, -1} {
		if _, err := New(WithTempDir(t.TempDir()), WithMaxRepoSize(n)); err == nil {
			t.Errorf("WithMaxRepoSize(%d) = nil error", n)
		}
	}
}

// TestSizeWatcherStopsARunningFetch: a git that keeps writing into the repository is
// stopped while it runs, long before its deadline.
func TestSizeWatcherStopsARunningFetch(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	// A fake git: succeeds at everything but fetch, which writes 256 KiB every 50ms into
	// the repository (its first argument is --git-dir=DIR) and never ends.
	fake := filepath.Join(t.TempDir(), "git")
	script := "#!/bin/sh\ncase \"$2\" in fetch) ;; *) exit 0;; esac\ndir=${1#--git-dir=}\ni=0\n" +
		"while :; do head -c 262144 /dev/zero > \"$dir/junk$i\"; i=$((i+1)); sleep 0.05; done\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := New(WithFileRemotes(), WithTempDir(t.TempDir()), WithGit(fake), WithMaxRepoSize(1<<20), WithCallTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	repo, _, err := c.Fetch(bg, "file:///nowhere.git", []string{strings.Repeat("a", 40)})
	if repo != nil {
		repo.Close()
	}
	if !errors.Is(err, ErrRepoTooLarge) {
		t.Fatalf("Fetch() = %v, want ErrRepoTooLarge", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("Fetch() took %v to stop, want well under its one-minute deadline", d)
	}
}
