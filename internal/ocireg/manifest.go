package ocireg

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The manifest media types read. Anything else is refused as the registry failing (could
// not check): Docker schema1 above all, whose digest is not the hash of the bytes served.
const (
	MediaOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaOCIIndex       = "application/vnd.oci.image.index.v1+json"
	MediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// Accept is the set of manifest media types one read accepts: sent as Accept, and the
// only Content-Types taken.
type Accept []string

var (
	// AcceptImageRef is what an image reference may name: an image or an index.
	AcceptImageRef = Accept{MediaOCIIndex, MediaDockerList, MediaOCIManifest, MediaDockerManifest}
	// AcceptImage is an image manifest: an index's platform manifest, the .sig and .att
	// manifests.
	AcceptImage = Accept{MediaOCIManifest, MediaDockerManifest}
)

// Manifest is a manifest as read: Digest is the sha256 of Raw (computed here), MediaType
// its Content-Type, and exactly one of Image and Index is set.
type Manifest struct {
	Raw       []byte
	MediaType string
	Digest    v1.Hash
	Image     *v1.Manifest
	Index     *v1.IndexManifest
}

// IsIndex reports whether mt is an index media type (OCI or Docker).
func IsIndex(mt string) bool { return mt == MediaOCIIndex || mt == MediaDockerList }

// Decode checks that raw is a valid manifest of the media type contentType, one of acc:
// schemaVersion 2; the body's mediaType, when
// present, equal to the Content-Type (and present for Docker's types, which require it);
// an image manifest with a config and no "manifests", an index with "manifests" and no
// config or layers; every descriptor digest well formed. The error says what is wrong.
// The Digest of the result is left for the caller to set.
func Decode(raw []byte, contentType string, acc Accept) (*Manifest, error) {
	if contentType == "" {
		return nil, errors.New("no Content-Type")
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, fmt.Errorf("Content-Type %q: %v", Printable(contentType, 100), err)
	}
	if strings.HasPrefix(mt, "application/vnd.docker.distribution.manifest.v1") {
		return nil, fmt.Errorf("Docker schema1 manifest (%s) refused: its digest is not the hash of its bytes", mt)
	}
	if !slices.Contains(acc, mt) {
		return nil, fmt.Errorf("media type %s is not accepted here (want %s)", Printable(mt, 100), strings.Join(acc, " or "))
	}
	var probe struct {
		SchemaVersion *int64           `json:"schemaVersion"`
		MediaType     *string          `json:"mediaType"`
		Config        *json.RawMessage `json:"config"`
		Layers        *json.RawMessage `json:"layers"`
		Manifests     *json.RawMessage `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("not a JSON manifest: %v", err)
	}
	switch {
	case probe.SchemaVersion == nil || *probe.SchemaVersion != 2:
		return nil, errors.New("schemaVersion is not 2")
	case probe.MediaType != nil && *probe.MediaType != mt:
		return nil, fmt.Errorf("body mediaType %q does not match Content-Type %s", Printable(*probe.MediaType, 100), mt)
	case probe.MediaType == nil && strings.HasPrefix(mt, "application/vnd.docker."):
		return nil, fmt.Errorf("body has no mediaType (required for %s)", mt)
	}
	m := &Manifest{Raw: raw, MediaType: mt}
	if IsIndex(mt) {
		if probe.Manifests == nil || probe.Config != nil || probe.Layers != nil {
			return nil, errors.New(`an index must have "manifests" and no "config" or "layers"`)
		}
		m.Index = &v1.IndexManifest{}
		if err := json.Unmarshal(raw, m.Index); err != nil {
			return nil, fmt.Errorf("parsing index: %v", err)
		}
		return m, checkDigests(m.Index.Manifests)
	}
	if probe.Config == nil || probe.Manifests != nil {
		return nil, errors.New(`an image manifest must have a "config" and no "manifests"`)
	}
	m.Image = &v1.Manifest{}
	if err := json.Unmarshal(raw, m.Image); err != nil {
		return nil, fmt.Errorf("parsing manifest: %v", err)
	}
	return m, checkDigests(append([]v1.Descriptor{m.Image.Config}, m.Image.Layers...))
}

// checkDigests refuses descriptors without a digest (a present one was parsed, so it is
// well formed).
func checkDigests(ds []v1.Descriptor) error {
	for i, d := range ds {
		if d.Digest.Algorithm == "" {
			return fmt.Errorf("descriptor %d has no digest", i)
		}
	}
	return nil
}
