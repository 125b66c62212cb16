package catalog

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

var (
	// scpLikeRE is git's scp-like syntax, user@host:path (the user is required here so
	// that a relative local path with a colon is never mistaken for a remote). The user
	// has no '.' or '~': BuildKit only reads user@host:path as a git remote without them.
	scpLikeRE = regexp.MustCompile(`^[A-Za-z0-9_-]+@[A-Za-z0-9][A-Za-z0-9.-]*:([^/].*|/.+)$`)
	refLikeRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._/+-]*$`)
	hexRE     = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	lowerHex  = regexp.MustCompile(`^[0-9a-f]{40}$`)
	// ociPathRE is the OCI distribution spec's repository name grammar (ggcr is laxer).
	ociPathRE = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)
)

// checkCommit says why c is not a full lowercase 40-hex commit ("" when it is).
func checkCommit(c string) string {
	switch {
	case lowerHex.MatchString(c):
		return ""
	case hexRE.MatchString(c) && len(c) == 40:
		return fmt.Sprintf("%q must be lowercase hex (it has uppercase letters)", c)
	case hexRE.MatchString(c) && len(c) < 40:
		return fmt.Sprintf("%q is a short hash (%d chars); pin the full 40-hex commit", c, len(c))
	case hexRE.MatchString(c) && len(c) == 64:
		return fmt.Sprintf("%q is 64 hex chars (a SHA-256 object name); pin the 40-hex SHA-1 commit", c)
	case hexRE.MatchString(c):
		return fmt.Sprintf("%q is too long for a commit (%d chars); pin the full 40-hex commit", c, len(c))
	case c == "HEAD" || strings.HasPrefix(c, "HEAD~") || strings.HasPrefix(c, "HEAD^"):
		return fmt.Sprintf("%q moves with the branch; pin a commit (40 lowercase hex)", c)
	case refLikeRE.MatchString(c):
		return fmt.Sprintf("%q looks like a branch or tag name; pin a commit (40 lowercase hex)", c)
	default:
		return fmt.Sprintf("%q is not a commit; pin the full 40-hex commit (lowercase)", c)
	}
}

// checkProject says why p is not an acceptable git remote ("" when it is): an https,
// git, ssh or file URL, or scp-like user@host:path.
func checkProject(p string) string {
	if strings.ContainsAny(p, " \t\r\n") {
		return fmt.Sprintf("%q contains whitespace", p)
	}
	if !strings.Contains(p, "://") {
		if scpLikeRE.MatchString(p) {
			if strings.ContainsAny(p, "?#") {
				return fmt.Sprintf("%q must not have a query or fragment; the commit goes in source.commit", p)
			}
			return ""
		}
		return fmt.Sprintf("%q must be an https, git, ssh or file URL, or scp-like user@host:path", p)
	}
	u, err := url.Parse(p)
	if err != nil {
		return fmt.Sprintf("%q is not a valid URL: %v", p, unwrapURLErr(err))
	}
	switch u.Scheme {
	case "https", "git", "ssh":
		if u.Host == "" || strings.HasPrefix(u.Host, "-") {
			return fmt.Sprintf("%q has no host", p)
		}
		if strings.Trim(u.Path, "/") == "" {
			return fmt.Sprintf("%q has no repository path", p)
		}
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return fmt.Sprintf("%q: a file URL must not name a host (file:///abs/path)", p)
		}
		if !path.IsAbs(u.Path) || strings.Trim(u.Path, "/") == "" {
			return fmt.Sprintf("%q: a file URL needs an absolute path (file:///abs/path)", p)
		}
	case "http":
		return fmt.Sprintf("%q uses plain http; use https (or git, ssh, file)", p)
	default:
		return fmt.Sprintf("%q has scheme %q; use https, git, ssh or file", p, u.Scheme)
	}
	if _, hasPass := u.User.Password(); hasPass || (u.User != nil && u.Scheme != "ssh") {
		return fmt.Sprintf("%q must not embed credentials", redact(u))
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(p, "?#") {
		return fmt.Sprintf("%q must not have a query or fragment; the commit goes in source.commit", p)
	}
	return ""
}

// checkRemoteURL says why r is not a usable remote MCP endpoint ("" when it is).
func checkRemoteURL(r string) string {
	u, err := url.Parse(r)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a valid URL: %v", r, unwrapURLErr(err))
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("%q must be an https or http URL", r)
	case u.Host == "":
		return fmt.Sprintf("%q has no host", r)
	case u.User != nil:
		return fmt.Sprintf("%q must not embed credentials (use remote.headers)", redact(u))
	}
	return ""
}

// libErr is a library's error text without the input it repeats at its end.
func libErr(err error, input string) string {
	return strings.TrimSuffix(err.Error(), ": "+input)
}

func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User("REDACTED")
	}
	return c.String()
}

func unwrapURLErr(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// checkRelPath says why p is not a safe path inside the repository ("" when it is).
func checkRelPath(p string) string {
	switch {
	case p == "":
		return ""
	case strings.HasPrefix(p, "/") || strings.HasPrefix(p, `\`) || (len(p) > 1 && p[1] == ':'):
		return fmt.Sprintf("%q must be relative to the repository root, not absolute", p)
	case strings.Contains(p, `\`):
		return fmt.Sprintf("%q must use forward slashes", p)
	case strings.TrimSpace(p) != p:
		return fmt.Sprintf("%q has leading or trailing whitespace", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return fmt.Sprintf("%q must not contain \"..\" (it would leave the repository)", p)
		}
	}
	if strings.ContainsAny(p, "#\n\r\t") {
		return fmt.Sprintf("%q contains a character not allowed in a build context path", p)
	}
	return ""
}

// checkImage says why img is not a repository reference without tag or digest.
func checkImage(img string) string {
	if strings.Contains(img, "@") {
		return fmt.Sprintf("%q must not carry a digest; mcpbuild pushes and records the digest itself", img)
	}
	if i := strings.LastIndex(img, ":"); i > strings.LastIndex(img, "/") {
		return fmt.Sprintf("%q must not carry a tag (%q); the tag is chosen at build time", img, img[i:])
	}
	repo, err := name.NewRepository(img)
	if err != nil {
		return fmt.Sprintf("%q is not a valid OCI repository reference: %s", img, libErr(err, img))
	}
	if !ociPathRE.MatchString(repo.RepositoryStr()) {
		return fmt.Sprintf("%q is not a valid OCI repository reference: each path component must be lowercase letters and digits, separated by '.', '_', '__' or '-'", img)
	}
	return ""
}

// checkToolImage says why img is not a valid image reference (a tag or digest is fine).
func checkToolImage(img string) string {
	if _, err := name.ParseReference(img); err != nil {
		return fmt.Sprintf("%q is not a valid image reference: %s", img, libErr(err, img))
	}
	return ""
}

// ContextURL is the BuildKit git context of a "server" entry, selecting exactly the pinned
// commit and sub-directory: "<project>[.git]#<commit>[:<directory>]". Like Docker's
// tooling, ".git" is appended to http(s) URLs that lack it, so BuildKit treats them as git.
func (s *Server) ContextURL() string {
	u := s.Source.Project
	if strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
		u = strings.TrimSuffix(u, "/")
		if !strings.HasSuffix(u, ".git") {
			u += ".git"
		}
	}
	u += "#" + s.Source.Commit
	if d := path.Clean(s.Source.Directory); s.Source.Directory != "" && d != "." {
		u += ":" + strings.TrimSuffix(d, "/")
	}
	return u
}

// FindByImage returns the server whose image is repo, or nil. repo may carry a registry
// prefix that the catalog leaves out ("127.0.0.1:5000/mcp/fetch" finds image "mcp/fetch");
// an exact match wins over a prefixed one.
func FindByImage(servers []*Server, repo string) *Server {
	for _, s := range servers {
		if s.Image == repo {
			return s
		}
	}
	host, rest, ok := strings.Cut(repo, "/")
	if !ok || !(strings.ContainsAny(host, ".:") || host == "localhost") {
		return nil
	}
	for _, s := range servers {
		if s.Image == rest {
			return s
		}
	}
	return nil
}
