package verify_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// hintFiles lists the tag hints of the cache in dir.
func hintFiles(t *testing.T, dir string) []string {
	t.Helper()
	ps, err := filepath.Glob(filepath.Join(dir, "tags", "*"))
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// sigTagPath is the registry path of img's .sig (or .att) tag in f's signatures repository.
func sigTagPath(f *verifytest.Fixture, digest, suffix string) string {
	return "/v2/" + f.SigRepo.RepositoryStr() + "/manifests/" + strings.Replace(digest, ":", "-", 1) + suffix
}

// With the tag's last digest as a hint, an unchanged image is one round trip: the tag's
// HEAD and the .sig and .att HEADs of the hinted digest go out together.
func TestHintWarmRunIsOneRoundTrip(t *testing.T) {
	f := verifytest.New(t)
	tags := cachedImages(f, 3)
	plain, _ := verifyAllJSON(t, f, nil, tags)
	dir := t.TempDir()
	cache := openCache(t, dir)
	verifyAllJSON(t, f, cache, tags)
	if n := len(hintFiles(t, dir)); n != len(tags) {
		t.Fatalf("%d tag hints after the cold run, want %d", n, len(tags))
	}
	f.Hostile.Clear()
	before := len(f.Hostile.Log())
	warm, st := verifyAllJSON(t, f, cache, tags)
	for i := range tags {
		if warm[i] != plain[i] {
			t.Errorf("verdicts differ:\nno cache %s\nwarm     %s", plain[i], warm[i])
		}
	}
	if st.RoundTrips != len(tags) || st.Heads != 3*len(tags) || st.Methods["GET"] != 0 {
		t.Errorf("warm run with hints: %v; want 1 round trip and 3 HEADs per image, no GET", st)
	}
	for _, e := range f.Hostile.Log()[before:] {
		if e.Method != http.MethodHead && strings.Contains(e.Path, "/manifests/") {
			t.Errorf("warm run: %s %s", e.Method, e.Path)
		}
	}
	// Without the hints, the tag is read with one GET, then the .sig and .att (of an image
	// the cache held) by HEAD: 2 round trips.
	for _, p := range hintFiles(t, dir) {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, st = verifyAllJSON(t, f, openCache(t, dir), tags); st.RoundTrips != 2*len(tags) ||
		st.ManifestGets != len(tags) || st.BlobGets != 0 || st.Heads != 2*len(tags) {
		t.Errorf("warm run without hints: %v; want 2 round trips, the tag's GET and 2 HEADs per image", st)
	}
}

// A tag moved since its hint: what was asked about the old digest is dropped, and every
// check is of the digest the tag's HEAD names now, whose .sig is read as without a hint.
func TestHintTagMoved(t *testing.T) {
	for _, signed := range []bool{true, false} {
		name := map[bool]string{true: "to a signed image", false: "to an unsigned image"}[signed]
		t.Run(name, func(t *testing.T) {
			f := verifytest.New(t)
			tags := cachedImages(f, 1)
			old := digestOf(t, f, tags[0])
			cache := openCache(t, t.TempDir())
			verifyAllJSON(t, f, cache, tags)
			img := f.PushImage(tags[0].Context(), tags[0].TagStr(), verifytest.PinCommit)
			if signed {
				f.Sign(img)
			}
			f.Hostile.Clear()
			before := len(f.Hostile.Log())
			v, _ := newVerifier(f, verify.WithCache(cache))
			vd, err := v.Verify(ctxT(t), tags[0], policy())
			if err != nil || vd.Digest != img.DigestStr() || vd.Verified != signed {
				t.Fatalf("Verify = %+v, %v; want verified %v, about %s (the tag's new digest)", vd, err, signed, img.DigestStr())
			}
			if !signed && vd.Check(verify.CheckSignature).Status != verify.StatusFail {
				t.Errorf("signature check = %+v; want a fail (no .sig for the new digest)", vd.Check(verify.CheckSignature))
			}
			var specOld, readNew bool
			for _, e := range f.Hostile.Log()[before:] {
				specOld = specOld || e.Method == http.MethodHead && e.Path == sigTagPath(f, old, ".sig")
				readNew = readNew || e.Path == sigTagPath(f, img.DigestStr(), ".sig")
			}
			if !specOld || !readNew {
				t.Errorf("requests %v: want the old digest's .sig asked speculatively and the new one's read", f.Hostile.Log()[before:])
			}
			// The hint now names the new digest: the next run is one round trip again (two
			// unsigned: after the .sig's 404, the referrers tag of cosign v3 is looked up).
			want := map[bool]int{true: 1, false: 2}[signed]
			v, st := newVerifier(f, verify.WithCache(cache))
			if vd, err = v.Verify(ctxT(t), tags[0], policy()); err != nil || vd.Verified != signed || st.Snapshot().RoundTrips != want {
				t.Errorf("next run = %+v, %v, %v; want the same verdict in %d round trips", vd, err, st.Snapshot(), want)
			}
		})
	}
}

// The speculative .sig HEAD is a claim like any HEAD: the cached content it picks is
// hashed again, and content of another digest decides nothing for this one.
func TestHintSpeculativeSigHEAD(t *testing.T) {
	f := verifytest.New(t)
	tags := cachedImages(f, 2)
	dir := t.TempDir()
	cache := openCache(t, dir)
	verifyAllJSON(t, f, cache, tags)
	img := digestOf(t, f, tags[0])
	sigPath := sigTagPath(f, img, ".sig")

	t.Run("a cache entry that does not hash to the digest", func(t *testing.T) {
		sig := headDigest(t, f, sigPath)
		p := filepath.Join(dir, "sha256", strings.TrimPrefix(sig, "sha256:"))
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Replace(string(b), "sha256", "sha257", 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		v, st := newVerifier(f, verify.WithCache(cache))
		vd, err := v.Verify(ctxT(t), tags[0], policy())
		if err != nil || !vd.Verified {
			t.Fatalf("Verify = %+v, %v; want verified (the .sig read again)", vd, err)
		}
		if s := st.Snapshot(); s.ManifestGets != 1 || s.RoundTrips != 2 {
			t.Errorf("stats %v: want one manifest GET (the .sig by its digest) in a second round trip", s)
		}
		if _, err := os.ReadFile(p); err != nil || headDigest(t, f, sigPath) != sig {
			t.Errorf("the entry was not stored again: %v", err)
		}
	})
	t.Run("another image's .sig", func(t *testing.T) {
		other := headDigest(t, f, sigTagPath(f, digestOf(t, f, tags[1]), ".sig"))
		r := f.Hostile.On(http.MethodHead, sigPath, hostile.Respond(200, "", "Docker-Content-Digest", other))
		defer r.Remove()
		v, st := newVerifier(f, verify.WithCache(cache))
		vd, err := v.Verify(ctxT(t), tags[0], policy())
		if err != nil || vd.Verified || vd.Digest != img || vd.Check(verify.CheckSignature).Status != verify.StatusFail {
			t.Fatalf("Verify = %+v, %v; want not verified (that signature is of another digest)", vd, err)
		}
		if s := st.Snapshot(); r.Hits() != 1 || s.RoundTrips != 1 {
			t.Errorf("stats %v, %d speculative HEADs answered: want 1 in 1 round trip", s, r.Hits())
		}
	})
	t.Run("a digest the registry does not serve", func(t *testing.T) {
		r := f.Hostile.On(http.MethodHead, sigPath, hostile.Respond(200, "", "Docker-Content-Digest", "sha256:"+strings.Repeat("cd", 32)))
		defer r.Remove()
		v, _ := newVerifier(f, verify.WithCache(cache))
		vd, err := v.Verify(ctxT(t), tags[0], policy())
		var ind *verify.Indeterminate
		if !asIndeterminate(err, &ind) || vd.Verified {
			t.Fatalf("Verify = %+v, %v; want indeterminate", vd, err)
		}
	})
}

// headDigest is the registry's Docker-Content-Digest for a manifest path.
func headDigest(t *testing.T, f *verifytest.Fixture, path string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodHead, "http://"+f.Host+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	d := resp.Header.Get("Docker-Content-Digest")
	if resp.StatusCode != 200 || d == "" {
		t.Fatalf("HEAD %s: %s, digest %q", path, resp.Status, d)
	}
	return d
}

// A hint that is not exactly one sha256 digest is no hint (read at most 128 bytes): the
// run is as without one, and the hint is written again.
func TestHintFileCorrupt(t *testing.T) {
	f := verifytest.New(t)
	tags := cachedImages(f, 1)
	img := digestOf(t, f, tags[0])
	for name, content := range map[string]string{
		"garbage":        "\x00\xffnot a digest\n",
		"empty":          "",
		"no newline":     img,
		"another alg":    "sha512:" + strings.Repeat("ab", 64) + "\n",
		"upper case":     strings.ToUpper(img) + "\n",
		"path":           "sha256:../../etc/passwd\n",
		"trailing bytes": img + "\nsha256:" + strings.Repeat("0", 64) + "\n",
		"oversized":      img + "\n" + strings.Repeat("x", 1<<20),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cache := openCache(t, dir)
			verifyAllJSON(t, f, cache, tags)
			hints := hintFiles(t, dir)
			if len(hints) != 1 {
				t.Fatalf("hints %v, want 1", hints)
			}
			if err := os.WriteFile(hints[0], []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, st := verifyAllJSON(t, f, cache, tags)
			if st.RoundTrips != 2 || st.Heads != 2 || st.ManifestGets != 1 || st.BlobGets != 0 {
				t.Errorf("stats %v: want the run without a hint (the tag's GET, then 2 HEADs: 2 round trips)", st)
			}
			if b, err := os.ReadFile(hints[0]); err != nil || string(b) != img+"\n" {
				t.Errorf("hint = %q, %v; want %s written again", b, err, img)
			}
		})
	}
	t.Run("a directory", func(t *testing.T) {
		dir := t.TempDir()
		cache := openCache(t, dir)
		verifyAllJSON(t, f, cache, tags)
		hints := hintFiles(t, dir)
		if err := os.Remove(hints[0]); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(hints[0], 0o700); err != nil {
			t.Fatal(err)
		}
		if _, st := verifyAllJSON(t, f, cache, tags); st.RoundTrips != 2 {
			t.Errorf("stats %v: want the run without a hint", st)
		}
	})
}

// A planted hint (a digest the tag never named) costs the speculative HEADs, nothing more.
func TestHintPlanted(t *testing.T) {
	f := verifytest.New(t)
	tags := cachedImages(f, 2)
	dir := t.TempDir()
	cache := openCache(t, dir)
	verifyAllJSON(t, f, cache, tags[:1])
	hint0 := hintFiles(t, dir)[0]
	// The hint of tags[0] names tags[1]'s image, signed and cached too.
	verifyAllJSON(t, f, cache, tags[1:])
	if err := os.WriteFile(hint0, []byte(digestOf(t, f, tags[1])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	v, st := newVerifier(f, verify.WithCache(cache))
	vd, err := v.Verify(ctxT(t), tags[0], policy())
	if err != nil || !vd.Verified || vd.Digest != digestOf(t, f, tags[0]) {
		t.Fatalf("Verify = %+v, %v; want verified, about the tag's own digest", vd, err)
	}
	if s := st.Snapshot(); s.RoundTrips != 2 || s.Heads != 5 || s.Methods["GET"] != 0 {
		t.Errorf("stats %v: want 2 wasted HEADs and the run without a hint", s)
	}
}
