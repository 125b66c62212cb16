//go:build e2e

package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/repro"
)

// reproRun runs `mcpbuild repro -o json` and decodes its report.
func reproRun(t *testing.T, args ...string) (reproJSON, string, int, error) {
	t.Helper()
	out, stderr, code, err := run(t, append([]string{"repro", "--progress", "quiet", "-o", "json"}, args...)...)
	var j reproJSON
	if out != "" {
		if jerr := json.Unmarshal([]byte(out), &j); jerr != nil {
			t.Fatalf("stdout is not the report: %v\n%s", jerr, out)
		}
	}
	return j, stderr, code, err
}

// TestE2ERepro: a built pin rebuilds to its digest (exit 0); an image tampered under the
// published tag (a label; a file in the last layer) is named (exit 1) and its tag is not
// moved; a registry that does not answer is exit 3.
func TestE2ERepro(t *testing.T) {
	s := e2e(t)
	tag := fmt.Sprintf("e2e-repro-%d", time.Now().UnixNano())
	pattern := filepath.Join(s.catalog, "pinned")
	out, stderr, code, err := run(t, "build", "--registry", s.registry, "--tag", tag, "--no-cache", "--progress", "quiet", "-o", "json", s.mirror(), pattern)
	if code != 0 {
		t.Fatalf("build: exit %d, %v\n%s", code, err, stderr)
	}
	var built []resultJSON
	if err := json.Unmarshal([]byte(out), &built); err != nil || len(built) != 1 {
		t.Fatalf("build output %q: %v", out, err)
	}
	published, _ := name.NewDigest(built[0].Image)

	j, stderr, code, err := reproRun(t, "--registry", s.registry, "--tag", tag, "--repro-tag", tag+"-r", s.mirror(), pattern)
	if code != cliutil.ExitOK || len(j.Reports) != 1 || j.Reports[0].Status != repro.Reproducible || j.Reports[0].Published != published.String() {
		t.Fatalf("repro of an untouched pin: exit %d, %v, %+v\n%s", code, err, j, stderr)
	}

	// --repro-repository on another registry name (localhost: the same registry): the
	// rebuild goes to <repo>/<repository>, same digest; the published image is still read
	// from --registry.
	reproReg := strings.Replace(s.registry, "127.0.0.1", "localhost", 1)
	j, stderr, code, err = reproRun(t, "--registry", s.registry, "--tag", tag, "--repro-repository", reproReg+"/mcpbuild-e2e/repro", "--repro-tag", tag, s.mirror(), pattern)
	want := reproReg + "/mcpbuild-e2e/repro/mcp/pinned@" + published.DigestStr()
	if code != cliutil.ExitOK || len(j.Reports) != 1 || j.Reports[0].Rebuilt != want || j.Reports[0].Published != published.String() {
		t.Fatalf("repro --repro-repository: exit %d, %v, %+v; want rebuilt %s, published %s\n%s", code, err, j, want, published, stderr)
	}
	if got := tagDigest(t, published.Context().Registry.Repo("mcpbuild-e2e/repro/mcp/pinned").Tag(tag)); got != published.DigestStr() {
		t.Errorf("--repro-repository tag at %s, want %s", got, published.DigestStr())
	}

	// A label changed under the published tag: named, exit 1; IMAGE form with --catalog.
	img, err := remote.Image(published)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.Config.Labels["tampered"] = "yes"
	labelled, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	tagRef := published.Context().Tag(tag)
	if err := remote.Write(tagRef, labelled); err != nil {
		t.Fatal(err)
	}
	j, stderr, code, err = reproRun(t, "--catalog", s.catalog, "--repro-tag", tag+"-r", s.mirror(), tagRef.String())
	d := difference(j)
	if code != cliutil.ExitFailed || d == nil || d.Kind != repro.KindConfig || d.Path != `config.Labels["tampered"]` || d.Rebuilt != "(absent)" {
		t.Fatalf("repro of a relabelled image: exit %d, %v, %+v\n%s", code, err, d, stderr)
	}
	if got := tagDigest(t, tagRef); got != imageDigest(t, labelled) {
		t.Errorf("repro moved the published tag to %s", got)
	}

	// A file added in the last layer: that layer and the file are named.
	tampered := withFileInLastLayer(t, img, "etc/tampered")
	if err := remote.Write(tagRef, tampered); err != nil {
		t.Fatal(err)
	}
	j, stderr, code, err = reproRun(t, "--registry", s.registry, "--tag", tag, "--repro-tag", tag+"-r", s.mirror(), pattern)
	d = difference(j)
	if code != cliutil.ExitFailed || d == nil || d.Kind != repro.KindLayer || d.Layer == nil {
		t.Fatalf("repro of an image with a file added: exit %d, %v, %+v\n%s", code, err, d, stderr)
	}
	m, _ := img.Manifest()
	if *d.Layer != len(m.Layers)-1 || !slices.ContainsFunc(d.Files, func(f repro.FileDiff) bool { return f.Path == "etc/tampered" && f.Only == "published" }) {
		t.Errorf("difference %+v, want layer %d with etc/tampered only in published", d, len(m.Layers)-1)
	}

	// The registry does not answer: could not check.
	j, _, code, err = reproRun(t, "--registry", closedAddr(t), "--tag", tag, s.mirror(), pattern)
	if code != cliutil.ExitUnreachable || len(j.Reports) != 1 || j.Reports[0].Status != repro.Failed {
		t.Errorf("repro with the registry down: exit %d, %v, %+v; want 3", code, err, j)
	}
}

