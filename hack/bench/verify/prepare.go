package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// image is one image of the bench: its tag and the commit its revision label carries.
type image struct {
	server, repo, tag, commit string
}

// prepare pushes n labelled images through the proxy host, each to its own repository
// (mcpbench/<prefix>-NNN:v1) with its own commit in the revision label, and signs each
// with the cosign v2 CLI (the revision as a claim); with embed, each payload is then
// embedded in its .sig layer descriptor as mcpbuild publish writes it. jobs images are
// prepared at once.
func prepare(e env, host, sigRepo, prefix string, n int, embed bool, jobs int) ([]image, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	out := make([]image, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, max(jobs, 1))
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			img, err := prepareOne(ctx, e, host, sigRepo, fmt.Sprintf("%s-%03d", prefix, i), embed)
			if err != nil {
				errs <- fmt.Errorf("preparing image %d: %w", i, err)
				cancel()
				return
			}
			out[i] = img
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return out, nil
}

func prepareOne(ctx context.Context, e env, host, sigRepo, server string, embed bool) (image, error) {
	sum := sha1.Sum([]byte(server))
	commit := hex.EncodeToString(sum[:])
	repo, err := name.NewRepository(host + "/mcpbench/" + server)
	if err != nil {
		return image{}, err
	}
	img, err := random.Image(256, 1)
	if err != nil {
		return image{}, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return image{}, err
	}
	cf = cf.DeepCopy()
	cf.Config.Labels = map[string]string{revisionLabel: commit}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return image{}, err
	}
	tag := repo.Tag("v1")
	if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
		return image{}, err
	}
	h, err := img.Digest()
	if err != nil {
		return image{}, err
	}
	c := exec.CommandContext(ctx, e.cosign2, "sign", "--key", keyFile, "--rekor-url", e.rekorURL, "--yes",
		"-a", revisionLabel+"="+commit, repo.Digest(h.String()).String())
	c.Env = append(os.Environ(), "COSIGN_PASSWORD="+password, "COSIGN_REPOSITORY="+sigRepo)
	if err := execQuiet(c); err != nil {
		return image{}, err
	}
	if embed {
		if err := embedPayloads(ctx, sigRepo, h.Algorithm+"-"+h.Hex+".sig"); err != nil {
			return image{}, err
		}
	}
	return image{server: server, repo: "mcpbench/" + server, tag: tag.String(), commit: commit}, nil
}

// writeCatalog writes dir/<server>/server.yaml for each image, pinned to its commit, as
// a catalog mcpbuild published to the proxy's registry would be.
func writeCatalog(dir string, images []image) error {
	for _, im := range images {
		d := filepath.Join(dir, im.server)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		yaml := fmt.Sprintf("name: %s\nimage: %s\ntype: server\nabout:\n  title: Bench %s\nsource:\n  project: %s\n  commit: %s\n  directory: servers/%s\n",
			im.server, im.repo, im.server, project, im.commit, im.server)
		if err := os.WriteFile(filepath.Join(d, "server.yaml"), []byte(yaml), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// embedPayloads rewrites a cosign .sig manifest so that each layer descriptor carries its
// payload in the OCI "data" field, as mcpbuild publish writes it.
func embedPayloads(ctx context.Context, sigRepo, tag string) error {
	ref, err := name.NewTag(sigRepo + ":" + tag)
	if err != nil {
		return err
	}
	d, err := remote.Get(ref, remote.WithContext(ctx))
	if err != nil {
		return err
	}
	var m v1.Manifest
	if err := json.Unmarshal(d.Manifest, &m); err != nil {
		return err
	}
	for i, l := range m.Layers {
		bl, err := remote.Layer(ref.Context().Digest(l.Digest.String()), remote.WithContext(ctx))
		if err != nil {
			return err
		}
		rc, err := bl.Compressed()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		m.Layers[i].Data = b
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return remote.Put(ref, rawManifest{raw, d.MediaType}, remote.WithContext(ctx))
}

type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }
