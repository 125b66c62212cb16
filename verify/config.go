package verify

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// config reads the image config of m. For a multi-platform index it picks the manifest
// of WithPlatform's platform (default linux/amd64; Verify reads every platform's with
// images, index.go, unless one is asked for) (one more round trip, by the digest the index names) and
// reads that manifest's config: the label is checked on the image that platform runs,
// while signatures and provenance stay bound to the index digest the reference resolved
// to. The config's bytes must hash to the digest its manifest names.
func (v *Verifier) config(ctx context.Context, repo name.Repository, m *manifest) (*v1.ConfigFile, error) {
	im := m.Image
	if m.Index != nil {
		var child *v1.Descriptor
		for i, d := range m.Index.Manifests {
			if d.Platform != nil && d.Platform.Satisfies(v.o.platform) {
				child = &m.Index.Manifests[i]
				break
			}
		}
		if child == nil {
			return nil, &contentError{fmt.Errorf("index %s has no manifest for platform %s", m.Digest, v.o.platform.String())}
		}
		if ocireg.IsIndex(string(child.MediaType)) {
			return nil, badContent("index %s names a nested index %s for platform %s: not supported", m.Digest, child.Digest, v.o.platform.String())
		}
		cm, err := v.reg.getManifestFor(ctx, repo, *child, ocireg.AcceptImage)
		if err != nil {
			return nil, referenced(err)
		}
		im = cm.Image
	}
	return v.configOf(ctx, repo, im)
}

// configOf reads the config of the image manifest im, which must hash to the digest im
// names.
func (v *Verifier) configOf(ctx context.Context, repo name.Repository, im *v1.Manifest) (*v1.ConfigFile, error) {
	// A large config (an image's is a few KiB) is read and decoded under a slot of the
	// large-item semaphore, as large envelopes and manifests are.
	release, err := v.large.acquire(ctx, itemSize(im.Config))
	if err != nil {
		return nil, err
	}
	defer release()
	raw, err := v.readDescriptor(ctx, repo, im.Config, ocireg.MaxConfig)
	if err != nil {
		return nil, referenced(err)
	}
	if err := chargeJSON(ctx, raw, 0, "image config "+im.Config.Digest.String()); err != nil {
		return nil, err
	}
	// The bytes are the config the manifest names: one that is not a config is the
	// image's own (a definite failure of the label check), not the registry's.
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, &contentError{fmt.Errorf("parsing image config %s: %w", im.Config.Digest, err)}
	}
	return cfg, nil
}
