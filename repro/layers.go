package repro

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"
)

// Limits of a layer listing (see also WithMaxLayer).
const (
	// MaxFiles is the most differing files a Difference lists; MoreFiles counts the rest.
	MaxFiles = 50
	// MaxEntries is the most tar entries read from one layer.
	MaxEntries = 1 << 17
	// DefaultMaxLayer is the largest compressed layer read (WithMaxLayer).
	DefaultMaxLayer = 512 << 20
)

// The layer media types whose files are listed.
var (
	gzipLayers = []string{
		"application/vnd.oci.image.layer.v1.tar+gzip",
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
		"application/vnd.docker.image.rootfs.diff.tar.gzip",
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
	}
	tarLayers = []string{
		"application/vnd.oci.image.layer.v1.tar",
		"application/vnd.oci.image.layer.nondistributable.v1.tar",
		"application/vnd.docker.image.rootfs.diff.tar",
	}
)

// FileDiff is one path that differs between two layers.
type FileDiff struct {
	Path string `json:"path"`
	// Only is "published" or "rebuilt" for a path only that side has; empty when both do.
	Only string `json:"only,omitempty"`
	// Fields are what differs when both have it: type, link, content, size, mode, uid,
	// gid, mtime (in that order).
	Fields []string `json:"fields,omitempty"`
	// Detail gives the values that differ, published -> rebuilt (content by sha256).
	Detail string `json:"detail,omitempty"`
}

// fileInfo is what is compared of one tar entry.
type fileInfo struct {
	typ      byte
	link     string
	sha256   string // of the content of a regular file
	size     int64
	mode     int64
	uid, gid int
	mtime    time.Time
}

// errNotListed is a layer whose files are not listed (its compression, a bound): the
// Difference says why, and it is not a read failure.
type errNotListed struct{ why string }

func (e *errNotListed) Error() string { return e.why }

// listLayer reads the tar entries of a layer of media type mt (gzip or uncompressed),
// reading at most maxRaw uncompressed bytes and MaxEntries entries.
func listLayer(blob []byte, mt string, maxRaw int64) (map[string]fileInfo, error) {
	var r io.Reader = bytes.NewReader(blob)
	switch {
	case slices.Contains(gzipLayers, mt):
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, &errNotListed{fmt.Sprintf("not gzip data: %v", err)}
		}
		r = zr
	case slices.Contains(tarLayers, mt):
	default:
		return nil, &errNotListed{fmt.Sprintf("layer media type %q: only gzip and uncompressed tar layers are listed", cut(mt, 100))}
	}
	lr := &boundedReader{r: r, left: maxRaw}
	tr := tar.NewReader(lr)
	files := map[string]fileInfo{}
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err == nil && n >= MaxEntries {
			err = &errNotListed{fmt.Sprintf("more than %d entries", MaxEntries)}
		}
		if err != nil {
			return nil, notListed(err, "reading tar")
		}
		fi := fileInfo{typ: h.Typeflag, link: h.Linkname, size: h.Size, mode: h.Mode, uid: h.Uid, gid: h.Gid, mtime: h.ModTime.UTC()}
		if h.Typeflag == tar.TypeReg || h.Typeflag == 0 { // 0: the old regular-file flag
			sum := sha256.New()
			if _, err := io.Copy(sum, tr); err != nil {
				return nil, notListed(err, "reading "+h.Name)
			}
			fi.sha256 = hex.EncodeToString(sum.Sum(nil))
		}
		files[cleanPath(h.Name)] = fi
	}
}

// notListed makes err, met while reading a layer, an errNotListed (the bytes were already
// checked against their digest: what they hold is the answer, not a failed read).
func notListed(err error, doing string) error {
	var nl *errNotListed
	if errors.As(err, &nl) {
		return nl
	}
	return &errNotListed{fmt.Sprintf("%s: %v", doing, err)}
}

// boundedReader fails past left bytes (a decompression bomb).
type boundedReader struct {
	r    io.Reader
	left int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, &errNotListed{"more uncompressed bytes than the limit"}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

func cleanPath(name string) string {
	p := strings.TrimPrefix(path.Clean("/"+name), "/")
	if p == "" {
		return "/"
	}
	return p
}

// diffFiles lists the paths that differ between a (published) and b (rebuilt), sorted,
// at most MaxFiles, and how many more there are.
func diffFiles(a, b map[string]fileInfo) ([]FileDiff, int) {
	paths := make([]string, 0, len(a)+len(b))
	for p := range a {
		paths = append(paths, p)
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var out []FileDiff
	more := 0
	for _, p := range paths {
		fa, aok := a[p]
		fb, bok := b[p]
		var d FileDiff
		switch {
		case !bok:
			d = FileDiff{Path: p, Only: "published"}
		case !aok:
			d = FileDiff{Path: p, Only: "rebuilt"}
		default:
			var ok bool
			if d, ok = compareFile(p, fa, fb); ok {
				continue
			}
		}
		if len(out) == MaxFiles {
			more++
			continue
		}
		out = append(out, d)
	}
	return out, more
}

// compareFile says what differs between two entries of one path; ok when nothing does.
func compareFile(p string, a, b fileInfo) (d FileDiff, ok bool) {
	d.Path = p
	var details []string
	add := func(field string, av, bv any) {
		d.Fields = append(d.Fields, field)
		details = append(details, fmt.Sprintf("%s %v -> %v", field, av, bv))
	}
	if a.typ != b.typ {
		add("type", typeName(a.typ), typeName(b.typ))
	}
	if a.link != b.link {
		add("link", cut(a.link, 100), cut(b.link, 100))
	}
	if a.sha256 != b.sha256 {
		add("content", short(a.sha256), short(b.sha256))
	}
	if a.size != b.size {
		add("size", a.size, b.size)
	}
	if a.mode != b.mode {
		add("mode", fmt.Sprintf("%04o", a.mode), fmt.Sprintf("%04o", b.mode))
	}
	if a.uid != b.uid {
		add("uid", a.uid, b.uid)
	}
	if a.gid != b.gid {
		add("gid", a.gid, b.gid)
	}
	if !a.mtime.Equal(b.mtime) {
		add("mtime", a.mtime.Format(time.RFC3339Nano), b.mtime.Format(time.RFC3339Nano))
	}
	d.Detail = strings.Join(details, "; ")
	return d, len(d.Fields) == 0
}

func short(sha string) string {
	if sha == "" {
		return "-"
	}
	return "sha256:" + sha[:12]
}

func typeName(t byte) string {
	switch t {
	case tar.TypeReg:
		return "file"
	case tar.TypeDir:
		return "dir"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeChar, tar.TypeBlock:
		return "device"
	case tar.TypeFifo:
		return "fifo"
	}
	return fmt.Sprintf("type %q", t)
}
