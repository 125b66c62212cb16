package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// spec is "<commit>:<path>" for git, the commit's root tree for an empty path.
func spec(commit, p string) string {
	if p == "" || p == "." {
		return commit + "^{tree}"
	}
	return commit + ":" + p
}

// HasCommit reports whether commit is in the repository.
func (r *Repo) HasCommit(ctx context.Context, commit string) (bool, error) {
	if err := checkCommits("looking up commit", commit); err != nil {
		return false, err
	}
	out, err := r.run(ctx, "cat-file", "-t", "--end-of-options", commit)
	if isExit(err, 128) || isExit(err, 1) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("looking up commit %s: %w", short(commit), err)
	}
	return strings.TrimSpace(string(out)) == "commit", nil
}

// ObjectType returns "tree", "blob" or "commit" (a submodule) for p at commit, or ""
// when p does not exist there ("" or "." is the root tree). Only trees are read, never
// blobs.
func (r *Repo) ObjectType(ctx context.Context, commit, p string) (string, error) {
	if err := checkCommits("looking up "+p, commit); err != nil {
		return "", err
	}
	p = strings.Trim(p, "/")
	if p == "" || p == "." {
		return "tree", nil
	}
	out, err := r.run(ctx, "ls-tree", "-z", "--end-of-options", commit, "--", p)
	if err != nil {
		return "", fmt.Errorf("looking up %s at %s: %w", p, short(commit), err)
	}
	// "<mode> SP <type> SP <object> TAB <path>" NUL
	meta, name, ok := strings.Cut(strings.TrimSuffix(string(out), "\x00"), "\t")
	if !ok || name != p {
		return "", nil
	}
	f := strings.Fields(meta)
	if len(f) != 3 {
		return "", fmt.Errorf("looking up %s at %s: malformed ls-tree output %q", p, short(commit), out)
	}
	return f[1], nil
}

func isExit(err error, code int) bool {
	var ge *gitError
	var ee *exec.ExitError
	return errors.As(err, &ge) && errors.As(ge.err, &ee) && ee.ExitCode() == code
}

// ReadFile returns the content of the file p at commit, at most max bytes (more is an
// error). The blob is fetched from the remote if it is not there yet.
func (r *Repo) ReadFile(ctx context.Context, commit, p string, max int) ([]byte, error) {
	if err := checkCommits("reading "+p, commit); err != nil {
		return nil, err
	}
	out, truncated, err := r.git(ctx, max, "cat-file", "blob", "--end-of-options", spec(commit, p))
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s: %w", p, short(commit), err)
	}
	if truncated {
		return nil, fmt.Errorf("reading %s at %s: larger than %d bytes", p, short(commit), max)
	}
	return out, nil
}

// ListTree returns every path (files, links, submodules and directories) under dir at
// commit, relative to dir.
func (r *Repo) ListTree(ctx context.Context, commit, dir string) ([]string, error) {
	if err := checkCommits("listing "+displayDir(dir), commit); err != nil {
		return nil, err
	}
	out, err := r.run(ctx, "ls-tree", "-r", "-t", "-z", "--name-only", "--end-of-options", spec(commit, dir))
	if err != nil {
		return nil, fmt.Errorf("listing %s at %s: %w", displayDir(dir), short(commit), err)
	}
	var paths []string
	for _, p := range bytes.Split(out, []byte{0}) {
		if len(p) > 0 {
			paths = append(paths, string(p))
		}
	}
	return paths, nil
}

// IsAncestor reports whether commit a is an ancestor of (or equal to) commit b.
func (r *Repo) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	if err := checkCommits("checking ancestry", a, b); err != nil {
		return false, err
	}
	_, err := r.run(ctx, "merge-base", "--is-ancestor", "--end-of-options", a, b)
	switch {
	case err == nil:
		return true, nil
	case isExit(err, 1):
		return false, nil
	}
	return false, fmt.Errorf("checking that %s is an ancestor of %s: %w", short(a), short(b), err)
}

// Commit is one commit of a range, for review.
type Commit struct {
	Hash    string    `json:"hash"`
	Author  string    `json:"author"` // "Name <email>"
	Date    time.Time `json:"date"`   // author date
	Subject string    `json:"subject"`
}

