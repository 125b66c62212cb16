package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
)

// maxWrites bounds the pushes of one write of a tag by Attach (the staging write, the
// final write): the push, then re-pushes of what the read-back lacks.
const maxWrites = 3

// readBackWaits are the pauses before reading a tag, blob or image once more when what was
// written does not show yet (a lagging replica may serve the old state for a moment).
var readBackWaits = []time.Duration{100 * time.Millisecond, 300 * time.Millisecond}

// plan is one write of a tag by Attach.
type plan struct {
	// want lists the layers every read-back must list: each seen in any read of the tag,
	// plus ours in the final write.
	want []v1.Descriptor
	add  *dataLayer // ours
	// stage: the staging write, which lists no new layer and puts add in the manifest's
	// PendingAnnotation; the read-back must carry that record too.
	stage bool
	// staged is the record staging add (final write of a logged item): dropped from the
	// manifest when present. A record staging anything else is another run's, and kept.
	staged *v1.Descriptor
	// configs are the configs this Attach pushed: the next write of the tag appends to
	// the manifest it reads back, whose config is then not read from the registry.
	configs configs
}

// lacks returns the descriptors of p.want that back does not list and, for a staging
// write, ours when back does not carry its record.
func (p plan) lacks(back *tagState) []v1.Descriptor {
	lost := missing(p.want, back.descs())
	if p.stage && !stages(back.m, p.add.desc) {
		lost = append(lost, p.add.desc)
	}
	return lost
}

// write pushes base plus the layers of p.want it lacks and reads the tag back, until the
// read-back has all p asks for (at most maxWrites pushes, each on top of what the
// registry served last); then it returns the read-back. Else a *LostLayersError.
func (s *Store) write(ctx context.Context, base *tagState, p plan) (*tagState, error) {
	tag, verb := base.tag, "writing"
	if p.stage {
		verb = "staging in"
	}
	for n := 1; ; n++ {
		next, err := s.compose(ctx, base, missing(p.want, base.descs()), p)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", verb, tag, err)
		}
		if err := s.push(ctx, tag, next); err != nil {
			return nil, fmt.Errorf("%s %s: %w", verb, tag, err)
		}
		if p.configs != nil {
			p.configs.note(next)
		}
		back, lost, err := s.readBack(ctx, tag, p)
		if err != nil {
			return nil, fmt.Errorf("reading back %s: %w", tag, err)
		}
		if len(lost) == 0 {
			return back, nil
		}
		digests := make([]v1.Hash, len(lost))
		ours := false
		for i, d := range lost {
			digests[i], ours = d.Digest, ours || layerKey(d) == layerKey(p.add.desc)
		}
		if n == maxWrites {
			return nil, &LostLayersError{Tag: tag, Lost: digests, Ours: ours, Writes: n, Staging: p.stage}
		}
		s.log.Warn("read-back of the signatures tag lacks layers; writing them again",
			"tag", tag.String(), "lost", hashList(digests), "ours", ours, "staging", p.stage, "write", n)
		base = back
	}
}

// push uploads the blobs of img that the Store has not pushed yet, then PUTs the manifest
// under tag: ours and the config through pushBlob (no HEAD first: a POST that mounts what
// the repository holds, else one PUT), a layer of another party pushed again verbatim
// through the Pusher (a HEAD first: its blob is usually still there). The tag is not
// asked about first (go-containerregistry's remote.Write HEADs it to skip a PUT of the
// manifest it already holds): every write of a tag by Attach changes its manifest, and
// the read-back that follows says what the registry holds.
func (s *Store) push(ctx context.Context, tag name.Tag, img v1.Image) error {
	p, err := s.pushes()
	if err != nil {
		return err
	}
	ls, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range ls {
		h, err := l.Digest()
		if err != nil {
			return err
		}
		if _, ok := s.pushed.Load(h); ok {
			continue
		}
		if ours, ok := l.(*dataLayer); ok {
			err = s.pushBlob(ctx, ours.content)
		} else {
			err = p.Upload(ctx, s.repo, l)
		}
		if err != nil {
			return err
		}
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	if err := s.pushBlob(ctx, raw); err != nil {
		return err
	}
	return p.Put(ctx, tag, img)
}

// readBack reads tag and returns what of p it lacks; when something is, it waits and reads
// again (a lagging replica), up to len(readBackWaits) times.
func (s *Store) readBack(ctx context.Context, tag name.Tag, p plan) (*tagState, []v1.Descriptor, error) {
	for i := 0; ; i++ {
		back, err := s.read(ctx, tag)
		if err != nil {
			return nil, nil, err
		}
		lost := p.lacks(back)
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
// with extra appended, each descriptor verbatim; add supplies the content of ours. A
// staging write puts add in PendingAnnotation; the final write drops p.staged's record.
func (s *Store) compose(ctx context.Context, base *tagState, extra []v1.Descriptor, p plan) (v1.Image, error) {
	var img v1.Image = empty.Signatures()
	if base.man != nil {
		var err error
		if img, err = base.image(ctx, s, p.configs); err != nil {
			return nil, err
		}
		if p.staged != nil && stages(base.m, *p.staged) {
			img = withoutPending{img}
		}
	}
	adds := make([]mutate.Addendum, 0, len(extra))
	for _, d := range extra {
		var l v1.Layer = &knownLayer{desc: d, s: s, ctx: ctx}
		if layerKey(d) == layerKey(p.add.desc) {
			l = p.add
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
	if p.stage {
		return withPending(next, p.add.desc)
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
// fetched when the registry no longer has it, which the Pusher checks first).
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
	desc    v1.Descriptor
	content []byte
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
	return &dataLayer{Signature: sig, desc: d, content: content}, nil
}

// Descriptor is what ggcr's partial.Descriptor uses for the manifest entry.
func (l *dataLayer) Descriptor() (*v1.Descriptor, error) {
	d := l.desc
	return &d, nil
}
