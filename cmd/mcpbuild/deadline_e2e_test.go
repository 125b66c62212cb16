//go:build e2e

package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
)

// e2eProxy puts a hostile proxy in front of the stack's registry and returns it with its
// host. BuildKit pushes through it too: it speaks plain HTTP to any loopback registry.
func e2eProxy(t *testing.T, registry string) (*hostile.Server, string) {
	t.Helper()
	p, err := hostile.NewProxy("http://" + registry)
	if err != nil {
		t.Fatal(err)
	}
	return p, p.Start(t)
}

// stamp wraps an action to record when its first request came.
func stamp(at *atomic.Pointer[time.Time], a hostile.Action) hostile.Action {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		now := time.Now()
		at.CompareAndSwap(nil, &now)
		a(w, r, next)
	}
}

// TestE2EPublishHangingSignatureRead: the registry (through a proxy) stops answering the
// signing step's read of the .sig tag. Publish builds and pushes the image through the
// proxy, then gives up on that read after --request-timeout: exit 3, naming the registry
// and the request, and no signature in the registry.
func TestE2EPublishHangingSignatureRead(t *testing.T) {
	s := e2eSign(t)
	proxy, host := e2eProxy(t, s.registry)
	var hungAt atomic.Pointer[time.Time]
	hang := proxy.On(http.MethodGet, `/manifests/sha256-[0-9a-f]{64}\.sig$`, stamp(&hungAt, hostile.Hang()))
	tag, _ := s.unique(t)
	id := tag
	sigRepo := host + "/mcpbuild-e2e/sig-" + id
	_, stderr, code, err := runWithin(t, 3*time.Minute, "publish", "--registry", host, "--tag", tag, "--key", e2eKeyA,
		"--signatures-repo", sigRepo, "--rekor-url", s.rekorURL, "--progress", "quiet", "-o", "json",
		"--request-timeout", "3s", s.mirror(), filepath.Join(s.catalog, "pinned"))
	end := time.Now()
	if code != cliutil.ExitUnreachable || err == nil {
		t.Fatalf("exit %d, %v; want 3\n%s", code, err, stderr)
	}
	at := hungAt.Load()
	if at == nil || hang.Hits() != 1 {
		t.Fatalf("the .sig read was not made (hits %d): %v\n%s", hang.Hits(), err, stderr)
	}
	if waited := end.Sub(*at); waited < 3*time.Second || waited > 10*time.Second {
		t.Errorf("gave up %v after the hanging request, want about 3s (--request-timeout)", waited)
	}
	for _, want := range []string{"registry " + host + ": GET /v2/mcpbuild-e2e/sig-" + id + "/manifests/sha256-", "timed out after 3s"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	// The build went through the proxy; nothing was signed.
	if _, err := remote.Head(mustTag(t, s.registry+"/mcp/pinned:"+tag)); err != nil {
		t.Errorf("the image was not pushed through the proxy: %v", err)
	}
	repo, _ := name.NewRepository(s.registry + "/mcpbuild-e2e/sig-" + id)
	if tags, err := remote.List(repo); err == nil && len(tags) > 0 {
		t.Errorf("signatures repository has tags %v after the hang", tags)
	}
}

// TestE2EBuildTimeoutBoundsTheSolve: BuildKit's own push hangs (the proxy never answers
// the manifest PUT); --timeout ends the solve with exit 3 naming the flag.
func TestE2EBuildTimeoutBoundsTheSolve(t *testing.T) {
	s := e2e(t)
	proxy, host := e2eProxy(t, s.registry)
	var hungAt atomic.Pointer[time.Time]
	proxy.On(http.MethodPut, `/manifests/`, stamp(&hungAt, hostile.Hang()))
	start := time.Now()
	_, stderr, code, err := runWithin(t, 2*time.Minute, "build", "--registry", host, "--tag", "e2e-timeout",
		"--progress", "quiet", "--timeout", "20s", s.mirror(), filepath.Join(s.catalog, "pinned"))
	took := time.Since(start)
	if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), "timed out after 20s (--timeout)") {
		t.Fatalf("exit %d after %v, %v; want 3 naming --timeout\n%s", code, took, err, stderr)
	}
	if took > 40*time.Second {
		t.Errorf("took %v with --timeout 20s", took)
	}
	if hungAt.Load() == nil {
		t.Logf("the build did not reach its push within 20s (slow machine): the timeout cut the build itself")
	}
}

func mustTag(t *testing.T, s string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(s)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// A build whose push hangs fails that server within --build-timeout (exit 3, naming the
// server and the deadline), although the command itself has no --timeout.
func TestE2EBuildTimeoutPerServer(t *testing.T) {
	s := e2e(t)
	proxy, host := e2eProxy(t, s.registry)
	var hungAt atomic.Pointer[time.Time]
	proxy.On(http.MethodPut, `/manifests/`, stamp(&hungAt, hostile.Hang()))
	start := time.Now()
	_, stderr, code, err := runWithin(t, 2*time.Minute, "build", "--registry", host, "--tag", "e2e-build-timeout",
		"--progress", "quiet", "--build-timeout", "20s", s.mirror(), filepath.Join(s.catalog, "pinned"))
	took := time.Since(start)
	if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), "server pinned did not finish within 20s") {
		t.Fatalf("exit %d after %v, %v; want 3 naming the server and --build-timeout\n%s", code, took, err, stderr)
	}
	if took > 45*time.Second {
		t.Errorf("took %v with --build-timeout 20s", took)
	}
}
