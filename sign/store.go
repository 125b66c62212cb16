package sign

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcpbuild/mcpbuild/fault"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
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
// It is fault.Failed: the registry answered, and lost what was written.
var ErrNotPersisted = fault.New(fault.Failed, "layers missing on read-back of the signatures tag")

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

// Fault is fault.Failed, as ErrNotPersisted.
func (e *LostLayersError) Fault() fault.Kind { return fault.Failed }

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
	reg   *ocireg.Client
	log   *slog.Logger
	locks sync.Map // tag string -> *sync.Mutex

	pmu    sync.Mutex
	pusher *remote.Pusher // created on the first write (pushes)
	pushed sync.Map       // v1.Hash -> true: blobs pushBlob pushed (or the registry said it holds)
}

// NewStore returns a Store for repo. opts make the go-containerregistry Pusher that PUTs
// manifests (auth, transport, retries); the context is given per call. Reads, and the
// blobs the Store makes, go through its own client (see WithReads):
// go-containerregistry's default transport and anonymous until set.
func NewStore(repo name.Repository, opts ...remote.Option) *Store {
	return &Store{repo: repo, ropts: opts, reg: ocireg.New(nil, nil), log: slog.New(slog.DiscardHandler)}
}

// WithReads sets how the Store (and ReadManifest, ReadConfig: publish's image reads) reads registries:
// through t (the base transport: deadlines, retries; nil: go-containerregistry's default)
// with credentials from keychain (nil: anonymous). Give it the transport and credentials
// of the remote options, so that reads and writes reach registries alike. Every read is
// bounded, hashed here and checked against what was asked for (internal/ocireg); see the
// package doc. The blobs the Store makes (payloads, envelopes, configs) are pushed through
// the same transport and credentials (ocireg's PushBlob). It returns s, and must be
// called before the Store is used.
func (s *Store) WithReads(t http.RoundTripper, keychain authn.Keychain) *Store {
	s.reg = ocireg.New(t, keychain)
	return s
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

// pushes returns the Store's go-containerregistry Pusher, made on first use with the remote
// options: one authenticated transport per repository for the Store's life (one ping and
// token, not one per write), and a blob it has uploaded or found (HEAD) is not asked
// about again. It PUTs manifests and pushes again layers of other parties a tag lost;
// what this package makes (payloads, envelopes, configs) goes through pushBlob. What must
// be readable is read back by this package's own reads (blobBack, the tag read-backs),
// never taken from a registry's word that it holds a blob.
func (s *Store) pushes() (*remote.Pusher, error) {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	if s.pusher == nil {
		p, err := remote.NewPusher(s.ropts...)
		if err != nil {
			return nil, err
		}
		s.pusher = p
	}
	return s.pusher, nil
}

// pushBlob uploads content as a blob of the signatures repository unless this Store
// pushed it already (ocireg's PushBlob: a POST asking to mount it from the repository
// itself, then one PUT of the bytes when the registry does not hold it). A blob the
// registry only said it holds (a mount) is read back and hashed before it counts as pushed.
func (s *Store) pushBlob(ctx context.Context, content []byte) error {
	h := ocireg.SHA256(content)
	if _, ok := s.pushed.Load(h); ok {
		return nil
	}
	_, uploaded, err := s.reg.PushBlob(ctx, s.repo, content)
	if err != nil {
		return err
	}
	if !uploaded { // a mount's 201, or an upload elsewhere: read it back before relying on it
		if err := s.blobBack(ctx, v1.Descriptor{Digest: h, Size: int64(len(content))}); err != nil {
			return fmt.Errorf("reading back blob %s the registry says it holds: %w", h, err)
		}
	}
	s.pushed.Store(h, true)
	return nil
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

// maxContent bounds what Content reads (a provenance envelope is a few hundred KiB at most).
const maxContent = 16 << 20
