package verify

import "github.com/mcpbuild/mcpbuild/internal/ocireg"

// manifest is a manifest read from the registry (ocireg): Digest is sha256 of Raw,
// MediaType its Content-Type, and exactly one of Image and Index is set.
type manifest = ocireg.Manifest

// The media types of the reads only verify makes (ocireg has the image ones).
var (
	// acceptReferrers: the referrers fallback tag (an OCI index).
	acceptReferrers = ocireg.Accept{ocireg.MediaOCIIndex}
	// acceptReferrer: a referrer (an OCI manifest).
	acceptReferrer = ocireg.Accept{ocireg.MediaOCIManifest}
)
