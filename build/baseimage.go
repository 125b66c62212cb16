package build

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// MaxBaseImages bounds the base-image overrides of one build.
const MaxBaseImages = 64

// namedContextPrefix is the dockerfile frontend's option prefix of a named build
// context: "context:<name>" replaces the image (or stage) <name> wherever the Dockerfile
// uses it, in FROM and in COPY --from.
const namedContextPrefix = "context:"

// BaseImage replaces one base image in every build (PlanOptions.BaseImages): the
// Dockerfile is left as it is, and every FROM naming Name builds on Ref instead, through
// a BuildKit named build context "docker-image://<Ref>".
type BaseImage struct {
	// Name is the image as FROM lines name it, e.g. "example.invalid/base:1",
	// "alpine:3.20" (the same as "docker.io/library/alpine:3.20") or, for a FROM pinned
	// by digest, "alpine@sha256:...". It is matched the way BuildKit's dockerfile
	// frontend matches named contexts: both are normalized (docker.io/library/ implied,
	// ":latest" implied), and an image named by digest is overridden only by a Name with
	// that digest.
	Name string
	// Ref is the image built on instead: a registry reference with a tag, a digest or
	// both (the digest wins). By digest the build is reproducible; by tag BuildKit
	// resolves the tag at every build. Either way the provenance records the digest used.
	Ref string
}

// String is "Name=Ref", as given to --base-image.
func (b BaseImage) String() string { return b.Name + "=" + b.Ref }

// Pinned says whether Ref names its image by digest.
func (b BaseImage) Pinned() bool {
	r, err := reference.ParseNormalizedNamed(b.Ref)
	if err != nil {
		return false
	}
	_, ok := r.(reference.Digested)
	return ok
}

// ParseBaseImages reads --base-image values, each NAME=REF. It refuses a value without
// '=', an empty NAME or REF, either that is not an image reference (distribution's
// parser, the one BuildKit uses: lower-case repository, valid tag and digest), a NAME
// the frontend never overrides ("scratch", "context"), one NAME given twice (after
// normalizing, so "alpine" and "docker.io/library/alpine:latest" are one NAME), and more
// than MaxBaseImages. Names are normalized like BuildKit's named context keys; Refs are
// normalized to their full form (docker.io/library/... for a bare name). Nil when no
// value is given.
func ParseBaseImages(values []string) ([]BaseImage, error) {
	if len(values) > MaxBaseImages {
		return nil, fmt.Errorf("%d base images given, at most %d", len(values), MaxBaseImages)
	}
	var out []BaseImage
	seen := map[string]string{}
	for _, v := range values {
		n, r, ok := strings.Cut(v, "=")
		if !ok {
			return nil, fmt.Errorf("base image %q: want NAME=REF, e.g. alpine:3.20=mirror.internal/alpine@sha256:...", v)
		}
		b, err := normalizeBaseImage(BaseImage{Name: n, Ref: r})
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[b.Name]; dup {
			return nil, fmt.Errorf("base image %q is overridden twice (%q and %q)", b.Name, prev, v)
		}
		seen[b.Name] = v
		out = append(out, b)
	}
	return out, nil
}

// normalizeBaseImage checks b and returns it with Name as BuildKit's named context key
// and Ref in full.
func normalizeBaseImage(b BaseImage) (BaseImage, error) {
	if strings.TrimSpace(b.Name) == "" || strings.TrimSpace(b.Ref) == "" {
		return BaseImage{}, fmt.Errorf("base image %q: want NAME=REF, both non-empty", b.String())
	}
	n, err := reference.ParseNormalizedNamed(b.Name)
	if err != nil {
		return BaseImage{}, fmt.Errorf("base image %q: NAME %q is not an image reference: %v", b.String(), b.Name, err)
	}
	// BuildKit (frontend/dockerui Client.NamedContext) looks a FROM image up under the
	// key "context:" + its familiar form without ":latest".
	name := strings.TrimSuffix(reference.FamiliarString(n), ":latest")
	switch name {
	case "scratch", "context":
		return BaseImage{}, fmt.Errorf("base image %q: the dockerfile frontend never overrides %q", b.String(), name)
	}
	r, err := reference.ParseNormalizedNamed(b.Ref)
	if err != nil {
		return BaseImage{}, fmt.Errorf("base image %q: REF %q is not an image reference: %v", b.String(), b.Ref, err)
	}
	return BaseImage{Name: name, Ref: reference.TagNameOnly(r).String()}, nil
}

// baseImageAttrs returns the frontend options that apply bs: one named context each.
func baseImageAttrs(bs []BaseImage) (map[string]string, error) {
	if len(bs) > MaxBaseImages {
		return nil, fmt.Errorf("%d base images given, at most %d", len(bs), MaxBaseImages)
	}
	attrs := map[string]string{}
	for _, b := range bs {
		nb, err := normalizeBaseImage(b)
		if err != nil {
			return nil, err
		}
		k := namedContextPrefix + nb.Name
		if _, dup := attrs[k]; dup {
			return nil, fmt.Errorf("base image %q is overridden twice", nb.Name)
		}
		attrs[k] = "docker-image://" + nb.Ref
	}
	return attrs, nil
}

// unresolvedImageMarker is how BuildKit reports an image (a FROM image or a named
// context's) whose manifest it could not read: "... for <ref>: <why>".
const unresolvedImageMarker = "failed to resolve source metadata for "

// unresolvedImageRegistry returns the registry host of the image a solve error says
// BuildKit could not resolve (msg lower case), e.g. "example.invalid" or "docker.io".
func unresolvedImageRegistry(msg string) (string, bool) {
	_, rest, ok := strings.Cut(msg, unresolvedImageMarker)
	if !ok {
		return "", false
	}
	ref, _, _ := strings.Cut(rest, ": ")
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", false
	}
	return reference.Domain(n), true
}
