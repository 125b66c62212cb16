package publish_test

import (
	"context"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// pushIndexBuild is a fake multi-platform build: it pushes an index of one random image
// per arch (linux), each labelled with the pin unless labels names another revision for
// its arch, to host/mcp/<server>:latest.
func pushIndexBuild(t *testing.T, host string, archs []string, labels map[string]string) func(*catalog.Server) (*build.Result, error) {
	return func(s *catalog.Server) (*build.Result, error) {
		idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		for _, arch := range archs {
			img, err := random.Image(32, 1)
			if err != nil {
				return nil, err
			}
			cf, _ := img.ConfigFile()
			cf.OS, cf.Architecture = "linux", arch
			rev := s.Source.Commit
			if l, ok := labels[arch]; ok {
				rev = l
			}
			cf.Config.Labels = map[string]string{catalog.RevisionLabel: rev}
			if img, err = mutate.ConfigFile(img, cf); err != nil {
				return nil, err
			}
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
		}
		tag := tagOf(t, host, s)
		if err := remote.WriteIndex(tag, idx); err != nil {
			return nil, err
		}
		d, _ := idx.Digest()
		dig := tag.Context().Digest(d.String())
		return &build.Result{Server: s.Name, Image: dig, Tag: tag, Commit: s.Source.Commit, Provenance: signtest.Statement(dig)}, nil
	}
}

// An index of the platforms asked for is confirmed, signed and attested once; published
// again it is unchanged; asked for other platforms (or none) it is rebuilt.
func TestPublishIndex(t *testing.T) {
	ctx := context.Background()
	host := signtest.Registry(t, nil)
	tl := &signtest.TLog{}
	svc := signtest.Service(t, host, signtest.KeyA, tl)
	rec := &build.Recorder{Fake: pushIndexBuild(t, host, []string{"arm64", "amd64"}, nil)}
	p := newPublisher(t, rec, svc, publish.WithPlatforms([]string{"linux/arm64,linux/amd64"}))
	jobs := []publish.Job{job(t, host, "multi", pinA)}
	first := p.Publish(ctx, jobs)[0]
	if first.Status != publish.Published || tl.Count() != 2 || len(rec.Calls()) != 1 {
		t.Fatalf("first publish: %+v, %d log entries, %d builds", first, tl.Count(), len(rec.Calls()))
	}
	again := p.Publish(ctx, jobs)[0]
	if again.Status != publish.Unchanged || again.Image != first.Image || tl.Count() != 2 || len(rec.Calls()) != 1 {
		t.Errorf("publish again: %+v, %d log entries, %d builds; want unchanged", again, tl.Count(), len(rec.Calls()))
	}
	for _, ps := range [][]string{nil, {"linux/amd64"}, {"linux/amd64", "linux/arm64", "linux/s390x"}} {
		other := &build.Recorder{Fake: pushIndexBuild(t, host, []string{"arm64", "amd64"}, nil)}
		opts := []publish.Option{}
		if ps != nil {
			opts = append(opts, publish.WithPlatforms(ps))
		}
		newPublisher(t, other, svc, opts...).Publish(ctx, jobs)
		if len(other.Calls()) != 1 {
			t.Errorf("platforms %v: the published linux/amd64+linux/arm64 index was not rebuilt", ps)
		}
	}
}

// An index whose arm64 image is labelled with another revision is not signed: the
// read-back names the platform.
func TestPublishIndexWrongPlatformLabel(t *testing.T) {
	ctx := context.Background()
	host := signtest.Registry(t, nil)
	tl := &signtest.TLog{}
	svc := signtest.Service(t, host, signtest.KeyA, tl)
	other := strings.Repeat("b", 40)
	for what, fake := range map[string]func(*catalog.Server) (*build.Result, error){
		"label":    pushIndexBuild(t, host, []string{"amd64", "arm64"}, map[string]string{"arm64": other}),
		"platform": pushIndexBuild(t, host, []string{"amd64", "s390x"}, nil),
	} {
		p := newPublisher(t, &build.Recorder{Fake: fake}, svc, publish.WithPlatforms([]string{"linux/amd64", "linux/arm64"}))
		r := p.Publish(ctx, []publish.Job{job(t, host, "bad-"+what, pinA)})[0]
		if r.Status != publish.Failed || tl.Count() != 0 || !strings.Contains(r.Reason, map[string]string{"label": "linux/arm64: label", "platform": "is for linux/amd64, linux/s390x"}[what]) {
			t.Errorf("%s: %+v, %d log entries; want failed naming the platform, nothing logged", what, r, tl.Count())
		}
	}
}

func TestWithPlatformsRefusesBadValues(t *testing.T) {
	svc := signtest.Service(t, signtest.Registry(t, nil), signtest.KeyA, &signtest.TLog{})
	for _, ps := range [][]string{{"linux"}, {"linux/amd64", "linux/amd64"}} {
		if _, err := publish.New(&build.Recorder{}, svc, publish.WithPlatforms(ps)); err == nil || !strings.Contains(err.Error(), "WithPlatforms") {
			t.Errorf("New(WithPlatforms(%q)) = %v, want an error naming WithPlatforms", ps, err)
		}
	}
}
