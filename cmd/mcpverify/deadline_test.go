package main

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// hangingSignatures serves a signed image through a hostile proxy whose .sig reads never
// answer, and returns the proxy's host and the flags that name it.
func hangingSignatures(t *testing.T, action hostile.Action) (string, []string) {
	f := verifytest.New(t)
	img := f.PushImage(f.Repo("mcp/alpha"), "v1", verifytest.PinCommit)
	f.Sign(img)
	s, err := hostile.NewProxy("http://" + f.Host)
	if err != nil {
		t.Fatal(err)
	}
	host := s.Start(t)
	s.On(http.MethodGet, `\.sig$`, action)
	key, rekorKey := f.WriteKeys(t.TempDir())
	return host, []string{"--key", key, "--rekor-key", rekorKey, "--registry", host, "--commit", verifytest.PinCommit}
}

// A registry that stops answering is "could not verify" (exit 3) within --request-timeout,
// naming the registry and the request, long before --timeout.
func TestRequestTimeoutNamesRegistryAndRequest(t *testing.T) {
	for name, action := range map[string]hostile.Action{"hang": hostile.Hang(), "stalled body": hostile.HangBody()} {
		t.Run(name, func(t *testing.T) {
			host, flags := hangingSignatures(t, action)
			start := time.Now()
			code, out, errs := cli(t, nil, append(flags, "--request-timeout", "500ms", "--timeout", "20s", "mcp/alpha:v1")...)
			took := time.Since(start)
			for _, want := range []string{"COULD NOT VERIFY: signature: ", "registry " + host + ": GET /v2/mcp/signatures/manifests/sha256-", ".sig", "timed out after 500ms"} {
				if !strings.Contains(out, want) {
					t.Errorf("stdout does not say %q", want)
				}
			}
			if code != cliutil.ExitUnreachable || took > 5*time.Second {
				t.Fatalf("exit %d after %v, want 3 within about 500ms\nstdout:\n%s\nstderr:\n%s", code, took, out, errs)
			}
		})
	}
}

// $MCPBUILD_REQUEST_TIMEOUT sets it too; the flag wins over it.
func TestRequestTimeoutFromEnvironment(t *testing.T) {
	_, flags := hangingSignatures(t, hostile.Hang())
	env := map[string]string{cliutil.EnvRequestTimeout: "400ms", cliutil.EnvVerifyTimeout: "20s"}
	code, out, errs := cli(t, env, append(flags, "mcp/alpha:v1")...)
	if code != cliutil.ExitUnreachable || !strings.Contains(out, "timed out after 400ms") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	code, out, _ = cli(t, env, append(flags, "--request-timeout", "300ms", "mcp/alpha:v1")...)
	if code != cliutil.ExitUnreachable || !strings.Contains(out, "timed out after 300ms") {
		t.Fatalf("flag did not win: exit %d\n%s", code, out)
	}
	code, _, errs = cli(t, map[string]string{cliutil.EnvRequestTimeout: "soon"}, append(flags, "mcp/alpha:v1")...)
	if code != cliutil.ExitUsage || !strings.Contains(errs, cliutil.EnvRequestTimeout) {
		t.Fatalf("bad $%s: exit %d, %s", cliutil.EnvRequestTimeout, code, errs)
	}
}

// A registry that rate-limits once with Retry-After is waited for: the verdict comes
// after the wait instead of "could not verify".
func TestRetryAfterIsHonoured(t *testing.T) {
	f, flags := setup(t)
	img := f.PushImage(f.Repo("mcp/alpha"), "v1", verifytest.PinCommit)
	f.Sign(img)
	var n atomic.Int32
	f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, ".sig") && n.Add(1) == 1 {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		}
		return false
	}
	start := time.Now()
	code, out, errs := cli(t, nil, append(flags, "--commit", verifytest.PinCommit, "mcp/alpha:v1")...)
	took := time.Since(start)
	if code != cliutil.ExitOK || !strings.Contains(out, "VERIFIED") || n.Load() != 2 {
		t.Fatalf("exit %d after %d .sig requests\nstdout:\n%s\nstderr:\n%s", code, n.Load(), out, errs)
	}
	if took < 900*time.Millisecond {
		t.Errorf("verified after %v: Retry-After: 1 not waited for", took)
	}
}
