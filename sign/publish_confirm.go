package sign

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// ErrImageNotStored is wrapped by the error of a server whose image the registry does not
// serve after the build pushed it: 404 at its digest, or its tag resolving elsewhere.
var ErrImageNotStored = errors.New("the registry does not serve the image the build pushed")

// confirmImage reads back what the build pushed before anything is signed: the manifest
// at img's digest (its bytes hashed here, as is its config), an image whose revision
// label is the pin, and job's tag resolving to that digest. A read that is not yet right
// is repeated after readBackWaits (a lagging replica); a read that fails is an error
// (could not check).
func (p *Publisher) confirmImage(ctx context.Context, job Job, img name.Digest) error {
	m, err := p.readBack(ctx, img, func(m *ocireg.Manifest) bool { return m != nil })
	if err != nil {
		return fmt.Errorf("reading back %s: %w", img, err)
	}
	if m == nil {
		return fmt.Errorf("%s: 404 after the build pushed it: %w", img, ErrImageNotStored)
	}
	if m.Image == nil {
		return fmt.Errorf("%s is a %s, not an image manifest", img, m.MediaType)
	}
	_, cf, err := p.svc.store.config(ctx, img.Context(), m.Image.Config)
	if err != nil {
		return fmt.Errorf("reading back %s: %w", img, err)
	}
	if got := cf.Config.Labels[RevisionClaim]; got != job.Commit {
		return fmt.Errorf("%s has revision label %q, not the pin %s", img, got, job.Commit)
	}
	t, err := p.readBack(ctx, job.Image, func(t *ocireg.Manifest) bool { return t != nil && t.Digest == m.Digest })
	switch {
	case err != nil:
		return fmt.Errorf("reading back %s: %w", job.Image, err)
	case t == nil:
		return fmt.Errorf("%s: 404 after the build pushed %s to it: %w", job.Image, img.DigestStr(), ErrImageNotStored)
	case t.Digest != m.Digest:
		return fmt.Errorf("%s resolves to %s, not to %s that the build pushed: %w", job.Image, t.Digest, img.DigestStr(), ErrImageNotStored)
	}
	p.log.Debug("image confirmed", "server", job.Name, "image", img.String(), "tag", job.Image.String())
	return nil
}

// readBack reads the manifest at ref (an image or an index) until ok accepts it (nil:
// 404), waiting readBackWaits in between, and returns the last read.
func (p *Publisher) readBack(ctx context.Context, ref name.Reference, ok func(*ocireg.Manifest) bool) (*ocireg.Manifest, error) {
	for i := 0; ; i++ {
		m, err := p.svc.store.manifest(ctx, ref, ocireg.AcceptImageRef)
		if err != nil || ok(m) || i == len(readBackWaits) {
			return m, err
		}
		if err := sleep(ctx, readBackWaits[i]); err != nil {
			return nil, err
		}
	}
}
