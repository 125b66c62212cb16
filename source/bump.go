package source

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Limits bound a review.
type Limits struct {
	Commits   int // commits listed (the count is always given)
	DiffBytes int // bytes of unified diff
}

// DefaultLimits are Bump's limits when zero.
var DefaultLimits = Limits{Commits: 50, DiffBytes: 64 << 10}

// Bump is what update-pins proposes for one pin: its branch's tip, and the review of the
// commits between the pin and the tip when they differ.
type Bump struct {
	Pin      Pin
	Branch   string    // the branch resolved ("" when unknown)
	New      string    // the branch's tip; "" when the pin is left alone
	Note     string    // why the pin is left alone (a tag named as the branch)
	Review   *Review   // set when New differs from Pin.Commit
	Findings []Finding // definite problems (no such branch, the pin gone from the remote)
	Err      error     // the remote could not be listed or fetched: nothing decided
}

// Moved reports whether the pin should change to New.
func (b *Bump) Moved() bool {
	return b.New != "" && b.New != b.Pin.Commit && len(b.Findings) == 0 && b.Err == nil
}

// Review is what a reviewer reads before a pin moves from Old to New.
type Review struct {
	Old               string   `json:"old"`
	New               string   `json:"new"`
	Ancestor          bool     `json:"ancestor"` // Old is in New's history: the branch moved forward
	Commits           []Commit `json:"commits"`  // Old..New, newest first, at most Limits.Commits
	CommitsTotal      int      `json:"commitsTotal"`
	Context           string   `json:"context"` // the build context from the repository root ("" for the root)
	Files             []Change `json:"files"`   // changed inside the build context
	Dockerfile        string   `json:"dockerfile"`
	DockerfileChanged bool     `json:"dockerfileChanged"`
	Manifests         []string `json:"manifests"` // dependency manifests changed inside the build context
	Diff              string   `json:"diff"`      // unified diff of the build context, at most Limits.DiffBytes
	DiffTruncated     bool     `json:"diffTruncated"`
}

// Bump resolves each pin's branch (the remote's default branch when unset) with one
// ls-remote per remote and, for the pins behind their branch, fetches both ends (one
// fetch per remote) and reviews the range. A branch that is really a tag is left alone
// with a note. Results are in the order of pins.
func (c *Client) Bump(ctx context.Context, pins []Pin, lim Limits) []Bump {
	if lim.Commits <= 0 {
		lim.Commits = DefaultLimits.Commits
	}
	if lim.DiffBytes <= 0 {
		lim.DiffBytes = DefaultLimits.DiffBytes
	}
	out := make([]Bump, len(pins))
	for _, g := range byRemote(pins) {
		c.bumpRemote(ctx, pins, g, lim, out)
	}
	return out
}

func (c *Client) bumpRemote(ctx context.Context, pins []Pin, group []int, lim Limits, out []Bump) {
	remote := pins[group[0]].Remote
	refs, err := c.ListRefs(ctx, remote)
	if err != nil {
		for _, i := range group {
			out[i] = Bump{Pin: pins[i], Err: err}
		}
		return
	}
	var want []string
	var moving []int
	for _, i := range group {
		p := pins[i]
		kind, tip, name := refs.resolve(p.Branch)
		b := Bump{Pin: p, Branch: name}
		switch {
		case name == "":
			b.Findings = []Finding{{Severity: Error, Field: "source.branch", Message: "no branch given and the remote names no default branch"}}
		case kind == refNone:
			b.Findings = []Finding{{Severity: Error, Field: "source.branch", Message: fmt.Sprintf("branch %q does not exist on the remote", name)}}
		case kind == refTag:
			b.Note = fmt.Sprintf("%q is a tag, not a branch: the pin is left alone", name)
		default:
			b.New = tip
			if tip != p.Commit {
				want = append(want, p.Commit, tip)
				moving = append(moving, i)
			}
		}
		out[i] = b
	}
	if len(moving) == 0 {
		return
	}
	repo, missing, err := c.Fetch(ctx, remote, want)
	if err != nil {
		for _, i := range moving {
			out[i].Err = err
		}
		return
	}
	defer repo.Close()
	for _, i := range moving {
		b := &out[i]
		if slices.Contains(missing, b.Pin.Commit) {
			b.Findings = append(b.Findings, Finding{Severity: Error, Field: "source.commit",
				Message: fmt.Sprintf("commit %s does not exist on the remote any more: review the move to %s by hand", b.Pin.Commit, short(b.New))})
			continue
		}
		rv, err := repo.review(ctx, b.Pin, b.New, lim)
		if err != nil {
			b.Err = fmt.Errorf("reviewing server %s on %s: %w", b.Pin.Server, remote, err)
			continue
		}
		b.Review = rv
	}
}

func (r *Repo) review(ctx context.Context, p Pin, tip string, lim Limits) (*Review, error) {
	rv := &Review{Old: p.Commit, New: tip, Context: cleanDir(p.Directory), Dockerfile: p.DockerfilePath(), Manifests: []string{}}
	var err error
	if rv.Ancestor, err = r.IsAncestor(ctx, p.Commit, tip); err != nil {
		return nil, err
	}
	if rv.Commits, rv.CommitsTotal, err = r.Log(ctx, p.Commit, tip, lim.Commits); err != nil {
		return nil, err
	}
	if rv.Files, err = r.DiffNames(ctx, p.Commit, tip, rv.Context); err != nil {
		return nil, err
	}
	for _, f := range rv.Files {
		if f.Path == rv.Dockerfile {
			rv.DockerfileChanged = true
		}
		if isManifest(f.Path) {
			rv.Manifests = append(rv.Manifests, f.Path)
		}
	}
	if rv.Diff, rv.DiffTruncated, err = r.Diff(ctx, p.Commit, tip, rv.Context, lim.DiffBytes); err != nil {
		return nil, err
	}
	if rv.Commits == nil {
		rv.Commits = []Commit{}
	}
	if rv.Files == nil {
		rv.Files = []Change{}
	}
	return rv, nil
}

// manifests are the dependency manifests and lockfiles a review calls out.
var manifests = map[string]bool{
	"package.json": true, "package-lock.json": true, "npm-shrinkwrap.json": true, "yarn.lock": true,
	"pnpm-lock.yaml": true, "bun.lock": true, "bun.lockb": true,
	"go.mod": true, "go.sum": true,
	"pyproject.toml": true, "uv.lock": true, "poetry.lock": true, "Pipfile": true, "Pipfile.lock": true, "setup.py": true, "setup.cfg": true,
	"Cargo.toml": true, "Cargo.lock": true,
}

// isManifest reports whether p names a dependency manifest or lockfile (package.json and
// lockfiles, go.mod/go.sum, pyproject.toml, uv.lock, requirements*.txt, ...).
func isManifest(p string) bool {
	base := path.Base(p)
	return manifests[base] || strings.HasPrefix(base, "requirements") && strings.HasSuffix(base, ".txt")
}
