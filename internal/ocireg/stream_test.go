package ocireg

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ContentReader gives the blob's bytes only with a verdict at the end: every table row of
// TestBlobAndContent fails (or not) the same way, and reads no more.
func TestContentReader(t *testing.T) {
	blob := []byte(`{"payload":"x"}`)
	h := SHA256(blob)
	for _, tc := range []struct {
		name string
		a    answer
		size int64
		data []byte
		want string
	}{
		{"blob", answer{body: string(blob)}, int64(len(blob)), nil, ""},
		{"blob with a length", answer{body: string(blob), length: true}, int64(len(blob)), nil, ""},
		{"embedded", answer{status: http.StatusInternalServerError}, int64(len(blob)), blob, ""},
		{"embedded data of other bytes", answer{}, int64(len(blob)), []byte(`{"payload":"y"}`), "does not match its descriptor"},
		{"other bytes", answer{body: `{"payload":"y"}`}, int64(len(blob)), nil, "hashing to"},
		{"longer than declared", answer{body: string(blob), pad: 1 << 20}, int64(len(blob)), nil, "more than the 15 bytes"},
		{"announced longer than declared", answer{body: string(blob) + " ", length: true}, int64(len(blob)), nil, "announces 16 bytes"},
		{"shorter than declared", answer{body: string(blob)}, int64(len(blob)) + 1, nil, "its descriptor declares"},
		{"declared over the limit", answer{body: string(blob)}, 1 << 30, nil, "more than the 1048576 byte limit"},
		{"negative size", answer{body: string(blob)}, -1, nil, "negative size"},
		{"404", answer{status: http.StatusNotFound}, int64(len(blob)), nil, "404"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo, _ := testRegistry(t, map[string]answer{"/v2/r/blobs/" + h.String(): tc.a})
			d := v1.Descriptor{MediaType: "x", Digest: h, Size: tc.size, Data: tc.data}
			read := &counter{}
			var b []byte
			rc, err := New(read, nil).ContentReader(context.Background(), repo, d, 1<<20)
			if err == nil {
				b, err = io.ReadAll(rc)
				rc.Close()
			}
			if tc.want == "" {
				if err != nil || string(b) != string(blob) {
					t.Fatalf("ContentReader = %q, %v; want the blob", b, err)
				}
				return
			}
			var re *Error
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ContentReader = %v; want an *Error naming %q", err, tc.want)
			}
			most := tc.size + 1
			if tc.size > 1<<20 || tc.size < 0 {
				most = 0
			}
			if n := read.n.Load(); n > most+1<<10 { // + an error body
				t.Errorf("%d bytes read; want at most %d", n, most)
			}
		})
	}
}

// The verdict is sticky: once the end failed, every read fails.
func TestBlobReaderSticky(t *testing.T) {
	blob := []byte("abc")
	h := SHA256(blob)
	repo, _ := testRegistry(t, map[string]answer{"/v2/r/blobs/" + h.String(): {body: "abd"}})
	rc, err := New(nil, nil).BlobReader(context.Background(), repo, h, 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, rc); err == nil {
		t.Fatal("Copy: nil error for other bytes")
	}
	if n, err := rc.Read(make([]byte, 8)); n != 0 || err == nil || errors.Is(err, io.EOF) {
		t.Errorf("Read after the end = %d, %v; want the verdict again", n, err)
	}
}
