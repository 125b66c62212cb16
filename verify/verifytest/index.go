package verifytest

import (
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// pushIndex pushes a two-platform index whose linux/amd64 image has the label.
func (f *Fixture) PushIndex(repo name.Repository, tag, label string) name.Digest {
	f.T.Helper()
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"arm64", "amd64"} {
		img, err := random.Image(64, 1)
		if err != nil {
			f.T.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		if arch == "amd64" {
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
