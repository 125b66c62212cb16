package signtest

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
)

// HugeSize is the size of a Huge answer.
const HugeSize = 64 << 20

// Huge streams a body of HugeSize bytes generated as it is sent (Head, Fill repeated,
// Tail), with a Content-Length when Announce; it counts the bytes the client took.
type Huge struct {
	CT, Head, Fill, Tail string
	Announce             bool

	served atomic.Int64
	wg     sync.WaitGroup
}

// Action answers a request with the huge body.
func (h *Huge) Action() hostile.Action {
	return func(w http.ResponseWriter, _ *http.Request, _ http.Handler) {
		h.wg.Add(1)
		defer h.wg.Done()
		w.Header().Set("Content-Type", h.CT)
		if h.Announce {
			w.Header().Set("Content-Length", strconv.Itoa(HugeSize))
		}
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat(h.Fill, 32<<10/len(h.Fill)))
		write := func(b []byte) bool {
			n, err := w.Write(b)
			h.served.Add(int64(n))
			return err == nil
		}
		if !write([]byte(h.Head)) {
			return
		}
		for left := HugeSize - len(h.Head) - len(h.Tail); left > 0; left -= len(chunk) {
			if !write(chunk[:min(left, len(chunk))]) {
				return
			}
		}
		write([]byte(h.Tail))
	}
}

// Taken waits until every answer has ended and returns the bytes served.
func (h *Huge) Taken(t *testing.T) int64 {
	t.Helper()
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("the huge answer was still being sent 10s after the run ended")
	}
	return h.served.Load()
}

// ReadCounter is a transport counting the GETs sent and response body bytes read through
// it, by path.
type ReadCounter struct {
	mu    sync.Mutex
	gets  map[string]int
	bytes map[string]int64
}

// NewReadCounter returns a ReadCounter over go-containerregistry's default transport.
func NewReadCounter() *ReadCounter {
	return &ReadCounter{gets: map[string]int{}, bytes: map[string]int64{}}
}

// RoundTrip sends r, counting.
func (c *ReadCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet {
		c.mu.Lock()
		c.gets[r.URL.Path]++
		c.mu.Unlock()
	}
	resp, err := remote.DefaultTransport.RoundTrip(r)
	if err == nil {
		resp.Body = &countedBody{ReadCloser: resp.Body, c: c, path: r.URL.Path}
	}
	return resp, err
}

// Gets returns how many GETs of path were sent.
func (c *ReadCounter) Gets(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gets[path]
}

// Read returns the bytes read of the bodies of paths matching the regular expression re.
func (c *ReadCounter) Read(re string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for p, b := range c.bytes {
		if regexp.MustCompile(re).MatchString(p) {
			n += b
		}
	}
	return n
}

type countedBody struct {
	io.ReadCloser
	c    *ReadCounter
	path string
}

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.mu.Lock()
	b.c.bytes[b.path] += int64(n)
	b.c.mu.Unlock()
	return n, err
}
