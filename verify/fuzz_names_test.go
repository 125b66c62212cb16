package verify

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// The fuzz targets name the read rules as they were before they moved to internal/ocireg
// (one implementation for publish and mcpverify); these are the same rules.
type accept = ocireg.Accept

var (
	acceptImageRef = ocireg.AcceptImageRef
	acceptImage    = ocireg.AcceptImage
)

const (
	mediaOCIManifest    = ocireg.MediaOCIManifest
	mediaOCIIndex       = ocireg.MediaOCIIndex
	mediaDockerManifest = ocireg.MediaDockerManifest
	mediaDockerList     = ocireg.MediaDockerList
)

func jsonValues(raw []byte) int { return ocireg.JSONValues(raw) }

func sha256Of(b []byte) v1.Hash { return ocireg.SHA256(b) }

func decodeManifest(raw []byte, contentType string, acc accept) (*manifest, error) {
	return ocireg.Decode(raw, contentType, acc)
}

// jsonEndsInString reports whether a JSON scan of doc ends inside a string (an unclosed
// one): copies of such a document are one string, whose values do not add up.
func jsonEndsInString(doc []byte) bool {
	in, esc := false, false
	for _, c := range doc {
		switch {
		case in && esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		}
	}
	return in
}
