package httpx_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/internal/httpx"
)

func TestRetryAfterSecondsHonoured(t *testing.T) {
	s, host := registry(t)
	s.On(http.MethodGet, "/manifests/v1", hostile.Respond(http.StatusTooManyRequests, "slow down", "Retry-After", "1")).Times(1)
	c := fast(t)
	start := time.Now()
	resp, _, err := get(t, c, "http://"+host+"/v2/x/y/manifests/v1")
	took := time.Since(start)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET = %v, %v; want 200 after one retry", resp, err)
	}
	if took < 900*time.Millisecond || took > 3*time.Second {
		t.Errorf("retried after %v, want about 1s (Retry-After: 1)", took)
	}
	if n := s.Count(http.MethodGet, "/manifests/v1"); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestRetryAfterDateHonoured(t *testing.T) {
	s, host := registry(t)
	at := time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat) // 1 to 2 s away
	s.On(http.MethodGet, "/manifests/v1", hostile.Respond(http.StatusServiceUnavailable, "", "Retry-After", at)).Times(1)
	c := fast(t)
	start := time.Now()
	resp, _, err := get(t, c, "http://"+host+"/v2/x/y/manifests/v1")
	took := time.Since(start)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET = %v, %v; want 200 after one retry", resp, err)
	}
	if took < 800*time.Millisecond || took > 4*time.Second {
		t.Errorf("retried after %v, want 1 to 2 s (Retry-After: %s)", took, at)
	}
}

func TestServerErrorsBeyondTheBudget(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504, 429} {
		s, host := registry(t)
		s.On(http.MethodGet, "/manifests/v1", hostile.Fail(status, "UNAVAILABLE"))
		c := fast(t, httpx.WithRetries(2))
		resp, _, err := get(t, c, "http://"+host+"/v2/x/y/manifests/v1")
		// The last answer is handed on as it is, for the caller to read the registry's error.
		if err != nil || resp.StatusCode != status {
			t.Errorf("%d: GET = %v, %v; want the last %d", status, resp, err, status)
		}
		if n := s.Count(http.MethodGet, "/manifests/v1"); n != 3 {
			t.Errorf("%d: %d requests, want 3 (2 retries)", status, n)
		}
	}
	// Other answers are answers: not retried.
	for _, status := range []int{400, 401, 404, 501} {
		s, host := registry(t)
		s.On(http.MethodGet, "/manifests/v1", hostile.Fail(status, "NOPE"))
		if resp, _, err := get(t, fast(t), "http://"+host+"/v2/x/y/manifests/v1"); err != nil || resp.StatusCode != status {
			t.Errorf("%d: GET = %v, %v", status, resp, err)
		}
		if n := s.Count(http.MethodGet, "/manifests/v1"); n != 1 {
			t.Errorf("%d: %d requests, want 1", status, n)
		}
	}
}

