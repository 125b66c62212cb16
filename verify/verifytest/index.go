package verifytest

import (
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// PushIndex pushes a two-platform index (linux/arm64, linux/amd64) whose images both
// have the label.
func (f *Fixture) PushIndex(repo name.Repository, tag, label string) name.Digest {
	f.T.Helper()
	return f.PushIndexLabels(repo, tag, map[string]string{"arm64": label, "amd64": label})
}

// PushIndexLabels pushes an index of one linux image per architecture in labels (in
// sorted order), each with its revision label ("" for none).
func (f *Fixture) PushIndexLabels(repo name.Repository, tag string, labels map[string]string) name.Digest {
	f.T.Helper()
	var adds []mutate.IndexAddendum
	for _, arch := range slices.Sorted(maps.Keys(labels)) {
		img, err := random.Image(64, 1)
		if err != nil {
			f.T.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		if label := labels[arch]; label != "" {
			cf.Config.Labels = map[string]string{catalog.RevisionLabel: label}
		}
		img, err = mutate.ConfigFile(img, cf)
		if err != nil {
			f.T.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	if err := remote.WriteIndex(repo.Tag(tag), idx); err != nil {
		f.T.Fatal(err)
	}
	h, _ := idx.Digest()
	return repo.Digest(h.String())
}

// indexChildren returns the manifest digests of the index img (none when img is no
// index the fixture registry serves).
func (f *Fixture) indexChildren(img name.Digest) []v1.Hash {
	idx, err := remote.Index(img)
	if err != nil {
		return nil
	}
	im, err := idx.IndexManifest()
	if err != nil || !im.MediaType.IsIndex() {
		return nil
	}
	var out []v1.Hash
	for _, d := range im.Manifests {
		out = append(out, d.Digest)
	}
	return out
}

// WriteKeys writes the public signing key and the Rekor log key as PEM files in dir
// and returns their paths.
func (f *Fixture) WriteKeys(dir string) (key, rekorKey string) {
	f.T.Helper()
	key, rekorKey = filepath.Join(dir, "test-only-cosign.pub"), filepath.Join(dir, "test-only-rekor.pub")
	if err := os.WriteFile(key, PEM(f.T, &f.Key.PublicKey), 0o644); err != nil {
		f.T.Fatal(err)
	}
	if err := os.WriteFile(rekorKey, PEM(f.T, &f.RekorKey.PublicKey), 0o644); err != nil {
		f.T.Fatal(err)
	}
	return key, rekorKey
}
