package verify_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// children returns the platform manifests of idx by architecture.
func children(t *testing.T, idx name.Digest) map[string]string {
	t.Helper()
	ii, err := remote.Index(idx)
	if err != nil {
		t.Fatal(err)
	}
	im, err := ii.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range im.Manifests {
		out[d.Platform.Architecture] = d.Digest.Hex
	}
	return out
}

// withSubjects makes a statement's subjects the index and the given platform manifests.
func withSubjects(idx name.Digest, hexes ...string) func(map[string]any) {
	return func(st map[string]any) {
		h, _ := v1.NewHash(idx.DigestStr())
		subs := []any{map[string]any{"name": idx.Context().Name(), "digest": map[string]string{"sha256": h.Hex}}}
		for _, x := range hexes {
			subs = append(subs, map[string]any{"name": idx.Context().Name(), "digest": map[string]string{"sha256": x}})
		}
		st["subject"] = subs
	}
}

func requireProvenance(p verify.Policy) verify.Policy {
	p.Provenance = verify.ProvenanceRequired
	return p
}

func onlyPlatform(p verify.Policy, s string) verify.Policy {
	plat, err := v1.ParsePlatform(s)
	if err != nil {
		panic(err)
	}
	p.Platform = plat
	return p
}

// The provenance of an index must name every platform manifest checked as a subject.
func TestIndexProvenanceCoversEveryPlatform(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/idxprov")
	v, _ := newVerifier(f)
	idx := f.PushIndex(repo, "all", verifytest.PinCommit)
	f.Sign(idx)
	f.Attest(idx)
	vd, err := v.Verify(ctxT(t), idx, requireProvenance(policy()))
	if c := vd.Check(verify.CheckProvenance); err != nil || !vd.Verified || !strings.Contains(c.Detail, "(platforms linux/amd64, linux/arm64)") {
		t.Fatalf("Verify(index attested with every platform) = %+v, %v", vd, err)
	}

	kids := children(t, idx)
	for what, c := range map[string]struct {
		spec verifytest.ProvSpec
		want string // the platform named as not covered ("" verified)
		p    verify.Policy
	}{
		"index only":          {verifytest.ProvSpec{NoPlatforms: true}, "linux/amd64", policy()},
		"amd64 missing":       {verifytest.ProvSpec{Edit: withSubjects(idx, kids["arm64"])}, "linux/amd64", policy()},
		"arm64 missing":       {verifytest.ProvSpec{Edit: withSubjects(idx, kids["amd64"])}, "linux/arm64", policy()},
		"arm64 only, checked": {verifytest.ProvSpec{Edit: withSubjects(idx, kids["arm64"])}, "", onlyPlatform(policy(), "linux/arm64")},
		"arm64 only, amd64":   {verifytest.ProvSpec{Edit: withSubjects(idx, kids["arm64"])}, "linux/amd64", onlyPlatform(policy(), "linux/amd64")},
	} {
		f.Attest(idx, c.spec) // replaces the .att manifest
		vd, err := v.Verify(ctxT(t), idx, requireProvenance(c.p))
		pc := vd.Check(verify.CheckProvenance)
		switch {
		case err != nil:
			t.Errorf("%s: %v", what, err)
		case c.want == "" && !vd.Verified:
			t.Errorf("%s: %+v, want verified", what, vd)
		case c.want != "" && (vd.Verified || pc.Status != verify.StatusFail || !strings.Contains(pc.Detail, "does not cover platform "+c.want)):
			t.Errorf("%s: provenance %+v (verified %v), want a failure naming %s", what, pc, vd.Verified, c.want)
		}
	}
}

// Policy.Platform checks one platform; a platform the index lacks is a definite no
// naming it; a single image must be of the platform asked for.
func TestIndexPlatformPolicy(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/idxplat")
	v, _ := newVerifier(f)
	idx := f.PushIndexLabels(repo, "v1", map[string]string{"amd64": verifytest.OtherCommit, "arm64": verifytest.PinCommit})
	f.Sign(idx)
	f.Attest(idx)
	vd, err := v.Verify(ctxT(t), idx, policy())
	if err != nil || vd.Verified || !strings.HasPrefix(vd.Reason, "label: linux/amd64: ") {
		t.Errorf("Verify(every platform, amd64 mislabelled) = %+v, %v; want a label failure naming linux/amd64", vd, err)
	}
	vd, err = v.Verify(ctxT(t), idx, onlyPlatform(policy(), "linux/arm64"))
	if err != nil || !vd.Verified || vd.Check(verify.CheckLabel).Detail != "linux/arm64: org.opencontainers.image.revision="+verifytest.PinCommit {
		t.Errorf("Verify(--platform linux/arm64) = %+v, %v; want verified", vd, err)
	}
	vd, err = v.Verify(ctxT(t), idx, onlyPlatform(policy(), "linux/s390x"))
	if err != nil || vd.Verified || vd.Indeterminate || !strings.Contains(vd.Reason, "no manifest for platform linux/s390x") {
		t.Errorf("Verify(--platform linux/s390x) = %+v, %v; want a definite no naming it", vd, err)
	}
	img := f.PushImage(repo, "single", verifytest.PinCommit) // a random image: no platform in its config
	f.Sign(img)
	if vd, err = v.Verify(ctxT(t), img, policy()); err != nil || !vd.Verified {
		t.Errorf("Verify(single image) = %+v, %v", vd, err)
	}
	vd, err = v.Verify(ctxT(t), img, onlyPlatform(policy(), "linux/arm64"))
	if err != nil || vd.Verified || !strings.Contains(vd.Reason, "not linux/arm64") {
		t.Errorf("Verify(single image, --platform linux/arm64) = %+v, %v; want a definite no naming it", vd, err)
	}
	bad := policy()
	bad.Platform = &v1.Platform{OS: "linux"}
	var ie *verify.InputError
	if vd, err = v.Verify(ctxT(t), img, bad); !errors.As(err, &ie) || vd.Verified {
		t.Errorf("Verify(policy platform without arch) = %+v, %v; want an InputError", vd, err)
	}
}

