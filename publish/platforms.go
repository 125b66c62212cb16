package publish

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/verify"
)

// platformString is the normalized os/arch[/variant] of p, as build.ParsePlatforms gives.
func platformString(p v1.Platform) string {
	return platforms.Format(platforms.Normalize(platforms.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant}))
}

// checkImages checks what m (read from repo) holds against the pin and the platforms the
// Publisher builds (WithPlatforms): without platforms or with one, an image manifest (of
// that platform); with several, an index of exactly those platforms, one image manifest
// each (read by digest), each config passing verify's revision-label check. It returns
// what differs ("" when nothing does; a platform manifest answering 404 differs: it is
// not published); an error when a read fails otherwise.
func (p *Publisher) checkImages(ctx context.Context, repo name.Repository, m *ocireg.Manifest, pin string) (string, error) {
	want := p.platforms
	if len(want) <= 1 {
		if m.Image == nil {
			return fmt.Sprintf("%s is a %s, not an image manifest", m.Digest, m.MediaType), nil
		}
		return p.checkImage(ctx, repo, m, pin, want)
	}
	got, why := p.indexPlatforms(m)
	if why != "" {
		return why, nil
	}
	for i, d := range m.Index.Manifests {
		cm, err := p.svc.Store().ReadManifest(ctx, repo.Digest(d.Digest.String()), ocireg.AcceptImage)
		switch {
		case err != nil:
			return "", fmt.Errorf("reading the %s manifest of index %s: %w", got[i], m.Digest, err)
		case cm == nil: // 404, the only proof of absence: not published (garbage-collected), rebuild
			return fmt.Sprintf("the %s manifest %s of index %s is not in the registry (404)", got[i], d.Digest, m.Digest), nil
		}
		if why, err := p.checkImage(ctx, repo, cm, pin, []string{got[i]}); why != "" || err != nil {
			return why, err
		}
	}
	return "", nil
}

// indexPlatforms returns the platform of each entry of index m, or what differs from an
// index of exactly the Publisher's platforms (read from m alone).
func (p *Publisher) indexPlatforms(m *ocireg.Manifest) ([]string, string) {
	want := p.platforms
	if m.Index == nil {
		return nil, fmt.Sprintf("%s is a %s, not an image index of %s", m.Digest, m.MediaType, strings.Join(want, ", "))
	}
	var got []string
	for _, d := range m.Index.Manifests {
		if d.Platform == nil {
			return nil, fmt.Sprintf("index %s names %s with no platform", m.Digest, d.Digest)
		}
		got = append(got, platformString(*d.Platform))
	}
	if sorted := slices.Sorted(slices.Values(got)); !slices.Equal(sorted, want) {
		return nil, fmt.Sprintf("index %s is for %s, not %s", m.Digest, strings.Join(sorted, ", "), strings.Join(want, ", "))
	}
	return got, ""
}

// checkImage checks the image manifest m: its config's revision label is pin, and its
// platform is want's one platform, if any.
func (p *Publisher) checkImage(ctx context.Context, repo name.Repository, m *ocireg.Manifest, pin string, want []string) (string, error) {
	cf, err := p.svc.Store().ReadConfig(ctx, repo, m.Image.Config)
	if err != nil {
		return "", err
	}
	plat := platformString(v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant})
	if len(want) == 1 && plat != want[0] {
		return fmt.Sprintf("%s is an image for %s, not %s", m.Digest, plat, want[0]), nil
	}
	if c := verify.CheckRevisionLabel(cf, pin); c.Status != verify.StatusPass {
		if len(want) == 1 {
			return want[0] + ": " + c.Detail, nil
		}
		return c.Detail, nil
	}
	return "", nil
}
