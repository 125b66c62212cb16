package httpx_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/internal/httpx"
)

// fast is a policy for tests: short backoff, the default number of retries.
func fast(t *testing.T, extra ...httpx.Option) *http.Client {
	t.Helper()
	opts := append([]httpx.Option{httpx.WithService("registry"), httpx.WithRequestTimeout(2 * time.Second),
		httpx.WithBackoff(10*time.Millisecond, 50*time.Millisecond)}, extra...)
	tr, err := httpx.New(http.DefaultTransport, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: tr}
}

// registry returns a hostile registry holding an image at x/y:v1.
func registry(t *testing.T) (*hostile.Server, string) {
	t.Helper()
	s := hostile.NewRegistry()
	host := s.Start(t)
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.NewTag(host + "/x/y:v1")
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return s, host
}

// get GETs url with the client under a test deadline and reads the whole body.
func get(t *testing.T, c *http.Client, url string) (*http.Response, []byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return getCtx(ctx, c, url)
}

func getCtx(ctx context.Context, c *http.Client, url string) (*http.Response, []byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// wantTimeout checks err is an *httpx.Error naming the service, host, method and path,
// saying how long it waited.
func wantTimeout(t *testing.T, err error, host, method, path, after string) {
	t.Helper()
	var he *httpx.Error
	if !errors.As(err, &he) || !he.Timeout() {
		t.Fatalf("error %v (%T): want a timed out *httpx.Error", err, err)
	}
	for _, s := range []string{"registry " + host, method + " " + path, "timed out after " + after} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}

func TestHangTimesOutNamingRequest(t *testing.T) {
	s, host := registry(t)
	hang := s.On(http.MethodGet, "/manifests/v1", hostile.Hang())
	c := fast(t, httpx.WithRequestTimeout(300*time.Millisecond))
	start := time.Now()
	_, _, err := get(t, c, "http://"+host+"/v2/x/y/manifests/v1")
	took := time.Since(start)
	wantTimeout(t, err, host, "GET", "/v2/x/y/manifests/v1", "300ms")
	if took < 300*time.Millisecond || took > 2*time.Second {
		t.Errorf("gave up after %v, want about 300ms", took)
	}
	// A request that used up its whole deadline is not tried again.
	if n := hang.Hits(); n != 1 {
		t.Errorf("%d requests, want 1 (no retry after a timeout)", n)
	}
}

func TestStalledBodyTimesOut(t *testing.T) {
	s, host := registry(t)
	s.On(http.MethodGet, "/manifests/v1", hostile.HangBody())
	c := fast(t, httpx.WithRequestTimeout(400*time.Millisecond))
	start := time.Now()
	resp, _, err := get(t, c, "http://"+host+"/v2/x/y/manifests/v1")
	took := time.Since(start)
	if resp == nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("response %v, want the 200 headers before the stall", resp)
	}
	wantTimeout(t, err, host, "GET", "/v2/x/y/manifests/v1", "400ms")
	if took < 400*time.Millisecond || took > 2*time.Second {
		t.Errorf("gave up after %v, want about 400ms", took)
	}
}

// A body read to its end, or closed, releases the request's timer: reading it later is not
// a timeout, and a slow caller between requests is not either.
func TestBodyReadInTimeIsNotCutOff(t *testing.T) {
	_, host := registry(t)
	c := fast(t, httpx.WithRequestTimeout(300*time.Millisecond))
	for range 3 {
		resp, b, err := get(t, c, "http://"+host+"/v2/x/y/manifests/v1")
		if err != nil || resp.StatusCode != 200 || len(b) == 0 {
			t.Fatalf("GET = %v, %d bytes, %v", resp, len(b), err)
		}
		time.Sleep(350 * time.Millisecond)
	}
}

// The request's query (upload state, tokens) is never in an error.
func TestErrorRedactsQuery(t *testing.T) {
	s, host := registry(t)
	s.On(http.MethodGet, "/manifests/v1", hostile.Hang())
	c := fast(t, httpx.WithRequestTimeout(100*time.Millisecond))
	_, _, err := get(t, c, "http://user:secret@"+host+"/v2/x/y/manifests/v1?_state=SECRET")
	var he *httpx.Error
	if !errors.As(err, &he) || strings.Contains(he.Error(), "SECRET") || strings.Contains(he.Error(), "secret") {
		t.Fatalf("error %v shows the query or credentials", he)
	}
}

func TestOptionsRejectBadValues(t *testing.T) {
	for name, opts := range map[string][]httpx.Option{
		"zero request timeout":     {httpx.WithRequestTimeout(0)},
		"negative retries":         {httpx.WithRetries(-1)},
		"backoff above its max":    {httpx.WithBackoff(2*time.Second, time.Second)},
		"zero backoff":             {httpx.WithBackoff(0, time.Second)},
		"negative retry-after cap": {httpx.WithMaxRetryAfter(-time.Second)},
		"nil logger":               {httpx.WithLogger(nil)},
		"backoff without retries":  {httpx.WithRetries(0), httpx.WithBackoff(time.Second, time.Second)},
	} {
		if _, err := httpx.New(http.DefaultTransport, opts...); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	if _, err := httpx.New(nil); err == nil {
		t.Error("nil inner transport accepted")
	}
}

// A transport shared by a registry and Rekor names each by its host.
func TestServiceNamedByHost(t *testing.T) {
	s, host := registry(t)
	s.On(http.MethodGet, "/api/v1/log/publicKey", hostile.Hang())
	s.On(http.MethodGet, "/manifests/v1", hostile.Hang())
	c := fast(t, httpx.WithRequestTimeout(100*time.Millisecond), httpx.WithHostService(host, "Rekor"))
	_, _, err := get(t, c, "http://"+host+"/api/v1/log/publicKey")
	if err == nil || !strings.Contains(err.Error(), "Rekor "+host+": GET /api/v1/log/publicKey: timed out") {
		t.Errorf("error %v, want it to name Rekor", err)
	}
	other := strings.Replace(host, "127.0.0.1", "localhost", 1)
	_, _, err = get(t, c, "http://"+other+"/v2/x/y/manifests/v1")
	if err == nil || !strings.Contains(err.Error(), "registry "+other+": GET") {
		t.Errorf("error %v, want the default service name", err)
	}
}
