package verify

import (
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// Stats counts the HTTP requests a Verifier makes, by kind, and the sequential registry
// round trips: for each verification, the length of its longest line of requests that
// each waited for the previous one (requests issued in parallel count once), summed over
// verifications. Safe for concurrent use; pass the same Stats to WithStats and read it
// after Verify returns.
type Stats struct {
	mu         sync.Mutex
	registry   int // registry requests after authentication (manifests, blobs)
	auth       int // ping and token requests
	rekor      int // requests to Rekor (public key)
	roundTrips int // sequential registry round trips (excluding auth)
	methods    map[string]int
	// manifestGets, blobGets: registry GETs of manifests and blobs; HEADs are methods["HEAD"].
	manifestGets, blobGets int
	cacheHits, cacheMisses int
	rateLimit              map[string]string // the last rate-limit headers seen, sanitized
}

// Snapshot is a copy of the counters.
type Snapshot struct {
	RegistryRequests int            `json:"registryRequests"`
	RoundTrips       int            `json:"roundTrips"`
	AuthRequests     int            `json:"authRequests"`
	RekorRequests    int            `json:"rekorRequests"`
	Methods          map[string]int `json:"methods"`
	ManifestGets     int            `json:"manifestGets"`
	BlobGets         int            `json:"blobGets"`
	Heads            int            `json:"heads"`
	CacheHits        int            `json:"cacheHits"`
	CacheMisses      int            `json:"cacheMisses"`
	// RateLimit holds the rate-limit headers of the registry's last answer that had any
	// (rateLimitHeaders; lower-case names), as printable ASCII of at most 64 characters:
	// what a registry sends is untrusted text.
	RateLimit map[string]string `json:"rateLimit,omitempty"`
}

// Snapshot returns the current counters.
func (s *Stats) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]int{}
	for k, v := range s.methods {
		m[k] = v
	}
	var rl map[string]string
	if len(s.rateLimit) > 0 {
		rl = maps.Clone(s.rateLimit)
	}
	return Snapshot{RegistryRequests: s.registry, RoundTrips: s.roundTrips, AuthRequests: s.auth,
		RekorRequests: s.rekor, Methods: m, ManifestGets: s.manifestGets, BlobGets: s.blobGets,
		Heads: m["HEAD"], CacheHits: s.cacheHits, CacheMisses: s.cacheMisses, RateLimit: rl}
}

func (s Snapshot) String() string {
	out := fmt.Sprintf("registry requests: %d (GET %d, HEAD %d) in %d round trips; auth requests: %d; rekor requests: %d",
		s.RegistryRequests, s.Methods["GET"], s.Methods["HEAD"], s.RoundTrips, s.AuthRequests, s.RekorRequests)
	out += fmt.Sprintf("; manifest GETs: %d, blob GETs: %d, HEADs: %d", s.ManifestGets, s.BlobGets, s.Heads)
	if s.CacheHits+s.CacheMisses > 0 {
		out += fmt.Sprintf("; cache: %d hits, %d misses", s.CacheHits, s.CacheMisses)
	}
	if len(s.RateLimit) > 0 {
		keys := slices.Sorted(maps.Keys(s.RateLimit))
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + strconv.Quote(s.RateLimit[k])
		}
		out += "; rate limit: " + strings.Join(parts, " ")
	}
	return out
}

// rateLimitHeaders are the rate-limit headers --stats reports: the IETF draft's
// RateLimit-* (Docker Hub's names) and Docker Hub's source header.
var rateLimitHeaders = []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy", "Docker-RateLimit-Source"}

// maxRateLimitValue bounds a reported rate-limit header value.
const maxRateLimitValue = 64

// cache counts a cache lookup.
func (s *Stats) cache(hit bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if hit {
		s.cacheHits++
	} else {
		s.cacheMisses++
	}
}

// answered records what a registry answer says about rate limits (its rate-limit
// headers, sanitized and bounded).
func (s *Stats) answered(h http.Header) {
	if s == nil || h == nil {
		return
	}
	var got map[string]string
	for _, k := range rateLimitHeaders {
		if v := h.Get(k); v != "" {
			if got == nil {
				got = map[string]string{}
			}
			got[strings.ToLower(k)] = ocireg.Printable(v, maxRateLimitValue)
		}
	}
	if got == nil {
		return
	}
	s.mu.Lock()
	s.rateLimit = got
	s.mu.Unlock()
}

type requestKind int

const (
	kindRegistry requestKind = iota
	kindAuth
	kindRekor
)

func (s *Stats) begin(method, kind string, k requestKind) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.methods == nil {
		s.methods = map[string]int{}
	}
	switch k {
	case kindAuth:
		s.auth++
		return
	case kindRekor:
		s.rekor++
		return
	}
	s.registry++
	s.methods[method]++
	if method == http.MethodGet {
		switch kind {
		case "manifests":
			s.manifestGets++
		case "blobs":
			s.blobGets++
		}
	}
}

// addRoundTrips adds the critical path of one verification: its longest line of
// registry requests that had to wait for each other.
func (s *Stats) addRoundTrips(n int) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.roundTrips += n
	s.mu.Unlock()
}

// countingTransport counts requests into stats. Requests to /v2/ (ping) and token
// endpoints count as auth; the rest as registry requests.
type countingTransport struct {
	inner  http.RoundTripper
	stats  *Stats
	kind   requestKind // kindRekor for the Rekor client; registry transports classify per request
	logger *slog.Logger
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	k := t.kind
	if k == kindRegistry && !isRegistryAPI(req) {
		k = kindAuth
	}
	t.stats.begin(req.Method, apiKind(req), k)
	resp, err := t.inner.RoundTrip(req)
	if err == nil && k == kindRegistry {
		t.stats.answered(resp.Header)
	}
	if t.logger != nil && t.logger.Enabled(req.Context(), slog.LevelDebug) {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.logger.Debug("request", "method", req.Method, "url", req.URL.Redacted(), "status", status, "err", err)
	}
	return resp, err
}

// apiKind is "manifests" or "blobs" for a request of /v2/<name>/manifests/<ref> or
// /v2/<name>/blobs/<digest>, else "".
func apiKind(req *http.Request) string {
	parts := strings.Split(req.URL.Path, "/")
	if n := len(parts); n >= 5 && parts[1] == "v2" {
		if k := parts[n-2]; k == "manifests" || k == "blobs" {
			return k
		}
	}
	return ""
}

// isRegistryAPI reports whether req reads a manifest, blob or tag list (not ping/token).
func isRegistryAPI(req *http.Request) bool {
	p := req.URL.Path
	return len(p) > len("/v2/") && p[:4] == "/v2/"
}
