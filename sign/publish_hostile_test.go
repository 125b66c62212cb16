package sign_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/sign"
)

// Publish against registries that lie about absence, lag, drop or lose writes: other
// parties' signatures and attestations are never lost, and no status is reported that
// the registry does not show.

// hostileRun is one publish of a co-signed image against a hostile registry.
type hostileRun struct {
	s      *hostile.Server
	c      coSigned
	r      sign.Report
	tl     *fakeTLog
	builds int32 // including the setup's
	before int   // requests made by the setup
	reads  *readCounter
}

// count returns how many requests publish made with method to paths matching path.
func (h hostileRun) count(method, path string) int {
	re := regexp.MustCompile(path)
	n := 0
	for _, e := range h.s.Log()[h.before:] {
		if e.Method == method && re.MatchString(e.Path) {
			n++
		}
	}
	return n
}

// fast retries 5xx answers to writes once, briefly (the CLI switches ggcr's retries off:
// its transport retries). Reads are the Store's own and not retried here.
var fast = remote.WithRetryBackoff(remote.Backoff{Duration: 10 * time.Millisecond, Factor: 1, Steps: 2})

func hostilePublish(t *testing.T, setup func(s *hostile.Server, c coSigned)) hostileRun {
	t.Helper()
	return hostilePublishLog(t, &fakeTLog{}, setup)
}

// hostilePublishLog is hostilePublish with the log tl (which setup may use too).
func hostilePublishLog(t *testing.T, tl *fakeTLog, setup func(s *hostile.Server, c coSigned)) hostileRun {
	t.Helper()
	s := hostile.NewRegistry()
	host := s.Start(t)
	var builds atomic.Int32
	c := newCoSigned(t, host, &builds)
	setup(s, c)
	h := hostileRun{s: s, c: c, tl: tl, before: len(s.Log()), reads: newReadCounter()}
	svc, err := sign.New(mustSigner(t, keyA), sign.NewStore(c.sig.Context(), fast).WithReads(h.reads, nil), h.tl)
	if err != nil {
		t.Fatal(err)
	}
	h.r = sign.NewPublisher(svc).Publish(context.Background(), []sign.Job{c.job}, 1)[0]
	h.builds = builds.Load()
	return h
}

// A read that fails with any status but 404 is "could not check", whatever the error code
// in its body: publish fails, writes nothing to that tag, and every signature stays.
func TestPublishAbsenceIsOnly404(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, code string
		sigPuts, attPuts         int // the signature is staged, then attached: 2 PUTs
		sigLayers                int
	}{
		{"sig 500 MANIFEST_UNKNOWN", http.MethodGet, sigPath, "MANIFEST_UNKNOWN", 0, 0, 0},
		{"sig 500 NAME_UNKNOWN", http.MethodGet, sigPath, "NAME_UNKNOWN", 0, 0, 0},
		{"att 500 MANIFEST_UNKNOWN", http.MethodGet, attPath, "MANIFEST_UNKNOWN", 2, 0, 1},
		{"image tag 500 MANIFEST_UNKNOWN", http.MethodGet, imageTagPath, "MANIFEST_UNKNOWN", 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hostilePublish(t, func(s *hostile.Server, c coSigned) {
				if tc.path == imageTagPath { // an image already there, so a lie would skip to signing
					if _, err := c.job.Build(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				s.On(tc.method, tc.path, hostile.Fail(http.StatusInternalServerError, tc.code))
			})
			s, c, r := h.s, h.c, h.r
			if r.Status != sign.Failed || !is500(r.Err) {
				t.Errorf("report %+v; want failed with the 500 (could not check)", r)
			}
			if n := h.count(http.MethodPut, sigPath); n != tc.sigPuts {
				t.Errorf("%d .sig PUTs, want %d", n, tc.sigPuts)
			}
			if n := h.count(http.MethodPut, attPath); n != tc.attPuts {
				t.Errorf("%d .att PUTs, want %d", n, tc.attPuts)
			}
			if tc.path == imageTagPath && h.builds != 1 {
				t.Errorf("%d builds after a failed check of the image tag, want none but the setup's", h.builds-1)
			}
			if n := h.tl.count(); n != tc.sigLayers {
				t.Errorf("%d log entries, want %d", n, tc.sigLayers)
			}
			keeps(t, s, c.sig, c.sigBefore, tc.sigLayers)
			keeps(t, s, c.att, c.attBefore, 0)
			verifiesKeyB(t, s, c.img, c.sig.Context())
		})
	}
}

