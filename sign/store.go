package sign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
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

// ErrNotPersisted is what every LostLayersError is (errors.Is): the read-back of a tag
// after writing it lacks layers that must be there.
var ErrNotPersisted = errors.New("layers missing on read-back of the signatures tag")

// LostLayersError is returned by Attach when, after maxWrites pushes, the tag the registry
// serves still lacks layers: ours, or other parties' layers that were there before. When
// Staging, it was the write that stages ours before the log upload (Ours: the staged
// record is not there); nothing was logged.
type LostLayersError struct {
	Tag     name.Tag
	Lost    []v1.Hash // digests of the missing layers (or of our staged item), in manifest order
	Ours    bool      // the layer Attach appended (or the record staging it) is among them
	Writes  int       // pushes made
	Staging bool      // the staging write, before the log upload
}

func (e *LostLayersError) Error() string {
	whose, when := "layers of other signers", ""
	if e.Ours {
		whose = "layers (ours among them)"
	}
	if e.Staging {
		when = " staging ours before the log upload (nothing logged):"
		if e.Ours {
			whose = "items (the record staging ours among them)"
		}
	}
	return fmt.Sprintf("%s:%s after %d writes the registry still serves it without %d %s: %s",
		e.Tag, when, e.Writes, len(e.Lost), whose, hashList(e.Lost))
}

// Is makes every LostLayersError match ErrNotPersisted.
func (e *LostLayersError) Is(target error) bool { return target == ErrNotPersisted }

func hashList(hs []v1.Hash) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = h.String()
	}
	return strings.Join(s, ", ")
}

// Store reads and appends cosign signature/attestation manifests in one signatures
// repository (tags sha256-<hex>.sig / .att, see Tag). Writes to one tag are serialized
// within the process; see the package doc for what happens across processes.
type Store struct {
	repo  name.Repository
	ropts []remote.Option
	log   *slog.Logger
	locks sync.Map // tag string -> *sync.Mutex
}

// NewStore returns a Store for repo. opts are passed to every registry request (auth,
// transport); the context is added per call.
func NewStore(repo name.Repository, opts ...remote.Option) *Store {
	return &Store{repo: repo, ropts: opts, log: slog.New(slog.DiscardHandler)}
}

// WithLogger sets the logger (default: discard) and returns s.
func (s *Store) WithLogger(l *slog.Logger) *Store {
	if l != nil {
		s.log = l
	}
	return s
}

// Repository returns the signatures repository.
func (s *Store) Repository() name.Repository { return s.repo }

func (s *Store) opts(ctx context.Context) []remote.Option {
	return append([]remote.Option{remote.WithContext(ctx)}, s.ropts...)
}

// List returns the layers of the manifest tagged for img with suffix ("sig" or "att"), in
// manifest order; none when the registry answers 404 for the tag. Any other failure is an
// error: the tag could not be checked.
func (s *Store) List(ctx context.Context, img v1.Hash, suffix string) ([]Layer, error) {
	st, err := s.read(ctx, Tag(s.repo, img, suffix))
	if err != nil {
		return nil, err
	}
	return st.layers, nil
}

// tagState is a signatures tag as read: absent (desc nil, the registry answered 404) or
// its manifest and layers.
type tagState struct {
	tag    name.Tag
	desc   *remote.Descriptor
	m      *v1.Manifest
	layers []Layer
}

// descs returns the layer descriptors as the manifest lists them (none when absent).
func (t *tagState) descs() []v1.Descriptor {
	if t.m == nil {
		return nil
	}
	return t.m.Layers
}

// read fetches the manifest at tag.
func (s *Store) read(ctx context.Context, tag name.Tag) (*tagState, error) {
	d, err := getManifest(ctx, tag, s.ropts)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", tag, err)
	}
	st := &tagState{tag: tag, desc: d}
	if d == nil {
		return st, nil
	}
	if !d.MediaType.IsImage() {
		return nil, fmt.Errorf("reading %s: media type %s is not an image manifest", tag, d.MediaType)
	}
	if st.m, err = v1.ParseManifest(bytes.NewReader(d.Manifest)); err != nil {
		return nil, fmt.Errorf("parsing manifest of %s: %w", tag, err)
	}
	if st.layers, err = layersOf(tag, st.m); err != nil {
		return nil, err
	}
	return st, nil
}

// getManifest GETs the manifest at ref; its Digest and Size are those of the bytes read,
// hashed here (never the registry's claim), and by digest they must be ref's. It returns
// (nil, nil) only when the registry answered 404: that status, and nothing else (not an
// error code such as MANIFEST_UNKNOWN in the body of a 500), proves the manifest absent.
// Every other failure is an error: the caller could not check, and must not write as if
// nothing were there.
func getManifest(ctx context.Context, ref name.Reference, opts []remote.Option) (*remote.Descriptor, error) {
	d, err := remote.Get(ref, append([]remote.Option{remote.WithContext(ctx)}, opts...)...)
	if err != nil {
		if absent(err) {
			return nil, nil
		}
		return nil, err
	}
	h, n, err := v1.SHA256(bytes.NewReader(d.Manifest))
	if err != nil {
		return nil, err
	}
	if dig, ok := ref.(name.Digest); ok && h.String() != dig.DigestStr() {
		return nil, fmt.Errorf("the manifest served for %s hashes to %s", ref, h)
	}
	d.Digest, d.Size = h, n
	return d, nil
}

// absent reports whether err is the registry's answer that the object does not exist: an
// HTTP 404 status, the only proof of absence.
func absent(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
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
