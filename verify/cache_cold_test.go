package verify_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Cold, with a cache and no hint: each image's tag is read with one GET (no HEAD, no GET
// by its digest after it), so the run makes exactly the requests, manifest GETs and
// round trips of a run without a cache, as the registry counts them.
func TestCacheColdReadsTheTagOnce(t *testing.T) {
	f := verifytest.New(t)
	tags := cachedImages(f, 3)
	var imgs []string
	for _, tag := range tags {
		imgs = append(imgs, digestOf(t, f, tag))
	}
	_, plain := verifyAllJSON(t, f, nil, tags)
	before := len(f.Hostile.Log())
	dir := t.TempDir()
	_, cold := verifyAllJSON(t, f, openCache(t, dir), tags)
	if cold.RegistryRequests != plain.RegistryRequests || cold.ManifestGets != plain.ManifestGets ||
		cold.BlobGets != plain.BlobGets || cold.RoundTrips != plain.RoundTrips || cold.Heads != 0 {
		t.Errorf("cold run %v; want exactly the run without a cache: %v", cold, plain)
	}
	log := f.Hostile.Log()[before:]
	count := func(method, path string) (n int) {
		for _, e := range log {
			if e.Method == method && e.Path == path {
				n++
			}
		}
		return n
	}
	for i, tag := range tags {
		repo := "/v2/" + tag.RepositoryStr() + "/manifests/"
		if n := count(http.MethodGet, repo+"latest"); n != 1 {
			t.Errorf("%s: %d GETs of the tag, want 1", tag, n)
		}
		if n := count(http.MethodGet, repo+imgs[i]); n != 0 {
			t.Errorf("%s: %d GETs of its manifest by digest, want 0 (the tag's GET read it)", tag, n)
		}
		// Cached under the hash of the bytes the tag's GET read.
		if _, err := os.Stat(filepath.Join(dir, "sha256", strings.TrimPrefix(imgs[i], "sha256:"))); err != nil {
			t.Errorf("%s: manifest %s not cached: %v", tag, imgs[i], err)
		}
	}
	for _, e := range log {
		if e.Method == http.MethodHead {
			t.Errorf("cold run: HEAD %s, want no HEAD", e.Path)
		}
	}
	reads := 0 // what the registry saw, the ping (/v2/) apart
	for _, e := range log {
		if strings.Contains(e.Path, "/manifests/") || strings.Contains(e.Path, "/blobs/") {
			reads++
		}
	}
	if reads != cold.RegistryRequests {
		t.Errorf("the registry saw %d reads, the stats count %d", reads, cold.RegistryRequests)
	}
}

// A GET of the tag whose Docker-Content-Digest names other bytes than those served: the
// header is never believed, the read is refused as the registry contradicting itself
// (could not check), the verdict names the hash of the bytes served, and nothing is
// cached under either digest, nor a hint written.
func TestCacheColdTagDigestHeaderLies(t *testing.T) {
	f := verifytest.New(t)
	tags := cachedImages(f, 2)
	served := digestOf(t, f, tags[0])
	claimed := digestOf(t, f, tags[1]) // genuine, signed content of another image
	r := f.Hostile.On(http.MethodGet, "^/v2/"+tags[0].RepositoryStr()+"/manifests/latest$",
		hostileHeaders("Docker-Content-Digest", claimed))
	defer r.Remove()
	dir := t.TempDir()
	v, _ := newVerifier(f, verify.WithCache(openCache(t, dir)))
	vd, err := v.Verify(ctxT(t), tags[0], policy())
	var ind *verify.Indeterminate
	if !asIndeterminate(err, &ind) || vd.Verified || vd.Digest == claimed {
		t.Fatalf("Verify = %+v, %v; want indeterminate, never about the header's digest", vd, err)
	}
	if !strings.Contains(vd.Reason, served) || !strings.Contains(vd.Reason, "Docker-Content-Digest says "+claimed) {
		t.Errorf("Reason %q: want the hash of the bytes served (%s) beside the header's claim", vd.Reason, served)
	}
	for _, d := range []string{served, claimed} {
		if _, err := os.Stat(filepath.Join(dir, "sha256", strings.TrimPrefix(d, "sha256:"))); err == nil {
			t.Errorf("%s cached from a refused read", d)
		}
	}
	if hs := hintFiles(t, dir); len(hs) != 0 {
		t.Errorf("hints %v written after a refused read", hs)
	}
}
