package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// counter is a loopback reverse proxy in front of a registry (or Rekor) that counts
// requests by method and path and, after SetDelay, holds each request that long before
// forwarding it (a far-away registry on loopback, as hack/bench/latencyproxy does). It is
// one hop: the bench's proxies cost CPU that the parallel publish competes for on a small
// machine and the sequential script hardly does, so there is one proxy, not two.
type counter struct {
	mu    sync.Mutex
	n     map[string]int
	paths map[string]int // "METHOD path"
	delay atomic.Int64   // nanoseconds, per request
	srv   *httptest.Server
}

func startCounter(target string) (*counter, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	c := &counter{n: map[string]int{}, paths: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.n[r.Method]++
		c.paths[r.Method+" "+r.URL.Path]++
		c.mu.Unlock()
		if d := time.Duration(c.delay.Load()); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	return c, nil
}

// SetDelay makes every request wait d before it is forwarded (0: none).
func (c *counter) SetDelay(d time.Duration) { c.delay.Store(int64(d)) }

// Host is the name images are pushed and read under, for every run of the bench.
func (c *counter) Host() string { return c.srv.Listener.Addr().String() }

func (c *counter) Close() { c.srv.Close() }

func (c *counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = map[string]int{}
	c.paths = map[string]int{}
}

// Count returns how many requests had method and a path for which match is true.
func (c *counter) Count(method string, match func(path string) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := 0
	for mp, n := range c.paths {
		m, p, _ := strings.Cut(mp, " ")
		if (method == "" || m == method) && match(p) {
			k += n
		}
	}
	return k
}

// Paths returns the requests, "count METHOD path" sorted.
func (c *counter) Paths() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for p, k := range c.paths {
		out = append(out, fmt.Sprintf("%d %s", k, p))
	}
	sort.Strings(out)
	return out
}

// Counts returns the total and "GET 3, HEAD 1" by method.
func (c *counter) Counts() (int, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ms []string
	total := 0
	for m, k := range c.n {
		total += k
		ms = append(ms, fmt.Sprintf("%s %d", m, k))
	}
	sort.Strings(ms)
	return total, strings.Join(ms, ", ")
}

// rekorSize returns the tree size of the Rekor log at base (GET /api/v1/log).
func rekorSize(ctx context.Context, base string) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(base, "/")+"/api/v1/log", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading Rekor's log size: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("reading Rekor's log size: %s", resp.Status)
	}
	var info struct {
		TreeSize int64 `json:"treeSize"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return 0, fmt.Errorf("reading Rekor's log size: %w", err)
	}
	return info.TreeSize, nil
}
