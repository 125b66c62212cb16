package repro

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/mcpbuild/mcpbuild/build"
	"github.com/mcpbuild/mcpbuild/fault"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// blobCounter is a registry that counts the blob GETs in flight (each held a while).
type blobCounter struct {
	reg            http.Handler
	inFlight, peak atomic.Int64
	swap           func(w http.ResponseWriter, r *http.Request) bool // serves instead, when true
}

func (b *blobCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
		n := b.inFlight.Add(1)
		defer b.inFlight.Add(-1)
		for p := b.peak.Load(); n > p && !b.peak.CompareAndSwap(p, n); p = b.peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b.swap != nil && b.swap(w, r) {
		return
	}
	b.reg.ServeHTTP(w, r)
}

func newBlobCounter(t *testing.T) (*blobCounter, string) {
	t.Helper()
	bc := &blobCounter{reg: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(bc)
	t.Cleanup(srv.Close)
	return bc, strings.TrimPrefix(srv.URL, "http://")
}

// Checks started all at once (as mcpbuild repro's checkAll does) read at most WithJobs
// blobs at once: the comparisons, not only the builds, are bounded, and so is the memory
// they hold. Without the Checker's slots 8 checks read 8 blobs at once.
func TestCheckBoundedByJobs(t *testing.T) {
	for _, jobs := range []int{1, 2} {
		t.Run(fmt.Sprint("jobs ", jobs), func(t *testing.T) {
			bc, host := newBlobCounter(t)
			push(t, host+"/mcp/fetch:latest", threeLayers(t, file{name: "app/main.py", body: "print(1)\n"}))
			other := push(t, host+"/mcp/fetch:repro", threeLayers(t, file{name: "app/main.py", body: "print(2)\n"}))
			lim, err := build.NewLimiter(rebuilder(other), 16) // builds are not what bounds
			if err != nil {
				t.Fatal(err)
			}
			c, err := NewChecker(lim, ocireg.New(nil, nil), WithJobs(jobs))
			if err != nil {
				t.Fatal(err)
			}
			tag, _ := name.NewTag(host + "/mcp/fetch:latest")
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					r, err := c.Check(context.Background(), fetch, tag)
					if err != nil || r.Status != Different || r.Difference.Kind != KindLayer {
						t.Errorf("Check = %+v, %v; want different", r, err)
					}
				})
			}
			wg.Wait()
			if p := bc.peak.Load(); p > int64(jobs) || p == 0 {
				t.Errorf("%d blob reads at once with WithJobs(%d); want 1 to %d", p, jobs, jobs)
			}
		})
	}
	if _, err := NewComparer(ocireg.New(nil, nil), WithJobs(0)); err == nil {
		t.Error("WithJobs(0): nil error")
	}
}

// longNames is a small gzip layer of n symlinks whose (PAX) names and targets take about
// a megabyte each, uncompressed.
func longNames(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	long := strings.Repeat("a", 500<<10)
	for i := range n {
		h := &tar.Header{Name: fmt.Sprintf("%s/%d", long, i), Typeflag: tar.TypeSymlink, Linkname: long[:480<<10], Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A layer of a few hundred KiB whose entries have huge names is not listed (it held
// every name: 580 MiB from 416 KiB for 400 entries), and listing it holds next to nothing.
func TestListLayerLongNames(t *testing.T) {
	blob := longNames(t, 100)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	files, err := listLayer(bytes.NewReader(blob), gzipLayers[0], 4*DefaultMaxLayer, newBudget(MaxListed))
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(files)
	var nl *errNotListed
	if !errors.As(err, &nl) || !strings.Contains(nl.why, "more than 4096 bytes") {
		t.Errorf("listLayer(%d KiB of long names) = %d entries, %v; want not listed", len(blob)>>10, len(files), err)
	}
	if held := int64(after.HeapAlloc) - int64(before.HeapAlloc); held > 16<<20 {
		t.Errorf("listLayer holds %d MiB after GC; want under 16", held>>20)
	}
}

// The names one comparison holds, both layers together, are bounded: names within
// MaxName each but too many bytes together make the layer "not listed", not a heap.
func TestListLayerBudget(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for i := range 100 {
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("%s/%d", strings.Repeat("d", 4000), i), Typeflag: tar.TypeDir, Format: tar.FormatPAX}); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	b := newBudget(1 << 20)
	if _, err := listLayer(bytes.NewReader(buf.Bytes()), tarLayers[0], 1<<30, b); err != nil {
		t.Fatalf("listLayer within the budget: %v", err)
	}
	if b.left >= 1<<20-100*4000 {
		t.Errorf("budget left %d after 100 names of 4000 bytes: not counted", b.left)
	}
	// The same budget for the other layer: the two listings together are over it.
	var nl *errNotListed
	for range 2 {
		_, err := listLayer(bytes.NewReader(buf.Bytes()), tarLayers[0], 1<<30, b)
		if errors.As(err, &nl) {
			break
		}
	}
	if nl == nil || !strings.Contains(nl.why, "more than 1048576 bytes") {
		t.Errorf("listLayer over the budget = %v; want not listed", nl)
	}
}

// noise is n bytes gzip cannot shrink.
func noise(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}

// A registry serving other bytes for a layer, a valid layer listing other files, is
// "could not check": nothing listed from bytes whose digest did not match is reported.
func TestCompareLayerOtherBytes(t *testing.T) {
	bc, host := newBlobCounter(t)
	pub := push(t, host+"/mcp/fetch:latest", threeLayers(t, file{name: "app/main.py", body: "print(1)\n"}))
	reb := threeLayers(t, file{name: "app/main.py", body: noise(64 << 10)})
	rebd := push(t, host+"/mcp/fetch:repro", reb)
	ls, err := reb.Layers()
	if err != nil {
		t.Fatal(err)
	}
	target, _ := ls[2].Digest()
	size, _ := ls[2].Size()
	listed := readAll(t, must(layer(t, file{name: "app/lie.py", body: "x"}).Compressed()))
	listed = append(listed, make([]byte, int(size)-len(listed))...) // same size, other files
	for what, lie := range map[string][]byte{
		"a layer of other files": listed,
		"not gzip":               bytes.Repeat([]byte{'x'}, int(size)), // would be "files not listed"
	} {
		bc.swap = func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, "/blobs/"+target.String()) {
				return false
			}
			w.Write(lie)
			return true
		}
		c, err := NewComparer(ocireg.New(nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.Compare(context.Background(), pub, rebd)
		var re *ocireg.Error
		if d != nil || !errors.As(err, &re) || fault.KindOf(err) != fault.Unreachable || !strings.Contains(err.Error(), "hashing to") {
			t.Errorf("Compare(%s) = %+v, %v; want could not check", what, d, err)
		}
	}
	bc.swap = nil
	c, err := NewComparer(ocireg.New(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := c.Compare(context.Background(), pub, rebd); err != nil || d == nil || d.Kind != KindLayer {
		t.Errorf("Compare = %+v, %v; want a layer difference", d, err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
