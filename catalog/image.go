package catalog

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// The distribution reference grammar (what Docker's registry and BuildKit accept) of a
// repository name: [host[:port]/]component(/component)*.
var (
	// pathComponentRE is one path component: lowercase letters and digits, separated by
	// '.', '_', '__' or dashes.
	pathComponentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	// domainLabelRE is one dot-separated label of a registry host name.
	domainLabelRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$`)
	portRE        = regexp.MustCompile(`^[0-9]{1,5}$`)
	imageIDRE     = regexp.MustCompile(`^[a-f0-9]{64}$`)
	// tagRE is a tag: up to 128 word characters, '.' and '-', not starting with either.
	tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// maxNameLen is the longest image name (registry and path) distribution accepts.
const maxNameLen = 255

// splitHost returns the registry host[:port] an image name starts with ("" when it
// names none) and the rest. As in go-containerregistry and Docker, the first component
// is a host when more follow and it contains '.' or ':' or is "localhost".
func splitHost(img string) (host, rest string) {
	first, after, ok := strings.Cut(img, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first, after
	}
	return "", img
}

// checkHost says why host, an image name's first component, is not a registry
// host[:port]: dot-separated DNS labels or a bracketed IPv6 address, and an optional port.
func checkHost(host string) string {
	if strings.Trim(host, ".") == "" {
		return fmt.Sprintf("first component %q is read as a registry host and is not one (an image is named like mcp/fetch or ghcr.io/org/fetch, never by a relative path)", host)
	}
	bad := fmt.Sprintf("first component %q is read as a registry host (it contains '.' or ':' or is localhost) and is not a valid registry host: want dot-separated labels of letters, digits and inner hyphens, or a bracketed IPv6 address, then an optional :port", host)
	var port string
	var hasPort bool
	if v6, ok := strings.CutPrefix(host, "["); ok {
		ip, rest, closed := strings.Cut(v6, "]")
		if !closed || ip == "" || strings.Trim(ip, "0123456789abcdefABCDEF:") != "" || net.ParseIP(ip) == nil {
			return bad
		}
		if rest != "" {
			if port, hasPort = strings.CutPrefix(rest, ":"); !hasPort {
				return bad
			}
		}
	} else {
		var h string
		h, port, hasPort = strings.Cut(host, ":")
		for _, label := range strings.Split(h, ".") {
			if !domainLabelRE.MatchString(label) {
				return bad
			}
		}
	}
	if hasPort {
		if n, err := strconv.Atoi(port); !portRE.MatchString(port) || err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("registry host %q: port %q is not a number from 1 to 65535", host, port)
		}
	}
	return ""
}

// splitTag splits the tag off an image name: "ghcr.io/x/y:1.2" is "ghcr.io/x/y", "1.2",
// true. Only a ':' after the last '/' starts a tag (one before it ends a registry host);
// a name with a digest is returned whole.
func splitTag(img string) (repo, tag string, tagged bool) {
	i := strings.LastIndex(img, ":")
	if i < 0 || i < strings.LastIndex(img, "/") || strings.Contains(img, "@") {
		return img, "", false
	}
	return img[:i], img[i+1:], true
}

// Repository is the repository the entry's image is pushed to and looked up in: the
// image without the tag Docker's registry lets it carry ("ghcr.io/x/y:1.2" is
// "ghcr.io/x/y"). mcpbuild pushes by digest and tags with its own --tag, so the catalog's
// tag is dropped (validation warns about it).
func (s *Server) Repository() string {
	repo, _, _ := splitTag(s.Image)
	return repo
}

// DefaultTag is the tag an image is pushed with and looked up by when none is given.
const DefaultTag = "latest"

// CheckTag says why t is not a tag of the distribution grammar: 1 to 128 letters, digits,
// '_', '.' or '-', not starting with '.' or '-'.
func CheckTag(t string) error {
	if !tagRE.MatchString(t) {
		return fmt.Errorf("want 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
	}
	return nil
}

// CheckRegistry says why r is not a registry to push images to or look them up in:
// HOST[:PORT], without scheme or path.
func CheckRegistry(r string) error {
	if strings.Contains(r, "/") {
		return fmt.Errorf("want HOST[:PORT] without scheme or path")
	}
	if _, err := name.NewRegistry(r, name.StrictValidation); err != nil {
		return err
	}
	return nil
}

// Destination is where mcpbuild pushes a catalog's images, and so where mcpverify looks
// for them: at most one of Registry and Prefix. The zero Destination leaves every image
// on its own registry (Docker Hub when it names none).
type Destination struct {
	// Registry is a registry HOST[:PORT] (CheckRegistry): the image I goes to
	// <Registry>/I, I kept whole, its own registry host included.
	Registry string
	// Prefix is a repository prefix HOST[:PORT][/PATH] (CheckPrefix), like ko's
	// KO_DOCKER_REPO: the image I goes to <Prefix>/<I's path>, I's registry host dropped
	// (mcp/fetch and ghcr.io/mcp/fetch both go to <Prefix>/mcp/fetch).
	Prefix string
}

// Check says why d is not a destination: both fields set, or one invalid.
func (d Destination) Check() error {
	switch {
	case d.Registry != "" && d.Prefix != "":
		return fmt.Errorf("registry %q and repository prefix %q exclude each other", d.Registry, d.Prefix)
	case d.Registry != "":
		if err := CheckRegistry(d.Registry); err != nil {
			return fmt.Errorf("registry %q: %w", d.Registry, err)
		}
	case d.Prefix != "":
		if err := CheckPrefix(d.Prefix); err != nil {
			return fmt.Errorf("repository prefix %q: %w", d.Prefix, err)
		}
	}
	return nil
}

// IsZero reports whether d names neither a registry nor a prefix.
func (d Destination) IsZero() bool { return d == Destination{} }

// CheckPrefix says why p is not a repository prefix: HOST[:PORT] then optional path
// components (the repository grammar), without scheme, tag, digest or trailing '/'. The
// host is required, so that where images go is never Docker Hub by omission.
func CheckPrefix(p string) error {
	if strings.Contains(p, "://") {
		return fmt.Errorf("want HOST[:PORT][/PATH] without scheme, e.g. ghcr.io/acme/mcp")
	}
	host, path := splitHost(p)
	if host == "" {
		if strings.Contains(p, "/") || (!strings.ContainsAny(p, ".:") && p != "localhost") {
			return fmt.Errorf("want HOST[:PORT][/PATH]: the first component must be a registry host (containing '.' or ':', or localhost), e.g. ghcr.io/acme/mcp")
		}
		if msg := checkHost(p); msg != "" { // a host alone
			return errors.New(msg)
		}
		return nil
	}
	if strings.ContainsAny(path, ":@") {
		return fmt.Errorf("want HOST[:PORT][/PATH] without tag or digest")
	}
	if msg := checkRepository(p); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// pushedRepository is the repository the entry's image goes to under d (see Destination).
func (s *Server) pushedRepository(d Destination) string {
	repo := s.Repository()
	switch {
	case repo == "":
		return ""
	case d.Prefix != "":
		_, path := splitHost(repo)
		return d.Prefix + "/" + path
	case d.Registry != "":
		return d.Registry + "/" + repo
	}
	return repo
}

// ImageRef is where mcpbuild pushes the entry's image and mcpverify looks for it, and the
// one place that reference is made: under d (Destination: <registry>/<repository> or
// <prefix>/<repository path>), tagged tag. tag "" is DefaultTag. The image's own tag, if
// any, is not used (see Repository). FindByImage finds the entry again from the result.
func (s *Server) ImageRef(d Destination, tag string, opts ...name.Option) (name.Tag, error) {
	if err := d.Check(); err != nil {
		return name.Tag{}, err
	}
	ref := s.pushedRepository(d)
	if ref == "" {
		return name.Tag{}, fmt.Errorf("image is empty")
	}
	if tag == "" {
		tag = DefaultTag
	}
	repo, err := name.NewRepository(ref, opts...)
	if err != nil {
		return name.Tag{}, fmt.Errorf("image %q: %w", s.Image, err)
	}
	t, err := name.NewTag(repo.Name()+":"+tag, opts...)
	if err != nil {
		return name.Tag{}, fmt.Errorf("tag %q: %w", tag, err)
	}
	return t, nil
}

// FindByImage returns the entry whose image ref is, or nil when none is. An entry's
// image matches the repository it names on ref's registry when it names no registry
// (ghcr.io/mcp/fetch and 127.0.0.1:5000/mcp/fetch are both mcp/fetch), and on its own
// registry when it does; and, since mcpbuild --registry R pushes image I to R/I, an image
// naming a registry of its own is also found at any R/I (ImageRef with a registry). With
// a Destination prefix, the entry is also found where ImageRef puts it under that prefix
// (mcpbuild --repository-prefix). The catalog's tag is ignored (Repository). Two matching
// entries are an error.
func FindByImage(servers []*Server, ref name.Reference, d Destination) (*Server, error) {
	var match *Server
	for _, s := range servers {
		repo := s.Repository()
		if repo == "" {
			continue
		}
		sr, err := name.ParseReference(repo, name.WithDefaultRegistry(ref.Context().RegistryStr()))
		if err != nil {
			continue
		}
		found := sr.Context().Name() == ref.Context().Name() || ref.Context().RepositoryStr() == repo
		if d.Prefix != "" && !found {
			if pr, err := name.NewRepository(s.pushedRepository(d)); err == nil {
				found = pr.Name() == ref.Context().Name()
			}
		}
		if found {
			if match != nil {
				return nil, fmt.Errorf("image %s matches two catalog entries: %s and %s", ref.Context(), match.Name, s.Name)
			}
			match = s
		}
	}
	return match, nil
}

// checkImage says why img is not a repository reference with an optional tag (see
// imageTagNote); a digest is refused.
func checkImage(img string) string {
	if msg := checkText(img); msg != "" {
		return msg
	}
	if strings.Contains(img, "@") {
		return fmt.Sprintf("%q must not carry a digest; mcpbuild pushes and records the digest itself", img)
	}
	repo, tag, tagged := splitTag(img)
	if tagged && !tagRE.MatchString(tag) {
		return fmt.Sprintf("%q: tag %q is not a valid tag (1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-')", img, tag)
	}
	return checkRepository(repo)
}

// imageTagNote says what becomes of the tag an image carries ("" when it carries none).
func imageTagNote(img string) string {
	repo, tag, tagged := splitTag(img)
	if !tagged {
		return ""
	}
	return fmt.Sprintf("%q carries a tag (%q), which mcpbuild drops: it pushes %s by digest, tagged with its own --tag (default latest)", img, ":"+tag, repo)
}

// checkRepository says why img is not a repository reference without tag or digest.
func checkRepository(img string) string {
	host, path := splitHost(img)
	if host != "" {
		if msg := checkHost(host); msg != "" {
			return fmt.Sprintf("%q is not a valid OCI repository reference: %s", img, msg)
		}
	}
	components := strings.Split(path, "/")
	for _, c := range components {
		if c == "" {
			return fmt.Sprintf("%q is not a valid OCI repository reference: it has an empty path component (a leading, trailing or doubled '/')", img)
		}
	}
	if _, err := name.NewRepository(img); err != nil {
		return fmt.Sprintf("%q is not a valid OCI repository reference: %s", img, libErr(err, img))
	}
	for _, c := range components {
		if !pathComponentRE.MatchString(c) {
			return fmt.Sprintf("%q is not a valid OCI repository reference: path component %q is not lowercase letters and digits separated by '.', '_', '__' or '-'", img, c)
		}
	}
	if imageIDRE.MatchString(img) {
		return fmt.Sprintf("%q is 64 hex characters, which Docker reads as an image ID, not a name", img)
	}
	full, form := img, ""
	if host == "" {
		form = "docker.io/<image>"
		if len(components) == 1 {
			form = "docker.io/library/<image>"
		}
		full = strings.Replace(form, "<image>", img, 1)
		form = " as " + form
	}
	if len(full) > maxNameLen {
		return fmt.Sprintf("%q is too long: %d characters%s, over the %d of an image name", img, len(full), form, maxNameLen)
	}
	return ""
}

// checkToolImage says why img is not a valid image reference (a tag or digest is fine).
func checkToolImage(img string) string {
	if msg := checkText(img); msg != "" {
		return msg
	}
	if host, _ := splitHost(img); host != "" {
		if msg := checkHost(host); msg != "" {
			return fmt.Sprintf("%q is not a valid image reference: %s", img, msg)
		}
	}
	r, err := name.ParseReference(img)
	if err != nil {
		return fmt.Sprintf("%q is not a valid image reference: %s", img, libErr(err, img))
	}
	if err := CheckRepository(r.Context()); err != nil {
		return fmt.Sprintf("%q is not a valid image reference: %v", img, err)
	}
	return ""
}