// A lagging replica answers 404 for a tag that exists (once or twice, then the truth):
// publish re-checks before writing and keeps every layer already there.
func TestPublishLaggingReplicaKeepsCoSignatures(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		lag        int
	}{
		{"sig once", sigPath, 1}, {"sig twice", sigPath, 2},
		{"att once", attPath, 1}, {"att twice", attPath, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hostilePublish(t, func(s *hostile.Server, _ coSigned) {
				var steps []hostile.Action
				for range tc.lag {
					steps = append(steps, hostile.Fail(http.StatusNotFound, "MANIFEST_UNKNOWN"))
				}
				s.On(http.MethodGet, tc.path, hostile.Sequence(append(steps, hostile.Pass())...))
			})
			s, c, r := h.s, h.c, h.r
			if r.Status != sign.Published || h.tl.count() != 2 {
				t.Errorf("report %+v, %d log entries; want published, 2", r, h.tl.count())
			}
			keeps(t, s, c.sig, c.sigBefore, 1)
			keeps(t, s, c.att, c.attBefore, 1)
			verifiesKeyB(t, s, c.img, c.sig.Context())
		})
	}
}

// A registry that answers 201 to the manifest PUT and keeps nothing, or serves the old
// manifest afterwards, at the staging write (before the log upload) or at the final one:
// failed, naming the layer that is not there (or the record staging ours); a failed
// staging write logs nothing.
func TestPublishNamesLostLayers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(s *hostile.Server, c coSigned)
		tag     func(c coSigned) name.Tag
		ours    bool // our layer is the lost one (else key B's first signature)
		staging bool // lost by the staging write
		sig     int  // layers added to the .sig and .att tags in the end
		att     int
		entries int // log entries
	}{
		{"sig PUT dropped", func(s *hostile.Server, _ coSigned) { s.On(http.MethodPut, sigPath, hostile.DropWrite()) },
			func(c coSigned) name.Tag { return c.sig }, true, true, 0, 0, 0},
		{"sig final PUT dropped", func(s *hostile.Server, _ coSigned) { onFinalPut(s, sigPath, hostile.DropWrite()) },
			func(c coSigned) name.Tag { return c.sig }, true, false, 0, 0, 1},
		{"att PUT dropped", func(s *hostile.Server, _ coSigned) { s.On(http.MethodPut, attPath, hostile.DropWrite()) },
			func(c coSigned) name.Tag { return c.att }, true, true, 1, 0, 1},
		{"att final PUT dropped", func(s *hostile.Server, _ coSigned) { onFinalPut(s, attPath, hostile.DropWrite()) },
			func(c coSigned) name.Tag { return c.att }, true, false, 1, 0, 2},
		{"sig read back stale", func(s *hostile.Server, c coSigned) { afterPut(s, sigPath, false, staleGet(c.rawSig)) },
			func(c coSigned) name.Tag { return c.sig }, true, true, 0, 0, 0},
		{"sig read back stale after the final PUT", func(s *hostile.Server, c coSigned) { afterPut(s, sigPath, true, staleGet(c.rawSig)) },
			func(c coSigned) name.Tag { return c.sig }, true, false, 1, 0, 1},
		{"sig read back without key B", func(s *hostile.Server, c coSigned) {
			afterPut(s, sigPath, false, withoutB(t, c))
		}, func(c coSigned) name.Tag { return c.sig }, false, true, 0, 0, 0},
		{"sig read back without key B after the final PUT", func(s *hostile.Server, c coSigned) {
			afterPut(s, sigPath, true, withoutB(t, c))
		}, func(c coSigned) name.Tag { return c.sig }, false, false, 1, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hostilePublish(t, tc.setup)
			s, c, r := h.s, h.c, h.r
			var lost *sign.LostLayersError
			if r.Status != sign.Failed || !errors.Is(r.Err, sign.ErrNotPersisted) || !errors.As(r.Err, &lost) {
				t.Fatalf("report %+v; want failed with lost layers", r)
			}
			if lost.Tag.String() != tc.tag(c).String() || len(lost.Lost) != 1 || !strings.Contains(r.Reason, lost.Lost[0].String()) {
				t.Errorf("lost %v in %s, reason %q", lost.Lost, lost.Tag, r.Reason)
			}
			if len(lost.Lost) == 1 {
				isB := lost.Lost[0] == c.sigBefore[0].Digest
				if isB == tc.ours || lost.Ours != tc.ours {
					t.Errorf("lost layer %s (ours %v); want ours %v", lost.Lost[0], lost.Ours, tc.ours)
				}
			}
			if lost.Staging != tc.staging || lost.Writes != 3 {
				t.Errorf("lost at the staging write %v after %d writes; want %v after 3", lost.Staging, lost.Writes, tc.staging)
			}
			if n := h.tl.count(); n != tc.entries {
				t.Errorf("%d log entries, want %d", n, tc.entries)
			}
			keeps(t, s, c.sig, c.sigBefore, tc.sig)
			keeps(t, s, c.att, c.attBefore, tc.att)
		})
	}
}

