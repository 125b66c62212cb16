//go:build e2e

package build_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/build"

	"github.com/mcpbuild/mcpbuild/internal/testbase"
)

// baseFixtureDigest is the digest the mcp-base fixture's digest/Dockerfile pins
// (FROM example.invalid/base@sha256:...): sha256("mcpbuild base fixture").
const baseFixtureDigest = "sha256:3b669b458e284daf8c5d180824d9fc3b9e5af3f0a4427031420037b125e8e890"

// pushBase pushes a fresh base image (testbase) to the stack's registry.
func pushBase(t *testing.T, e e2eEnv) (name.Digest, string) {
	t.Helper()
	marker := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	tag, err := name.NewTag(e.registry + "/mcpbuild-e2e/base:" + marker)
	if err != nil {
		t.Fatal(err)
	}
	d, err := testbase.Push(tag, marker)
	if err != nil {
		t.Fatal(err)
	}
	return d, marker
}

// resolvedDependencies returns the URIs and digests of a statement's
// predicate.buildDefinition.resolvedDependencies.
func resolvedDependencies(t *testing.T, statement []byte) []string {
	t.Helper()
	var st struct {
		Predicate struct {
			BuildDefinition struct {
				ResolvedDependencies []struct {
					URI    string            `json:"uri"`
					Digest map[string]string `json:"digest"`
				} `json:"resolvedDependencies"`
			} `json:"buildDefinition"`
		} `json:"predicate"`
	}
	if err := json.Unmarshal(statement, &st); err != nil {
		t.Fatalf("provenance: %v", err)
	}
	var out []string
	for _, d := range st.Predicate.BuildDefinition.ResolvedDependencies {
		out = append(out, d.URI+" sha256:"+d.Digest["sha256"])
	}
	return out
}

// TestE2EBaseImageOverride builds the mcp-base fixture, whose FROM images exist nowhere
// (example.invalid/base:1, the same pinned by digest, and the Docker Hub name
// mcpbuild-e2e-base:1), with each overridden to a base image pushed to the stack's
// registry: every build succeeds on that base (its file for the build's platform is in
// the image), and the provenance names the override by digest and not the original name.
// Without the override the build fails with the base image's registry unreachable.
func TestE2EBaseImageOverride(t *testing.T) {
	e := stack(t)
	d, marker := pushBase(t, e)
	commit := fixtureCommit(t, "mcp-base", "01-overridable")
	project := e.git + "/mcp-base.git"
	bs, err := build.ParseBaseImages([]string{
		"example.invalid/base:1=" + d.String(),
		"example.invalid/base@" + baseFixtureDigest + "=" + d.String(),
		// Written in full here, short in the Dockerfile: both are normalized.
		"docker.io/library/mcpbuild-e2e-base:1=" + d.String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(t, e, build.PlanOptions{BaseImages: bs})
	for _, dir := range []string{"tag", "digest", "hub"} {
		t.Run(dir, func(t *testing.T) {
			r, err := b.Build(context.Background(), server("base-"+dir, project, commit, dir))
			if err != nil {
				t.Fatalf("Build() with --base-image = %v", err)
			}
			img, cfg := remoteImage(t, r.Image)
			plat := cfg.OS + "/" + cfg.Architecture
			if got, want := imageFile(t, img, testbase.BaseFile), testbase.Content(marker, plat); got != want {
				t.Errorf("/%s = %q, want the override's %q", testbase.BaseFile, got, want)
			}
			if got := imageFile(t, img, "server.txt"); got != "server on an overridden base ("+dir+")\n" {
				t.Errorf("/server.txt = %q", got)
			}
			checkBaseProvenance(t, r, d)
		})
	}

	// Without the override: example.invalid never resolves.
	plain := newBuilder(t, e, build.PlanOptions{})
	_, err = plain.Build(context.Background(), server("base-tag", project, commit, "tag"))
	var ue *build.UnreachableError
	if !errors.As(err, &ue) || ue.Service != build.ServiceRegistry || ue.Addr != "example.invalid" {
		t.Errorf("Build() without --base-image = %v, want registry example.invalid unreachable", err)
	}
	// An override by tag does not apply to a FROM pinned by digest (BuildKit matches the
	// reference as written): that image is overridden only by its own digest.
	tagOnly := newBuilder(t, e, build.PlanOptions{BaseImages: bs[:1]})
	_, err = tagOnly.Build(context.Background(), server("base-digest", project, commit, "digest"))
	if !errors.As(err, &ue) || ue.Addr != "example.invalid" || !strings.Contains(err.Error(), baseFixtureDigest) {
		t.Errorf("Build(FROM by digest) with only the tag overridden = %v, want example.invalid/base@%s unresolved", err, baseFixtureDigest)
	}
}

// TestE2EBaseImageOverrideMultiPlatform: a docker-image named context is resolved per
// platform, so each platform's image of an index is built on the override's image for
// that platform.
func TestE2EBaseImageOverrideMultiPlatform(t *testing.T) {
	e := stack(t)
	d, marker := pushBase(t, e)
	commit := fixtureCommit(t, "mcp-base", "01-overridable")
	bs, err := build.ParseBaseImages([]string{"example.invalid/base:1=" + d.String()})
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(t, e, build.PlanOptions{BaseImages: bs, Platforms: testbase.Platforms})
	r, err := b.Build(context.Background(), server("base-tag-multi", e.git+"/mcp-base.git", commit, "tag"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Platforms) != len(testbase.Platforms) {
		t.Fatalf("Result.Platforms = %+v, want %v", r.Platforms, testbase.Platforms)
	}
	for _, p := range r.Platforms {
		img, _ := remoteImage(t, p.Manifest)
		if got, want := imageFile(t, img, testbase.BaseFile), testbase.Content(marker, p.Platform); got != want {
			t.Errorf("%s: /%s = %q, want %q", p.Platform, testbase.BaseFile, got, want)
		}
	}
	checkBaseProvenance(t, r, d)
	checkIndexProvenance(t, r, commit)
}

// checkBaseProvenance checks that r's provenance names the override base by digest
// among its resolved dependencies, and no image by the name the Dockerfile uses.
func checkBaseProvenance(t *testing.T, r *build.Result, base name.Digest) {
	t.Helper()
	deps := resolvedDependencies(t, r.Provenance)
	found := false
	for _, dep := range deps {
		if strings.HasPrefix(dep, "pkg:docker/"+base.Context().Name()+"?digest="+base.DigestStr()) && strings.HasSuffix(dep, " "+base.DigestStr()) {
			found = true
		}
		if strings.Contains(dep, "example.invalid") || strings.Contains(dep, "mcpbuild-e2e-base") {
			t.Errorf("provenance names the replaced image: %s", dep)
		}
	}
	if !found {
		t.Errorf("provenance resolvedDependencies %q do not name the override %s", deps, base)
	}
}
