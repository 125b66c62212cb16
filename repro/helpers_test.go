package repro

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// epoch is every test file's mtime unless a test says otherwise.
var epoch = time.Unix(1700000000, 0).UTC()

// file is one tar entry of a test layer.
type file struct {
	name, body string
	mode       int64
	mtime      time.Time
}

// layer is a gzip OCI layer holding files, in order.
func layer(t *testing.T, files ...file) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		mode, mt := f.mode, f.mtime
		if mode == 0 {
			mode = 0o644
		}
		if mt.IsZero() {
			mt = epoch
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: mode, Size: int64(len(f.body)), ModTime: mt, Format: tar.FormatPAX}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	raw := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// image is an OCI image of layers with labels.
func image(t *testing.T, labels map[string]string, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layers...)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Labels = labels
	cf.Created = v1.Time{Time: epoch}
	cf.OS, cf.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// threeLayers is the base test image: three layers, the third holding app/main.py.
func threeLayers(t *testing.T, app file) v1.Image {
	return image(t, map[string]string{"org.opencontainers.image.revision": strings.Repeat("a", 40)},
		layer(t, file{name: "etc/os-release", body: "ID=test\n"}),
		layer(t, file{name: "usr/lib/libx.so", body: "ELF"}),
		layer(t, file{name: "app/README", body: "hi"}, app))
}

// testRegistry is an in-process registry and a client reading it.
func testRegistry(t *testing.T) (string, *ocireg.Client) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), ocireg.New(nil, nil)
}

// push writes img (an image or an index) to ref and returns it by digest.
func push(t *testing.T, ref string, img remote.Taggable) name.Digest {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	var h v1.Hash
	switch v := img.(type) {
	case v1.Image:
		err = remote.Write(tag, v)
		if err == nil {
			h, err = v.Digest()
		}
	case v1.ImageIndex:
		err = remote.WriteIndex(tag, v)
		if err == nil {
			h, err = v.Digest()
		}
	}
	if err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return tag.Context().Digest(h.String())
}

func readAll(t *testing.T, rc io.ReadCloser) []byte {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
