package build

import (
	"context"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// Builder builds one catalog entry and pushes the image.
type Builder interface {
	Build(ctx context.Context, s *catalog.Server) (*Result, error)
}

// Result describes one pushed image.
type Result struct {
	// Server is the catalog entry's name.
	Server string
	// Image is the pushed image by digest: <registry>/<image>@sha256:...
	Image name.Digest
	// Tag is the tag that was pushed along with the digest.
	Tag name.Tag
	// Commit and Project are the pin the image was built from (what its labels say).
	Commit  string
	Project string
	// Directory is the pinned sub-directory (empty for the repository root).
	Directory string
	// ContextURL is the git context BuildKit actually fetched (after --source-mirror).
	ContextURL string
	// Provenance is an in-toto statement (JSON) whose subject is Image and whose
	// predicate is BuildKit's SLSA v1 provenance of this build. Nil if the builder was
	// told not to collect it.
	Provenance []byte
	// BuildRef is BuildKit's build history reference of the solve.
	BuildRef string
}
