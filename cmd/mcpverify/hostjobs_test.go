package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// maxInFlight records the most image-manifest GETs (not signatures) a registry served at
// once; each is held 40 ms so that concurrent verifications overlap.
type maxInFlight struct {
	mu       sync.Mutex
	now, max int
}

func (m *maxInFlight) hook(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/mcp/img") || !strings.Contains(r.URL.Path, "/manifests/") {
		return false
	}
	m.mu.Lock()
	m.now++
	m.max = max(m.max, m.now)
	m.mu.Unlock()
	time.Sleep(40 * time.Millisecond)
	m.mu.Lock()
	m.now--
	m.mu.Unlock()
	return false // served by the registry as usual
}

// TestJobsPerRegistry: -j bounds the images in flight in all, --jobs-per-registry those
// against one registry host; every image still gets its verdict, including those that
// fail (an unsigned one).
func TestJobsPerRegistry(t *testing.T) {
	f, flags := setup(t)
	var images []string
	for i := range 8 {
		repo := fmt.Sprintf("mcp/img%d", i)
		d := f.PushImage(f.Repo(repo), "v1", verifytest.PinCommit)
		if i != 3 { // img3 stays unsigned: not verified, the others still verified
			f.Sign(d)
		}
		images = append(images, repo+":v1")
	}
	for _, c := range []struct {
		perHost string
		atMost  int
		atLeast int
	}{{"2", 2, 2}, {"8", 8, 3}} {
		t.Run("per-registry "+c.perHost, func(t *testing.T) {
			m := &maxInFlight{}
			f.Hook = m.hook
			defer func() { f.Hook = nil }()
			args := append(append([]string{}, flags...), "--no-cache", "--commit", verifytest.PinCommit,
				"-j", "8", "--jobs-per-registry", c.perHost)
			code, out, errs := cli(t, nil, append(args, images...)...)
			if code != cliutil.ExitFailed {
				t.Fatalf("exit %d, want 1 (one unsigned image)\n%s%s", code, out, errs)
			}
			if n := strings.Count(out, ": VERIFIED"); n != 7 || !strings.Contains(out, "img3:v1: NOT VERIFIED") {
				t.Fatalf("want 7 verified and img3 not verified:\n%s", out)
			}
			if m.max > c.atMost || m.max < c.atLeast {
				t.Fatalf("image manifests in flight at once: %d, want %d..%d", m.max, c.atLeast, c.atMost)
			}
		})
	}
	code, _, errs := cli(t, nil, append(append([]string{}, flags...), "--jobs-per-registry", "0", "--commit", verifytest.PinCommit, images[0])...)
	if code != cliutil.ExitUsage || !strings.Contains(errs, "--jobs-per-registry") {
		t.Fatalf("--jobs-per-registry 0: exit %d, %s", code, errs)
	}
}

// Connections are kept for the reads in flight: an audit of 32 images at -j 8 opens no
// more connections than it has requests in flight at once (3 per image and the ping),
// instead of new ones every round trip (net/http keeps 2 idle per host by default).
func TestConnectionsReused(t *testing.T) {
	f, flags := setup(t)
	entries := map[string]string{}
	for i := range 32 {
		repo := fmt.Sprintf("mcp/conn%d", i)
		d := f.PushImage(f.Repo(repo), "v1", verifytest.PinCommit)
		f.Sign(d)
		f.Attest(d, verifytest.ProvSpec{Directory: fmt.Sprintf("servers/conn%d", i)})
		entries[fmt.Sprintf("conn%d", i)] = serverYAML(fmt.Sprintf("conn%d", i), repo, verifytest.PinCommit)
	}
	cat := writeCatalog(t, entries)
	var mu sync.Mutex
	conns := map[string]bool{}
	f.Hook = func(_ http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		conns[r.RemoteAddr] = true // one client port per connection
		mu.Unlock()
		return false
	}
	code, out, errs := cli(t, nil, append(flags, "--no-cache", "--jobs-per-registry", "8", "audit", "--catalog", cat, "--tag", "v1", "-j", "8")...)
	if code != cliutil.ExitOK {
		t.Fatalf("audit: exit %d\n%s%s", code, out, errs)
	}
	if n := len(conns); n > 3*8+1 {
		t.Errorf("%d connections for 32 images at -j 8, want at most %d (one per read in flight)", n, 3*8+1)
	}
}
