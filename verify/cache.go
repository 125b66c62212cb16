package verify

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// defaultCacheBytes bounds a Cache's total size when OpenCache is given no bound.
const defaultCacheBytes = 256 << 20

// maxCacheEntry bounds one entry: the largest read verify makes (a config, ocireg's
// MaxConfig); larger content is never stored.
const maxCacheEntry = ocireg.MaxConfig

// maxCacheType bounds an entry's media type line.
const maxCacheType = 255

// Cache is a content-addressed store of what a Verifier read by digest: manifests,
// configs, signature payloads, envelopes and bundles. Nothing is stored under a tag.
// Each entry is one file <dir>/sha256/<hex> holding its media type (manifests; empty for
// blobs), a newline and the bytes, written atomically (temporary file, then rename;
// 0600 in 0700 directories). An entry is hashed again on every read and must hash to
// its name: a corrupt or truncated entry is deleted and the content read from the
// registry again. When the entries exceed the bound, the least recently used are removed
// until a quarter is free (the bound is approximate with several processes sharing a
// directory). Content from the cache is checked exactly as content just read is (media
// type, descriptor size, budget, signatures, ...): the cache saves requests, it decides
// nothing. Safe for concurrent use, and for several processes sharing dir.
type Cache struct {
	dir string
	max int64

	mu   sync.Mutex
	size int64 // bytes of the entries, as counted at open and since
}

// OpenCache opens (creating it 0700 if needed) the cache in dir, bounded to maxBytes in
// total (0: 256 MiB).
func OpenCache(dir string, maxBytes int64) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("opening cache: no directory")
	}
	if maxBytes < 0 {
		return nil, fmt.Errorf("opening cache %s: negative bound %d", dir, maxBytes)
	}
	if maxBytes == 0 {
		maxBytes = defaultCacheBytes
	}
	for _, sub := range []string{"sha256", hintDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("opening cache: %w", err)
		}
	}
	c := &Cache{dir: dir, max: maxBytes}
	for _, e := range c.entries() {
		c.size += e.size
	}
	return c, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// path is where h's entry lives; "" when h is no sha256 digest (never stored).
func (c *Cache) path(h v1.Hash) string {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 || strings.Trim(h.Hex, "0123456789abcdef") != "" {
		return ""
	}
	return filepath.Join(c.dir, "sha256", h.Hex)
}

// has reports whether an entry of h exists (unchecked: get checks it).
func (c *Cache) has(h v1.Hash) bool {
	if c == nil || c.path(h) == "" {
		return false
	}
	_, err := os.Stat(c.path(h))
	return err == nil
}

// get returns the entry of h when it holds at most limit bytes hashing to h (and its
// media type); a corrupt entry is deleted. Any failure is a miss.
func (c *Cache) get(h v1.Hash, limit int64) (mediaType string, b []byte, ok bool) {
	if c == nil || c.path(h) == "" {
		return "", nil, false
	}
	p := c.path(h)
	f, err := os.Open(p)
	if err != nil {
		return "", nil, false
	}
	raw, err := io.ReadAll(io.LimitReader(f, min(limit, maxCacheEntry)+maxCacheType+2))
	fi, serr := f.Stat()
	f.Close()
	if err != nil {
		return "", nil, false
	}
	mt, body, found := bytes.Cut(raw, []byte("\n"))
	if !found || len(mt) > maxCacheType || int64(len(body)) > limit || ocireg.SHA256(body) != h {
		if int64(len(body)) <= limit || !found {
			// Not what its name says (a truncated or altered file): never used again.
			c.remove(p)
		}
		return "", nil, false
	}
	// Recently used: touched at most once a minute (the eviction order needs no finer
	// grain), not on every read of a run.
	if now := time.Now(); serr != nil || now.Sub(fi.ModTime()) > time.Minute {
		_ = os.Chtimes(p, now, now)
	}
	return string(mt), body, true
}

// put stores b under h, with its media type ("" for a blob), when b hashes to h and is
// not over maxCacheEntry. Failures are ignored: a cache that cannot be
// written only costs requests.
func (c *Cache) put(h v1.Hash, mediaType string, b []byte) {
	if c == nil || c.path(h) == "" || int64(len(b)) > maxCacheEntry || len(mediaType) > maxCacheType ||
		ocireg.Printable(mediaType, maxCacheType) != mediaType || ocireg.SHA256(b) != h {
		return
	}
	p := c.path(h)
	if _, _, ok := c.get(h, maxCacheEntry); ok {
		return // held, and whole (a corrupt entry was just deleted: written again)
	}
	if writeAtomic(p, []byte(mediaType+"\n"), b) != nil {
		return
	}
	c.mu.Lock()
	c.size += int64(len(mediaType) + 1 + len(b))
	over := c.size > c.max
	c.mu.Unlock()
	if over {
		c.evict()
	}
}

// writeAtomic writes the parts into a temporary file beside p (0600), then renames it to
// p: a reader sees the whole entry or none.
func writeAtomic(p string, parts ...[]byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	for _, b := range parts {
		if _, err = f.Write(b); err != nil {
			break
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

func (c *Cache) remove(p string) {
	fi, err := os.Stat(p)
	if err != nil || os.Remove(p) != nil {
		return
	}
	c.mu.Lock()
	c.size -= fi.Size()
	c.mu.Unlock()
}

type cacheEntry struct {
	path string
	size int64
	used time.Time
}

// entries lists the entries and the tag hints (and removes temporary files left by a
// process killed an hour ago or more).
func (c *Cache) entries() []cacheEntry {
	var out []cacheEntry
	for _, sub := range []string{"sha256", hintDir} {
		out = c.entriesIn(filepath.Join(c.dir, sub), out)
	}
	return out
}

func (c *Cache) entriesIn(dir string, out []cacheEntry) []cacheEntry {
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		fi, err := de.Info()
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		p := filepath.Join(dir, de.Name())
		if strings.HasPrefix(de.Name(), ".tmp-") {
			if time.Since(fi.ModTime()) > time.Hour {
				_ = os.Remove(p)
			}
			continue
		}
		out = append(out, cacheEntry{path: p, size: fi.Size(), used: fi.ModTime()})
	}
	return out
}

// evict removes the least recently used entries until the cache holds at most three
// quarters of its bound.
func (c *Cache) evict() {
	es := c.entries()
	sort.Slice(es, func(i, j int) bool { return es[i].used.Before(es[j].used) })
	var total int64
	for _, e := range es {
		total += e.size
	}
	for _, e := range es {
		if total <= c.max/4*3 {
			break
		}
		if err := os.Remove(e.path); err == nil || errors.Is(err, fs.ErrNotExist) {
			total -= e.size
		}
	}
	c.mu.Lock()
	c.size = total
	c.mu.Unlock()
}
