package hostile_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
)

// push writes a random image to host/repo:tag and returns its digest and manifest.
func push(t *testing.T, host, repo, tag string) (string, []byte) {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.NewTag(host + "/" + repo + ":" + tag)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	raw, _ := img.RawManifest()
	return d.String(), raw
}

func get(t *testing.T, url string) (*http.Response, []byte, error) {
	t.Helper()
	return getWithin(t, url, 2*time.Second)
}

func getWithin(t *testing.T, url string, d time.Duration) (*http.Response, []byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestPassThroughAndLog(t *testing.T) {
	s := hostile.NewRegistry()
	host := s.Start(t)
	d, raw := push(t, host, "x/y", "v1")
	resp, body, err := get(t, "http://"+host+"/v2/x/y/manifests/"+d)
	if err != nil || resp.StatusCode != 200 || string(body) != string(raw) {
		t.Fatalf("GET = %v %v, body equal %v", resp, err, string(body) == string(raw))
	}
	if n := s.Count(http.MethodGet, "/manifests/sha256:"); n != 1 {
		t.Fatalf("Count = %d, want 1", n)
	}
}

func TestRespondTimesAndSequence(t *testing.T) {
	s := hostile.NewRegistry()
	host := s.Start(t)
	d, _ := push(t, host, "x/y", "v1")
	r := s.On(http.MethodGet, "/manifests/", hostile.Fail(500, "MANIFEST_UNKNOWN")).Times(1)
	resp, body, _ := get(t, "http://"+host+"/v2/x/y/manifests/"+d)
	if resp.StatusCode != 500 || !strings.Contains(string(body), "MANIFEST_UNKNOWN") {
		t.Fatalf("first GET = %d %s", resp.StatusCode, body)
	}
	if resp, _, _ := get(t, "http://"+host+"/v2/x/y/manifests/"+d); resp.StatusCode != 200 || r.Hits() != 1 {
		t.Fatalf("second GET = %d, hits %d; want 200 after Times(1)", resp.StatusCode, r.Hits())
	}
	r.Remove()
	s.On(http.MethodGet, "/manifests/v1", hostile.Sequence(hostile.Fail(404, "MANIFEST_UNKNOWN"), hostile.Pass()))
	for i, want := range []int{404, 200, 200} {
		if resp, _, _ := get(t, "http://"+host+"/v2/x/y/manifests/v1"); resp.StatusCode != want {
			t.Fatalf("GET %d = %d, want %d", i, resp.StatusCode, want)
		}
	}
}

func TestServeFromSwapsBodyAndSetHeaderLies(t *testing.T) {
	s := hostile.NewRegistry()
	host := s.Start(t)
	dx, rawX := push(t, host, "x/y", "x")
	dy, rawY := push(t, host, "x/y", "y")
	s.On(http.MethodGet, "/manifests/"+dx, hostile.ServeFrom("/v2/x/y/manifests/"+dy))
	resp, body, _ := get(t, "http://"+host+"/v2/x/y/manifests/"+dx)
	if string(body) != string(rawY) || string(body) == string(rawX) {
		t.Fatalf("swapped body is not Y's")
	}
	s.Clear()
	s.On(http.MethodGet, "/manifests/"+dy, hostile.SetHeader("Docker-Content-Digest", dx))
	resp, body, _ = get(t, "http://"+host+"/v2/x/y/manifests/"+dy)
	if resp.Header.Get("Docker-Content-Digest") != dx || string(body) != string(rawY) {
		t.Fatalf("header = %q", resp.Header.Get("Docker-Content-Digest"))
	}
}

func TestHangTruncateThrottle(t *testing.T) {
	s := hostile.NewRegistry()
	host := s.Start(t)
	d, raw := push(t, host, "x/y", "v1")
	u := "http://" + host + "/v2/x/y/manifests/" + d

	s.On(http.MethodGet, "", hostile.Hang()).Times(1)
	start := time.Now()
	if _, _, err := get(t, u); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) < time.Second {
		t.Fatalf("hung GET = %v after %v; want the client's deadline", err, time.Since(start))
	}
	s.On(http.MethodGet, "", hostile.Truncate(10)).Times(1)
	if _, body, err := get(t, u); err == nil || len(body) != 10 {
		t.Fatalf("truncated GET = %d bytes, %v; want 10 bytes and an error", len(body), err)
	}
	s.On(http.MethodGet, "", hostile.Throttle(len(raw))).Times(1)
	start = time.Now()
	if _, body, err := getWithin(t, u, 20*time.Second); err != nil || string(body) != string(raw) || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("throttled GET took %v, err %v", time.Since(start), err)
	}
}

func TestDropWrite(t *testing.T) {
	s := hostile.NewRegistry()
	host := s.Start(t)
	s.On("", "/v2/x/dropped/", hostile.DropWrite())
	img, _ := random.Image(64, 1)
	ref, _ := name.NewTag(host + "/x/dropped:v1")
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("remote.Write through DropWrite = %v, want accepted", err)
	}
	d, _ := img.Digest()
	if resp, _, _ := get(t, "http://"+host+"/v2/x/dropped/manifests/"+d.String()); resp.StatusCode != 404 {
		t.Fatalf("GET after a dropped write = %d, want 404", resp.StatusCode)
	}
	raw, _ := img.RawManifest()
	sum := sha256.Sum256(raw)
	if s.Count(http.MethodPut, "/manifests/v1") != 1 || d.Hex != hex.EncodeToString(sum[:]) {
		t.Fatal("manifest PUT not seen")
	}
}

// A proxy in front of another registry (the local stack's, in e2e tests) passes pushes and
// pulls through and keeps clients on itself.
func TestProxy(t *testing.T) {
	backend := hostile.NewRegistry()
	bhost := backend.Start(t)
	p, err := hostile.NewProxy("http://" + bhost)
	if err != nil {
		t.Fatal(err)
	}
	host := p.Start(t)
	d, raw := push(t, host, "x/y", "v1")
	if backend.Count(http.MethodPut, "/manifests/v1") != 1 {
		t.Fatal("push did not reach the backend")
	}
	if _, body, err := get(t, "http://"+host+"/v2/x/y/manifests/"+d); err != nil || string(body) != string(raw) {
		t.Fatalf("GET through proxy: %v", err)
	}
}
