package ocireg

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const testManifest = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
	`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}`

// answer is what the test registry serves for one path.
type answer struct {
	status   int
	ct, body string
	header   map[string]string
	length   bool // send a Content-Length (else chunked)
	pad      int  // bytes appended to body after the Content-Length
}

// testRegistry serves answers by path (GET /v2/ answers 200) and returns the Accept
// header of the last request.
func testRegistry(t *testing.T, answers map[string]answer) (name.Repository, *atomic.Value) {
	t.Helper()
	var accept atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		accept.Store(r.Header.Get("Accept"))
		a, ok := answers[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", a.ct)
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		if a.length {
			w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
		}
		w.WriteHeader(cmp(a.status, http.StatusOK))
		for _, chunk := range []string{a.body, strings.Repeat(" ", a.pad)} {
			if _, err := w.Write([]byte(chunk)); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/r")
	if err != nil {
		t.Fatal(err)
	}
	return repo, &accept
}

func cmp(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// counter is a transport counting the response body bytes read through it.
type counter struct{ n atomic.Int64 }

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = countedBody{resp.Body, &c.n}
	}
	return resp, err
}

type countedBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestManifest(t *testing.T) {
	good := SHA256([]byte(testManifest))
	other := SHA256([]byte("other"))
	big := strings.Repeat(" ", MaxManifest)
	many := `{"schemaVersion":2,"layers":[` + strings.Repeat("{},", MaxJSONValues) + `{}]}`
	for _, tc := range []struct {
		name   string
		ref    string // tag or digest
		a      answer
		want   string // "" accepted; else a substring of the error
		status int    // the Error's StatusCode
	}{
		{"tag", "t", answer{ct: MediaOCIManifest, body: testManifest, length: true}, "", 0},
		{"digest", good.String(), answer{ct: MediaOCIManifest, body: testManifest}, "", 0},
		{"digest of other bytes", other.String(), answer{ct: MediaOCIManifest, body: testManifest, header: map[string]string{"Docker-Content-Digest": other.String()}}, "not the digest asked for", 0},
		{"Docker-Content-Digest lies", "t", answer{ct: MediaOCIManifest, body: testManifest, header: map[string]string{"Docker-Content-Digest": other.String()}}, "Docker-Content-Digest says", 0},
		{"schema1", "t", answer{ct: "application/vnd.docker.distribution.manifest.v1+prettyjws", body: `{"schemaVersion":1}`}, "schema1", 0},
		{"HTML 200", "t", answer{ct: "text/html", body: "<html></html>"}, "text/html is not accepted", 0},
		{"index where an image is asked for", "t", answer{ct: MediaOCIIndex, body: `{"schemaVersion":2,"manifests":[]}`}, "not accepted", 0},
		{"announced over 4 MiB", "t", answer{ct: MediaOCIManifest, body: testManifest + big, length: true}, "registry announces", 0},
		{"sent over 4 MiB", "t", answer{ct: MediaOCIManifest, body: testManifest, pad: 4 * MaxManifest}, "registry sent more than the 4194304 byte manifest limit", 0},
		{"too many JSON values", "t", answer{ct: MediaOCIManifest, body: many}, "more than 16384 JSON values", 0},
		{"404", "t", answer{status: http.StatusNotFound, ct: "application/json", body: `{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`}, "404 Not Found: MANIFEST_UNKNOWN", http.StatusNotFound},
		{"500 MANIFEST_UNKNOWN", "t", answer{status: http.StatusInternalServerError, ct: "application/json", body: `{"errors":[{"code":"MANIFEST_UNKNOWN"}]}`}, "500 Internal Server Error: MANIFEST_UNKNOWN", http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo, accept := testRegistry(t, map[string]answer{"/v2/r/manifests/" + tc.ref: tc.a})
			ref, err := name.ParseReference(repo.String() + ":" + tc.ref)
			if strings.HasPrefix(tc.ref, "sha256:") {
				ref, err = name.NewDigest(repo.String() + "@" + tc.ref)
			}
			if err != nil {
				t.Fatal(err)
			}
			var gets int
			read := &counter{}
			c := New(read, nil).BeforeGet(func(context.Context) { gets++ })
			m, err := c.Manifest(context.Background(), ref, AcceptImage)
			if gets != 1 || accept.Load() != strings.Join(AcceptImage, ", ") {
				t.Errorf("%d GETs with Accept %q; want 1 with %q", gets, accept.Load(), strings.Join(AcceptImage, ", "))
			}
			if tc.want == "" {
				if err != nil || m.Digest != good || m.Image == nil || string(m.Raw) != testManifest {
					t.Fatalf("Manifest = %+v, %v; want the manifest, digest %s", m, err, good)
				}
				return
			}
			var re *Error
			if !errors.As(err, &re) || re.StatusCode != tc.status || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Manifest = %v; want an *Error (status %d) naming %q", err, tc.status, tc.want)
			}
			if notFound := errors.Is(err, ErrNotFound); notFound != (tc.status == http.StatusNotFound) {
				t.Errorf("errors.Is(ErrNotFound) = %v for status %d", notFound, tc.status)
			}
			if n := read.n.Load(); n > MaxManifest+1 {
				t.Errorf("%d bytes read; want at most the limit", n)
			}
		})
	}
}

func TestBlobAndContent(t *testing.T) {
	blob := []byte(`{"payload":"x"}`)
	h := SHA256(blob)
	for _, tc := range []struct {
		name string
		a    answer
		size int64
		data []byte // embedded in the descriptor
		want string
	}{
		{"blob", answer{body: string(blob)}, int64(len(blob)), nil, ""},
		{"embedded", answer{status: http.StatusInternalServerError}, int64(len(blob)), blob, ""},
		{"embedded data of other bytes", answer{}, int64(len(blob)), []byte(`{"payload":"y"}`), "does not match its descriptor"},
		{"other bytes", answer{body: `{"payload":"y"}`}, int64(len(blob)), nil, "hashing to"},
		{"longer than declared", answer{body: string(blob), pad: 1 << 20}, int64(len(blob)), nil, "its descriptor declares"},
		{"shorter than declared", answer{body: string(blob)}, int64(len(blob)) + 1, nil, "its descriptor declares"},
		{"declared over the limit", answer{body: string(blob)}, 1 << 30, nil, "more than the 1048576 byte limit"},
		{"negative size", answer{body: string(blob)}, -1, nil, "negative size"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo, _ := testRegistry(t, map[string]answer{"/v2/r/blobs/" + h.String(): tc.a})
			d := v1.Descriptor{MediaType: "x", Digest: h, Size: tc.size, Data: tc.data}
			read := &counter{}
			b, err := New(read, nil).Content(context.Background(), repo, d, 1<<20)
			if tc.want == "" {
				if err != nil || string(b) != string(blob) {
					t.Fatalf("Content = %q, %v; want the blob", b, err)
				}
				return
			}
			var re *Error
			if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Content = %v; want an *Error naming %q", err, tc.want)
			}
			most := tc.size + 1 // a body longer than declared is read one byte past it
			if tc.size > 1<<20 || tc.size < 0 {
				most = 0 // refused before any request
			}
			if n := read.n.Load(); n > most {
				t.Errorf("%d bytes read; want at most %d", n, most)
			}
		})
	}
}
