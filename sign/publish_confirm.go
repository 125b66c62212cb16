package sign

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// ErrImageNotStored is wrapped by the error of a server whose image the registry does not
// serve after the build pushed it: 404 at its digest, or its tag resolving elsewhere.
var ErrImageNotStored = errors.New("the registry does not serve the image the build pushed")

// confirmImage reads back what the build pushed before anything is signed: the manifest
// at img's digest (its bytes hashed here), an image whose revision label is the pin, and
// job's tag resolving to that digest. A read that is not yet right is repeated after
// readBackWaits (a lagging replica); a read that fails is an error (could not check).
func (p *Publisher) confirmImage(ctx context.Context, job Job, img name.Digest) error {
	d, err := p.readBack(ctx, img, func(d *remote.Descriptor) bool { return d != nil })
	if err != nil {
		return fmt.Errorf("reading back %s: %w", img, err)
	}
	if d == nil {
		return fmt.Errorf("%s: 404 after the build pushed it: %w", img, ErrImageNotStored)
	}
	if !d.MediaType.IsImage() {
		return fmt.Errorf("%s is a %s, not an image manifest", img, d.MediaType)
	}
	im, err := d.Image()
	if err != nil {
		return fmt.Errorf("reading back %s: %w", img, err)
	}
	cf, err := im.ConfigFile()
	if err != nil {
		return fmt.Errorf("reading the config of %s: %w", img, err)
	}
	if got := cf.Config.Labels[RevisionClaim]; got != job.Commit {
		return fmt.Errorf("%s has revision label %q, not the pin %s", img, got, job.Commit)
	}
	t, err := p.readBack(ctx, job.Image, func(t *remote.Descriptor) bool { return t != nil && t.Digest == d.Digest })
	switch {
	case err != nil:
		return fmt.Errorf("reading back %s: %w", job.Image, err)
	case t == nil:
		return fmt.Errorf("%s: 404 after the build pushed %s to it: %w", job.Image, img.DigestStr(), ErrImageNotStored)
	case t.Digest != d.Digest:
		return fmt.Errorf("%s resolves to %s, not to %s that the build pushed: %w", job.Image, t.Digest, img.DigestStr(), ErrImageNotStored)
	}
	p.log.Debug("image confirmed", "server", job.Name, "image", img.String(), "tag", job.Image.String())
	return nil
}

// readBack reads the manifest at ref until ok accepts it (nil: 404), waiting readBackWaits
// in between, and returns the last read.
func (p *Publisher) readBack(ctx context.Context, ref name.Reference, ok func(*remote.Descriptor) bool) (*remote.Descriptor, error) {
	for i := 0; ; i++ {
		d, err := getManifest(ctx, ref, p.ropts)
		if err != nil || ok(d) || i == len(readBackWaits) {
			return d, err
		}
		if err := sleep(ctx, readBackWaits[i]); err != nil {
			return nil, err
		}
	}
}
