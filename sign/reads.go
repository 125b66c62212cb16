package sign

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// Every registry read of this package goes through the Store's ocireg.Client: one GET,
// bounded, hashed here and compared with what was asked for, of an accepted media type
// (the same rules as mcpverify's). A failed read is an *ocireg.Error; only a 404 (absent)
// says that something does not exist.

// absent reports whether err is the registry's answer that the object does not exist: an
// HTTP 404 status, the only proof of absence.
func absent(err error) bool { return errors.Is(err, ocireg.ErrNotFound) }

// manifest reads the manifest at ref, of a media type in acc. It returns (nil, nil) only
// when the registry answered 404: that status, and nothing else (not an error code such
// as MANIFEST_UNKNOWN in the body of a 500), proves the manifest absent. Every other
// failure is an error: the caller could not check, and must not write as if nothing were
// there.
func (s *Store) manifest(ctx context.Context, ref name.Reference, acc ocireg.Accept) (*ocireg.Manifest, error) {
	m, err := s.reg.Manifest(ctx, ref, acc)
	if absent(err) {
		return nil, nil
	}
	return m, err
}

// tagState is a signatures tag as read: absent (man nil, the registry answered 404) or
// its manifest and layers.
type tagState struct {
	tag    name.Tag
	man    *ocireg.Manifest
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

// read fetches the image manifest at tag.
func (s *Store) read(ctx context.Context, tag name.Tag) (*tagState, error) {
	m, err := s.manifest(ctx, tag, ocireg.AcceptImage)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return &tagState{tag: tag}, nil
	}
	st := &tagState{tag: tag, man: m, m: m.Image}
	if st.layers, err = layersOf(tag, st.m); err != nil {
		return nil, err
	}
	return st, nil
}

func layersOf(tag name.Tag, m *v1.Manifest) ([]Layer, error) {
	out := make([]Layer, 0, len(m.Layers))
	for i, d := range m.Layers {
		l := Layer{MediaType: d.MediaType, Digest: d.Digest, Size: d.Size, Annotations: d.Annotations}
		if len(d.Data) > 0 {
			if err := ocireg.CheckData(d); err != nil {
				return nil, fmt.Errorf("layer %d of %s: %w", i, tag, err)
			}
			l.Data = d.Data
		}
		out = append(out, l)
	}
	return out, nil
}

func (l Layer) descriptor() v1.Descriptor {
	return v1.Descriptor{MediaType: l.MediaType, Digest: l.Digest, Size: l.Size, Annotations: l.Annotations, Data: l.Data}
}

// Content returns a layer's bytes, at most 16 MiB: the embedded data when present, else
// the blob from the signatures repository; either must hash to the layer's digest and have
// its size.
func (s *Store) Content(ctx context.Context, l Layer) ([]byte, error) {
	return s.reg.Content(ctx, s.repo, l.descriptor(), maxContent)
}

// document is Content for what this package decodes (payloads, envelopes): a JSON
// document of at most ocireg.MaxJSONValues values.
func (s *Store) document(ctx context.Context, l Layer) ([]byte, error) {
	b, err := s.Content(ctx, l)
	if err != nil {
		return nil, err
	}
	if _, err := ocireg.CountJSONValues(b, "layer "+l.Digest.String()); err != nil {
		return nil, err
	}
	return b, nil
}

// config reads and parses the image config d of repo names (at most ocireg.MaxConfig
// bytes and ocireg.MaxJSONValues values, hashed here).
func (s *Store) config(ctx context.Context, repo name.Repository, d v1.Descriptor) ([]byte, *v1.ConfigFile, error) {
	raw, err := s.reg.Content(ctx, repo, d, ocireg.MaxConfig)
	if err != nil {
		return nil, nil, err
	}
	if _, err := ocireg.CountJSONValues(raw, "config "+d.Digest.String()); err != nil {
		return nil, nil, err
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, fmt.Errorf("parsing config %s: %w", d.Digest, err)
	}
	return raw, cf, nil
}

// storedImage is a .sig/.att manifest as read, the base of the next write of its tag: its
// config and layers are read through the Store (bounded, hashed) only when the write needs
// them (the config, to append to; a layer blob the registry no longer has).
type storedImage struct {
	s    *Store
	ctx  context.Context
	m    *ocireg.Manifest
	done configs
}

func (i *storedImage) MediaType() (types.MediaType, error) {
	return types.MediaType(i.m.MediaType), nil
}
func (i *storedImage) RawManifest() ([]byte, error) { return i.m.Raw, nil }

func (i *storedImage) RawConfigFile() ([]byte, error) {
	if raw, ok := i.done.get(i.m.Image.Config); ok {
		return raw, nil
	}
	raw, _, err := i.s.config(i.ctx, i.s.repo, i.m.Image.Config)
	return raw, err
}

// configs are the raw configs an Attach pushed, by digest. A config is content-addressed:
// bytes that hash to the digest a manifest names and have its size are that config,
// whoever holds them, so reading it back from the registry would tell nothing more.
type configs map[v1.Hash][]byte

// note records img's config (an image this Attach pushed).
func (c configs) note(img v1.Image) {
	raw, err := img.RawConfigFile()
	if err == nil {
		c[ocireg.SHA256(raw)] = raw
	}
}

// get returns the config d names when this Attach pushed it.
func (c configs) get(d v1.Descriptor) ([]byte, bool) {
	raw, ok := c[d.Digest]
	return raw, ok && int64(len(raw)) == d.Size
}

func (i *storedImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	for _, d := range i.m.Image.Layers {
		if d.Digest == h {
			return &knownLayer{desc: d, s: i.s, ctx: i.ctx}, nil
		}
	}
	return nil, fmt.Errorf("%s is not a layer of manifest %s", h, i.m.Digest)
}

// image returns st's manifest as a v1.Image (st must not be absent).
// Its config is read from the registry unless done holds it (pushed by this Attach).
func (st *tagState) image(ctx context.Context, s *Store, done configs) (v1.Image, error) {
	return partial.CompressedToImage(&storedImage{s: s, ctx: ctx, m: st.man, done: done})
}

// ReadManifest reads the manifest at ref (any repository, e.g. an image by tag or digest)
// through the Store's reads (WithReads: bounded, hashed here), of a media type in acc.
// (nil, nil) means the registry answered 404, the only proof of absence; any other
// failure is an error (could not check).
func (s *Store) ReadManifest(ctx context.Context, ref name.Reference, acc ocireg.Accept) (*ocireg.Manifest, error) {
	return s.manifest(ctx, ref, acc)
}

// ReadConfig reads and parses the image config d of an image in repo through the Store's
// reads (at most ocireg.MaxConfig bytes and ocireg.MaxJSONValues values, hashed here).
func (s *Store) ReadConfig(ctx context.Context, repo name.Repository, d v1.Descriptor) (*v1.ConfigFile, error) {
	_, cf, err := s.config(ctx, repo, d)
	return cf, err
}
