package verify

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

func TestHintSetGet(t *testing.T) {
	c, err := OpenCache(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	tag, other := name.MustParseReference("r.example/a:v1").(name.Tag), name.MustParseReference("r.example/a:v2").(name.Tag)
	h := ocireg.SHA256([]byte("x"))
	if _, ok := c.hint(tag); ok {
		t.Fatal("hint before any was set")
	}
	c.setHint(tag, h)
	c.setHint(tag, v1.Hash{Algorithm: "sha512", Hex: strings.Repeat("a", 128)}) // not stored
	if got, ok := c.hint(tag); !ok || got != h {
		t.Errorf("hint = %v, %v; want %v", got, ok, h)
	}
	if _, ok := c.hint(other); ok {
		t.Error("another tag has the hint")
	}
	fi, err := os.Stat(c.hintPath(tag))
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 72 {
		t.Errorf("hint file %v, %v; want 72 bytes, 0600", fi, err)
	}
	var nilCache *Cache
	nilCache.setHint(tag, h)
	if _, ok := nilCache.hint(tag); ok {
		t.Error("nil cache has a hint")
	}
}

// A hint is read at most maxHint bytes: a file that never ends (a FIFO whose writer
// stays open) is no hint, and the read returns.
func TestHintReadIsBounded(t *testing.T) {
	c, err := OpenCache(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	tag := name.MustParseReference("r.example/a:v1").(name.Tag)
	p := c.hintPath(tag)
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		w, err := os.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		_, _ = w.Write([]byte(ocireg.SHA256([]byte("x")).String() + "\n" + strings.Repeat("x", 1<<20)))
		<-done
	}()
	got := make(chan bool, 1)
	go func() { _, ok := c.hint(tag); got <- ok }()
	select {
	case ok := <-got:
		if ok {
			t.Error("an oversized hint was used")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reading a hint that never ends did not return")
	}
}

// Hints count towards the cache's bound and are evicted like entries.
func TestHintsAreEvicted(t *testing.T) {
	c, err := OpenCache(t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	h := ocireg.SHA256([]byte("x"))
	for i := range 40 {
		tag, err := name.NewTag(fmt.Sprintf("r.example/a:v%d", i))
		if err != nil {
			t.Fatal(err)
		}
		c.setHint(tag, h)
	}
	if c.size != 40*72 {
		t.Fatalf("size %d after 40 hints, want %d", c.size, 40*72)
	}
	c.max = 20 * 72
	c.put(h, "", []byte("x"))
	hints, _ := filepath.Glob(filepath.Join(c.dir, hintDir, "*"))
	if len(hints) > 15 || c.size > c.max/4*3 {
		t.Errorf("%d hints, %d bytes after eviction; want at most 15 and %d bytes", len(hints), c.size, c.max/4*3)
	}
}
