package verifytest

import (
	"bytes"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// staticLayer is a blob to upload with remote.WriteLayer.
type staticLayer []byte

func (b staticLayer) Digest() (v1.Hash, error) { return hashOf(b), nil }
func (b staticLayer) DiffID() (v1.Hash, error) { return hashOf(b), nil }
func (b staticLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b)), nil
}
func (b staticLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b)), nil
}
func (b staticLayer) Size() (int64, error)                { return int64(len(b)), nil }
func (b staticLayer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }
