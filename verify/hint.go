package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// A tag hint is the digest a tag last resolved to, kept in the cache directory so that a
// later verification of the tag can ask, in the same round trip as the tag's HEAD, for
// the .sig and .att tags of that digest (fetchHinted). It is a hint only: it chooses what
// is asked, never what is believed. Every check applies to the digest the tag's HEAD
// returns now, and a hint that is wrong, corrupt or planted costs requests, nothing more.

// hintDir is the cache's subdirectory of tag hints: one file per tag, named by the
// SHA-256 of the tag's full name, holding "sha256:<hex>\n".
const hintDir = "tags"

// maxHint bounds a hint file's read: the one valid content is 72 bytes.
const maxHint = 128

// hintPath is where tag's hint lives.
func (c *Cache) hintPath(tag name.Tag) string {
	sum := sha256.Sum256([]byte(tag.Name()))
	return filepath.Join(c.dir, hintDir, hex.EncodeToString(sum[:]))
}

// hint returns the digest tag last resolved to, when the cache holds a well-formed hint
// for it (at most maxHint bytes are read; anything else is no hint).
func (c *Cache) hint(tag name.Tag) (v1.Hash, bool) {
	if c == nil {
		return v1.Hash{}, false
	}
	f, err := os.Open(c.hintPath(tag))
	if err != nil {
		return v1.Hash{}, false
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxHint))
	if err != nil {
		return v1.Hash{}, false
	}
	s, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok {
		return v1.Hash{}, false
	}
	h, err := v1.NewHash(string(s))
	if err != nil || c.path(h) == "" || strings.ContainsAny(string(s), " \t\r\n") {
		return v1.Hash{}, false
	}
	return h, true
}

// setHint records that tag resolved to h (written atomically; failures only cost the
// speculation next time). An equal hint is not written again.
func (c *Cache) setHint(tag name.Tag, h v1.Hash) {
	if c == nil || c.path(h) == "" {
		return
	}
	if old, ok := c.hint(tag); ok && old == h {
		return
	}
	b := []byte(h.String() + "\n")
	if writeAtomic(c.hintPath(tag), b) != nil {
		return
	}
	c.mu.Lock()
	c.size += int64(len(b))
	c.mu.Unlock()
}

// updateHint is setHint after a fetch that read old (ok: a well-formed hint) at its
// start: an unchanged hint is neither read nor written again.
func (c *Cache) updateHint(tag name.Tag, h, old v1.Hash, ok bool) {
	if !ok || h != old {
		c.setHint(tag, h)
	}
}
