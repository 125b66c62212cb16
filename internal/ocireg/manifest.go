package ocireg

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
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
	// One decode into the union of both shapes: the checks below need to know which
	// fields are present, and the result is built from the same values (no second pass,
	// no raw copies of the hostile parts).
	var doc struct {
		SchemaVersion *int64            `json:"schemaVersion"`
		MediaType     *string           `json:"mediaType"`
		ArtifactType  string            `json:"artifactType"`
		Config        *v1.Descriptor    `json:"config"`
		Layers        *[]v1.Descriptor  `json:"layers"`
		Manifests     *[]v1.Descriptor  `json:"manifests"`
		Annotations   map[string]string `json:"annotations"`
		Subject       *v1.Descriptor    `json:"subject"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		if _, syntax := errors.AsType[*json.SyntaxError](err); syntax {
			return nil, fmt.Errorf("not a JSON manifest: %v", err)
		}
		return nil, fmt.Errorf("parsing manifest: %v", err)
	}
	switch {
	case doc.SchemaVersion == nil || *doc.SchemaVersion != 2:
		return nil, errors.New("schemaVersion is not 2")
	case doc.MediaType != nil && *doc.MediaType != mt:
		return nil, fmt.Errorf("body mediaType %q does not match Content-Type %s", Printable(*doc.MediaType, 100), mt)
	case doc.MediaType == nil && strings.HasPrefix(mt, "application/vnd.docker."):
		return nil, fmt.Errorf("body has no mediaType (required for %s)", mt)
	}
	m := &Manifest{Raw: raw, MediaType: mt}
	bodyType := types.MediaType("")
	if doc.MediaType != nil {
		bodyType = types.MediaType(*doc.MediaType)
	}
	if IsIndex(mt) {
		if doc.Manifests == nil || doc.Config != nil || doc.Layers != nil {
			return nil, errors.New(`an index must have "manifests" and no "config" or "layers"`)
		}
		m.Index = &v1.IndexManifest{SchemaVersion: 2, MediaType: bodyType, Manifests: *doc.Manifests,
			Annotations: doc.Annotations, Subject: doc.Subject, ArtifactType: doc.ArtifactType}
		return m, checkDigests(m.Index.Manifests)
	}
	if doc.Config == nil || doc.Manifests != nil {
		return nil, errors.New(`an image manifest must have a "config" and no "manifests"`)
	}
	m.Image = &v1.Manifest{SchemaVersion: 2, MediaType: bodyType, Config: *doc.Config,
		Annotations: doc.Annotations, Subject: doc.Subject, ArtifactType: doc.ArtifactType}
	if doc.Layers != nil {
		m.Image.Layers = *doc.Layers
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
