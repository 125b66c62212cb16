package ocireg

import (
	"context"
	"errors"
	"io"
)

// ManifestHook, when set (OnManifest), is called for each manifest read once the
// response's headers are in and before its body is read, with size the most bytes the
// read and decode can hold: the declared Content-Length, else the manifest limit. It may
// wait (verify's large-item semaphore) and refuse (verify's per-image budget: its error
// is returned as is); done is called once the manifest is decoded or refused, with the
// bytes actually read, so that what was reserved past them can be given back.
type ManifestHook func(ctx context.Context, what string, size int64) (done func(read int64), err error)

// OnManifest sets h to be called around each manifest read (ManifestHook). It returns c;
// set it before the first read. Without it (publish), reads are bounded by the limits
// alone.
func (c *Client) OnManifest(h ManifestHook) *Client {
	c.onManifest = h
	return c
}

// readBody reads r, at most limit+1 bytes (one more than allowed, so that a longer body
// is seen), into a buffer sized once to the declared length when there is one (declared
// >= 0): no reallocation, nothing held but the body. Without a declared length the
// buffer grows by doubling, but never past limit+1, and the old and new buffers together
// never exceed 1.5 times that.
func readBody(r io.Reader, declared, limit int64) ([]byte, error) {
	max := limit + 1
	size := min(max, 32<<10)
	if declared >= 0 {
		size = min(max, declared+1) // +1: the read that sees EOF needs no room to grow
	}
	b := make([]byte, 0, size)
	for {
		if len(b) == cap(b) {
			if int64(len(b)) >= max {
				return b, nil
			}
			nb := make([]byte, len(b), min(max, 2*int64(cap(b))))
			copy(nb, b)
			b = nb
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