func difference(j reproJSON) *repro.Difference {
	if len(j.Reports) != 1 {
		return nil
	}
	return j.Reports[0].Difference
}

func imageDigest(t *testing.T, img v1.Image) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func tagDigest(t *testing.T, ref name.Tag) string {
	t.Helper()
	desc, err := remote.Head(ref)
	if err != nil {
		t.Fatal(err)
	}
	return desc.Digest.String()
}

// withFileInLastLayer is img with its last layer replaced by one holding that layer's
// files and one more, the config otherwise unchanged (but its diff_id).
func withFileInLastLayer(t *testing.T, img v1.Image, extra string) v1.Image {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	last := ls[len(ls)-1]
	rc, err := last.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
	rc.Close()
	if err := tw.WriteHeader(&tar.Header{Name: extra, Typeflag: tar.TypeReg, Mode: 0o644, Size: 2, ModTime: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	tw.Write([]byte("x\n"))
	tw.Close()
	raw := buf.Bytes()
	nl, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil }, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	if cf.RootFS.DiffIDs[len(ls)-1], err = nl.DiffID(); err != nil {
		t.Fatal(err)
	}
	out, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), append(ls[:len(ls)-1:len(ls)-1], nl)...)
	if err != nil {
		t.Fatal(err)
	}
	out = mutate.ConfigMediaType(out, types.OCIConfigJSON)
	if out, err = mutate.ConfigFile(out, cf); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestE2EReproMultiPlatform: an index rebuilds to its digest for the same platforms; an
// index whose linux/arm64 image got another label is named by platform and field.
func TestE2EReproMultiPlatform(t *testing.T) {
	s := e2e(t)
	pattern := filepath.Join(filepath.Dir(platformsCatalog(t, s.git)), "platforms-copy")
	tag := fmt.Sprintf("e2e-repro-mp-%d", time.Now().UnixNano())
	plat := "--platform=linux/arm64,linux/amd64"
	out, stderr, code, err := run(t, "build", "--registry", s.registry, "--tag", tag, "--no-cache", plat, "--progress", "quiet", "-o", "json", pattern)
	var built []resultJSON
	if code != 0 || json.Unmarshal([]byte(out), &built) != nil || len(built) != 1 {
		t.Fatalf("build: exit %d, %v, %q\n%s", code, err, out, stderr)
	}
	j, stderr, code, err := reproRun(t, "--registry", s.registry, "--tag", tag, "--repro-tag", tag+"-r", plat, pattern)
	if code != cliutil.ExitOK || len(j.Reports) != 1 || j.Reports[0].Status != repro.Reproducible || j.Reports[0].Published != built[0].Image {
		t.Fatalf("repro of an index: exit %d, %v, %+v\n%s", code, err, j, stderr)
	}

	published, _ := name.NewDigest(built[0].Image)
	idx, err := remote.Index(published)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	var tampered v1.ImageIndex = mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if d.Platform.Architecture == "arm64" {
			cf, _ := img.ConfigFile()
			cf = cf.DeepCopy()
			cf.Config.Labels["org.opencontainers.image.revision"] = "tampered"
			if img, err = mutate.ConfigFile(img, cf); err != nil {
				t.Fatal(err)
			}
		}
		tampered = mutate.AppendManifests(tampered, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: d.Platform}})
	}
	if err := remote.WriteIndex(published.Context().Tag(tag), tampered); err != nil {
		t.Fatal(err)
	}
	j, stderr, code, err = reproRun(t, "--registry", s.registry, "--tag", tag, "--repro-tag", tag+"-r", plat, pattern)
	d := difference(j)
	if code != cliutil.ExitFailed || d == nil || d.Platform != "linux/arm64" || d.Kind != repro.KindConfig ||
		d.Path != `config.Labels["org.opencontainers.image.revision"]` || d.Published != `"tampered"` {
		t.Errorf("repro of an index with arm64 relabelled: exit %d, %v, %+v\n%s", code, err, d, stderr)
	}
}