// A manifest PUT that loses another party's layer (once), at the staging write or at the
// final one: publish sees it missing on read-back, pushes again with it, and both survive.
func TestPublishReaddsLostLayer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		path  string
		final bool // the final PUT loses it (else the staging PUT)
		lose  func(c coSigned) v1.Hash
	}{
		{"sig staging", sigPath, false, func(c coSigned) v1.Hash { return c.sigBefore[0].Digest }},
		{"sig final", sigPath, true, func(c coSigned) v1.Hash { return c.sigBefore[0].Digest }},
		{"att staging", attPath, false, func(c coSigned) v1.Hash { return c.attBefore[0].Digest }},
		{"att final", attPath, true, func(c coSigned) v1.Hash { return c.attBefore[0].Digest }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hostilePublish(t, func(s *hostile.Server, c coSigned) {
				which := isStagingPut
				if tc.final {
					which = isFinalPut
				}
				onPut(s, tc.path, which, 1, losesOnPut(t, tc.lose(c)))
			})
			s, c, r := h.s, h.c, h.r
			if r.Status != sign.Published || h.tl.count() != 2 {
				t.Errorf("report %+v, %d log entries; want published after re-adding, 2", r, h.tl.count())
			}
			if n := h.count(http.MethodPut, tc.path); n != 3 {
				t.Errorf("%d PUTs of the tag, want 3 (staging, final, and the repair of the lossy one)", n)
			}
			keeps(t, s, c.sig, c.sigBefore, 1)
			keeps(t, s, c.att, c.attBefore, 1)
			verifiesKeyB(t, s, c.img, c.sig.Context())
			for _, tag := range []name.Tag{c.sig, c.att} {
				if m := rawManifest(t, tag); m.Annotations[sign.PendingAnnotation] != "" {
					t.Errorf("%s: staged record left after the final write", tag.TagStr())
				}
			}
		})
	}
}

// The image must be in the registry, at its digest and under its tag, before it is
// signed: a dropped or misdirected image write fails with nothing signed or logged.
func TestPublishConfirmsImage(t *testing.T) {
	other := func(_ *hostile.Server, host string) {
		img, _ := random.Image(32, 1)
		ref, _ := name.NewTag(host + "/mcp/alpha:other")
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name     string
		setup    func(s *hostile.Server, host string)
		want     sign.Status
		sentinel error
	}{
		{"image PUT dropped", func(s *hostile.Server, _ string) {
			s.On(http.MethodPut, `/v2/mcp/alpha/manifests/`, hostile.DropWrite())
		}, sign.Failed, sign.ErrImageNotStored},
		{"digest lags once", func(s *hostile.Server, _ string) {
			s.On(http.MethodGet, imageDigPath, hostile.Sequence(hostile.Fail(http.StatusNotFound, "MANIFEST_UNKNOWN"), hostile.Pass()))
		}, sign.Published, nil},
		{"tag serves another image", func(s *hostile.Server, host string) {
			other(s, host)
			s.On(http.MethodGet, imageTagPath, hostile.ServeFrom("/v2/mcp/alpha/manifests/other"))
		}, sign.Failed, sign.ErrImageNotStored},
		{"digest serves another image", func(s *hostile.Server, host string) {
			other(s, host)
			s.On(http.MethodGet, imageDigPath, hostile.ServeFrom("/v2/mcp/alpha/manifests/other"))
		}, sign.Failed, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := hostile.NewRegistry()
			host := s.Start(t)
			tc.setup(s, host)
			tl := &fakeTLog{}
			svc := newService(t, host, keyA, tl)
			var builds atomic.Int32
			r := sign.NewPublisher(svc).Publish(context.Background(), []sign.Job{job(t, host, "alpha", pinA, &builds)}, 1)[0]
			if r.Status != tc.want || (tc.sentinel != nil && !errors.Is(r.Err, tc.sentinel)) {
				t.Fatalf("report %+v; want %s (%v)", r, tc.want, tc.sentinel)
			}
			if tc.want == sign.Published {
				return
			}
			if r.Image != "" || r.Signature != "" || tl.count() != 0 || s.Count(http.MethodPut, sigPath) != 0 {
				t.Errorf("report %+v, %d log entries, %d .sig PUTs; want no image, nothing signed", r, tl.count(), s.Count(http.MethodPut, sigPath))
			}
		})
	}
}
