package sign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
)

// Layer is one signature or attestation entry of a .sig/.att manifest: its descriptor as
// the manifest lists it. Data is the descriptor's embedded content (OCI image-spec 1.1
// "data"), already checked against Digest; nil when absent.
type Layer struct {
	MediaType   types.MediaType
	Digest      v1.Hash
	Size        int64
	Annotations map[string]string
	Data        []byte
}

// ErrNotPersisted is returned by Attach when the read-back of the tag does not show the
// layer just written (another writer replaced the manifest, or the registry dropped it).
var ErrNotPersisted = errors.New("signature not found on read-back of the signatures tag")

// Store reads and appends cosign signature/attestation manifests in one signatures
// repository (tags sha256-<hex>.sig / .att, see Tag). Writes to one tag are serialized
// within the process; see the package doc for what happens across processes.
type Store struct {
	repo  name.Repository
	ropts []remote.Option
	locks sync.Map // tag string -> *sync.Mutex
}

// NewStore returns a Store for repo. opts are passed to every registry request (auth,
// transport); the context is added per call.
func NewStore(repo name.Repository, opts ...remote.Option) *Store {
	return &Store{repo: repo, ropts: opts}
}

// Repository returns the signatures repository.
func (s *Store) Repository() name.Repository { return s.repo }

func (s *Store) opts(ctx context.Context) []remote.Option {
	return append([]remote.Option{remote.WithContext(ctx)}, s.ropts...)
}

// List returns the layers of the manifest tagged for img with suffix ("sig" or "att"), in
// manifest order; none when the tag does not exist.
func (s *Store) List(ctx context.Context, img v1.Hash, suffix string) ([]Layer, error) {
	tag := Tag(s.repo, img, suffix)
	m, _, err := s.manifest(ctx, tag)
	if err != nil || m == nil {
		return nil, err
	}
	return layersOf(tag, m)
}

// manifest fetches the manifest at tag; (nil, nil, nil) when the tag does not exist.
func (s *Store) manifest(ctx context.Context, tag name.Tag) (*v1.Manifest, v1.Image, error) {
	d, err := remote.Get(tag, s.opts(ctx)...)
	if err != nil {
		if isNotFound(err) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	if !d.MediaType.IsImage() {
		return nil, nil, fmt.Errorf("reading %s: media type %s is not an image manifest", tag, d.MediaType)
	}
	img, err := d.Image()
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		return nil, nil, fmt.Errorf("parsing manifest of %s: %w", tag, err)
	}
	return m, img, nil
}

func layersOf(tag name.Tag, m *v1.Manifest) ([]Layer, error) {
	out := make([]Layer, 0, len(m.Layers))
	for i, d := range m.Layers {
		l := Layer{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, Annotations: d.Annotations}
		if len(d.Data) > 0 {
			h, n, err := v1.SHA256(bytes.NewReader(d.Data))
			if err != nil || h != d.Digest || n != d.Size {
				return nil, fmt.Errorf("layer %d of %s: embedded data does not match its digest %s", i, tag, d.Digest)
			}
			l.Data = d.Data
		}
		out = append(out, l)
	}
	return out, nil
}

// Content returns a layer's bytes: the embedded data when present, else the blob from the
// signatures repository, checked against the layer digest.
func (s *Store) Content(ctx context.Context, l Layer) ([]byte, error) {
	if l.Data != nil {
		return l.Data, nil
	}
	ref := s.repo.Digest(l.Digest.String())
	rl, err := remote.Layer(ref, s.opts(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", ref, err)
	}
	rc, err := rl.Compressed()
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", ref, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxContent+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", ref, err)
	}
	if len(b) > maxContent {
		return nil, fmt.Errorf("fetching %s: larger than %d bytes", ref, maxContent)
	}
	if h, _, _ := v1.SHA256(bytes.NewReader(b)); h != l.Digest {
		return nil, fmt.Errorf("fetching %s: content digest %s does not match", ref, h)
	}
	return b, nil
}

// maxContent bounds what Content reads (a provenance envelope is a few hundred KiB at most).
const maxContent = 16 << 20

// Attachment is the outcome of Attach.
type Attachment struct {
	Tag      name.Tag
	Layer    Layer
	Appended bool // false: an equivalent layer was already there, nothing was written
}

// Attacher is what Attach asks of its caller for one signature or attestation.
type Attacher struct {
	// Find returns an equivalent layer among those attached, or nil.
	Find func(ctx context.Context, existing []Layer) (*Layer, error)
	// Create signs a new signature or attestation (without log entry yet).
	Create func(ctx context.Context) (oci.Signature, error)
	// Log records sig in the transparency log and returns it with its bundle. Nil: there is
	// no log, and nothing is staged.
	Log func(ctx context.Context, sig oci.Signature) (oci.Signature, error)
	// Resume checks a layer that an interrupted run staged (content already checked
	// against its digest) and returns it as the signature to log, or nil when it is not
	// one Create could have made (another key, payload or image): then Create is called.
	Resume func(ctx context.Context, staged Layer, content []byte) (oci.Signature, error)
}

