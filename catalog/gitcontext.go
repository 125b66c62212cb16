package catalog

import (
	"fmt"
	"net/url"
	"path"
	"strings"
)

// GitContext is a BuildKit git context: the repository Remote, the Ref checked out
// (a pinned commit) and the sub-directory Dir built from. Its text form is
// "<remote>#<ref>[:<dir>]"; BuildKit also reads "<remote>?ref=<ref>&subdir=<dir>".
type GitContext struct {
	Remote string
	Ref    string
	Dir    string
}

// String is the context as BuildKit reads it: "<remote>#<ref>", then ":<dir>" unless Dir
// is empty or ".".
func (g GitContext) String() string {
	s := g.Remote + "#" + g.Ref
	if g.Dir != "" && g.Dir != "." {
		s += ":" + g.Dir
	}
	return s
}

// ParseGitContext splits a git context as BuildKit reads it: the fragment is "ref:dir";
// the query's ref and subdir parameters (its well-formed pairs) count where the fragment
// names none. Dir is as written (see CleanDir). A context that names two different
// directories, or the subdir parameter twice, is refused, as BuildKit refuses it; the
// GitContext then has its Remote and Ref, and no Dir.
func ParseGitContext(s string) (GitContext, error) {
	rest, frag, _ := strings.Cut(s, "#")
	ref, dir, _ := strings.Cut(frag, ":")
	remote, query, hasQuery := strings.Cut(rest, "?")
	if hasQuery {
		q, _ := url.ParseQuery(query)
		switch sub := q["subdir"]; {
		case len(sub) > 1:
			return GitContext{Remote: remote, Ref: ref}, fmt.Errorf("git context %q: subdir is given %d times", s, len(sub))
		case len(sub) == 1 && dir != "" && CleanDir(sub[0]) != CleanDir(dir):
			return GitContext{Remote: remote, Ref: ref}, fmt.Errorf("git context %q: directory %q and subdir %q disagree", s, dir, sub[0])
		case len(sub) == 1:
			dir = sub[0]
		}
		if r := q["ref"]; ref == "" && len(r) == 1 {
			ref = r[0]
		}
	}
	return GitContext{Remote: remote, Ref: ref, Dir: dir}, nil
}

// CleanDir cleans a repository-relative directory as BuildKit reads a context's: no
// leading or trailing '/', the root is ".".
func CleanDir(d string) string {
	return path.Clean("./" + strings.Trim(d, "/"))
}

// ContextURL is the BuildKit git context of a "server" entry, selecting exactly the pinned
// commit and sub-directory: "<project>[.git]#<commit>[:<directory>]". Like Docker's
// tooling, ".git" is appended to http(s) URLs that lack it, so BuildKit treats them as git.
func (s *Server) ContextURL() string {
	g := GitContext{Remote: s.Source.Project, Ref: s.Source.Commit}
	if strings.HasPrefix(g.Remote, "https://") || strings.HasPrefix(g.Remote, "http://") {
		g.Remote = strings.TrimSuffix(g.Remote, "/")
		if !strings.HasSuffix(g.Remote, ".git") {
			g.Remote += ".git"
		}
	}
	if d := s.Source.Directory; d != "" {
		g.Dir = strings.TrimSuffix(path.Clean(d), "/")
	}
	return g.String()
}
