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
	// Image is the pushed image by digest: <registry>/<image>@sha256:... For several
	// platforms it is the image index, which is what is signed and attested.
	Image name.Digest
	// Platforms are the images of a multi-platform build (PlanOptions.Platforms with
	// more than one), sorted by platform: each platform's manifest in the index Image.
	// Nil for a single-platform build (Image is that platform's image).
	Platforms []PlatformImage
	// Tag is the tag that was pushed along with the digest.
	Tag name.Tag
	// ExtraTags are the other tags pushed for the same digest (PlanOptions.ExtraTags).
	ExtraTags []name.Tag
	// Commit and Project are the pin the image was built from (what its labels say).
	Commit  string
	Project string
	// Directory is the pinned sub-directory (empty for the repository root).
	Directory string
	// ContextURL is the git context BuildKit actually fetched (after --source-mirror).
	ContextURL string
	// Provenance is an in-toto statement (JSON) whose subject is Image and whose
	// predicate is BuildKit's SLSA v1 provenance of this build. Nil if the builder was
	// told not to collect it. For several platforms it is one statement whose subjects
	// are the index and every platform's manifest (see the package doc).
	Provenance []byte
	// BuildRef is BuildKit's build history reference of the solve.
	BuildRef string
	// Builder names the BuildKit daemon that built the image when a Fleet chose it (its
	// address as given, without credentials); empty for a single daemon.
	Builder string
}

// PlatformImage is one platform's image in a multi-platform index.
type PlatformImage struct {
	// Platform is the normalized os/arch[/variant], as ParsePlatforms returns it.
	Platform string `json:"platform"`
	// Manifest is the platform's image manifest, by digest, in the index's repository.
	Manifest name.Digest `json:"manifest"`
}
