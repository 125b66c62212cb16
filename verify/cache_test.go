package verify_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

func openCache(t *testing.T, dir string) *verify.Cache {
	t.Helper()
	c, err := verify.OpenCache(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// cachedImages pushes n images in cosign's legacy layout with every payload a blob (so
// that every read of a cold run goes to the registry) and returns their tags.
func cachedImages(f *verifytest.Fixture, n int) []name.Tag {
	var tags []name.Tag
	for i := range n {
		repo := f.Repo(fmt.Sprintf("mcp/cached%d", i))
		legacyImage(f, repo, "latest")
		tags = append(tags, repo.Tag("latest"))
	}
	return tags
}

// verifyAllJSON verifies the tags with a fresh Verifier on cache and returns the
// verdicts as JSON and the stats.
func verifyAllJSON(t *testing.T, f *verifytest.Fixture, cache *verify.Cache, tags []name.Tag) ([]string, verify.Snapshot) {
	t.Helper()
	var opts []verify.Option
	if cache != nil {
		opts = append(opts, verify.WithCache(cache))
	}
	v, st := newVerifier(f, opts...)
	var out []string
	for _, tag := range tags {
		vd, err := v.Verify(ctxT(t), tag, policy())
		if err != nil || !vd.Verified {
			t.Fatalf("Verify(%s) = %+v, %v; want verified", tag, vd, err)
		}
		b, _ := json.Marshal(vd)
		out = append(out, string(b))
	}
	return out, st.Snapshot()
}

func TestCacheWarmRunMakesOnlyHEADs(t *testing.T) {
	f := verifytest.New(t)
	tags := cachedImages(f, 4)
	plain, plainStats := verifyAllJSON(t, f, nil, tags)
	cache := openCache(t, t.TempDir())
	cold, coldStats := verifyAllJSON(t, f, cache, tags)
	f.Hostile.Clear()
	before := len(f.Hostile.Log())
	warm, warmStats := verifyAllJSON(t, f, cache, tags)
	for i := range tags {
		if cold[i] != plain[i] || warm[i] != plain[i] {
			t.Errorf("verdicts differ:\nno cache %s\ncold     %s\nwarm     %s", plain[i], cold[i], warm[i])
		}
	}
	if plainStats.Heads != 0 || coldStats.ManifestGets == 0 || coldStats.BlobGets == 0 {
		t.Errorf("no cache %+v, cold %+v: want GETs only without a cache, and GETs cold", plainStats, coldStats)
	}
	// Cold: the tag's one GET (no hint yet); the image is new to the cache, so its .sig
	// and .att are read by GET at once with the config: exactly the requests and round
	// trips of a run without a cache.
	if coldStats.Heads != 0 || coldStats.RoundTrips != plainStats.RoundTrips ||
		coldStats.ManifestGets != plainStats.ManifestGets || coldStats.RegistryRequests != plainStats.RegistryRequests {
		t.Errorf("cold run stats = %+v (without a cache %+v); want the same requests and round trips, no HEAD", coldStats, plainStats)
	}
	// Per image: HEAD of the tag, the .sig and the .att; nothing else.
	if warmStats.ManifestGets != 0 || warmStats.BlobGets != 0 || warmStats.Heads != 3*len(tags) || warmStats.Methods["GET"] != 0 {
		t.Errorf("warm run stats = %+v; want %d HEADs and no GET", warmStats, 3*len(tags))
	}
	gets := 0
	for _, e := range f.Hostile.Log()[before:] {
		if e.Method == http.MethodGet && strings.Contains(e.Path, "/manifests/") || strings.Contains(e.Path, "/blobs/") {
			gets++
		}
	}
	if gets != 0 || len(f.Hostile.Log()) == before {
		t.Errorf("registry saw %d manifest or blob GETs on the warm run", gets)
	}
	if warmStats.CacheHits == 0 {
		t.Errorf("warm run: no cache hits: %+v", warmStats)
	}
}

func TestCacheEntriesArePrivateAndNamedByDigest(t *testing.T) {
	f := verifytest.New(t)
	tags := cachedImages(f, 1)
	dir := filepath.Join(t.TempDir(), "c")
	verifyAllJSON(t, f, openCache(t, dir), tags)
	fi, err := os.Stat(filepath.Join(dir, "sha256"))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("cache directory: %v %v; want 0700", fi.Mode(), err)
	}
	es, _ := os.ReadDir(filepath.Join(dir, "sha256"))
	if len(es) != 6 { // manifest, config, .sig, payload, .att, envelope
		t.Fatalf("cache holds %d entries, want 6", len(es))
	}
	for _, e := range es {
		info, _ := e.Info()
		if len(e.Name()) != 64 || strings.Trim(e.Name(), "0123456789abcdef") != "" || info.Mode().Perm() != 0o600 {
			t.Errorf("entry %s mode %v: want a sha256 hex name, 0600", e.Name(), info.Mode())
		}
	}
}

// A corrupt or truncated entry is detected by its hash, deleted and read again; the
// verdict is unchanged.
func TestCacheCorruptEntriesAreRefetched(t *testing.T) {
	for _, tc := range []struct {
		name    string
		corrupt func(b []byte) []byte
	}{
		{"flipped byte", func(b []byte) []byte { b[len(b)-2] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }},
		{"empty", func([]byte) []byte { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := verifytest.New(t)
			tags := cachedImages(f, 1)
			dir := t.TempDir()
			cold, _ := verifyAllJSON(t, f, openCache(t, dir), tags)
			es, _ := os.ReadDir(filepath.Join(dir, "sha256"))
			for _, e := range es {
				p := filepath.Join(dir, "sha256", e.Name())
				b, _ := os.ReadFile(p)
				if err := os.WriteFile(p, tc.corrupt(b), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			warm, st := verifyAllJSON(t, f, openCache(t, dir), tags)
			if warm[0] != cold[0] {
				t.Errorf("verdict with corrupt cache %s, want %s", warm[0], cold[0])
			}
			if st.CacheHits != 0 || st.ManifestGets != 3 || st.BlobGets != 3 {
				t.Errorf("stats %+v: want every entry refused and read again (3 manifest GETs, 3 blob GETs)", st)
			}
			// Read again, the entries are whole: a third run reads nothing.
			_, st = verifyAllJSON(t, f, openCache(t, dir), tags)
			if st.ManifestGets+st.BlobGets != 0 {
				t.Errorf("after refetch: %+v, want no GET", st)
			}
		})
	}
}

// The registry's HEAD is a claim that picks a cache key and nothing more.
func TestCacheLyingHEAD(t *testing.T) {
	f := verifytest.New(t)
	tags := cachedImages(f, 2)
	cache := openCache(t, t.TempDir())
	verifyAllJSON(t, f, cache, tags)
	other, err := name.NewDigest(tags[1].Context().Name() + "@" + digestOf(t, f, tags[1]))
	if err != nil {
		t.Fatal(err)
	}
	tagPath := "/v2/" + tags[0].RepositoryStr() + "/manifests/latest"

	t.Run("another image's digest", func(t *testing.T) {
		// HEAD names the digest of an image cached from another repository: that content
		// is what a GET by the digest would be, and every check applies to it. It was
		// signed for its own repository, so it is not verified for this one.
		r := f.Hostile.On(http.MethodHead, tagPath, hostile.Respond(200, "", "Docker-Content-Digest", other.DigestStr()))
		defer r.Remove()
		v, _ := newVerifier(f, verify.WithCache(cache))
		vd, err := v.Verify(ctxT(t), tags[0], policy())
		if err != nil || vd.Verified || vd.Digest != other.DigestStr() {
			t.Fatalf("Verify = %+v, %v; want not verified, about %s (what the HEAD named)", vd, err, other.DigestStr())
		}
	})
	t.Run("a digest the registry does not serve", func(t *testing.T) {
		r := f.Hostile.On(http.MethodHead, tagPath, hostile.Respond(200, "", "Docker-Content-Digest", "sha256:"+strings.Repeat("ab", 32)))
		defer r.Remove()
		v, _ := newVerifier(f, verify.WithCache(cache))
		vd, err := v.Verify(ctxT(t), tags[0], policy())
		var ind *verify.Indeterminate
		if !asIndeterminate(err, &ind) || vd.Verified {
			t.Fatalf("Verify = %+v, %v; want indeterminate (a HEAD naming content the registry lacks proves nothing absent)", vd, err)
		}
	})
	t.Run("a cached blob's digest", func(t *testing.T) {
		cfg := configDigest(t, f, tags[0])
		r := f.Hostile.On(http.MethodHead, tagPath, hostile.Respond(200, "", "Docker-Content-Digest", cfg))
		defer r.Remove()
		v, _ := newVerifier(f, verify.WithCache(cache))
		vd, err := v.Verify(ctxT(t), tags[0], policy())
		var ind *verify.Indeterminate
		if !asIndeterminate(err, &ind) || vd.Verified {
			t.Fatalf("Verify = %+v, %v; want indeterminate (a config is no manifest)", vd, err)
		}
	})
	for _, tc := range []struct {
		name, header string
	}{{"no digest header", ""}, {"another algorithm", "sha512:" + strings.Repeat("ab", 64)}, {"garbage", "sha256:zz"}} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.Hostile.On(http.MethodHead, tagPath, hostile.Respond(200, "", "Docker-Content-Digest", tc.header))
			defer r.Remove()
			v, st := newVerifier(f, verify.WithCache(cache))
			vd, err := v.Verify(ctxT(t), tags[0], policy())
			if err != nil || !vd.Verified || st.Snapshot().ManifestGets != 1 {
				t.Fatalf("Verify = %+v, %v, %+v; want verified after one GET of the tag", vd, err, st.Snapshot())
			}
		})
	}
	t.Run("HEAD 404", func(t *testing.T) {
		r := f.Hostile.On(http.MethodHead, tagPath, hostile.Respond(404, ""))
		defer r.Remove()
		v, _ := newVerifier(f, verify.WithCache(cache))
		vd, err := v.Verify(ctxT(t), tags[0], policy())
		if err != nil || vd.Verified || vd.Indeterminate {
			t.Fatalf("Verify = %+v, %v; want a definite no (absent)", vd, err)
		}
	})
	t.Run("HEAD 500", func(t *testing.T) {
		r := f.Hostile.On(http.MethodHead, tagPath, hostile.Respond(500, ""))
		defer r.Remove()
		v, _ := newVerifier(f, verify.WithCache(cache))
		vd, err := v.Verify(ctxT(t), tags[0], policy())
		var ind *verify.Indeterminate
		if !asIndeterminate(err, &ind) || vd.Verified {
			t.Fatalf("Verify = %+v, %v; want indeterminate", vd, err)
		}
	})
}

