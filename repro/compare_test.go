package repro

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcpbuild/mcpbuild/fault"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// compare pushes both images to one repository and compares them.
func compare(t *testing.T, published, rebuilt any) *Difference {
	t.Helper()
	host, reg := testRegistry(t)
	pub := push(t, host+"/mcp/fetch:latest", published.(taggable))
	reb := push(t, host+"/mcp/fetch:repro", rebuilt.(taggable))
	c, err := NewComparer(reg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Compare(context.Background(), pub, reb)
	if err != nil {
		t.Fatalf("Compare() error: %v", err)
	}
	return d
}

type taggable = interface {
	Digest() (v1.Hash, error)
	MediaType() (types.MediaType, error)
	RawManifest() ([]byte, error)
}

func TestCompareIdentical(t *testing.T) {
	app := file{name: "app/main.py", body: "print(1)\n"}
	if d := compare(t, threeLayers(t, app), threeLayers(t, app)); d != nil {
		t.Errorf("Compare() of two builds of one image = %+v, want nil", d)
	}
}

func TestCompareLabel(t *testing.T) {
	app := file{name: "app/main.py", body: "print(1)\n"}
	pub := threeLayers(t, app)
	reb, err := mutate.Config(threeLayers(t, app), v1.Config{Labels: map[string]string{
		"org.opencontainers.image.revision": strings.Repeat("a", 40), "x": "tampered"}})
	if err != nil {
		t.Fatal(err)
	}
	d := compare(t, pub, reb)
	if d == nil || d.Kind != KindConfig || d.Path != `config.Labels["x"]` || d.Published != "(absent)" || d.Rebuilt != `"tampered"` {
		t.Errorf("Compare() = %+v, want config.Labels[\"x\"] (absent) vs \"tampered\"", d)
	}
}

func TestCompareLayerCount(t *testing.T) {
	app := file{name: "app/main.py", body: "print(1)\n"}
	pub := threeLayers(t, app)
	reb, err := mutate.AppendLayers(threeLayers(t, app), layer(t, file{name: "extra", body: "x"}))
	if err != nil {
		t.Fatal(err)
	}
	d := compare(t, pub, reb)
	if d == nil || d.Kind != KindLayers || d.Published != "3" || d.Rebuilt != "4" {
		t.Errorf("Compare() = %+v, want layers 3 vs 4", d)
	}
}

func TestCompareFileContent(t *testing.T) {
	pub := threeLayers(t, file{name: "app/main.py", body: "print(1)\n"})
	reb := threeLayers(t, file{name: "./app/main.py", body: "print(2)\n"})
	d := compare(t, pub, reb)
	if d == nil || d.Kind != KindLayer || d.Layer == nil || *d.Layer != 2 {
		t.Fatalf("Compare() = %+v, want layer 2", d)
	}
	want := []FileDiff{{Path: "app/main.py", Fields: []string{"content"}}}
	if len(d.Files) != 1 || d.Files[0].Path != want[0].Path || !slices.Equal(d.Files[0].Fields, want[0].Fields) ||
		!strings.HasPrefix(d.Files[0].Detail, "content sha256:") || d.MoreFiles != 0 {
		t.Errorf("Files = %+v, want %+v", d.Files, want)
	}
}

func TestCompareMtime(t *testing.T) {
	pub := threeLayers(t, file{name: "app/main.py", body: "print(1)\n"})
	reb := threeLayers(t, file{name: "app/main.py", body: "print(1)\n", mtime: epoch.Add(3600e9)})
	d := compare(t, pub, reb)
	if d == nil || d.Kind != KindLayer || *d.Layer != 2 || len(d.Files) != 1 || !slices.Equal(d.Files[0].Fields, []string{"mtime"}) {
		t.Fatalf("Compare() = %+v, want layer 2, app/main.py mtime", d)
	}
	if want := "mtime 2023-11-14T22:13:20Z -> 2023-11-14T23:13:20Z"; d.Files[0].Detail != want {
		t.Errorf("Detail = %q, want %q", d.Files[0].Detail, want)
	}
}

// Files only on one side, mode changes, and the cap on how many are listed.
func TestCompareManyFiles(t *testing.T) {
	var a, b []file
	for i := range 60 {
		a = append(a, file{name: fmt.Sprintf("f%02d", i), body: "x"})
		b = append(b, file{name: fmt.Sprintf("f%02d", i), body: "x", mode: 0o755})
	}
	a = append(a, file{name: "gone", body: "1"})
	b = append(b, file{name: "new", body: "1"})
	d := compare(t, image(t, nil, layer(t, a...)), image(t, nil, layer(t, b...)))
	if d == nil || d.Kind != KindLayer || len(d.Files) != MaxFiles || d.MoreFiles != 12 {
		t.Fatalf("Compare() = %+v, want %d files and 12 more", d, MaxFiles)
	}
	if f := d.Files[0]; f.Path != "f00" || f.Detail != "mode 0644 -> 0755" {
		t.Errorf("first file %+v, want f00 mode 0644 -> 0755", f)
	}
	d = compare(t, image(t, nil, layer(t, file{name: "gone", body: "1"})), image(t, nil, layer(t, file{name: "new", body: "1"})))
	if d == nil || len(d.Files) != 2 || d.Files[0].Only != "published" || d.Files[1].Only != "rebuilt" {
		t.Errorf("Compare() = %+v, want gone only published, new only rebuilt", d)
	}
}

// index is an OCI index of images by platform.
func index(t *testing.T, imgs map[string]v1.Image) v1.ImageIndex {
	t.Helper()
	var idx v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		img, ok := imgs[p]
		if !ok {
			continue
		}
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat}})
	}
	return idx
}

