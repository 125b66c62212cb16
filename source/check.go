package source

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Pin is a catalog entry's source as the checks see it.
type Pin struct {
	Server     string // the entry's name, for messages
	Remote     string // the URL fetched (after mirrors)
	Branch     string // "" for the remote's default branch
	Commit     string
	Directory  string // the build context, "" for the repository root
	Dockerfile string // relative to the build context, "" for Dockerfile
	Target     string // "" for the last stage
}

// DockerfilePath is where BuildKit reads the pin's Dockerfile, from the repository root.
func (p Pin) DockerfilePath() string {
	df := p.Dockerfile
	if df == "" {
		df = "Dockerfile"
	}
	return path.Join(cleanDir(p.Directory), df)
}

func cleanDir(d string) string {
	if c := path.Clean("/" + d); c != "/" {
		return strings.TrimPrefix(c, "/")
	}
	return ""
}

// Result is what Check found about one pin. Err is set when its remote could not be
// listed or fetched (a *RemoteError): nothing was decided, and Findings is empty.
type Result struct {
	Pin      Pin
	Findings []Finding
	Err      error
}

// maxDockerfile bounds the Dockerfile read.
const maxDockerfile = 1 << 20

// Check checks every pin on its remote, with one ls-remote and one fetch per remote:
// the commit exists, and is reachable from the branch (a branch that is a tag is a
// warning); the directory exists at the commit, the Dockerfile exists where BuildKit
// reads it, the build target is one of its stages, and every COPY/ADD source of the
// stages built is inside the build context. Results are in the order of pins.
func (c *Client) Check(ctx context.Context, pins []Pin) []Result {
	out := make([]Result, len(pins))
	for _, g := range byRemote(pins) {
		c.checkRemote(ctx, pins, g, out)
	}
	return out
}

// byRemote groups pin indexes by remote, in order of first appearance.
func byRemote(pins []Pin) [][]int {
	idx := map[string]int{}
	var groups [][]int
	for i, p := range pins {
		g, ok := idx[p.Remote]
		if !ok {
			g = len(groups)
			idx[p.Remote] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

func (c *Client) checkRemote(ctx context.Context, pins []Pin, group []int, out []Result) {
	remote := pins[group[0]].Remote
	fail := func(err error) {
		for _, i := range group {
			out[i] = Result{Pin: pins[i], Err: err}
		}
	}
	refs, err := c.ListRefs(ctx, remote)
	if err != nil {
		fail(err)
		return
	}
	var want []string
	for _, i := range group {
		want = append(want, pins[i].Commit)
		if _, tip, _ := refs.resolve(pins[i].Branch); tip != "" {
			want = append(want, tip)
		}
	}
	repo, missing, err := c.Fetch(ctx, remote, want)
	if err != nil {
		fail(err)
		return
	}
	defer repo.Close()
	for _, i := range group {
		fs, err := repo.checkPin(ctx, refs, pins[i], slices.Contains(missing, pins[i].Commit))
		if err != nil {
			err = fmt.Errorf("checking server %s on %s: %w", pins[i].Server, remote, err)
		}
		out[i] = Result{Pin: pins[i], Findings: fs, Err: err}
	}
}

// refKind says what a pin's branch names on the remote.
type refKind int

const (
	refNone refKind = iota
	refBranch
	refTag
)

// resolve returns what branch ("" for the default branch) is on the remote, and the
// commit it points to.
func (r *Refs) resolve(branch string) (refKind, string, string) {
	if branch == "" {
		branch = r.Head
	}
	if tip, ok := r.Branches[branch]; ok {
		return refBranch, tip, branch
	}
	if tip, ok := r.Tags[branch]; ok {
		return refTag, tip, branch
	}
	return refNone, "", branch
}

func (r *Repo) checkPin(ctx context.Context, refs *Refs, p Pin, missing bool) ([]Finding, error) {
	var fs []Finding
	add := func(sev Severity, field, format string, args ...any) {
		fs = append(fs, Finding{Severity: sev, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	branchField := "source.branch"
	if p.Branch == "" {
		branchField = "source.commit"
	}
	kind, tip, name := refs.resolve(p.Branch)
	switch {
	case kind == refTag:
		add(Warning, branchField, "%q is a tag on the remote, not a branch: a pin on it never moves (update-pins leaves it alone)", name)
	case kind == refNone && name != "":
		add(Error, branchField, "branch %q does not exist on the remote", name)
	}
	if missing {
		add(Error, "source.commit", "commit %s does not exist on the remote", p.Commit)
		return fs, nil
	}
	if tip != "" && tip != p.Commit {
		ok, err := r.IsAncestor(ctx, p.Commit, tip)
		if err != nil {
			return fs, err
		}
		if !ok {
			add(Error, "source.commit", "commit %s is not reachable from %s %q (at %s): it is not in that history", short(p.Commit), kindName(kind), name, short(tip))
		}
	}
	dir := cleanDir(p.Directory)
	if dir != "" {
		typ, err := r.ObjectType(ctx, p.Commit, dir)
		if err != nil {
			return fs, err
		}
		if typ != "tree" {
			add(Error, "source.directory", "directory %q does not exist at commit %s", dir, short(p.Commit))
			return fs, nil
		}
	}
	dfField := "source.dockerfile"
	if p.Dockerfile == "" {
		dfField = "source"
		if dir != "" {
			dfField = "source.directory"
		}
	}
	df := p.DockerfilePath()
	if rel := path.Clean(p.Dockerfile); rel == ".." || strings.HasPrefix(rel, "../") || path.IsAbs(p.Dockerfile) {
		add(Error, dfField, "Dockerfile %q is outside the build context (%s)", p.Dockerfile, displayDir(dir))
		return fs, nil
	}
	typ, err := r.ObjectType(ctx, p.Commit, df)
	if err != nil {
		return fs, err
	}
	if typ != "blob" {
		add(Error, dfField, "no Dockerfile at %s at commit %s, where BuildKit reads it", df, short(p.Commit))
		return fs, nil
	}
	body, err := r.ReadFile(ctx, p.Commit, df, maxDockerfile)
	if err != nil {
		return fs, err
	}
	paths, err := r.ListTree(ctx, p.Commit, dir)
	if err != nil {
		return fs, err
	}
	set := make(map[string]bool, len(paths))
	for _, q := range paths {
		set[q] = true
	}
	dc := &dockerfileCheck{file: df, target: p.Target, ctxDir: dir, paths: set, outside: func(q string) bool {
		t, err := r.ObjectType(ctx, p.Commit, q)
		return err == nil && t != ""
	}}
	return append(fs, checkDockerfile(body, dc)...), nil
}

func kindName(k refKind) string {
	if k == refTag {
		return "tag"
	}
	return "branch"
}
