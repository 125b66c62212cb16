package testbase_test

import (
	"archive/tar"
	"io"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/internal/testbase"
)

func TestPush(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	tag, err := name.NewTag(u.Host + "/base:1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := testbase.Push(tag, "m1")
	if err != nil {
		t.Fatalf("Push() = %v", err)
	}
	idx, err := remote.Index(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range testbase.Platforms {
		plat, _ := v1.ParsePlatform(p)
		img, err := remote.Image(tag, remote.WithPlatform(*plat))
		if err != nil {
			t.Fatal(err)
		}
		if got := baseFile(t, img); got != testbase.Content("m1", p) {
			t.Errorf("%s: %s = %q, want %q", p, testbase.BaseFile, got, testbase.Content("m1", p))
		}
		cf, _ := img.ConfigFile()
		if cf.OS+"/"+cf.Architecture != p {
			t.Errorf("%s: config for %s/%s", p, cf.OS, cf.Architecture)
		}
	}
	if im, _ := idx.IndexManifest(); len(im.Manifests) != len(testbase.Platforms) {
		t.Errorf("index has %d manifests, want %d", len(im.Manifests), len(testbase.Platforms))
	}
	other, err := testbase.Push(tag, "m2")
	if err != nil || other == d {
		t.Errorf("Push(other marker) = %v, %v; want another digest than %v", other, err, d)
	}
}

func baseFile(t *testing.T, img v1.Image) string {
	t.Helper()
	tr := tar.NewReader(mutate.Extract(img))
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no %s: %v", testbase.BaseFile, err)
		}
		if h.Name == testbase.BaseFile {
			b, _ := io.ReadAll(tr)
			return string(b)
		}
	}
}