func TestCompareIndexPlatform(t *testing.T) {
	app := file{name: "app/main.py", body: "print(1)\n"}
	amd := threeLayers(t, app)
	arm := image(t, map[string]string{"arch": "arm64"}, layer(t, app))
	arm2 := image(t, map[string]string{"arch": "arm64"}, layer(t, file{name: "app/main.py", body: "print(1)\n", mode: 0o600}))
	d := compare(t, index(t, map[string]v1.Image{"linux/amd64": amd, "linux/arm64": arm}),
		index(t, map[string]v1.Image{"linux/amd64": amd, "linux/arm64": arm2}))
	if d == nil || d.Platform != "linux/arm64" || d.Kind != KindLayer || *d.Layer != 0 || len(d.Files) != 1 || d.Files[0].Detail != "mode 0644 -> 0600" {
		t.Errorf("Compare() = %+v, want linux/arm64 layer 0 app/main.py mode", d)
	}
	d = compare(t, index(t, map[string]v1.Image{"linux/amd64": amd, "linux/arm64": arm}), index(t, map[string]v1.Image{"linux/amd64": amd}))
	if d == nil || d.Kind != KindPlatforms || d.Published != "linux/amd64, linux/arm64" || d.Rebuilt != "linux/amd64" {
		t.Errorf("Compare() = %+v, want platforms", d)
	}
	d = compare(t, index(t, map[string]v1.Image{"linux/amd64": amd}), amd)
	if d == nil || d.Kind != KindManifest || d.Path != "mediaType" || d.Rebuilt != string(types.OCIManifestSchema1) {
		t.Errorf("Compare() = %+v, want mediaType", d)
	}
}

// A layer of another compression is named, its files not listed; the answer stands.
func TestCompareUnlistedLayer(t *testing.T) {
	withType := func(body, mt string) v1.Image {
		img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: layer(t, file{name: "a", body: body}), MediaType: types.MediaType(mt)})
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	d := compare(t, withType("1", string(types.OCILayer)), withType("2", "application/vnd.oci.image.layer.v1.tar+zstd"))
	if d == nil || d.Kind != KindLayer || !strings.Contains(d.Note, "tar+zstd") || len(d.Files) != 0 {
		t.Errorf("Compare() = %+v, want layer 0 with a note on zstd", d)
	}
}

// Config keys from the registry are quoted in paths; created and history are fields.
func TestJSONDiffPaths(t *testing.T) {
	for _, tc := range []struct{ a, b, path string }{
		{`{"created":"1"}`, `{"created":"2"}`, "created"},
		{`{"history":[{"created_by":"a"},{"created_by":"b"}]}`, `{"history":[{"created_by":"a"},{"created_by":"c"}]}`, "history[1].created_by"},
		{`{"config":{"Labels":{"a\nb|@x":"1"}}}`, `{"config":{"Labels":{}}}`, `config.Labels["a\nb|@x"]`},
		{`{"x-y":1}`, `{"x-y":2}`, `["x-y"]`},
		{`{"a":[1]}`, `{"a":[1,2]}`, "a[1]"},
		{`{"a":{"b":1}}`, `{"a":[1]}`, "a"},
	} {
		p, _, _, found, err := jsonDiff([]byte(tc.a), []byte(tc.b), nil)
		if err != nil || !found || p != tc.path {
			t.Errorf("jsonDiff(%s, %s) = %q, %v, %v; want %q", tc.a, tc.b, p, found, err, tc.path)
		}
	}
	if _, _, _, found, _ := jsonDiff([]byte(`{"a": 1}`), []byte(`{"a":1}`), nil); found {
		t.Error("jsonDiff of equal values found a difference")
	}
}

// A gzip bomb or a tar of too many entries is not listed, and says why.
func TestListLayerBounds(t *testing.T) {
	l := layer(t, file{name: "big", body: strings.Repeat("0", 1<<20)})
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	blob := readAll(t, rc)
	_, err = listLayer(blob, string(types.OCILayer), 64<<10)
	var nl *errNotListed
	if !errors.As(err, &nl) || !strings.Contains(nl.why, "uncompressed bytes") {
		t.Errorf("listLayer over the bound = %v, want a not-listed error", err)
	}
	if _, err := listLayer(blob, string(types.OCILayer), 4<<20); err != nil {
		t.Errorf("listLayer within the bound: %v", err)
	}
}

// Content that was read but cannot be compared (a config that is not JSON) decides
// nothing: "could not check", never "different".
func TestCompareUnparsableContent(t *testing.T) {
	c, err := NewComparer(ocireg.New(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.fields(KindConfig, "", []byte("{"), []byte("{}"))
	if err == nil || fault.KindOf(err) != fault.Unreachable {
		t.Errorf("fields(not JSON) = %v (kind %v), want an Unreachable error", err, fault.KindOf(err))
	}
}
