package catalog

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// CheckRepository says why r, a repository go-containerregistry parsed from an image
// reference a user or a catalog gave, is not one of the distribution grammar that
// catalog images follow (checkImage): every path component lowercase letters and digits
// with separators. go-containerregistry accepts components such as ".." and "."
// (127.0.0.1:5000/mcp/../evil), which a registry or a proxy in front of it may resolve as
// a relative path to another repository than the one checked or signed.
func CheckRepository(r name.Repository) error {
	for _, c := range strings.Split(r.RepositoryStr(), "/") {
		switch {
		case c == "." || c == "..":
			return fmt.Errorf("repository %s: path segment %q would be read as a relative path", r.Name(), c)
		case !pathComponentRE.MatchString(c):
			return fmt.Errorf("repository %s: path component %q is not lowercase letters and digits separated by '.', '_', '__' or '-'", r.Name(), c)
		}
	}
	return nil
}
