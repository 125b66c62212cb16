package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// MaxPlatforms bounds the platform images of an index that are checked (mcpbuild builds
// at most as many); an index naming more is refused as content past a limit (could not
// check), unless one platform is asked for.
const MaxPlatforms = 16

// attestationManifestAnnotation marks BuildKit's attestation manifests in an index
// (platform unknown/unknown): no platform runs them, so none is checked.
const attestationManifestAnnotation = "vnd.docker.reference.type"

// attestationManifest reports whether d is an attestation manifest as BuildKit writes
// them: annotated, and for platform unknown/unknown. One annotated so but for a platform a
// runtime could pick is a platform image like any other, and checked.
func attestationManifest(d v1.Descriptor) bool {
	return d.Annotations[attestationManifestAnnotation] == "attestation-manifest" &&
		d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

// platformImage is one image whose label is checked: for an index, a platform's manifest
// (platform and digest set), else the image itself (platform set only when the policy
// asks for one).
type platformImage struct {
	platform string
	digest   v1.Hash
	cfg      *v1.ConfigFile
	err      error
}

// coverage is what the provenance of an index must cover: the platform manifests whose
// labels are checked, each a subject of the statement (besides the index digest).
type coverage struct {
	platforms []platformImage
}

// wantPlatform is the one platform checked, if any: the Policy's, else WithPlatform's.
func (v *Verifier) wantPlatform(p Policy) *v1.Platform {
	if p.Platform != nil {
		return p.Platform
	}
	if v.o.platformSet {
		return &v.o.platform
	}
	return nil
}

// images reads the image config(s) whose label is checked: an image's own; for an index,
// that of every platform (want nil; BuildKit's attestation manifests are skipped, at most
// MaxPlatforms) or of want's first entry only. Platform manifests are read in parallel,
// each by the digest the index names, then each one's config. An index without the
// platform wanted, or with an entry without a platform, fails (the error is a
// contentError); a nested index or too many platforms cannot be checked.
func (v *Verifier) images(ctx context.Context, repo name.Repository, m *manifest, want *v1.Platform) ([]platformImage, error) {
	if m.Index == nil {
		pi := platformImage{}
		pi.cfg, pi.err = v.configOf(ctx, repo, m.Image)
		if want != nil {
			pi.platform = want.String()
			if pi.err == nil {
				got := v1.Platform{OS: pi.cfg.OS, Architecture: pi.cfg.Architecture, Variant: pi.cfg.Variant}
				if got.OS == "" || got.Architecture == "" || !got.Satisfies(*want) {
					pi.err = &contentError{fmt.Errorf("image %s is for platform %q, not %s", m.Digest, got.String(), want.String())}
				}
			}
		}
		return []platformImage{pi}, nil
	}
	var entries []v1.Descriptor
	for _, d := range m.Index.Manifests {
		switch {
		case want != nil:
			if d.Platform != nil && d.Platform.Satisfies(*want) {
				entries = append(entries, d)
			}
		case attestationManifest(d):
		case d.Platform == nil || d.Platform.OS == "" || d.Platform.Architecture == "":
			return nil, &contentError{fmt.Errorf("index %s names manifest %s with no platform", m.Digest, d.Digest)}
		default:
			entries = append(entries, d)
		}
		if want != nil && len(entries) == 1 {
			break
		}
	}
	switch {
	case want != nil && len(entries) == 0:
		return nil, &contentError{fmt.Errorf("index %s has no manifest for platform %s", m.Digest, want.String())}
	case len(entries) == 0:
		return nil, &contentError{fmt.Errorf("index %s names no platform image", m.Digest)}
	case len(entries) > MaxPlatforms:
		return nil, badContent("index %s names %d platform images, more than the %d checked", m.Digest, len(entries), MaxPlatforms)
	}
	out := make([]platformImage, len(entries))
	fns := make([]func(context.Context), len(entries))
	for i, d := range entries {
		out[i] = platformImage{platform: d.Platform.String(), digest: d.Digest}
		if ocireg.IsIndex(string(d.MediaType)) {
			return nil, badContent("index %s names a nested index %s for platform %s: not supported", m.Digest, d.Digest, d.Platform.String())
		}
		fns[i] = func(ctx context.Context) {
			cm, err := v.reg.getManifestFor(ctx, repo, d, ocireg.AcceptImage)
			if err != nil {
				out[i].err = referenced(err)
				return
			}
			out[i].cfg, out[i].err = v.configOf(ctx, repo, cm.Image)
		}
	}
	fetchAll(ctx, fns...)
	return out, nil
}

// labelChecks is the label check of every image read: it fails when one fails (naming
// its platform), else is an error when one could not be read, else passes naming the
// platforms checked.
func labelChecks(imgs []platformImage, err error, pin string) Check {
	if err != nil {
		return errCheck(CheckLabel, fmt.Errorf("reading image config: %w", err))
	}
	var errored *Check
	var names []string
	for _, pi := range imgs {
		c := labelCheck(pi.cfg, pi.err, pin)
		if pi.platform != "" {
			c.Detail = pi.platform + ": " + c.Detail
			names = append(names, pi.platform)
		}
		switch c.Status {
		case StatusFail:
			return c
		case StatusError:
			if errored == nil {
				errored = &c
			}
		}
	}
	if errored != nil {
		return *errored
	}
	c := labelCheck(imgs[0].cfg, nil, pin)
	if len(names) > 0 {
		c.Detail = strings.Join(names, ", ") + ": " + c.Detail
	}
	return c
}

// coverageOf is what the provenance of the reference read must cover: nil for an image,
// the platform images checked for an index.
func coverageOf(m *manifest, imgs []platformImage) *coverage {
	if m == nil || m.Index == nil || len(imgs) == 0 {
		return nil
	}
	c := &coverage{}
	for _, pi := range imgs { // not the configs: Verify drops them once their labels are checked
		c.platforms = append(c.platforms, platformImage{platform: pi.platform, digest: pi.digest})
	}
	return c
}

// uncovered returns the first platform image c requires that subjects (sha256 hex
// digests of a statement's subjects) do not name.
func (c *coverage) uncovered(subjects map[string]bool) (platformImage, bool) {
	if c == nil {
		return platformImage{}, false
	}
	for _, pi := range c.platforms {
		if !subjects[pi.digest.Hex] {
			return pi, true
		}
	}
	return platformImage{}, false
}

// platformList names the platforms c covers, " (platforms a, b)", or "" for none.
func (c *coverage) platformList() string {
	if c == nil {
		return ""
	}
	var names []string
	for _, pi := range c.platforms {
		names = append(names, pi.platform)
	}
	return " (platforms " + strings.Join(names, ", ") + ")"
}
