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
	start := time.Now()
	resp, err := http.Get("http://" + p.Host() + "/v2/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok /v2/x" || time.Since(start) < 30*time.Millisecond || p.Requests() != 1 {
		t.Fatalf("got %q after %v, %d requests", b, time.Since(start), p.Requests())
	}
}
