//go:build e2e

package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// TestE2EDeadlinesAndRetries: an image signed and logged in the stack's Rekor, read through
// a hostile proxy in front of the stack's registry. A rate limit with Retry-After is waited
// out (VERIFIED); a .sig read that never answers is "could not verify" (exit 3) after
// --request-timeout, naming the registry and the request.
func TestE2EDeadlinesAndRetries(t *testing.T) {
	s := e2eStack(t)
	proxy, err := hostile.NewProxy("http://" + s.registry)
	if err != nil {
		t.Fatal(err)
	}
	host := proxy.Start(t)
	id := time.Now().UnixNano()
	repo, _ := name.NewRepository(fmt.Sprintf("%s/mcpverify-e2e/deadline-%d", host, id))
	sigRepo, _ := name.NewRepository(fmt.Sprintf("%s/mcpverify-e2e/sig-%d", host, id))
	img := pushTo(t, repo, "v1", verifytest.PinCommit)
	svc := e2eService(t, s, sigRepo)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := svc.SignImage(ctx, img, map[string]string{catalog.RevisionLabel: verifytest.PinCommit}); err != nil {
		t.Fatal(err)
	}
	verify := func(extra ...string) (int, string, string, time.Duration) {
		start := time.Now()
		args := append([]string{"--key", e2ePub, "--rekor-key", s.rekorPub, "--signatures-repo", sigRepo.String(),
			"--commit", verifytest.PinCommit}, extra...)
		code, out, errs := cli(t, nil, append(args, repo.Tag("v1").String())...)
		return code, out, errs, time.Since(start)
	}
	code, out, errs, _ := verify()
	expectVerified(t, code, out, errs)

	limited := proxy.On(http.MethodGet, `\.sig$`, hostile.Respond(http.StatusTooManyRequests, "slow down", "Retry-After", "1")).Times(1)
	code, out, errs, took := verify()
	expectVerified(t, code, out, errs)
	if limited.Hits() != 1 || took < 900*time.Millisecond {
		t.Errorf("rate limit: %d hits, verified after %v; want Retry-After: 1 waited out", limited.Hits(), took)
	}

	proxy.Clear()
	proxy.On(http.MethodGet, `\.sig$`, hostile.Hang())
	code, out, errs, took = verify("--request-timeout", "2s")
	if code != cliutil.ExitUnreachable || took > 8*time.Second {
		t.Fatalf("hang: exit %d after %v, want 3 after about 2s\nstdout:\n%s\nstderr:\n%s", code, took, out, errs)
	}
	for _, want := range []string{"COULD NOT VERIFY: signature: ", "registry " + host + ": GET /v2/" + sigRepo.RepositoryStr() + "/manifests/sha256-" + strings.TrimPrefix(img.DigestStr(), "sha256:") + ".sig", "timed out after 2s"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout does not say %q:\n%s", want, out)
		}
	}
}
