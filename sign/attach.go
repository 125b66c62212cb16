package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
)

// maxWrites bounds the pushes of one tag by Attach: the write, then re-writes of layers the
// read-back lacks.
const maxWrites = 3

// readBackWaits are the pauses before reading a tag or image once more when what was
// written does not show yet (a lagging replica may serve the old state for a moment).
var readBackWaits = []time.Duration{100 * time.Millisecond, 300 * time.Millisecond}

// Attachment is the outcome of Attach.
type Attachment struct {
	Tag      name.Tag
	Layer    Layer
	Appended bool // false: an equivalent layer was already there, nothing was written
}

// Attach appends a layer to the manifest tagged for img with suffix, keeping every layer
// already there. Under the tag's lock:
//
//   - It reads the tag; only a 404 means "absent", and a 404 is asked again at once (a
//     lagging replica answers 404 for a tag that exists). Any other failure returns an
//     error and nothing is written.
//   - If find reports an equivalent layer among the existing ones it returns that and
//     writes nothing (create is not called, so no transparency-log entry is made either).
//   - Otherwise it calls create (which signs and uploads to the log) and reads the tag
//     again right before the write, so what create's time let change (or a replica
//     caught up) is merged in; if that read shows an equivalent layer, nothing is written.
//   - It pushes the manifest the registry served last plus every layer seen in either
//     read that it lacks, plus ours; then reads the tag back. Every layer seen before and
//     ours must be there; those missing are pushed again (up to maxWrites pushes), and if
//     they stay missing it returns a *LostLayersError naming them (errors.Is
//     ErrNotPersisted).
func (s *Store) Attach(ctx context.Context, img v1.Hash, suffix string,
	find func(ctx context.Context, existing []Layer) (*Layer, error),
	create func(ctx context.Context) (oci.Signature, error)) (*Attachment, error) {
	tag := Tag(s.repo, img, suffix)
	mu, _ := s.locks.LoadOrStore(tag.String(), &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	seen, err := s.read(ctx, tag)
	if err == nil && seen.desc == nil {
		s.log.Debug("tag absent (404); asking again", "tag", tag.String())
		seen, err = s.read(ctx, tag)
	}
	if err != nil {
		return nil, err
	}
	found, err := find(ctx, seen.layers)
	if err != nil || found != nil {
		return reused(tag, found, err)
	}

	sig, err := create(ctx)
	if err != nil {
		return nil, err
	}
	add, err := newDataLayer(sig)
	if err != nil {
		return nil, err
	}
	now, err := s.read(ctx, tag)
	if err != nil {
		return nil, fmt.Errorf("before writing: %w", err)
	}
	if len(missing(now.descs(), seen.descs())) > 0 {
		if found, err := find(ctx, now.layers); err != nil || found != nil {
			s.log.Debug("an equivalent layer appeared while signing; not writing ours", "tag", tag.String())
			return reused(tag, found, err)
		}
	}
	want := append(union(seen.descs(), now.descs()), add.desc)
	return s.write(ctx, now, want, add)
}

func reused(tag name.Tag, found *Layer, err error) (*Attachment, error) {
	if err != nil {
		return nil, err
	}
	return &Attachment{Tag: tag, Layer: *found}, nil
}

// write pushes base plus the layers of want it lacks and reads the tag back, until the
// read-back lists all of want (at most maxWrites pushes).
func (s *Store) write(ctx context.Context, base *tagState, want []v1.Descriptor, add *dataLayer) (*Attachment, error) {
	tag := base.tag
	for n := 1; ; n++ {
		next, err := s.compose(ctx, base, missing(want, base.descs()), add)
		if err != nil {
			return nil, fmt.Errorf("appending to %s: %w", tag, err)
		}
		if err := remote.Write(tag, next, s.opts(ctx)...); err != nil {
			return nil, fmt.Errorf("writing %s: %w", tag, err)
		}
		back, lost, err := s.readBack(ctx, tag, want)
		if err != nil {
			return nil, fmt.Errorf("reading back %s: %w", tag, err)
		}
		if len(lost) == 0 {
			for i, d := range back.descs() {
				if layerKey(d) == layerKey(add.desc) {
					return &Attachment{Tag: tag, Layer: back.layers[i], Appended: true}, nil
				}
			}
		}
		digests := make([]v1.Hash, len(lost))
		ours := false
		for i, d := range lost {
			digests[i], ours = d.Digest, ours || layerKey(d) == layerKey(add.desc)
		}
		if n == maxWrites {
			return nil, &LostLayersError{Tag: tag, Lost: digests, Ours: ours, Writes: n}
		}
		s.log.Warn("read-back of the signatures tag lacks layers; writing them again",
			"tag", tag.String(), "lost", hashList(digests), "ours", ours, "write", n)
		base = back
	}
}

// readBack reads tag and returns the layers of want it lacks; when some are, it waits and
// reads again (a lagging replica), up to len(readBackWaits) times.
func (s *Store) readBack(ctx context.Context, tag name.Tag, want []v1.Descriptor) (*tagState, []v1.Descriptor, error) {
	for i := 0; ; i++ {
		back, err := s.read(ctx, tag)
		if err != nil {
			return nil, nil, err
		}
		lost := missing(want, back.descs())
		if len(lost) == 0 || i == len(readBackWaits) {
			return back, lost, nil
		}
		if err := sleep(ctx, readBackWaits[i]); err != nil {
			return nil, nil, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// compose returns base's manifest (cosign's empty signatures image when the tag is absent)
// with extra appended, each descriptor verbatim; add supplies the content of ours.
func (s *Store) compose(ctx context.Context, base *tagState, extra []v1.Descriptor, add *dataLayer) (v1.Image, error) {
	var img v1.Image = empty.Signatures()
	if base.desc != nil {
		var err error
		if img, err = base.desc.Image(); err != nil {
			return nil, err
		}
	}
	adds := make([]mutate.Addendum, 0, len(extra))
	for _, d := range extra {
		var l v1.Layer = &knownLayer{desc: d, s: s, ctx: ctx}
		if layerKey(d) == layerKey(add.desc) {
			l = add
		}
		adds = append(adds, mutate.Addendum{Layer: l, Annotations: d.Annotations})
	}
	next, err := mutate.Append(img, adds...)
	if err != nil {
		return nil, err
	}
	if base.m != nil && base.m.Subject != nil { // mutate.Append drops it
		if withSubject, ok := mutate.Subject(next, *base.m.Subject).(v1.Image); ok {
			next = withSubject
		}
	}
	return next, nil
}

// layerKey identifies a layer of a .sig/.att manifest: media type, digest, size and
// annotations. Two keys signing one payload share the digest but not the signature
// annotation. The data field is left out: it must equal the content (layersOf checks it),
// so a registry that drops the field loses nothing.
func layerKey(d v1.Descriptor) string {
	ann, _ := json.Marshal(d.Annotations) // map keys are sorted
	return fmt.Sprintf("%s %s %d %s", d.MediaType, d.Digest, d.Size, ann)
}

// missing returns the descriptors of want that have lists lacks, in want's order.
func missing(want, have []v1.Descriptor) []v1.Descriptor {
	in := make(map[string]bool, len(have))
	for _, d := range have {
		in[layerKey(d)] = true
	}
	var out []v1.Descriptor
	for _, d := range want {
		if !in[layerKey(d)] {
			out = append(out, d)
		}
	}
	return out
}

// union returns a followed by the descriptors of b it lacks.
func union(a, b []v1.Descriptor) []v1.Descriptor {
	return append(append([]v1.Descriptor(nil), a...), missing(b, a)...)
}

// knownLayer is a layer known from a manifest read earlier, pushed again verbatim: its
// content is the descriptor's data, else the blob in the signatures repository (only
// fetched when the registry no longer has it, which remote.Write checks first).
type knownLayer struct {
	desc v1.Descriptor
	s    *Store
	ctx  context.Context
}

func (l *knownLayer) Descriptor() (*v1.Descriptor, error) { d := l.desc; return &d, nil }
func (l *knownLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }

// DiffID is the digest: signature and attestation layers are stored uncompressed.
func (l *knownLayer) DiffID() (v1.Hash, error)             { return l.desc.Digest, nil }
func (l *knownLayer) Size() (int64, error)                 { return l.desc.Size, nil }
func (l *knownLayer) MediaType() (types.MediaType, error)  { return l.desc.MediaType, nil }
func (l *knownLayer) Uncompressed() (io.ReadCloser, error) { return l.Compressed() }
func (l *knownLayer) Compressed() (io.ReadCloser, error) {
	b, err := l.s.Content(l.ctx, Layer{MediaType: l.desc.MediaType, Digest: l.desc.Digest, Size: l.desc.Size, Data: l.desc.Data})
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// dataLayer is a cosign signature layer whose descriptor also embeds the content in the
// OCI "data" field when it is at most MaxEmbeddedData bytes, so verifiers can read the
// payload from the manifest alone. The blob is pushed all the same for cosign.
type dataLayer struct {
	oci.Signature
	desc v1.Descriptor
}

func newDataLayer(sig oci.Signature) (*dataLayer, error) {
	content, err := sig.Payload()
	if err != nil {
		return nil, err
	}
	mt, err := sig.MediaType()
	if err != nil {
		return nil, err
	}
	ann, err := sig.Annotations()
	if err != nil {
		return nil, err
	}
	h, n, err := v1.SHA256(bytes.NewReader(content))
	if err != nil {
		return nil, err
	}
	d := v1.Descriptor{MediaType: mt, Size: n, Digest: h, Annotations: ann}
	if n <= MaxEmbeddedData {
		d.Data = content
	}
	return &dataLayer{Signature: sig, desc: d}, nil
}

// Descriptor is what ggcr's partial.Descriptor uses for the manifest entry.
func (l *dataLayer) Descriptor() (*v1.Descriptor, error) {
	d := l.desc
	return &d, nil
}