// pushRawIndex pushes an index of n entries, images labelled with the pin; edit may change
// entry i's descriptor and its image's revision label.
func pushRawIndex(t *testing.T, repo name.Repository, tag string, n int, edit func(i int, d *v1.Descriptor, revision *string)) name.Digest {
	t.Helper()
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for i := range n {
		img, err := random.Image(16, 1)
		if err != nil {
			t.Fatal(err)
		}
		d := v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: fmt.Sprintf("arch%d", i)}}
		revision := verifytest.PinCommit
		edit(i, &d, &revision)
		cf, _ := img.ConfigFile()
		cf.Config.Labels = map[string]string{"org.opencontainers.image.revision": revision}
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: d})
	}
	if err := remote.WriteIndex(repo.Tag(tag), idx); err != nil {
		t.Fatal(err)
	}
	h, _ := idx.Digest()
	return repo.Digest(h.String())
}

// BuildKit's attestation manifests are not platforms; an entry without a platform is a
// definite no; more than MaxPlatforms cannot be checked (unless one is asked for).
func TestIndexEntries(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/idxentries")
	v, _ := newVerifier(f)
	att := pushRawIndex(t, repo, "att", 2, func(i int, d *v1.Descriptor, _ *string) {
		if i == 1 {
			d.Platform = &v1.Platform{OS: "unknown", Architecture: "unknown"}
			d.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest"}
		}
	})
	f.Sign(att)
	if vd, err := v.Verify(ctxT(t), att, policy()); err != nil || !vd.Verified || vd.Check(verify.CheckLabel).Detail != "linux/arch0: org.opencontainers.image.revision="+verifytest.PinCommit {
		t.Errorf("Verify(index with an attestation manifest) = %+v, %v", vd, err)
	}
	// An entry annotated as an attestation manifest but for a platform a runtime can pick
	// is a platform image like any other: checked, here failing its label.
	disguised := pushRawIndex(t, repo, "disguised", 2, func(i int, d *v1.Descriptor, revision *string) {
		if i == 1 {
			d.Platform = &v1.Platform{OS: "linux", Architecture: "amd64"}
			d.Annotations = map[string]string{"vnd.docker.reference.type": "attestation-manifest"}
			*revision = strings.Repeat("f", 40)
		}
	})
	f.Sign(disguised)
	if vd, err := v.Verify(ctxT(t), disguised, policy()); err != nil || vd.Verified || vd.Indeterminate ||
		!strings.Contains(vd.Check(verify.CheckLabel).Detail, "linux/amd64") {
		t.Errorf("Verify(index with a linux/amd64 entry annotated as an attestation) = %+v, %v; want a definite no naming linux/amd64", vd, err)
	}
	noPlat := pushRawIndex(t, repo, "noplat", 2, func(i int, d *v1.Descriptor, _ *string) {
		if i == 1 {
			d.Platform = nil
		}
	})
	f.Sign(noPlat)
	if vd, err := v.Verify(ctxT(t), noPlat, policy()); err != nil || vd.Verified || vd.Indeterminate || !strings.Contains(vd.Reason, "with no platform") {
		t.Errorf("Verify(index entry without platform) = %+v, %v; want a definite no", vd, err)
	}
	many := pushRawIndex(t, repo, "many", verify.MaxPlatforms+1, func(int, *v1.Descriptor, *string) {})
	f.Sign(many)
	vd, err := v.Verify(ctxT(t), many, policy())
	var ind *verify.Indeterminate
	if !errors.As(err, &ind) || !strings.Contains(vd.Reason, "more than the 16 checked") {
		t.Errorf("Verify(%d platforms) = %+v, %v; want indeterminate", verify.MaxPlatforms+1, vd, err)
	}
	if vd, err = v.Verify(ctxT(t), many, onlyPlatform(policy(), "linux/arch16")); err != nil || !vd.Verified {
		t.Errorf("Verify(%d platforms, --platform linux/arch16) = %+v, %v; want verified", verify.MaxPlatforms+1, vd, err)
	}
	b, _ := json.Marshal(vd)
	if !strings.Contains(string(b), "linux/arch16") {
		t.Errorf("verdict JSON does not name the platform: %s", b)
	}
}
