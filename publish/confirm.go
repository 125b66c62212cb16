package publish

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/fault"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// ErrImageNotStored is wrapped by the error of a server whose image the registry does not
// serve after the build pushed it: 404 at its digest, or its tag resolving elsewhere.
// It is fault.Failed: the registry answered, and not with the image.
var ErrImageNotStored = fault.New(fault.Failed, "the registry does not serve the image the build pushed")

// readBackWaits are the pauses before reading the pushed image once more when it does
// not show yet (a lagging replica may serve the old state for a moment).
var readBackWaits = []time.Duration{100 * time.Millisecond, 300 * time.Millisecond}

// confirmImage reads back what the build pushed before anything is signed: the manifest
// at img's digest (its bytes hashed here, as are its configs), what the Publisher builds
// (checkImages: an image, or an index of exactly the platforms asked for, each platform's
// manifest read by digest) passing verify's revision-label check against the pin, and job's tags (Image, ExtraTags) resolving to that digest. A read
// that is not yet right is repeated after readBackWaits (a lagging replica); a read that
// fails is an error (could not check).
func (p *Publisher) confirmImage(ctx context.Context, job Job, img name.Digest) error {
	m, err := p.readBack(ctx, img, func(m *ocireg.Manifest) bool { return m != nil })
	if err != nil {
		return fmt.Errorf("reading back %s: %w", img, err)
	}
	if m == nil {
		return fmt.Errorf("%s: 404 after the build pushed it: %w", img, ErrImageNotStored)
	}
	if why, err := p.checkImages(ctx, img.Context(), m, job.Server.Source.Commit); err != nil {
		return fmt.Errorf("reading back %s: %w", img, err)
	} else if why != "" {
		return fmt.Errorf("%s: %s", img, why)
	}
	for _, tag := range append([]name.Tag{job.Image}, job.ExtraTags...) {
		t, err := p.readBack(ctx, tag, func(t *ocireg.Manifest) bool { return t != nil && t.Digest == m.Digest })
		switch {
		case err != nil:
			return fmt.Errorf("reading back %s: %w", tag, err)
		case t == nil:
			return fmt.Errorf("%s: 404 after the build pushed %s to it: %w", tag, img.DigestStr(), ErrImageNotStored)
		case t.Digest != m.Digest:
			return fmt.Errorf("%s resolves to %s, not to %s that the build pushed: %w", tag, t.Digest, img.DigestStr(), ErrImageNotStored)
		}
	}
	p.log.Debug("image confirmed", "server", job.Server.Name, "image", img.String(), "tag", job.Image.String())
	return nil
}

// readBack reads the manifest at ref (an image or an index) until ok accepts it (nil:
// 404), waiting readBackWaits in between, and returns the last read.
func (p *Publisher) readBack(ctx context.Context, ref name.Reference, ok func(*ocireg.Manifest) bool) (*ocireg.Manifest, error) {
	for i := 0; ; i++ {
		m, err := p.svc.Store().ReadManifest(ctx, ref, ocireg.AcceptImageRef)
		if err != nil || ok(m) || i == len(readBackWaits) {
			return m, err
		}
		if err := sleep(ctx, readBackWaits[i]); err != nil {
			return nil, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
