package publish_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// The check of a published server, as re-publish of an unchanged catalog runs it.

// republish is alpha published to a hostile (so far honest) registry by a Publisher with
// opts, then checked again by another with again: the second report, the GETs the second
// run sent (but the /v2/ ping) and its builds.
type republish struct {
	s      *hostile.Server
	first  publish.Report
	second publish.Report
	gets   []string
	builds int
	tl     *signtest.TLog // the log of both runs
}

// newRepublish publishes alpha once with fake builds (pushing to the registry's host) and
// returns the registry and report; run publishes it again.
func newRepublish(t *testing.T, fake func(host string) func(*catalog.Server) (*build.Result, error), opts ...publish.Option) (*republish, string) {
	t.Helper()
	s := hostile.NewRegistry()
	host := s.Start(t)
	tl := &signtest.TLog{}
	svc := signtest.Service(t, host, signtest.KeyA, tl)
	r := newPublisher(t, &build.Recorder{Fake: fake(host)}, svc, opts...).Publish(context.Background(), []publish.Job{job(t, host, "alpha", pinA)})[0]
	if r.Status != publish.Published {
		t.Fatalf("first publish: %+v", r)
	}
	return &republish{s: s, first: r, tl: tl}, host
}

// run publishes alpha again, signing with key, building with fake.
func (h *republish) run(t *testing.T, host, key string, fake func(host string) func(*catalog.Server) (*build.Result, error), opts ...publish.Option) {
	t.Helper()
	before := len(h.s.Log())
	rec := &build.Recorder{Fake: fake(host)}
	svc := signtest.Service(t, host, key, h.tl)
	h.second = newPublisher(t, rec, svc, opts...).Publish(context.Background(), []publish.Job{job(t, host, "alpha", pinA)})[0]
	h.builds = len(rec.Calls())
	h.gets = nil
	for _, e := range h.s.Log()[before:] {
		if e.Method == http.MethodGet && e.Path != "/v2/" {
			h.gets = append(h.gets, e.Path)
		}
	}
}

func anyBuild(t *testing.T) func(string) func(*catalog.Server) (*build.Result, error) {
	return func(host string) func(*catalog.Server) (*build.Result, error) { return pushBuild(t, host) }
}

// configPath is the path of the config blob of the image ref.
func configPath(t *testing.T, ref string) string {
	t.Helper()
	d, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return "/v2/mcp/alpha/blobs/" + h.String()
}

// Unchanged in three reads: the tag, then the .sig and .att manifests; the config is not
// read (this key's signature with the pin as its claim stands for its label): a config
// the registry fails to serve does not matter.
func TestRepublishReadsThreeManifests(t *testing.T) {
	h, host := newRepublish(t, anyBuild(t))
	h.s.On(http.MethodGet, configPath(t, h.first.Image), hostile.Fail(http.StatusInternalServerError, "UNKNOWN"))
	h.run(t, host, signtest.KeyA, anyBuild(t))
	if h.second.Status != publish.Unchanged || h.builds != 0 || h.second.Image != h.first.Image {
		t.Errorf("second publish: %+v after %d builds; want unchanged %s", h.second, h.builds, h.first.Image)
	}
	want := map[string]bool{imageTagPath: true, sigPath: true, attPath: true}
	got := map[string]bool{}
	for _, p := range h.gets {
		for w := range want {
			if matches(w, p) {
				got[w] = true
			}
		}
	}
	if len(h.gets) != 3 || len(got) != 3 {
		t.Errorf("GETs %v; want the tag, the .sig and the .att manifests, once each", h.gets)
	}
}

// Without this key's signature the config is read as before: its label decides, and a
// config the registry fails to serve is "could not check" (nothing built).
func TestRepublishReadsLabelWithoutSignature(t *testing.T) {
	h, host := newRepublish(t, anyBuild(t))
	h.s.On(http.MethodGet, configPath(t, h.first.Image), hostile.Fail(http.StatusInternalServerError, "UNKNOWN"))
	h.run(t, host, signtest.KeyB, anyBuild(t))
	if h.second.Status != publish.Failed || !signtest.CouldNotCheck(h.second.Err) || h.builds != 0 {
		t.Errorf("publish with another key: %+v after %d builds; want failed, could not check, no build", h.second, h.builds)
	}
}

// pushPlatformBuild is pushBuild of an image for linux/<arch>.
func pushPlatformBuild(t *testing.T, arch string) func(string) func(*catalog.Server) (*build.Result, error) {
	return func(host string) func(*catalog.Server) (*build.Result, error) {
		return func(s *catalog.Server) (*build.Result, error) {
			img, err := random.Image(32, 1)
			if err != nil {
				return nil, err
			}
			cf, _ := img.ConfigFile()
			cf.OS, cf.Architecture = "linux", arch
			cf.Config.Labels = map[string]string{catalog.RevisionLabel: s.Source.Commit}
			if img, err = mutate.ConfigFile(img, cf); err != nil {
				return nil, err
			}
			tag := tagOf(t, host, s)
			if err := remote.Write(tag, img); err != nil {
				return nil, err
			}
			d, _ := img.Digest()
			dig := tag.Context().Digest(d.String())
			return &build.Result{Server: s.Name, Image: dig, Tag: tag, Commit: s.Source.Commit, Provenance: signtest.Statement(dig)}, nil
		}
	}
}

// With one platform asked for, the config is still read (the signature does not bind the
// platform): the same platform is unchanged, another one is rebuilt although the image
// is signed.
func TestRepublishOnePlatformReadsConfig(t *testing.T) {
	amd64 := publish.WithPlatforms([]string{"linux/amd64"})
	h, host := newRepublish(t, pushPlatformBuild(t, "amd64"), amd64)
	h.run(t, host, signtest.KeyA, pushPlatformBuild(t, "amd64"), amd64)
	cfg := configPath(t, h.first.Image)
	if h.second.Status != publish.Unchanged || h.builds != 0 || !strings.Contains(strings.Join(h.gets, " "), cfg) {
		t.Errorf("same platform: %+v after %d builds, GETs %v; want unchanged, the config %s read", h.second, h.builds, h.gets, cfg)
	}
	h.run(t, host, signtest.KeyA, pushPlatformBuild(t, "arm64"), publish.WithPlatforms([]string{"linux/arm64"}))
	if h.second.Status != publish.Published || h.builds != 1 || h.second.Image == h.first.Image {
		t.Errorf("another platform: %+v after %d builds; want rebuilt and published", h.second, h.builds)
	}
}

// matches reports whether path p matches re, as hostile rules match paths.
func matches(re, p string) bool { return regexp.MustCompile(re).MatchString(p) }
