package publish_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// Publish against registries that lie about absence, lag, drop or lose writes: other
// parties' signatures and attestations are never lost, and no status is reported that
// the registry does not show.

const (
	sigPath      = signtest.SigPath
	attPath      = signtest.AttPath
	imageTagPath = signtest.ImageTagPath
	imageDigPath = signtest.ImageDigPath
)

type coSigned = signtest.CoSigned

// hostileRun is one publish of a co-signed image against a hostile registry.
type hostileRun struct {
	s      *hostile.Server
	c      coSigned
	r      publish.Report
	tl     *signtest.TLog
	builds int // by the publisher (not the setup's pushTag)
	before int // requests made by the setup
	reads  *signtest.ReadCounter
}

// count returns how many requests publish made with method to paths matching path.
func (h hostileRun) count(method, path string) int {
	return signtest.Count(h.s, h.before, method, path)
}

// coSignedBuild is a fake build of the co-signed image: it pushes it to its tag.
func coSignedBuild(c coSigned) func(*catalog.Server) (*build.Result, error) {
	return func(*catalog.Server) (*build.Result, error) {
		if err := remote.Write(c.Tag, c.Image); err != nil {
			return nil, err
		}
		return &build.Result{Server: "alpha", Image: c.Img, Tag: c.Tag, Commit: pinA, Provenance: signtest.Statement(c.Img)}, nil
	}
}

// pushTag pushes the co-signed image to its tag, as an earlier build did.
func pushTag(t *testing.T, c coSigned) {
	t.Helper()
	if err := remote.Write(c.Tag, c.Image); err != nil {
		t.Fatal(err)
	}
}