// Log returns the commits reachable from to but not from from, newest first, at most max
// of them, and how many there are in all.
func (r *Repo) Log(ctx context.Context, from, to string, max int) ([]Commit, int, error) {
	if err := checkCommits("listing commits", from, to); err != nil {
		return nil, 0, err
	}
	rng := from + ".." + to
	n, err := r.run(ctx, "rev-list", "--count", "--end-of-options", rng)
	if err != nil {
		return nil, 0, fmt.Errorf("counting commits %s: %w", shortRange(from, to), err)
	}
	total, err := strconv.Atoi(strings.TrimSpace(string(n)))
	if err != nil {
		return nil, 0, fmt.Errorf("counting commits %s: %q", shortRange(from, to), n)
	}
	out, err := r.run(ctx, "log", "--no-show-signature", "--no-mailmap", "-z",
		"--format=%H%x1f%an <%ae>%x1f%at%x1f%s", "--max-count="+strconv.Itoa(max), "--end-of-options", rng)
	if err != nil {
		return nil, 0, fmt.Errorf("listing commits %s: %w", shortRange(from, to), err)
	}
	var cs []Commit
	for _, rec := range bytes.Split(out, []byte{0}) {
		f := strings.Split(strings.TrimPrefix(string(rec), "\n"), "\x1f")
		if len(f) != 4 {
			continue
		}
		sec, _ := strconv.ParseInt(f[2], 10, 64)
		cs = append(cs, Commit{Hash: f[0], Author: f[1], Date: time.Unix(sec, 0).UTC(), Subject: f[3]})
	}
	return cs, total, nil
}

// Change is a file changed between two commits.
type Change struct {
	Status string `json:"status"` // A, M, D, T (renames are shown as D and A)
	Path   string `json:"path"`   // from the repository root
}

// DiffNames returns the files changed between from and to under dir ("" for all).
func (r *Repo) DiffNames(ctx context.Context, from, to, dir string) ([]Change, error) {
	if err := checkCommits("listing files changed in "+displayDir(dir), from, to); err != nil {
		return nil, err
	}
	out, err := r.run(ctx, diffArgs([]string{"diff", "--no-renames", "--name-status", "-z"}, from, to, dir)...)
	if err != nil {
		return nil, fmt.Errorf("listing files changed %s in %s: %w", shortRange(from, to), displayDir(dir), err)
	}
	f := bytes.Split(bytes.TrimSuffix(out, []byte{0}), []byte{0})
	var cs []Change
	for i := 0; i+1 < len(f); i += 2 {
		cs = append(cs, Change{Status: string(f[i]), Path: string(f[i+1])})
	}
	return cs, nil
}

// Diff returns the unified diff between from and to under dir ("" for all), at most max
// bytes, and whether it was cut.
func (r *Repo) Diff(ctx context.Context, from, to, dir string, max int) (string, bool, error) {
	if err := checkCommits("diffing "+displayDir(dir), from, to); err != nil {
		return "", false, err
	}
	out, truncated, err := r.git(ctx, max,
		diffArgs([]string{"diff", "--no-renames", "--no-color", "--no-ext-diff", "--no-textconv"}, from, to, dir)...)
	if err != nil {
		return "", false, fmt.Errorf("diffing %s in %s: %w", shortRange(from, to), displayDir(dir), err)
	}
	return string(out), truncated, nil
}

func diffArgs(base []string, from, to, dir string) []string {
	args := append(base, "--end-of-options", from, to, "--")
	if dir != "" && dir != "." {
		return append(args, dir)
	}
	return args
}

// checkCommits refuses anything but full commit hashes: an argument that starts with "-"
// would reach git as an option, any other form as a revision expression.
func checkCommits(op string, shas ...string) error {
	for _, s := range shas {
		if !isCommitID(s) {
			return fmt.Errorf("%s: %q is not a full commit hash", op, s)
		}
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func shortRange(from, to string) string { return short(from) + ".." + short(to) }

func displayDir(dir string) string {
	if dir == "" || dir == "." {
		return "the repository root"
	}
	return dir
}
