package verify

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"
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
}

// Snapshot is a copy of the counters.
type Snapshot struct {
	RegistryRequests int            `json:"registryRequests"`
	RoundTrips       int            `json:"roundTrips"`
	AuthRequests     int            `json:"authRequests"`
	RekorRequests    int            `json:"rekorRequests"`
	Methods          map[string]int `json:"methods"`
}

// Snapshot returns the current counters.
func (s *Stats) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]int{}
	for k, v := range s.methods {
		m[k] = v
	}
	return Snapshot{RegistryRequests: s.registry, RoundTrips: s.roundTrips, AuthRequests: s.auth,
		RekorRequests: s.rekor, Methods: m}
}

func (s Snapshot) String() string {
	return fmt.Sprintf("registry requests: %d (GET %d, HEAD %d) in %d round trips; auth requests: %d; rekor requests: %d",
		s.RegistryRequests, s.Methods["GET"], s.Methods["HEAD"], s.RoundTrips, s.AuthRequests, s.RekorRequests)
}

type requestKind int

const (
	kindRegistry requestKind = iota
	kindAuth
	kindRekor
)

func (s *Stats) begin(method string, k requestKind) {
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
	t.stats.begin(req.Method, k)
	resp, err := t.inner.RoundTrip(req)
	if t.logger != nil && t.logger.Enabled(req.Context(), slog.LevelDebug) {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.logger.Debug("request", "method", req.Method, "url", req.URL.Redacted(), "status", status, "err", err)
	}
	return resp, err
}

// isRegistryAPI reports whether req reads a manifest, blob or tag list (not ping/token).
func isRegistryAPI(req *http.Request) bool {
	p := req.URL.Path
	return len(p) > len("/v2/") && p[:4] == "/v2/"
}
