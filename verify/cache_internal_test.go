package verify

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

func TestCachePutGet(t *testing.T) {
	c, err := OpenCache(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	b := []byte(`{"schemaVersion":2}`)
	h := ocireg.SHA256(b)
	c.put(h, ocireg.MediaOCIManifest, b)
	if mt, got, ok := c.get(h, 1<<20); !ok || mt != ocireg.MediaOCIManifest || !bytes.Equal(got, b) {
		t.Fatalf("get = %q %q %v", mt, got, ok)
	}
	if _, _, ok := c.get(h, int64(len(b)-1)); ok {
		t.Error("an entry over the read's limit was returned")
	}
	if _, err := os.Stat(c.path(h)); err != nil {
		t.Errorf("an entry over one read's limit was removed: %v", err)
	}
	// Bytes that are not h's are never stored, nor is anything under a name that is no
	// sha256 digest, nor a media type that could break the entry's format.
	other := ocireg.SHA256([]byte("other"))
	c.put(other, "", b)
	c.put(v1.Hash{Algorithm: "sha256", Hex: "../../x"}, "", b)
	c.put(v1.Hash{Algorithm: "sha512", Hex: h.Hex}, "", b)
	b2 := []byte("blob")
	c.put(ocireg.SHA256(b2), "a\nb", b2)
	es, _ := os.ReadDir(filepath.Join(c.dir, "sha256"))
	if len(es) != 1 {
		t.Errorf("cache holds %d entries, want 1", len(es))
	}
	var nilCache *Cache
	nilCache.put(h, "", b)
	if _, _, ok := nilCache.get(h, 10); ok {
		t.Error("nil cache hit")
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c, err := OpenCache(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var hs []v1.Hash
	for i := range 4 {
		b := bytes.Repeat([]byte{byte(i)}, 2<<10)
		hs = append(hs, ocireg.SHA256(b))
		c.put(hs[i], "", b)
	}
	// Last used: 1, 2, 3, then 0 (a read touches its entry).
	t0 := time.Now().Add(-time.Hour)
	for i, h := range hs {
		at := t0.Add(time.Duration((i+3)%4) * time.Minute)
		if err := os.Chtimes(c.path(h), at, at); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, ok := c.get(hs[1], 1<<20); !ok {
		t.Fatal("entry 1 missing")
	}
	if fi, _ := os.Stat(c.path(hs[1])); !fi.ModTime().After(t0.Add(3 * time.Minute)) {
		t.Fatalf("a read did not mark entry 1 used: %v", fi.ModTime())
	}
	// Used less than a minute ago: a read does not touch it again (one write a minute).
	recent := time.Now().Add(-10 * time.Second).Truncate(time.Second)
	if err := os.Chtimes(c.path(hs[1]), recent, recent); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := c.get(hs[1], 1<<20); !ok {
		t.Fatal("entry 1 missing")
	}
	if fi, _ := os.Stat(c.path(hs[1])); !fi.ModTime().Equal(recent) {
		t.Fatalf("a read touched entry 1 used %v ago: %v", time.Since(recent), fi.ModTime())
	}
	// Now 2, 3, 0, 1. A bound of three entries keeps three quarters of it: two entries.
	c.max = 3 * (2<<10 + 1)
	c.put(ocireg.SHA256([]byte("x")), "", []byte("x")) // over the bound: evicts
	for i, want := range []bool{true, true, false, false} {
		if _, _, ok := c.get(hs[i], 1<<20); ok != want {
			t.Errorf("entry %d kept = %v, want %v", i, ok, want)
		}
	}
	var total int64
	es, _ := os.ReadDir(filepath.Join(c.dir, "sha256"))
	for _, e := range es {
		fi, _ := e.Info()
		total += fi.Size()
	}
	if total > c.max/4*3 {
		t.Errorf("cache holds %d bytes, want at most %d", total, c.max/4*3)
	}
	// Reopened, the size is counted again from the directory.
	c2, _ := OpenCache(c.dir, c.max)
	if c2.size != total {
		t.Errorf("reopened size %d, want %d", c2.size, total)
	}
}