func hostilePublish(t *testing.T, setup func(s *hostile.Server, c coSigned)) hostileRun {
	t.Helper()
	s := hostile.NewRegistry()
	host := s.Start(t)
	c := signtest.NewCoSigned(t, host)
	setup(s, c)
	h := hostileRun{s: s, c: c, tl: &signtest.TLog{}, before: len(s.Log()), reads: signtest.NewReadCounter()}
	svc, err := sign.New(signtest.Signer(t, signtest.KeyA), sign.NewStore(c.Sig.Context(), signtest.Fast).WithReads(h.reads, nil), h.tl)
	if err != nil {
		t.Fatal(err)
	}
	rec := &build.Recorder{Fake: coSignedBuild(c)}
	h.r = publishOne(t, rec, svc, job(t, host, "alpha", pinA))
	h.builds = len(rec.Calls())
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
					pushTag(t, c)
				}
				s.On(tc.method, tc.path, hostile.Fail(http.StatusInternalServerError, tc.code))
			})
			s, c, r := h.s, h.c, h.r
			if r.Status != publish.Failed || !signtest.Is500(r.Err) {
				t.Errorf("report %+v; want failed with the 500 (could not check)", r)
			}
			if n := h.count(http.MethodPut, sigPath); n != tc.sigPuts {
				t.Errorf("%d .sig PUTs, want %d", n, tc.sigPuts)
			}
			if n := h.count(http.MethodPut, attPath); n != tc.attPuts {
				t.Errorf("%d .att PUTs, want %d", n, tc.attPuts)
			}
			if tc.path == imageTagPath && h.builds != 0 {
				t.Errorf("%d builds after a failed check of the image tag, want none", h.builds)
			}
			if n := h.tl.Count(); n != tc.sigLayers {
				t.Errorf("%d log entries, want %d", n, tc.sigLayers)
			}
			signtest.Keeps(t, s, c.Sig, c.SigBefore, tc.sigLayers)
			signtest.Keeps(t, s, c.Att, c.AttBefore, 0)
			signtest.VerifiesKeyB(t, s, c.Img, c.Sig.Context())
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
			if r.Status != publish.Published || h.tl.Count() != 2 {
				t.Errorf("report %+v, %d log entries; want published, 2", r, h.tl.Count())
			}
			signtest.Keeps(t, s, c.Sig, c.SigBefore, 1)
			signtest.Keeps(t, s, c.Att, c.AttBefore, 1)
			signtest.VerifiesKeyB(t, s, c.Img, c.Sig.Context())
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
			func(c coSigned) name.Tag { return c.Sig }, true, true, 0, 0, 0},
		{"sig final PUT dropped", func(s *hostile.Server, _ coSigned) { signtest.OnFinalPut(s, sigPath, hostile.DropWrite()) },
			func(c coSigned) name.Tag { return c.Sig }, true, false, 0, 0, 1},
		{"att PUT dropped", func(s *hostile.Server, _ coSigned) { s.On(http.MethodPut, attPath, hostile.DropWrite()) },
			func(c coSigned) name.Tag { return c.Att }, true, true, 1, 0, 1},
		{"att final PUT dropped", func(s *hostile.Server, _ coSigned) { signtest.OnFinalPut(s, attPath, hostile.DropWrite()) },
			func(c coSigned) name.Tag { return c.Att }, true, false, 1, 0, 2},
		{"sig read back stale", func(s *hostile.Server, c coSigned) { signtest.AfterPut(s, sigPath, false, signtest.StaleGet(c.RawSig)) },
			func(c coSigned) name.Tag { return c.Sig }, true, true, 0, 0, 0},
		{"sig read back stale after the final PUT", func(s *hostile.Server, c coSigned) { signtest.AfterPut(s, sigPath, true, signtest.StaleGet(c.RawSig)) },
			func(c coSigned) name.Tag { return c.Sig }, true, false, 1, 0, 1},
		{"sig read back without key B", func(s *hostile.Server, c coSigned) {
			signtest.AfterPut(s, sigPath, false, signtest.WithoutB(t, c))
		}, func(c coSigned) name.Tag { return c.Sig }, false, true, 0, 0, 0},
		{"sig read back without key B after the final PUT", func(s *hostile.Server, c coSigned) {
			signtest.AfterPut(s, sigPath, true, signtest.WithoutB(t, c))
		}, func(c coSigned) name.Tag { return c.Sig }, false, false, 1, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hostilePublish(t, tc.setup)
			s, c, r := h.s, h.c, h.r
			var lost *sign.LostLayersError
			if r.Status != publish.Failed || !errors.Is(r.Err, sign.ErrNotPersisted) || !errors.As(r.Err, &lost) {
				t.Fatalf("report %+v; want failed with lost layers", r)
			}
			if lost.Tag.String() != tc.tag(c).String() || len(lost.Lost) != 1 || !strings.Contains(r.Reason, lost.Lost[0].String()) {
				t.Errorf("lost %v in %s, reason %q", lost.Lost, lost.Tag, r.Reason)
			}
			if len(lost.Lost) == 1 {
				isB := lost.Lost[0] == c.SigBefore[0].Digest
				if isB == tc.ours || lost.Ours != tc.ours {
					t.Errorf("lost layer %s (ours %v); want ours %v", lost.Lost[0], lost.Ours, tc.ours)
				}
			}
			if lost.Staging != tc.staging || lost.Writes != 3 {
				t.Errorf("lost at the staging write %v after %d writes; want %v after 3", lost.Staging, lost.Writes, tc.staging)
			}
			if n := h.tl.Count(); n != tc.entries {
				t.Errorf("%d log entries, want %d", n, tc.entries)
			}
			signtest.Keeps(t, s, c.Sig, c.SigBefore, tc.sig)
			signtest.Keeps(t, s, c.Att, c.AttBefore, tc.att)
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
		{"sig staging", sigPath, false, func(c coSigned) v1.Hash { return c.SigBefore[0].Digest }},
		{"sig final", sigPath, true, func(c coSigned) v1.Hash { return c.SigBefore[0].Digest }},
		{"att staging", attPath, false, func(c coSigned) v1.Hash { return c.AttBefore[0].Digest }},
		{"att final", attPath, true, func(c coSigned) v1.Hash { return c.AttBefore[0].Digest }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hostilePublish(t, func(s *hostile.Server, c coSigned) {
				which := signtest.IsStagingPut
				if tc.final {
					which = signtest.IsFinalPut
				}
				signtest.OnPut(s, tc.path, which, 1, signtest.LosesOnPut(t, tc.lose(c)))
			})
			s, c, r := h.s, h.c, h.r
			if r.Status != publish.Published || h.tl.Count() != 2 {
				t.Errorf("report %+v, %d log entries; want published after re-adding, 2", r, h.tl.Count())
			}
			if n := h.count(http.MethodPut, tc.path); n != 3 {
				t.Errorf("%d PUTs of the tag, want 3 (staging, final, and the repair of the lossy one)", n)
			}
			signtest.Keeps(t, s, c.Sig, c.SigBefore, 1)
			signtest.Keeps(t, s, c.Att, c.AttBefore, 1)
			signtest.VerifiesKeyB(t, s, c.Img, c.Sig.Context())
			for _, tag := range []name.Tag{c.Sig, c.Att} {
				if m := signtest.RawManifest(t, tag); m.Annotations[sign.PendingAnnotation] != "" {
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
		want     publish.Status
		sentinel error
	}{
		{"image PUT dropped", func(s *hostile.Server, _ string) {
			s.On(http.MethodPut, `/v2/mcp/alpha/manifests/`, hostile.DropWrite())
		}, publish.Failed, publish.ErrImageNotStored},
		{"digest lags once", func(s *hostile.Server, _ string) {
			s.On(http.MethodGet, imageDigPath, hostile.Sequence(hostile.Fail(http.StatusNotFound, "MANIFEST_UNKNOWN"), hostile.Pass()))
		}, publish.Published, nil},
		{"tag serves another image", func(s *hostile.Server, host string) {
			other(s, host)
			s.On(http.MethodGet, imageTagPath, hostile.ServeFrom("/v2/mcp/alpha/manifests/other"))
		}, publish.Failed, publish.ErrImageNotStored},
		{"digest serves another image", func(s *hostile.Server, host string) {
			other(s, host)
			s.On(http.MethodGet, imageDigPath, hostile.ServeFrom("/v2/mcp/alpha/manifests/other"))
		}, publish.Failed, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := hostile.NewRegistry()
			host := s.Start(t)
			tc.setup(s, host)
			tl := &signtest.TLog{}
			svc := signtest.Service(t, host, signtest.KeyA, tl)
			r := publishOne(t, &build.Recorder{Fake: pushBuild(t, host)}, svc, job(t, host, "alpha", pinA))
			if r.Status != tc.want || (tc.sentinel != nil && !errors.Is(r.Err, tc.sentinel)) {
				t.Fatalf("report %+v; want %s (%v)", r, tc.want, tc.sentinel)
			}
			if tc.want == publish.Published {
				return
			}
			if r.Image != "" || r.Signature != "" || tl.Count() != 0 || s.Count(http.MethodPut, sigPath) != 0 {
				t.Errorf("report %+v, %d log entries, %d .sig PUTs; want no image, nothing signed", r, tl.Count(), s.Count(http.MethodPut, sigPath))
			}
		})
	}
}
