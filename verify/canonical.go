package verify

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// dockerHubHosts are the names of Docker Hub's registry; canonicalRegistry writes them as
// name.DefaultRegistry (index.docker.io), as the reference parser writes docker.io.
var dockerHubHosts = map[string]bool{"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true}

// canonicalRepo is the one spelling of repo that image patterns are matched against:
// "<registry>/<path>" with the registry canonical (canonicalRegistry) and a path of
// non-empty segments other than "." and "..". A spelling of the same repository that a
// registry could read as another one (or the same one under another name) is refused
// rather than guessed: an error.
func canonicalRepo(repo name.Repository) (string, error) {
	reg, err := canonicalRegistry(repo.Registry)
	if err != nil {
		return "", err
	}
	path := repo.RepositoryStr()
	if err := checkSegments(path); err != nil {
		return "", fmt.Errorf("repository %q: %w", path, err)
	}
	return reg + "/" + path, nil
}

func checkSegments(path string) error {
	for _, seg := range strings.Split(path, "/") {
		switch seg {
		case "":
			return fmt.Errorf("empty path segment")
		case ".", "..":
			return fmt.Errorf("path segment %q", seg)
		}
	}
	return nil
}

// canonicalRegistry is the one name of r: the host in lower case (DNS names are
// case-insensitive), without the port 443 of an https registry, and index.docker.io for
// Docker Hub (docker.io, index.docker.io, registry-1.docker.io). Refused: a host that is
// neither a DNS name of letters, digits and hyphens (no trailing dot, no underscore, not
// all-numeric) nor an IP address in its canonical form; a port that is not a decimal
// 1-65535 without leading zeros; a spelling whose canonical form the reference parser
// would reach with another scheme (LOCALHOST:5000 is https to it, localhost:5000 http).
func canonicalRegistry(r name.Registry) (string, error) {
	orig := r.RegistryStr()
	host, port := orig, ""
	if strings.HasPrefix(orig, "[") {
		i := strings.Index(orig, "]")
		if i < 0 {
			return "", fmt.Errorf("registry %q: unterminated IPv6 address", orig)
		}
		host, port = orig[:i+1], strings.TrimPrefix(orig[i+1:], ":")
		if orig[i+1:] != "" && !strings.HasPrefix(orig[i+1:], ":") {
			return "", fmt.Errorf("registry %q: text after the IPv6 address", orig)
		}
		if orig[i+1:] == ":" {
			return "", fmt.Errorf("registry %q: empty port", orig)
		}
	} else if i := strings.LastIndex(orig, ":"); i >= 0 {
		host, port = orig[:i], orig[i+1:]
		if port == "" {
			return "", fmt.Errorf("registry %q: empty port", orig)
		}
	}
	host, err := canonicalHost(host)
	if err != nil {
		return "", fmt.Errorf("registry %q: %w", orig, err)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", fmt.Errorf("registry %q: port %q is not a decimal 1-65535 without leading zeros", orig, port)
		}
	}
	canon := host
	if port != "" {
		canon = host + ":" + port
	}
	if port == "443" && schemeOf(host) == "https" && r.Scheme() == "https" {
		canon = host
	}
	if dockerHubHosts[canon] {
		canon = name.DefaultRegistry
	}
	if canon != orig && schemeOf(canon) != r.Scheme() {
		return "", fmt.Errorf("registry %q: is %s, its canonical spelling %q would be %s: write the registry in lower case", orig, r.Scheme(), canon, schemeOf(canon))
	}
	return canon, nil
}

func canonicalHost(host string) (string, error) {
	if strings.HasPrefix(host, "[") {
		ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
		if ip == nil || ip.To4() != nil {
			return "", fmt.Errorf("%q is not an IPv6 address", host)
		}
		return "[" + ip.String() + "]", nil
	}
	host = strings.ToLower(host)
	if ip := net.ParseIP(host); ip != nil {
		if ip.To4() == nil {
			return "", fmt.Errorf("an IPv6 address must be in brackets")
		}
		return ip.String(), nil
	}
	labels := strings.Split(host, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' || strings.Trim(l, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return "", fmt.Errorf("host %q is not a DNS name (labels of letters, digits and inner hyphens, no trailing dot)", host)
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", fmt.Errorf("host %q is neither a DNS name nor an IPv4 address in canonical form", host)
	}
	return host, nil
}

// schemeOf is the scheme the reference parser gives registry s (no insecure option).
func schemeOf(s string) string {
	r, err := name.NewRegistry(s)
	if err != nil {
		return ""
	}
	return r.Scheme()
}
