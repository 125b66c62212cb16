//go:build e2e

package build_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
)

var twoPlatforms = []string{"linux/arm64", "linux/amd64"} // sorted by ParsePlatforms

// TestE2EMultiPlatform builds the mcp-platforms fixture for linux/amd64 and linux/arm64
// (no RUN step: nothing is emulated): one OCI index whose platform images each carry the
// labels, per-platform content from a $BUILDPLATFORM stage picking TARGETARCH's file, one
// provenance statement about the index and every platform manifest, and the same index
// digest from two --no-cache builds.
func TestE2EMultiPlatform(t *testing.T) {
	e := stack(t)
	commit := fixtureCommit(t, "mcp-platforms", "01-multiarch")
	project := e.git + "/mcp-platforms.git"
	b := newBuilder(t, e, build.PlanOptions{Platforms: twoPlatforms, NoCache: true})
	for _, dir := range []string{"copy", "crossbuild"} {
		t.Run(dir, func(t *testing.T) {
			s := server("platforms-"+dir, project, commit, dir)
			r1, err := b.Build(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			idx, err := remote.Index(r1.Image)
			if err != nil {
				t.Fatalf("reading the index %s: %v", r1.Image, err)
			}
			im, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			if len(im.Manifests) != 2 || len(r1.Platforms) != 2 {
				t.Fatalf("index %s has %d manifests, Result.Platforms %+v; want 2", r1.Image, len(im.Manifests), r1.Platforms)
			}
			for i, want := range []string{"linux/amd64", "linux/arm64"} {
				p := r1.Platforms[i]
				if p.Platform != want || p.Manifest.Context() != r1.Image.Context() {
					t.Fatalf("Result.Platforms[%d] = %+v, want %s in %s", i, p, want, r1.Image.Context())
				}
				img, cfg := remoteImage(t, p.Manifest)
				if cfg.OS+"/"+cfg.Architecture != want {
					t.Errorf("%s: config is for %s/%s", want, cfg.OS, cfg.Architecture)
				}
				if cfg.Config.Labels[catalog.RevisionLabel] != commit || cfg.Config.Labels[catalog.SourceLabel] != project {
					t.Errorf("%s: labels %v, want revision %s and source %s", want, cfg.Config.Labels, commit, project)
				}
				if dir == "crossbuild" {
					arch := strings.TrimPrefix(want, "linux/")
					if got := imageFile(t, img, "server"); got != "server for "+arch+"\n" {
						t.Errorf("%s: /server = %q, want the %s file", want, got, arch)
					}
				}
			}
			checkIndexProvenance(t, r1, commit)
			r2, err := b.Build(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if r1.Image.DigestStr() != r2.Image.DigestStr() {
				t.Errorf("two no-cache builds of one pin: index %s and %s", r1.Image.DigestStr(), r2.Image.DigestStr())
			}
		})
	}
}

// checkIndexProvenance checks that r's statement is about the index and each platform
// manifest, built from the pin, with every platform's internal parameters.
func checkIndexProvenance(t *testing.T, r *build.Result, commit string) {
	t.Helper()
	var st struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate struct {
			BuildDefinition struct {
				InternalParameters struct {
					Platforms map[string]struct {
						TargetPlatform string `json:"targetPlatform"`
					} `json:"platforms"`
				} `json:"internalParameters"`
			} `json:"buildDefinition"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(r.Provenance, &st); err != nil {
		t.Fatalf("provenance: %v", err)
	}
	want := []string{r.Image.DigestStr()}
	for _, p := range r.Platforms {
		want = append(want, p.Manifest.DigestStr())
	}
	if len(st.Subject) != len(want) {
		t.Fatalf("provenance subjects %+v, want %v", st.Subject, want)
	}
	for i, w := range want {
		if "sha256:"+st.Subject[i].Digest["sha256"] != w {
			t.Errorf("provenance subject %d = %v, want %s", i, st.Subject[i].Digest, w)
		}
	}
	src, err := build.ParseProvenanceSource(r.Provenance)
	if err != nil || src.SHA1 != commit {
		t.Errorf("provenance source %+v, %v; want commit %s", src, err, commit)
	}
	for _, p := range r.Platforms {
		if got := st.Predicate.BuildDefinition.InternalParameters.Platforms[p.Platform].TargetPlatform; got != p.Platform {
			t.Errorf("provenance internalParameters.platforms[%s].targetPlatform = %q", p.Platform, got)
		}
	}
}
