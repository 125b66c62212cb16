package verify

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// config reads the image config of m. For a multi-platform index it picks the manifest
// of the configured platform (one more round trip) and reads that manifest's config: the
// label is checked on the image that platform runs, while signatures and provenance stay
// bound to the index digest the reference resolved to.
func (v *Verifier) config(ctx context.Context, repo name.Repository, m *manifest) (*v1.ConfigFile, error) {
	if mt := types.MediaType(m.MediaType); mt.IsIndex() {
		idx, err := v1.ParseIndexManifest(bytes.NewReader(m.Raw))
		if err != nil {
			return nil, &contentError{fmt.Errorf("parsing index %s: %w", m.Digest, err)}
		}
		var child *v1.Descriptor
		for i, d := range idx.Manifests {
			if d.Platform != nil && d.Platform.Satisfies(v.o.platform) {
				child = &idx.Manifests[i]
				break
			}
		}
		if child == nil {
			return nil, &contentError{fmt.Errorf("index %s has no manifest for platform %s", m.Digest, v.o.platform.String())}
		}
		m, err = v.reg.getManifest(ctx, repo.Digest(child.Digest.String()))
		if err != nil {
			return nil, referenced(err)
		}
		if types.MediaType(m.MediaType).IsIndex() {
			return nil, &contentError{fmt.Errorf("nested index %s is not supported", m.Digest)}
		}
	}
	im, err := parseManifest(m.Raw)
	if err != nil {
		return nil, err
	}
	raw, err := v.reg.getBlob(ctx, repo, im.Config.Digest, maxBlob)
	if err != nil {
		return nil, err
	}
	if err := chargeJSON(ctx, raw, 0, "image config "+im.Config.Digest.String()); err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, &contentError{fmt.Errorf("parsing image config %s: %w", im.Config.Digest, err)}
	}
	return cfg, nil
}
