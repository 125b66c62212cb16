package build

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/containerd/containerd/v2/core/content"
	"github.com/containerd/containerd/v2/core/content/proxy"
	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxIndexBytes bounds the index read back from buildkitd's content store.
const maxIndexBytes = 1 << 20

// platformImages reads the image index the exporter pushed (its descriptor in the
// exporter response) from buildkitd's content store and returns each platform's manifest,
// sorted by platform. It checks that the index is img and names exactly want.
func platformImages(ctx context.Context, c *client.Client, resp map[string]string, img name.Digest, want []string) ([]PlatformImage, error) {
	raw, err := base64.StdEncoding.DecodeString(resp[exptypes.ExporterImageDescriptorKey])
	if err != nil {
		return nil, fmt.Errorf("decoding the index descriptor of %s from buildkit: %w", img, err)
	}
	var desc ocispec.Descriptor
	if err := json.Unmarshal(raw, &desc); err != nil {
		return nil, fmt.Errorf("decoding the index descriptor of %s from buildkit: %w", img, err)
	}
	if desc.Digest.String() != img.DigestStr() || desc.Size <= 0 || desc.Size > maxIndexBytes {
		return nil, fmt.Errorf("buildkit's index descriptor %s (%d bytes) is not the pushed %s", desc.Digest, desc.Size, img)
	}
	b, err := content.ReadBlob(ctx, proxy.NewContentStore(c.ContentClient()), desc)
	if err != nil {
		return nil, fmt.Errorf("reading the index %s from buildkitd: %w", img, err)
	}
	if digest.FromBytes(b) != desc.Digest {
		return nil, fmt.Errorf("the index buildkitd returned for %s does not hash to its digest", img)
	}
	return indexPlatforms(b, img, want)
}

// indexPlatforms returns the platform manifests of the index b (whose digest is img): one
// per platform in want, and nothing else.
func indexPlatforms(b []byte, img name.Digest, want []string) ([]PlatformImage, error) {
	var idx ocispec.Index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("decoding the index %s: %w", img, err)
	}
	var out []PlatformImage
	for _, m := range idx.Manifests {
		if m.Platform == nil {
			return nil, fmt.Errorf("index %s: manifest %s has no platform", img, m.Digest)
		}
		p := platforms.Format(platforms.Normalize(*m.Platform))
		if !slices.Contains(want, p) {
			return nil, fmt.Errorf("index %s has a manifest for %s, which was not asked for", img, p)
		}
		for _, o := range out {
			if o.Platform == p {
				return nil, fmt.Errorf("index %s has two manifests for %s", img, p)
			}
		}
		d, err := name.NewDigest(img.Context().Name()+"@"+m.Digest.String(), name.StrictValidation)
		if err != nil {
			return nil, fmt.Errorf("index %s: manifest digest %q: %w", img, m.Digest, err)
		}
		out = append(out, PlatformImage{Platform: p, Manifest: d})
	}
	if len(out) != len(want) {
		return nil, fmt.Errorf("index %s has %d platform manifests, %d platforms were asked for", img, len(out), len(want))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Platform < out[j].Platform })
	return out, nil
}

// combinePredicates makes one SLSA v1 predicate of the per-platform predicates BuildKit
// wrote for a multi-platform build (keyed by platform). The build definition's
// buildType and externalParameters (the build context, frontend and its arguments) must
// be the same on every platform, and are kept; resolvedDependencies is the union of every
// platform's, in platform order, each listed once; what BuildKit records per platform
// (internalParameters, with the target platform and the LLB, and
// runDetails.metadata.buildkit_metadata) is kept whole under "platforms", keyed by
// platform; the rest of runDetails is the first platform's.
func combinePredicates(preds map[string][]byte) ([]byte, error) {
	keys := make([]string, 0, len(preds))
	for k := range preds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out map[string]any
	var deps []any
	internal, meta := map[string]any{}, map[string]any{}
	for i, k := range keys {
		var p struct {
			BuildDefinition map[string]any `json:"buildDefinition"`
			RunDetails      map[string]any `json:"runDetails"`
		}
		if err := json.Unmarshal(preds[k], &p); err != nil || p.BuildDefinition == nil {
			return nil, fmt.Errorf("decoding the SLSA v1 provenance of %s: %v", k, err)
		}
		bd := p.BuildDefinition
		if i == 0 {
			if err := json.Unmarshal(preds[k], &out); err != nil {
				return nil, fmt.Errorf("decoding the SLSA v1 provenance of %s: %w", k, err)
			}
		} else {
			first := out["buildDefinition"].(map[string]any)
			for _, f := range []string{"buildType", "externalParameters"} {
				a, _ := json.Marshal(first[f])
				b, _ := json.Marshal(bd[f])
				if string(a) != string(b) {
					return nil, fmt.Errorf("the provenance of %s and %s differ in buildDefinition.%s", keys[0], k, f)
				}
			}
		}
		if rd, ok := bd["resolvedDependencies"].([]any); ok {
			for _, d := range rd {
				if !containsJSON(deps, d) {
					deps = append(deps, d)
				}
			}
		}
		internal[k] = bd["internalParameters"]
		if md, ok := p.RunDetails["metadata"].(map[string]any); ok {
			meta[k] = md["buildkit_metadata"]
		}
	}
	bd := out["buildDefinition"].(map[string]any)
	bd["resolvedDependencies"] = deps
	bd["internalParameters"] = map[string]any{"platforms": internal}
	if rd, ok := out["runDetails"].(map[string]any); ok {
		if md, ok := rd["metadata"].(map[string]any); ok {
			md["buildkit_metadata"] = map[string]any{"platforms": meta}
		}
	}
	return json.Marshal(out)
}

// containsJSON reports whether list holds a value that encodes as v does.
func containsJSON(list []any, v any) bool {
	b, _ := json.Marshal(v)
	for _, x := range list {
		if a, _ := json.Marshal(x); string(a) == string(b) {
			return true
		}
	}
	return false
}
