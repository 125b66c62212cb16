package latencyproxy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProxyDelaysAndCounts(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok "+r.URL.Path) }))
	defer backend.Close()
	p, err := Start(backend.URL, 30*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetHandshakeDelay(30 * time.Millisecond)
	start := time.Now()
	resp, err := http.Get("http://" + p.Host() + "/v2/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// A new connection: the handshake's delay, then the request's.
	if string(b) != "ok /v2/x" || time.Since(start) < 60*time.Millisecond || p.Requests() != 1 || p.Connections() != 1 {
		t.Fatalf("got %q after %v, %d requests, %d connections", b, time.Since(start), p.Requests(), p.Connections())
	}
	// The same connection again: the request's delay only.
	start = time.Now()
	resp, err = http.Get("http://" + p.Host() + "/v2/y")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := time.Since(start); d < 30*time.Millisecond || p.Connections() != 1 {
		t.Fatalf("reused connection: %v, %d connections", d, p.Connections())
	}
	for _, r := range []struct{ method, path string }{{"GET", "/v2/a/b/manifests/v1"}, {"HEAD", "/v2/a/manifests/v1"}, {"GET", "/v2/a/blobs/sha256:00"}} {
		req, _ := http.NewRequest(r.method, "http://"+p.Host()+r.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	c := p.Counts()
	if c.Requests != 5 || c.Methods["GET"] != 4 || c.Methods["HEAD"] != 1 || c.ManifestGets != 1 || c.BlobGets != 1 {
		t.Errorf("counts = %+v; want 5 requests (GET 4, HEAD 1), 1 manifest GET, 1 blob GET", c)
	}
	p.Reset()
	if c := p.Counts(); c.Requests != 0 || len(c.Methods) != 0 || p.Requests() != 0 {
		t.Errorf("after Reset: %+v", c)
	}
}
