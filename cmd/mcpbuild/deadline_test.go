package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/internal/httpx"
)

// runWithin runs mcpbuild in-process like run, but gives up after limit (the test's own
// deadline, so that a hang fails the test instead of stalling it).
func runWithin(t *testing.T, limit time.Duration, args ...string) (string, string, int, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := newRootCmd(os.LookupEnv)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	err := cmd.ExecuteContext(ctx)
	if ctx.Err() != nil {
		t.Fatalf("mcpbuild %v still running after %v (the test's limit): %v\n%s", args, limit, err, errb.String())
	}
	return out.String(), errb.String(), exitCode(err), err
}

// hostileRegistry serves an image already published (so publish needs no BuildKit) and
// returns it with its host.
func hostileRegistry(t *testing.T) (*hostile.Server, string) {
	publishEnv(t)
	s := hostile.NewRegistry()
	host := s.Start(t)
	publishedImage(t, host)
	return s, host
}

// A registry that stops answering the signature lookup ends publish with exit 3 within
// --request-timeout, naming the registry and the request.
func TestPublishHangingRegistry(t *testing.T) {
	for name, action := range map[string]hostile.Action{"hang": hostile.Hang(), "stalled body": hostile.HangBody()} {
		t.Run(name, func(t *testing.T) {
			s, host := hostileRegistry(t)
			s.On(http.MethodGet, `\.sig$`, action)
			start := time.Now()
			_, errOut, code, err := runWithin(t, 20*time.Second, "publish", "--registry", host, "--key", testKey,
				"--tlog-upload=false", "--request-timeout", "500ms", catalogDir(t))
			took := time.Since(start)
			// The bound is loose: decrypting the key and starting up take seconds on a
			// loaded machine; without the deadline the run would hang until runWithin's 20s.
			if code != cliutil.ExitUnreachable || took > 15*time.Second {
				t.Fatalf("exit %d after %v, want 3 soon after 500ms: %v\n%s", code, took, err, errOut)
			}
			for _, want := range []string{"registry " + host + ": GET /v2/mcp/signatures/manifests/sha256-", ".sig", "timed out after 500ms"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error does not say %q: %v", want, err)
				}
			}
		})
	}
}

// --timeout bounds the whole command: exit 3 naming the flag and the request it stopped.
func TestPublishCommandTimeout(t *testing.T) {
	s, host := hostileRegistry(t)
	s.On(http.MethodGet, `\.sig$`, hostile.Hang())
	start := time.Now()
	_, errOut, code, err := runWithin(t, 20*time.Second, "publish", "--registry", host, "--key", testKey,
		"--tlog-upload=false", "--timeout", "4s", catalogDir(t))
	took := time.Since(start)
	if code != cliutil.ExitUnreachable || took > 10*time.Second {
		t.Fatalf("exit %d after %v, want 3 after about 4s: %v\n%s", code, took, err, errOut)
	}
	for _, want := range []string{"timed out after 4s (--timeout)", "registry " + host + ": GET /v2/mcp/signatures/manifests/sha256-"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
}

// The environment sets both deadlines when the flags are not given; a bad value is a
// usage error naming the variable.
func TestPublishTimeoutsFromEnvironment(t *testing.T) {
	s, host := hostileRegistry(t)
	s.On(http.MethodGet, `\.sig$`, hostile.Hang())
	t.Setenv(cliutil.EnvRequestTimeout, "400ms")
	_, _, code, err := runWithin(t, 20*time.Second, "publish", "--registry", host, "--key", testKey, "--tlog-upload=false", catalogDir(t))
	if code != cliutil.ExitUnreachable || !strings.Contains(err.Error(), "timed out after 400ms") {
		t.Fatalf("$%s: exit %d, %v", cliutil.EnvRequestTimeout, code, err)
	}
	t.Setenv(cliutil.EnvRequestTimeout, "")
	t.Setenv(cliutil.EnvBuildTimeout, "600ms")
	_, _, code, err = runWithin(t, 20*time.Second, "publish", "--registry", host, "--key", testKey, "--tlog-upload=false", catalogDir(t))
	if code != cliutil.ExitUnreachable || !strings.Contains(err.Error(), "timed out after 600ms (--timeout)") {
		t.Fatalf("$%s: exit %d, %v", cliutil.EnvBuildTimeout, code, err)
	}
	for env, val := range map[string]string{cliutil.EnvBuildTimeout: "-1s", cliutil.EnvRequestTimeout: "0"} {
		t.Setenv(cliutil.EnvBuildTimeout, "")
		t.Setenv(env, val)
		_, _, code, err = runWithin(t, 20*time.Second, "publish", "--registry", host, "--key", testKey, "--tlog-upload=false", catalogDir(t))
		if code != cliutil.ExitUsage || !strings.Contains(err.Error(), env) {
			t.Errorf("$%s=%s: exit %d, %v; want a usage error naming it", env, val, code, err)
		}
		t.Setenv(env, "")
	}
}

// A rate limit with Retry-After is waited out, and answers that keep failing are retried
// by one policy only (httpx's, not multiplied by go-containerregistry's own).
func TestPublishRetries(t *testing.T) {
	s, host := hostileRegistry(t)
	s.On(http.MethodGet, `\.sig$`, hostile.Respond(http.StatusTooManyRequests, "slow down", "Retry-After", "1")).Times(1)
	start := time.Now()
	out, errOut, code, err := runWithin(t, 20*time.Second, "publish", "--registry", host, "--key", testKey, "--tlog-upload=false", catalogDir(t))
	if code != 0 || !strings.HasPrefix(out, "alpha unchanged ") || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("exit %d after %v: %v\n%s\n%s", code, time.Since(start), err, out, errOut)
	}
	s.Clear()
	failing := s.On(http.MethodGet, `\.sig$`, hostile.Fail(http.StatusServiceUnavailable, "UNAVAILABLE"))
	_, errOut, code, err = runWithin(t, 30*time.Second, "publish", "--registry", host, "--key", testKey, "--tlog-upload=false", catalogDir(t))
	if code != cliutil.ExitUnreachable || !strings.Contains(err.Error(), "/mcp/signatures:sha256-") || !strings.Contains(err.Error(), "503") {
		t.Fatalf("exit %d: %v\n%s", code, err, errOut)
	}
	if n := failing.Hits(); n != 1+httpx.DefaultRetries {
		t.Errorf("%d .sig requests, want %d (one bounded retry policy)", n, 1+httpx.DefaultRetries)
	}
}

func TestBuildTimeoutMustBePositive(t *testing.T) {
	for _, v := range []string{"0", "-1s"} {
		_, _, code, err := runWithin(t, 20*time.Second, "build", "--registry", "127.0.0.1:1", "--build-timeout", v, "testdata/none")
		if code != cliutil.ExitUsage || err == nil || !strings.Contains(err.Error(), "--build-timeout") {
			t.Errorf("--build-timeout %s: exit %d, %v; want a usage error", v, code, err)
		}
	}
}
