package catalog

import (
	"fmt"
	"net/url"
	"path"
	"regexp"
	"strings"
)

var (
	// scpLikeRE is git's scp-like syntax, user@host:path (the user is required here so
	// that a relative local path with a colon is never mistaken for a remote). The user
	// has no '.' or '~': BuildKit only reads user@host:path as a git remote without them.
	scpLikeRE = regexp.MustCompile(`^[A-Za-z0-9_-]+@[A-Za-z0-9][A-Za-z0-9.-]*:([^/].*|/.+)$`)
	refLikeRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._/+-]*$`)
	hexRE     = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	commitRE  = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// IsCommit reports whether c is a full git commit as the catalog pins it: 40 lowercase
// hex characters (a SHA-1 object name). It is the one test of a pin's commit; checkCommit
// says why a string fails it.
func IsCommit(c string) bool { return commitRE.MatchString(c) }

// checkCommit says why c is not a full lowercase 40-hex commit ("" when it is).
func checkCommit(c string) string {
	if msg := checkText(c); msg != "" {
		return msg
	}
	switch {
	case IsCommit(c):
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
	if msg := checkText(p); msg != "" {
		return msg
	}
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
	if scheme, _, _ := strings.Cut(p, ":"); scheme != u.Scheme {
		return fmt.Sprintf("%q: the scheme %q must be lowercase (BuildKit and the build read it as written)", p, scheme)
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
	if msg := checkText(r); msg != "" {
		return msg
	}
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
	if msg := checkText(p); msg != "" {
		return msg
	}
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
	if i := strings.IndexAny(p, "#?"); i >= 0 {
		return fmt.Sprintf("%q contains %q, which is not allowed in a build context path", p, p[i])
	}
	return ""
}

// checkDirectory says why d is not a safe source.directory ("" when it is): a path
// inside the repository that BuildKit's git context (URL#commit:dir) carries unchanged.
func checkDirectory(d string) string {
	switch {
	case checkRelPath(d) != "":
		return checkRelPath(d)
	case strings.Contains(d, ":"):
		return fmt.Sprintf("%q must not contain ':' (it ends the commit in a BuildKit git context, URL#commit:dir)", d)
	case strings.Contains(d, "%"):
		return fmt.Sprintf("%q must not contain '%%' (BuildKit URL-decodes the directory of a git context, URL#commit:dir, so another directory would be built)", d)
	}
	return ""
}
