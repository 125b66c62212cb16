package ocireg

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BlobReader GETs blob h of repo, whose descriptor declares size bytes, and returns its
// body as a stream: nothing is held but the read buffer. The bytes are hashed as they
// are read; the read that reaches the end returns an *Error instead of io.EOF when they
// are not size bytes hashing to h, and a read past size bytes fails at once. Until
// that end is reached nothing read is known to be the blob: a caller that stops early
// must read the rest (io.Copy to io.Discard) before it trusts what it read. A declared
// size over limit is refused before any request. The caller closes the reader.
func (c *Client) BlobReader(ctx context.Context, repo name.Repository, h v1.Hash, size, limit int64) (io.ReadCloser, error) {
	what := "blob " + repo.Name() + "@" + h.String()
	if h.Algorithm != "sha256" {
		return nil, badContent("reading %s: digest algorithm %q is not supported", what, h.Algorithm)
	}
	if size < 0 {
		return nil, badContent("reading %s: its descriptor declares a negative size", what)
	}
	if size > limit {
		return nil, badContent("reading %s: its descriptor declares %d bytes, more than the %d byte limit", what, size, limit)
	}
	resp, err := c.open(ctx, repo, what, "blobs", h.String(), nil, size, fmt.Sprintf("the %d bytes its descriptor declares", size))
	if err != nil {
		return nil, err
	}
	return &verifier{r: io.LimitReader(resp.Body, size+1), c: resp.Body, what: what, want: h, size: size, sum: sha256.New()}, nil
}

// ContentReader is Content as a stream (BlobReader): a descriptor's embedded data when it
// has some (CheckData), else its blob.
func (c *Client) ContentReader(ctx context.Context, repo name.Repository, d v1.Descriptor, limit int64) (io.ReadCloser, error) {
	if d.Size < 0 {
		return nil, badContent("descriptor %s declares a negative size", d.Digest)
	}
	if len(d.Data) > 0 {
		if err := CheckData(d); err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(d.Data)), nil
	}
	return c.BlobReader(ctx, repo, d.Digest, d.Size, limit)
}

// verifier hashes and counts what is read through it and checks both at the end.
type verifier struct {
	r    io.Reader
	c    io.Closer
	what string
	want v1.Hash
	size int64
	n    int64
	sum  hash.Hash
	err  error // sticky: the end's verdict, or a failed read
}

func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	v.sum.Write(p[:n])
	if v.n > v.size {
		v.err = badContent("reading %s: registry sent more than the %d bytes its descriptor declares", v.what, v.size)
		return 0, v.err
	}
	switch {
	case errors.Is(err, io.EOF):
		v.err = io.EOF
		if v.n != v.size {
			v.err = badContent("reading %s: %d bytes, its descriptor declares %d", v.what, v.n, v.size)
		} else if got := (v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(v.sum.Sum(nil))}); got != v.want {
			v.err = badContent("reading %s: the registry served %d bytes hashing to %s", v.what, v.n, got)
		}
		if v.err != io.EOF {
			return 0, v.err
		}
		return n, io.EOF
	case err != nil:
		v.err = failed(v.what, err)
		return n, v.err
	}
	return n, nil
}

func (v *verifier) Close() error { return v.c.Close() }