// Through go-containerregistry, exhausted retries are its *transport.Error naming the
// request, which callers classify as transient.
func TestServerErrorsThroughGGCR(t *testing.T) {
	s, host := registry(t)
	s.On(http.MethodGet, "/manifests/v1", hostile.Fail(503, "UNAVAILABLE"))
	tr, err := httpx.New(http.DefaultTransport, httpx.WithBackoff(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.NewTag(host + "/x/y:v1")
	_, err = remote.Get(ref, httpx.RemoteOptions(tr)...)
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != 503 || !strings.Contains(err.Error(), "GET http://"+host+"/v2/x/y/manifests/v1") {
		t.Fatalf("remote.Get = %v, want the 503 naming the request", err)
	}
	// One retry policy: ours (3 retries), not multiplied by go-containerregistry's.
	if n := s.Count(http.MethodGet, "/manifests/v1"); n != 1+httpx.DefaultRetries {
		t.Errorf("%d requests, want %d", n, 1+httpx.DefaultRetries)
	}
}

func TestRetryAfterBeyondTheCapGivesUp(t *testing.T) {
	s, host := registry(t)
	s.On(http.MethodGet, "/manifests/v1", hostile.Respond(http.StatusTooManyRequests, "", "Retry-After", "120"))
	c := fast(t, httpx.WithMaxRetryAfter(2*time.Second))
	start := time.Now()
	_, _, err := get(t, c, "http://"+host+"/v2/x/y/manifests/v1")
	var he *httpx.Error
	if !errors.As(err, &he) || he.StatusCode != 429 || !strings.Contains(err.Error(), "retry after 2m0s") ||
		!strings.Contains(err.Error(), "GET /v2/x/y/manifests/v1") {
		t.Fatalf("error %v, want a 429 *httpx.Error naming the request and the 2m0s asked", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("gave up after %v, want at once", took)
	}
	if n := s.Count(http.MethodGet, "/manifests/v1"); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestRetryAfterBeyondTheDeadlineGivesUp(t *testing.T) {
	s, host := registry(t)
	s.On(http.MethodGet, "/manifests/v1", hostile.Respond(http.StatusServiceUnavailable, "", "Retry-After", "5"))
	c := fast(t)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := getCtx(ctx, c, "http://"+host+"/v2/x/y/manifests/v1")
	var he *httpx.Error
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "deadline") || !strings.Contains(err.Error(), "retry after 5s") {
		t.Fatalf("error %v, want an *httpx.Error saying the retry would pass the deadline", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("gave up after %v, want at once (not at the deadline)", took)
	}
}

// A caller's deadline that passes during a backoff ends the wait there.
func TestDeadlineDuringBackoff(t *testing.T) {
	s, host := registry(t)
	s.On(http.MethodGet, "/manifests/v1", hostile.Fail(503, "UNAVAILABLE"))
	c := fast(t, httpx.WithBackoff(400*time.Millisecond, 400*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := getCtx(ctx, c, "http://"+host+"/v2/x/y/manifests/v1")
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "GET /v2/x/y/manifests/v1") {
		t.Fatalf("error %v, want context.Canceled naming the request", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("returned after %v", took)
	}
}

func TestNonIdempotentNotRetried(t *testing.T) {
	s, host := registry(t)
	rules := []*hostile.Rule{
		s.On(http.MethodPost, "/blobs/uploads/", hostile.Fail(503, "UNAVAILABLE")),
		s.On(http.MethodPatch, "/blobs/uploads/", hostile.Fail(503, "UNAVAILABLE")),
		s.On(http.MethodPut, "/manifests/stream", hostile.Fail(503, "UNAVAILABLE")),
	}
	c := fast(t)
	do := func(method, path string, body io.Reader) int {
		req, _ := http.NewRequest(method, "http://"+host+path, body)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := do(http.MethodPost, "/v2/x/y/blobs/uploads/", nil); code != 503 {
		t.Errorf("POST: %d", code)
	}
	if code := do(http.MethodPatch, "/v2/x/y/blobs/uploads/abc", strings.NewReader("data")); code != 503 {
		t.Errorf("PATCH: %d", code)
	}
	// A PUT whose body cannot be read again (no GetBody) cannot be replayed.
	if code := do(http.MethodPut, "/v2/x/y/manifests/stream", io.NopCloser(strings.NewReader("{}"))); code != 503 {
		t.Errorf("PUT: %d", code)
	}
	for i, r := range rules {
		if n := r.Hits(); n != 1 {
			t.Errorf("request %d: %d attempts, want 1", i, n)
		}
	}
}

// A PUT of a manifest is idempotent by content: with a replayable body it is retried, and
// the retry sends the whole body again.
func TestManifestPutRetriedWithItsBody(t *testing.T) {
	s, host := registry(t)
	ref, _ := name.NewTag(host + "/x/y:v1")
	d, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	s.On(http.MethodPut, "/manifests/v2", hostile.Fail(502, "BAD_GATEWAY")).Times(1)
	req, _ := http.NewRequest(http.MethodPut, "http://"+host+"/v2/x/y/manifests/v2", bytes.NewReader(d.Manifest))
	req.Header.Set("Content-Type", string(d.MediaType))
	resp, err := fast(t).Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT = %v, %v; want 201 after a retry", resp, err)
	}
	resp.Body.Close()
	if n := s.Count(http.MethodPut, "/manifests/v2"); n != 2 {
		t.Errorf("%d PUTs, want 2", n)
	}
	got, err := remote.Get(ref.Context().Tag("v2"))
	if err != nil || got.Digest != d.Digest {
		t.Errorf("after the retried PUT: %v, %v", got, err)
	}
}

// A dropped connection before any answer is retried for idempotent requests.
func TestDroppedConnectionRetried(t *testing.T) {
	s, host := registry(t)
	drop := func(http.ResponseWriter, *http.Request, http.Handler) {
		panic(http.ErrAbortHandler) // the server closes the connection without an answer
	}
	s.On(http.MethodGet, "/manifests/v1", hostile.Sequence(drop, drop, hostile.Pass()))
	resp, _, err := get(t, fast(t), "http://"+host+"/v2/x/y/manifests/v1")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET = %v, %v; want 200 on the third try", resp, err)
	}
	// Beyond the budget: an *httpx.Error naming the request and the attempts.
	s.Clear()
	s.On(http.MethodGet, "/manifests/v1", drop)
	_, _, err = get(t, fast(t, httpx.WithRetries(1)), "http://"+host+"/v2/x/y/manifests/v1")
	var he *httpx.Error
	if !errors.As(err, &he) || he.Attempts != 2 || !strings.Contains(err.Error(), "registry "+host+": GET /v2/x/y/manifests/v1") {
		t.Fatalf("error %v, want an *httpx.Error after 2 attempts", err)
	}
}

// Nothing listening: no retries, the error at once.
func TestRefusedNotRetried(t *testing.T) {
	c := fast(t, httpx.WithBackoff(time.Second, time.Second))
	start := time.Now()
	_, _, err := get(t, c, "http://127.0.0.1:1/v2/")
	var he *httpx.Error
	if !errors.As(err, &he) || he.Attempts != 1 || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("error %v, want one refused attempt", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("took %v", took)
	}
}

// https:// to a plain-HTTP server (go-containerregistry probes it first for registries on
// loopback) fails the TLS handshake: an answer of sorts, not retried.
func TestTLSFailureNotRetried(t *testing.T) {
	_, host := registry(t)
	start := time.Now()
	_, _, err := get(t, fast(t, httpx.WithBackoff(time.Second, time.Second)), "https://"+host+"/v2/")
	var he *httpx.Error
	if !errors.As(err, &he) || he.Attempts != 1 {
		t.Fatalf("error %v, want one attempt", err)
	}
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("took %v", took)
	}
}
