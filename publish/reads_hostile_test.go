package publish_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"path"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/publish"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// Publish reads what it relies on as mcpverify does (internal/ocireg): bounded, hashed
// here, of a media type it accepts. A registry serving anything else makes the server
// fail as "could not check", with nothing written over what is there.

const ociManifestStart = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",` +
	`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},`

// A .sig tag served as a 64 MiB manifest (announced or not, one long string or many
// small values) is refused after at most 4 MiB: the server fails, could not check, and
// the tag is not written.
func TestPublishRefusesHugeManifest(t *testing.T) {
	for _, tc := range []struct {
		name string
		body *signtest.Huge
	}{
		{"announced", &signtest.Huge{Head: ociManifestStart + `"layers":[],"annotations":{"pad":"`, Fill: "A", Tail: `"}}`, Announce: true}},
		{"unannounced", &signtest.Huge{Head: ociManifestStart + `"layers":[],"annotations":{"pad":"`, Fill: "A", Tail: `"}}`}},
		{"many values", &signtest.Huge{Head: ociManifestStart + `"layers":[`, Fill: "{},", Tail: `{}]}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.body.CT = ocireg.MediaOCIManifest
			h := hostilePublish(t, func(s *hostile.Server, _ coSigned) {
				s.On(http.MethodGet, sigPath, tc.body.Action())
			})
			s, c, r := h.s, h.c, h.r
			if r.Status != publish.Failed || !signtest.CouldNotCheck(r.Err) {
				t.Errorf("report %+v; want failed, could not check", r)
			}
			if n := h.reads.Read(sigPath); n > ocireg.MaxManifest+1 {
				t.Errorf("publish read %d bytes of the 64 MiB manifest; want at most the 4 MiB limit", n)
			}
			if n := tc.body.Taken(t); n >= signtest.HugeSize {
				t.Errorf("the whole manifest was sent (%d bytes); want the connection closed before", n)
			}
			if n := h.count(http.MethodGet, sigPath); n != 1 {
				t.Errorf("%d .sig GETs, want 1", n)
			}
			if n := h.count(http.MethodPut, sigPath); n != 0 || h.tl.Count() != 0 {
				t.Errorf("%d .sig PUTs, %d log entries; want none", n, h.tl.Count())
			}
			signtest.Keeps(t, s, c.Sig, c.SigBefore, 0)
		})
	}
}

// Every GET publish sends is one of its own reads (the Store's transport): nothing is read
// through go-containerregistry, whose checks are not the rules above.
func TestPublishReadsAreItsOwn(t *testing.T) {
	h := hostilePublish(t, func(*hostile.Server, coSigned) {})
	if h.r.Status != publish.Published {
		t.Fatalf("report %+v; want published", h.r)
	}
	sent := map[string]int{}
	for _, e := range h.s.Log()[h.before:] {
		if e.Method == http.MethodGet && e.Path != "/v2/" {
			sent[e.Path]++
		}
	}
	for p, n := range sent {
		if got := h.reads.Gets(p); got != n {
			t.Errorf("GET %s: %d sent, %d of them by publish's own reads", p, n, got)
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
					s.On(http.MethodGet, tag.path, tc.action(map[string][]byte{"sig": c.RawSig, "att": c.RawAtt}[tag.name]))
				})
				s, c, r := h.s, h.c, h.r
				if r.Status != publish.Failed || !signtest.CouldNotCheck(r.Err) {
					t.Errorf("report %+v; want failed, could not check", r)
				}
				if n := h.count(http.MethodPut, tag.path); n != 0 {
					t.Errorf("%d PUTs of the tag, want none", n)
				}
				if n := h.count(http.MethodPut, sigPath); n != tag.sigPuts || h.tl.Count() != tag.entries {
					t.Errorf("%d .sig PUTs, %d log entries; want %d, %d", n, h.tl.Count(), tag.sigPuts, tag.entries)
				}
				signtest.Keeps(t, s, c.Sig, c.SigBefore, tag.entries)
				signtest.Keeps(t, s, c.Att, c.AttBefore, 0)
				signtest.VerifiesKeyB(t, s, c.Img, c.Sig.Context())
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
			tl := &signtest.TLog{}
			var built atomic.Value // the digest the build pushed
			push := pushBuild(t, host)
			rec := &build.Recorder{Fake: func(s *catalog.Server) (*build.Result, error) {
				b, err := push(s)
				if err == nil {
					built.Store(b.Image.DigestStr())
				}
				return b, err
			}}
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
			r := publishOne(t, rec, signtest.Service(t, host, signtest.KeyA, tl), job(t, host, "alpha", pinA))
			if r.Status != publish.Failed || !signtest.CouldNotCheck(r.Err) || errors.Is(r.Err, publish.ErrImageNotStored) {
				t.Errorf("report %+v; want failed, could not check", r)
			}
			if r.Signature != "" || tl.Count() != 0 || s.Count(http.MethodPut, sigPath) != 0 {
				t.Errorf("report %+v, %d log entries, %d .sig PUTs; want nothing signed", r, tl.Count(), s.Count(http.MethodPut, sigPath))
			}
		})
	}
}

// The check of an already built image reads its config as the manifest declares it: a
// declared size over the config limit is refused before any byte is read (could not
// check; the server is neither rebuilt nor signed).
func TestPublishCheckRefusesHugeConfig(t *testing.T) {
	body := &signtest.Huge{CT: "application/octet-stream", Head: "{", Fill: " ", Tail: "}"}
	fake := ocireg.SHA256([]byte("a config that is not there"))
	h := hostilePublish(t, func(s *hostile.Server, c coSigned) {
		pushTag(t, c)
		s.On(http.MethodGet, imageTagPath, hostile.Edit(func(_ *http.Request, resp *hostile.Response) {
			var m map[string]any
			if err := json.Unmarshal(resp.Body, &m); err != nil {
				t.Errorf("image manifest: %v", err)
				return
			}
			m["config"].(map[string]any)["size"] = signtest.HugeSize
			m["config"].(map[string]any)["digest"] = fake.String()
			resp.Body, _ = json.Marshal(m)
			resp.Header.Del("Docker-Content-Digest")
		}))
		s.On(http.MethodGet, path.Join("/v2/mcp/alpha/blobs", fake.String()), body.Action())
	})
	if h.r.Status != publish.Failed || !signtest.CouldNotCheck(h.r.Err) || h.builds != 0 {
		t.Errorf("report %+v after %d builds; want failed, could not check, no build", h.r, h.builds)
	}
	if n := body.Taken(t); n != 0 {
		t.Errorf("%d bytes of the 64 MiB config were served; want none", n)
	}
	if n := h.count(http.MethodPut, sigPath); n != 0 || h.tl.Count() != 0 {
		t.Errorf("%d .sig PUTs, %d log entries; want none", n, h.tl.Count())
	}
}