// Attach appends a layer to the manifest tagged for img with suffix, keeping every layer
// already there. Under the tag's lock it reads the current manifest, and if a.Find reports
// an equivalent layer among the existing ones it returns that and writes nothing (no
// signing, no log entry). Otherwise:
//
//  1. a layer staged by an interrupted run (PendingAnnotation) that a.Resume accepts is
//     taken; else a.Create makes one and, when there is a log, it is staged: its blob
//     pushed, then the manifest with the layers unchanged and the new one in
//     PendingAnnotation;
//  2. a.Log records it (the same bytes as staged: a log that already holds the entry
//     returns it rather than adding a second);
//  3. the manifest with the layer appended (and no PendingAnnotation) is pushed and read
//     back; ErrNotPersisted if the new layer is not in the manifest the registry serves.
//
// A kill at any point therefore leaves either nothing, a staged layer that the re-run logs
// (again), or the attached layer. A staged blob that is gone (404) is ignored; one that
// cannot be read fails the call (could not check; signing anew could log a duplicate).
func (s *Store) Attach(ctx context.Context, img v1.Hash, suffix string, a Attacher) (*Attachment, error) {
	tag := Tag(s.repo, img, suffix)
	mu, _ := s.locks.LoadOrStore(tag.String(), &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()

	m, base, err := s.manifest(ctx, tag)
	if err != nil {
		return nil, err
	}
	var existing []Layer
	if m != nil {
		if existing, err = layersOf(tag, m); err != nil {
			return nil, err
		}
		base = unstaged(base, m)
	} else {
		base = empty.Signatures()
	}
	found, err := a.Find(ctx, existing)
	if err != nil {
		return nil, err
	}
	if found != nil {
		return &Attachment{Tag: tag, Layer: *found}, nil
	}

	sig, err := s.resume(ctx, tag, m, a)
	if err != nil {
		return nil, err
	}
	if sig == nil {
		if sig, err = a.Create(ctx); err != nil {
			return nil, err
		}
		if a.Log != nil {
			add, err := newDataLayer(sig)
			if err != nil {
				return nil, err
			}
			if err := s.stage(ctx, tag, base, add); err != nil {
				return nil, err
			}
		}
	}
	if a.Log != nil {
		if sig, err = a.Log(ctx, sig); err != nil {
			return nil, err
		}
	}
	return s.push(ctx, tag, base, sig)
}

// resume returns the layer staged in m that a.Resume accepts, or nil.
func (s *Store) resume(ctx context.Context, tag name.Tag, m *v1.Manifest, a Attacher) (oci.Signature, error) {
	if a.Log == nil || a.Resume == nil {
		return nil, nil
	}
	staged, ok := pendingOf(tag, m)
	if !ok {
		return nil, nil
	}
	content, err := s.Content(ctx, *staged)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading what an interrupted run staged in %s: %w", tag, err)
	}
	return a.Resume(ctx, *staged, content)
}

// push appends sig to base, pushes it to tag and reads it back.
func (s *Store) push(ctx context.Context, tag name.Tag, base v1.Image, sig oci.Signature) (*Attachment, error) {
	add, err := newDataLayer(sig)
	if err != nil {
		return nil, err
	}
	next, err := mutate.Append(base, mutate.Addendum{Layer: add, Annotations: add.desc.Annotations})
	if err != nil {
		return nil, fmt.Errorf("appending to %s: %w", tag, err)
	}
	if err := remote.Write(tag, next, s.opts(ctx)...); err != nil {
		return nil, fmt.Errorf("writing %s: %w", tag, err)
	}

	back, _, err := s.manifest(ctx, tag)
	if err != nil {
		return nil, fmt.Errorf("reading back %s: %w", tag, err)
	}
	want := add.desc
	if back != nil {
		for _, d := range back.Layers {
			if d.Digest == want.Digest && d.Annotations[SignatureAnnotation] == want.Annotations[SignatureAnnotation] &&
				d.Annotations[BundleAnnotation] == want.Annotations[BundleAnnotation] {
				l := Layer{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, Annotations: d.Annotations, Data: d.Data}
				return &Attachment{Tag: tag, Layer: l, Appended: true}, nil
			}
		}
	}
	return nil, fmt.Errorf("writing %s: %w", tag, ErrNotPersisted)
}

func isNotFound(err error) bool {
	var te *transport.Error
	if !errors.As(err, &te) {
		return false
	}
	if te.StatusCode == http.StatusNotFound {
		return true
	}
	for _, d := range te.Errors {
		if d.Code == transport.ManifestUnknownErrorCode || d.Code == transport.NameUnknownErrorCode {
			return true
		}
	}
	return false
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
