package source

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// RemoteError is a git remote that could not be listed or fetched from: unreachable,
// refusing, or too slow. Nothing was decided about the pins it serves.
type RemoteError struct {
	URL string
	Op  string // "ls-remote" or "fetch"
	Err error
}

func (e *RemoteError) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.URL, e.Err) }
func (e *RemoteError) Unwrap() error { return e.Err }

// CheckRemote reports whether the client reads remote: git:// and https:// (and file://
// with WithFileRemotes), without credentials, query or fragment. ListRefs and Fetch make
// this check too.
func (c *Client) CheckRemote(remote string) error { return c.checkURL(remote) }

func (c *Client) checkURL(remote string) error {
	u, err := url.Parse(remote)
	if err != nil {
		return fmt.Errorf("remote %q: %v", remote, err) // %v: a *url.Error would read as a network fault
	}
	switch {
	case u.Scheme == "git" || u.Scheme == "https":
		if u.Host == "" {
			return fmt.Errorf("remote %q: no host", remote)
		}
	case u.Scheme == "file" && c.files:
		if u.Path == "" {
			return fmt.Errorf("remote %q: no path", remote)
		}
	default:
		return fmt.Errorf("remote %q: only git:// and https:// remotes are read", remote)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(remote, " \t\r\n") {
		return fmt.Errorf("remote %q: must not carry credentials, a query, a fragment or whitespace", remote)
	}
	return nil
}

// Refs are a remote's branches and tags, each with the commit it points to (a tag is
// peeled to its commit).
type Refs struct {
	Head     string            // the default branch (HEAD's target), "" if the remote does not say
	Branches map[string]string // name -> commit
	Tags     map[string]string // name -> commit
}

// ListRefs lists the branches and tags of remote with one ls-remote.
func (c *Client) ListRefs(ctx context.Context, remote string) (*Refs, error) {
	if err := c.checkURL(remote); err != nil {
		return nil, err
	}
	c.log.Debug("git ls-remote", "remote", remote)
	out, err := c.git.run(ctx, "", "ls-remote", "--symref", "--", remote)
	if err != nil {
		return nil, &RemoteError{URL: remote, Op: "ls-remote", Err: err}
	}
	return parseRefs(out)
}

func parseRefs(out []byte) (*Refs, error) {
	r := &Refs{Branches: map[string]string{}, Tags: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if target, ok := strings.CutPrefix(line, "ref: "); ok {
			t, name, _ := strings.Cut(target, "\t")
			if name == "HEAD" {
				r.Head = strings.TrimPrefix(t, "refs/heads/")
			}
			continue
		}
		sha, name, ok := strings.Cut(line, "\t")
		if !ok || !isCommitID(sha) {
			return nil, fmt.Errorf("ls-remote: malformed line %q", line)
		}
		switch {
		case strings.HasPrefix(name, "refs/heads/"):
			r.Branches[strings.TrimPrefix(name, "refs/heads/")] = sha
		case strings.HasPrefix(name, "refs/tags/") && strings.HasSuffix(name, "^{}"):
			r.Tags[strings.TrimSuffix(strings.TrimPrefix(name, "refs/tags/"), "^{}")] = sha // peeled wins
		case strings.HasPrefix(name, "refs/tags/"):
			t := strings.TrimPrefix(name, "refs/tags/")
			if _, ok := r.Tags[t]; !ok {
				r.Tags[t] = sha
			}
		}
	}
	return r, sc.Err()
}

// Repo is a temporary bare repository holding commits fetched from one remote (commits
// and trees; blobs are fetched on demand). Close removes it.
type Repo struct {
	c      *Client
	dir    string
	remote string
}

// Fetch makes a temporary repository and fetches commits from remote into it, without
// blobs where the remote supports filters. Commits the remote does not have are returned
// as missing (each is asked for on its own only when the fetch of all of them fails);
// any other failure is a *RemoteError.
func (c *Client) Fetch(ctx context.Context, remote string, commits []string) (repo *Repo, missing []string, err error) {
	if err := c.checkURL(remote); err != nil {
		return nil, nil, err
	}
	for _, sha := range commits {
		if !isCommitID(sha) {
			return nil, nil, fmt.Errorf("fetch %s: %q is not a full commit hash", remote, sha)
		}
	}
	dir, err := os.MkdirTemp(c.tempDir, "mcpbuild-source-*.git")
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", remote, err)
	}
	r := &Repo{c: c, dir: dir, remote: remote}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()
	if _, err := c.git.run(ctx, "", "init", "-q", "--bare", dir); err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", remote, err)
	}
	if _, err := c.git.run(ctx, dir, "remote", "add", "origin", remote); err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", remote, err)
	}
	want := uniq(commits)
	if len(want) == 0 {
		return r, nil, nil
	}
	c.log.Debug("git fetch", "remote", remote, "commits", len(want))
	ferr := r.fetch(ctx, want...)
	if ferr == nil {
		return r, nil, nil
	}
	if !notOurRef(ferr) {
		return nil, nil, &RemoteError{URL: remote, Op: "fetch", Err: ferr}
	}
	// One of them is not on the remote: ask for each alone to tell which.
	for _, sha := range want {
		if err := r.fetch(ctx, sha); err != nil {
			if !notOurRef(err) {
				return nil, nil, &RemoteError{URL: remote, Op: "fetch", Err: err}
			}
			missing = append(missing, sha)
		}
	}
	return r, missing, nil
}

func (r *Repo) fetch(ctx context.Context, shas ...string) error {
	args := append([]string{"fetch", "-q", "--no-tags", "--no-write-fetch-head", "--filter=blob:none", "origin"}, shas...)
	_, err := r.run(ctx, args...)
	return err
}

// notOurRef reports a fetch refused because the remote has no such object.
func notOurRef(err error) bool {
	var ge *gitError
	if !errors.As(err, &ge) {
		return false
	}
	s := ge.stderr
	return strings.Contains(s, "not our ref") || strings.Contains(s, "couldn't find remote ref") ||
		strings.Contains(s, "no such remote ref") || strings.Contains(s, "unadvertised object")
}

// Close removes the temporary repository.
func (r *Repo) Close() error { return os.RemoveAll(r.dir) }

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func isCommitID(s string) bool { return catalog.IsCommit(s) }
