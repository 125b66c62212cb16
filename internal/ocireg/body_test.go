package ocireg

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// A body is read into one buffer of its declared size; without one the buffer never
// grows past the limit (plus the byte that shows a longer body).
func TestReadBody(t *testing.T) {
	const limit = 1 << 20
	body := bytes.Repeat([]byte("x"), 300<<10)
	b, err := readBody(iotest.HalfReader(bytes.NewReader(body)), int64(len(body)), limit)
	if err != nil || !bytes.Equal(b, body) || cap(b) != len(body)+1 {
		t.Errorf("declared: %d bytes, cap %d, %v; want %d bytes in a buffer of %d", len(b), cap(b), err, len(body), len(body)+1)
	}
	b, err = readBody(bytes.NewReader(body), -1, limit)
	if err != nil || !bytes.Equal(b, body) || cap(b) > limit+1 {
		t.Errorf("undeclared: %d bytes, cap %d, %v", len(b), cap(b), err)
	}
	long := io.LimitReader(strings.NewReader(strings.Repeat("y", 3*limit)), limit+1)
	b, err = readBody(long, -1, limit)
	if err != nil || len(b) != limit+1 || cap(b) != limit+1 {
		t.Errorf("longer than the limit: %d bytes, cap %d, %v; want exactly limit+1", len(b), cap(b), err)
	}
}

// The manifest hook is called with the declared length before the body is read (its
// refusal reads nothing), or with the limit when none is declared; done gets the bytes
// read. Blob reads do not call it.
func TestManifestHook(t *testing.T) {
	tr := &counter{}
	repo, _ := testRegistry(t, map[string]answer{
		"/v2/r/manifests/sized":   {ct: MediaOCIManifest, body: testManifest, length: true},
		"/v2/r/manifests/chunked": {ct: MediaOCIManifest, body: testManifest, pad: 8 << 10}, // past the server's buffer
		"/v2/r/manifests/refused": {ct: MediaOCIManifest, body: testManifest + strings.Repeat(" ", 1<<20), length: true},
	})
	var sizes, reads []int64
	refuse := errors.New("over budget")
	c := New(tr, nil).OnManifest(func(_ context.Context, what string, size int64) (func(int64), error) {
		sizes = append(sizes, size)
		if strings.Contains(what, "refused") {
			return nil, refuse
		}
		return func(n int64) { reads = append(reads, n) }, nil
	})
	for _, tag := range []string{"sized", "chunked"} {
		if _, err := c.Manifest(context.Background(), repo.Tag(tag), AcceptImage); err != nil {
			t.Fatalf("%s: %v", tag, err)
		}
	}
	before := tr.n.Load()
	if _, err := c.Manifest(context.Background(), repo.Tag("refused"), AcceptImage); !errors.Is(err, refuse) {
		t.Errorf("refused by the hook: %v", err)
	}
	n := int64(len(testManifest))
	want := []int64{n, MaxManifest, n + 1<<20}
	if len(sizes) != 3 || sizes[0] != want[0] || sizes[1] != want[1] || sizes[2] != want[2] {
		t.Errorf("hook sizes %v, want %v", sizes, want)
	}
	if len(reads) != 2 || reads[0] != n || reads[1] != n+8<<10 {
		t.Errorf("done got %v, want [%d %d]", reads, n, n+8<<10)
	}
	if got := tr.n.Load() - before; got > 64<<10 {
		t.Errorf("%d body bytes read after the hook refused", got)
	}
}
