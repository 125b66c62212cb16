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
	"github.com/sigstore/cosign/v2/pkg/oci"
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

// stage records sig (just made by Create) in the tag before it is logged, step 3 of
// Attach, and returns what is to be logged and the record staging it: sig, or the item a
// record staged since the first read holds when Resume accepts it (sig is then dropped,
// never logged). found: an equivalent layer appeared; nothing is to be logged.
func (t *attempt) stage(ctx context.Context, first *tagState, sig oci.Signature) (oci.Signature, *v1.Descriptor, *Layer, error) {
	add, err := newDataLayer(sig)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := t.s.pushBlob(ctx, add.content); err != nil {
		return nil, nil, nil, fmt.Errorf("staging in %s: %w", t.tag, err)
	}
	if add.desc.Data == nil { // what a re-run reads to upload the same bytes
		if err := t.s.blobBack(ctx, add.desc); err != nil {
			return nil, nil, nil, fmt.Errorf("staging in %s: reading back blob %s: %w", t.tag, add.desc.Digest, err)
		}
	}
	now, found, err := t.look(ctx, "before staging")
	if err != nil || found != nil {
		return nil, nil, found, err
	}
	if !samePending(first.m, now.m) {
		if r, d, err := t.resume(ctx, now); err != nil || r != nil {
			if r != nil {
				t.s.log.Debug("a record staged since the first read is taken; ours is dropped", "tag", t.tag.String())
			}
			return r, d, nil, err
		}
	}
	back, err := t.s.write(ctx, now, plan{want: append([]v1.Descriptor(nil), t.seen...), add: add, stage: true, configs: t.configs})
	if err != nil {
		return nil, nil, nil, err
	}
	if found, err := t.note(ctx, back); err != nil || found != nil {
		return nil, nil, found, err
	}
	return sig, &add.desc, nil, nil
}

// blobBack reads back the blob of d (content checked against the digest); a 404 is asked
// again after readBackWaits (a lagging replica).
func (s *Store) blobBack(ctx context.Context, d v1.Descriptor) error {
	l := Layer{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size}
	for i := 0; ; i++ {
		_, err := s.Content(ctx, l)
		if err == nil || !absent(err) || i == len(readBackWaits) {
			if absent(err) { // lost after all: a later push must not take it as pushed
				s.pushed.Delete(d.Digest)
			}
			return err
		}
		if err := sleep(ctx, readBackWaits[i]); err != nil {
			return err
		}
	}
}

// pendingDesc returns the descriptor staged in m's PendingAnnotation; false when there is
// none or it is malformed (a hostile or damaged annotation is ignored, not trusted: the
// caller checks the layer's content before using it).
func pendingDesc(m *v1.Manifest) (v1.Descriptor, bool) {
	var d v1.Descriptor
	if m == nil || m.Annotations[PendingAnnotation] == "" {
		return d, false
	}
	if json.Unmarshal([]byte(m.Annotations[PendingAnnotation]), &d) != nil || d.Digest.Algorithm != "sha256" || d.Size < 0 || d.Size > maxContent {
		return v1.Descriptor{}, false
	}
	return d, true
}

// pendingOf returns the layer staged in m (its embedded data checked against its digest).
func pendingOf(tag name.Tag, m *v1.Manifest) (*Layer, bool) {
	d, ok := pendingDesc(m)
	if !ok {
		return nil, false
	}
	ls, err := layersOf(tag, &v1.Manifest{Layers: []v1.Descriptor{d}})
	if err != nil {
		return nil, false
	}
	return &ls[0], true
}

// stages reports whether m's PendingAnnotation stages d (compared as layers are).
func stages(m *v1.Manifest, d v1.Descriptor) bool {
	p, ok := pendingDesc(m)
	return ok && layerKey(p) == layerKey(d)
}

// samePending reports whether a and b stage the same record (or neither stages one).
func samePending(a, b *v1.Manifest) bool {
	pa, oka := pendingDesc(a)
	pb, okb := pendingDesc(b)
	return oka == okb && (!oka || layerKey(pa) == layerKey(pb))
}

// withPending returns img with d staged in its manifest's PendingAnnotation.
func withPending(img v1.Image, d v1.Descriptor) (v1.Image, error) {
	j, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	staged, ok := mutate.Annotations(img, map[string]string{PendingAnnotation: string(j)}).(v1.Image)
	if !ok {
		return nil, fmt.Errorf("annotated manifest is not an image")
	}
	return staged, nil
}

// withoutPending is an image whose manifest lacks PendingAnnotation: the final write
// drops the record that staged the layer it appends.
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
