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
}