func TestStatsRateLimitHeadersAreSanitized(t *testing.T) {
	f := verifytest.New(t)
	tags := cachedImages(f, 1)
	hostile := strings.Repeat("x", 100) + "\u00e9"
	f.Hostile.On("", "/v2/.+/manifests/", hostileHeaders("RateLimit-Remaining", "7;w=21600", "RateLimit-Limit", hostile))
	_, st := verifyAllJSON(t, f, nil, tags)
	s := st.String()
	if st.RateLimit["ratelimit-remaining"] != "7;w=21600" || !strings.Contains(s, `ratelimit-remaining="7;w=21600"`) {
		t.Errorf("stats %q / %v: want the remaining count", s, st.RateLimit)
	}
	if got := st.RateLimit["ratelimit-limit"]; len(got) > 70 || strings.ContainsRune(got, '\u00e9') {
		t.Errorf("rate limit header kept as %q: want printable ASCII, bounded", got)
	}
}

func digestOf(t *testing.T, f *verifytest.Fixture, tag name.Tag) string {
	t.Helper()
	d, err := remote.Head(tag)
	if err != nil {
		t.Fatal(err)
	}
	return d.Digest.String()
}

func configDigest(t *testing.T, f *verifytest.Fixture, tag name.Tag) string {
	t.Helper()
	img, err := remote.Image(tag)
	if err != nil {
		t.Fatal(err)
	}
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

func asIndeterminate(err error, ind **verify.Indeterminate) bool { return errors.As(err, ind) }

// hostileHeaders answers as the registry does, with extra headers (name, value pairs).
func hostileHeaders(kv ...string) hostile.Action {
	return hostile.Edit(func(_ *http.Request, resp *hostile.Response) {
		for i := 0; i+1 < len(kv); i += 2 {
			resp.Header.Set(kv[i], kv[i+1])
		}
	})
}

// A .sig tag that moved is read again (its HEAD names a new digest), and decides: the
// cache never answers for a tag.
func TestCacheSignatureTagMoved(t *testing.T) {
	f := verifytest.New(t)
	tags := cachedImages(f, 1)
	cache := openCache(t, t.TempDir())
	verifyAllJSON(t, f, cache, tags)
	img, err := name.NewDigest(tags[0].Context().Name() + "@" + digestOf(t, f, tags[0]))
	if err != nil {
		t.Fatal(err)
	}
	f.Sign(img, verifytest.SigSpec{Key: verifytest.NewKey(t), NoData: true}) // replaces the .sig
	v, st := newVerifier(f, verify.WithCache(cache))
	vd, err := v.Verify(ctxT(t), tags[0], policy())
	if err != nil || vd.Verified || vd.Check(verify.CheckSignature).Status != verify.StatusFail {
		t.Fatalf("Verify = %+v, %v; want the new .sig (another key) to fail", vd, err)
	}
	if s := st.Snapshot(); s.ManifestGets != 1 || s.Heads != 3 {
		t.Errorf("stats %v: want 3 HEADs and one manifest GET (the new .sig)", s)
	}
}
