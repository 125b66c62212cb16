// Package testbase pushes the base images that tests build on instead of an image that
// exists nowhere (mcpbuild build --base-image): an OCI index with one small image per
// platform, each holding BaseFile with a line naming its platform (Content).
package testbase

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// BaseFile is the file every platform's image holds.
const BaseFile = "base.txt"

// Platforms are the platforms of the pushed index.
var Platforms = []string{"linux/amd64", "linux/arm64"}

// Content is BaseFile's content in the image for platform (os/arch), with marker.
func Content(marker, platform string) string {
	return fmt.Sprintf("base %s for %s\n", marker, platform)
}

// Push writes the index to tag and returns it by digest. marker goes into every
// BaseFile, so that two tests' bases differ.
func Push(tag name.Tag, marker string, opts ...remote.Option) (name.Digest, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range Platforms {
		goos, arch, _ := strings.Cut(p, "/")
		layer, err := crane.Layer(map[string][]byte{BaseFile: []byte(Content(marker, p))})
		if err != nil {
			return name.Digest{}, fmt.Errorf("base image layer for %s: %w", p, err)
		}
		img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
		if err != nil {
			return name.Digest{}, fmt.Errorf("base image for %s: %w", p, err)
		}
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		cf, err := img.ConfigFile()
		if err != nil {
			return name.Digest{}, err
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = goos, arch
		cf.Config.Env = []string{"MCPBUILD_TEST_BASE=" + marker}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			return name.Digest{}, fmt.Errorf("base image config for %s: %w", p, err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: goos, Architecture: arch}}})
	}
	if err := remote.WriteIndex(tag, idx, opts...); err != nil {
		return name.Digest{}, fmt.Errorf("pushing base image %s: %w", tag, err)
	}
	h, err := idx.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	return tag.Context().Digest(h.String()), nil
}
