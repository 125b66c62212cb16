package sign_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/sign"
)

// Publish reads what it relies on as mcpverify does (internal/ocireg): bounded, hashed
// here, of a media type it accepts. A registry serving anything else makes the server
// fail as "could not check", with nothing written over what is there.

// couldNotCheck reports whether err is a registry read that failed otherwise than with a
// 404: the registry could not be checked (exit 3 in the CLI).
func couldNotCheck(err error) bool {
	var re *ocireg.Error
	return errors.As(err, &re) && !errors.Is(err, ocireg.ErrNotFound)
}

const ociManifestStart = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
	`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},`

// A .sig tag served as a 64 MiB manifest (announced or not, one long string or many
// small values) is refused after at most 4 MiB: the server fails, could not check, and
// the tag is not written.
func TestPublishRefusesHugeManifest(t *testing.T) {
	for _, tc := range []struct {
		name string
		body *huge
	}{
		{"announced", &huge{head: ociManifestStart + `"layers":[],"annotations":{"pad":"`, fill: "A", tail: `"}}`, announce: true}},
		{"unannounced", &huge{head: ociManifestStart + `"layers":[],"annotations":{"pad":"`, fill: "A", tail: `"}}`}},
		{"many values", &huge{head: ociManifestStart + `"layers":[`, fill: "{},", tail: `{}]}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.body.ct = ocireg.MediaOCIManifest
			h := hostilePublish(t, func(s *hostile.Server, _ coSigned) {
				s.On(http.MethodGet, sigPath, tc.body.action())
			})
			s, c, r := h.s, h.c, h.r
			if r.Status != sign.Failed || !couldNotCheck(r.Err) {
				t.Errorf("report %+v; want failed, could not check", r)
			}
			if n := h.reads.read(sigPath); n > ocireg.MaxManifest+1 {
				t.Errorf("publish read %d bytes of the 64 MiB manifest; want at most the 4 MiB limit", n)
			}
			if n := tc.body.taken(t); n >= hugeSize {
				t.Errorf("the whole manifest was sent (%d bytes); want the connection closed before", n)
			}
			if n := h.count(http.MethodGet, sigPath); n != 1 {
				t.Errorf("%d .sig GETs, want 1", n)
			}
			if n := h.count(http.MethodPut, sigPath); n != 0 || h.tl.count() != 0 {
				t.Errorf("%d .sig PUTs, %d log entries; want none", n, h.tl.count())
			}
			keeps(t, s, c.sig, c.sigBefore, 0)
		})
	}
}

// Every GET publish sends is one of its own reads (the Store's transport): nothing is read
// through go-containerregistry, whose checks are not the rules above.
func TestPublishReadsAreItsOwn(t *testing.T) {
	h := hostilePublish(t, func(*hostile.Server, coSigned) {})
	if h.r.Status != sign.Published {
		t.Fatalf("report %+v; want published", h.r)
	}
	sent := map[string]int{}
	for _, e := range h.s.Log()[h.before:] {
		if e.Method == http.MethodGet && e.Path != "/v2/" {
			sent[e.Path]++
		}
	}
	h.reads.mu.Lock()
	defer h.reads.mu.Unlock()
	for p, n := range sent {
		if h.reads.gets[p] != n {
			t.Errorf("GET %s: %d sent, %d of them by publish's own reads", p, n, h.reads.gets[p])
		}
	}
	if len(sent) == 0 {
		t.Error("publish read nothing")
	}
}

// notManifest answers like the upstream with a body and Content-Type of something else,
// and a Docker-Content-Digest of digest when given.
func notManifest(ct, body, digest string) hostile.Action {
	return hostile.Edit(func(_ *http.Request, resp *hostile.Response) {
		resp.Header.Set("Content-Type", ct)
		if digest != "" {
			resp.Header.Set("Docker-Content-Digest", digest)
		}
		resp.Body = []byte(body)
	})
}

const (
	mediaSchema1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
	schema1      = `{"schemaVersion":1,"name":"mcp/signatures","tag":"x","architecture":"amd64","fsLayers":[],"history":[],"signatures":[]}`
	html         = "<html><body>maintenance</body></html>"
)

// A .sig or .att tag answered with a Docker schema1 manifest (its own type, with the
// Docker-Content-Digest of the real one, or posing as OCI) or an HTML page with status
// 200 is not a manifest of the tag: the server fails, could not check, and the tag is not
// written (its other layers stay).
func TestPublishRefusesWhatIsNotAManifest(t *testing.T) {
	for _, tag := range []struct {
		name, path       string
		sigPuts, entries int // the signature is made (staged, attached) before the .att read
	}{{"sig", sigPath, 0, 0}, {"att", attPath, 2, 1}} {
		for _, tc := range []struct {
			name   string
			action func(real []byte) hostile.Action // real: the tag's manifest
		}{
			{"schema1", func([]byte) hostile.Action { return notManifest(mediaSchema1, schema1, "") }},
			{"schema1 with the real digest", func(real []byte) hostile.Action {
				return notManifest(mediaSchema1, schema1, ocireg.SHA256(real).String())
			}},
			{"schema1 as OCI", func([]byte) hostile.Action { return notManifest(ocireg.MediaOCIManifest, schema1, "") }},
			{"HTML 200", func([]byte) hostile.Action { return notManifest("text/html", html, "") }},
			{"HTML as OCI", func([]byte) hostile.Action { return notManifest(ocireg.MediaOCIManifest, html, "") }},
		} {
			t.Run(tag.name+" "+tc.name, func(t *testing.T) {
				h := hostilePublish(t, func(s *hostile.Server, c coSigned) {
					s.On(http.MethodGet, tag.path, tc.action(map[string][]byte{"sig": c.rawSig, "att": c.rawAtt}[tag.name]))
				})
				s, c, r := h.s, h.c, h.r
				if r.Status != sign.Failed || !couldNotCheck(r.Err) {
					t.Errorf("report %+v; want failed, could not check", r)
				}
				if n := h.count(http.MethodPut, tag.path); n != 0 {
					t.Errorf("%d PUTs of the tag, want none", n)
				}
				if n := h.count(http.MethodPut, sigPath); n != tag.sigPuts || h.tl.count() != tag.entries {
					t.Errorf("%d .sig PUTs, %d log entries; want %d, %d", n, h.tl.count(), tag.sigPuts, tag.entries)
				}
				keeps(t, s, c.sig, c.sigBefore, tag.entries)
				keeps(t, s, c.att, c.attBefore, 0)
				verifiesKeyB(t, s, c.img, c.sig.Context())
			})
		}
	}
}

// The reads confirming the image before it is signed served another image's manifest
// with a Docker-Content-Digest claiming the one asked for (as OCI, or as schema1 whose
// header go-containerregistry believes): could not check, nothing signed or logged.
func TestPublishConfirmRefusesLyingDigest(t *testing.T) {
	for _, tc := range []struct {
		name, path, ct string
	}{
		{"digest read", imageDigPath, ""},
		{"digest read as schema1", imageDigPath, mediaSchema1},
		{"tag read", imageTagPath, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := hostile.NewRegistry()
			host := s.Start(t)
			other, _ := random.Image(32, 1)
			otherTag, _ := name.NewTag(host + "/mcp/alpha:other")
			if err := remote.Write(otherTag, other); err != nil {
				t.Fatal(err)
			}
			tl := &fakeTLog{}
			var builds atomic.Int32
			j := job(t, host, "alpha", pinA, &builds)
			var built atomic.Value // the digest the build pushed
			build := j.Build
			j.Build = func(ctx context.Context) (*sign.Built, error) {
				b, err := build(ctx)
				if err == nil {
					built.Store(b.Image.DigestStr())
				}
				return b, err
			}
			s.On(http.MethodGet, tc.path, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
				claim, _ := built.Load().(string)
				if claim == "" { // before the build (the check of the tag): the truth
					next.ServeHTTP(w, r)
					return
				}
				hostile.Edit(func(_ *http.Request, resp *hostile.Response) {
					resp.Body, _ = other.RawManifest()
					resp.Header.Set("Docker-Content-Digest", claim)
					if tc.ct != "" {
						resp.Header.Set("Content-Type", tc.ct)
					}
				})(w, r, next)
			})
			r := sign.NewPublisher(newService(t, host, keyA, tl)).Publish(context.Background(), []sign.Job{j}, 1)[0]
			if r.Status != sign.Failed || !couldNotCheck(r.Err) || errors.Is(r.Err, sign.ErrImageNotStored) {
				t.Errorf("report %+v; want failed, could not check", r)
			}
			if r.Signature != "" || tl.count() != 0 || s.Count(http.MethodPut, sigPath) != 0 {
				t.Errorf("report %+v, %d log entries, %d .sig PUTs; want nothing signed", r, tl.count(), s.Count(http.MethodPut, sigPath))
			}
		})
	}
}

// The check of an already built image reads its config as the manifest declares it: a
// declared size over the config limit is refused before any byte is read (could not
// check; the server is neither rebuilt nor signed).
func TestPublishCheckRefusesHugeConfig(t *testing.T) {
	body := &huge{ct: "application/octet-stream", head: "{", fill: " ", tail: "}"}
	fake := ocireg.SHA256([]byte("a config that is not there"))
	h := hostilePublish(t, func(s *hostile.Server, c coSigned) {
		if _, err := c.job.Build(context.Background()); err != nil {
			t.Fatal(err)
		}
		s.On(http.MethodGet, imageTagPath, hostile.Edit(func(_ *http.Request, resp *hostile.Response) {
			var m map[string]any
			if err := json.Unmarshal(resp.Body, &m); err != nil {
				t.Errorf("image manifest: %v", err)
				return
			}
			m["config"].(map[string]any)["size"] = hugeSize
			m["config"].(map[string]any)["digest"] = fake.String()
			resp.Body, _ = json.Marshal(m)
			resp.Header.Del("Docker-Content-Digest")
		}))
		s.On(http.MethodGet, path.Join("/v2/mcp/alpha/blobs", fake.String()), body.action())
	})
	if h.r.Status != sign.Failed || !couldNotCheck(h.r.Err) || h.builds != 1 {
		t.Errorf("report %+v after %d builds; want failed, could not check, no build but the setup's", h.r, h.builds)
	}
	if n := body.taken(t); n != 0 {
		t.Errorf("%d bytes of the 64 MiB config were served; want none", n)
	}
	if n := h.count(http.MethodPut, sigPath); n != 0 || h.tl.count() != 0 {
		t.Errorf("%d .sig PUTs, %d log entries; want none", n, h.tl.count())
	}
}

// A staged envelope read back from a blob (a re-run after a kill) that the registry
// serves with other bytes, or more than the record declares, is refused: the re-run
// fails as could not check, logs nothing new and writes nothing.
func TestStagedBlobOfAnotherDigestRefused(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"other bytes", func(b []byte) []byte { return []byte(strings.Repeat("x", len(b))) }},
		{"longer", func(b []byte) []byte { return append(b, "{}"...) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newStageRun(t)
			r.tl.setLose(errors.New("connection reset"))
			if _, err := r.svc.Attest(ctx, r.c.img, largeStatement(r.c.img)); err == nil {
				t.Fatal("the killed run succeeded")
			}
			r.tl.setLose(nil)
			staged := pendingOf(t, r.c.att)
			if staged.Data != nil {
				t.Fatalf("the staged envelope is embedded (%d bytes)", staged.Size)
			}
			blob := "/v2/mcp/signatures/blobs/" + staged.Digest.String()
			r.rule(func(s *hostile.Server, _ coSigned) {
				s.On(http.MethodGet, blob, hostile.Edit(func(_ *http.Request, resp *hostile.Response) { resp.Body = tc.edit(resp.Body) }))
			})
			_, err := r.svc.Attest(ctx, r.c.img, largeStatement(r.c.img))
			if !couldNotCheck(err) || !strings.Contains(err.Error(), "interrupted run staged") {
				t.Errorf("re-run = %v; want could not check", err)
			}
			if r.tl.count() != 1 || r.puts(attPath) != 0 {
				t.Errorf("%d log entries, %d .att PUTs; want the killed run's only, none", r.tl.count(), r.puts(attPath))
			}
			keeps(t, r.s, r.c.att, r.c.attBefore, 0)
		})
	}
}
