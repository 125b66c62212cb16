package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PendingAnnotation is the manifest annotation of a .sig/.att tag that stages a signature
// or attestation about to be recorded in the transparency log: the JSON descriptor of the
// layer to be appended (its blob is pushed to the signatures repository first, its content
// is also embedded when small). It is not a layer, so verifiers (cosign, mcpverify) do not
// see it; the push that appends the logged layer removes it.
//
// It makes a re-run after a kill upload the same bytes again, whatever the key (ECDSA
// and KMS signatures are randomized) and whatever the new build's provenance: the log
// then answers with the entry it already holds (Rekor: 409 Conflict) instead of making a
// second one. See Store.Attach.
const PendingAnnotation = "dev.mcpbuild/pending"

// pendingOf returns the layer staged in m's PendingAnnotation; false when there is none
// or it is malformed (a hostile or damaged annotation is ignored, not trusted: the caller
// checks the layer's content before using it).
func pendingOf(tag name.Tag, m *v1.Manifest) (*Layer, bool) {
	if m == nil || m.Annotations[PendingAnnotation] == "" {
		return nil, false
	}
	var d v1.Descriptor
	if json.Unmarshal([]byte(m.Annotations[PendingAnnotation]), &d) != nil || d.Digest.Algorithm != "sha256" || d.Size < 0 || d.Size > maxContent {
		return nil, false
	}
	ls, err := layersOf(tag, &v1.Manifest{Layers: []v1.Descriptor{d}})
	if err != nil {
		return nil, false
	}
	return &ls[0], true
}

// stage pushes add's blob, then base's manifest with add staged in PendingAnnotation (its
// layers unchanged) to tag.
func (s *Store) stage(ctx context.Context, tag name.Tag, base v1.Image, add *dataLayer) error {
	if err := remote.WriteLayer(s.repo, add, s.opts(ctx)...); err != nil {
		return fmt.Errorf("staging in %s: %w", tag, err)
	}
	d, err := json.Marshal(add.desc)
	if err != nil {
		return err
	}
	staged, ok := mutate.Annotations(base, map[string]string{PendingAnnotation: string(d)}).(v1.Image)
	if !ok {
		return fmt.Errorf("staging in %s: annotated manifest is not an image", tag)
	}
	if err := remote.Write(tag, staged, s.opts(ctx)...); err != nil {
		return fmt.Errorf("staging in %s: %w", tag, err)
	}
	return nil
}

// unstaged returns img without PendingAnnotation in its manifest (img itself when it has
// none), so that the next push of the tag drops what an earlier run staged.
func unstaged(img v1.Image, m *v1.Manifest) v1.Image {
	if m == nil {
		return img
	}
	if _, ok := m.Annotations[PendingAnnotation]; !ok {
		return img
	}
	return withoutPending{img}
}

type withoutPending struct{ v1.Image }

func (w withoutPending) Manifest() (*v1.Manifest, error) {
	m, err := w.Image.Manifest()
	if err != nil {
		return nil, err
	}
	m = m.DeepCopy()
	delete(m.Annotations, PendingAnnotation)
	if len(m.Annotations) == 0 {
		m.Annotations = nil
	}
	return m, nil
}

func (w withoutPending) RawManifest() ([]byte, error) {
	m, err := w.Manifest()
	if err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

func (w withoutPending) Digest() (v1.Hash, error) {
	b, err := w.RawManifest()
	if err != nil {
		return v1.Hash{}, err
	}
	h, _, err := v1.SHA256(bytes.NewReader(b))
	return h, err
}

func (w withoutPending) Size() (int64, error) { return partial.Size(w) }
