//go:build e2e

package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// The memory goal against the stack's real registry (distribution v3) storing the
// issue's hostile attestations (32 DSSE layers of 8 MiB, and at the envelope limit): the
// signatures and log entries are the fixture's (test-only keys), the reads are real. The
// other kinds of hostile content are left to the in-process test (pushing hundreds of
// referrers takes a while; distribution refuses layers that name no blob).
func TestE2EHostileContentMemory(t *testing.T) {
	s := e2eStack(t)
	run := fmt.Sprint(time.Now().UnixNano())
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			if !strings.HasPrefix(c.name, "att: 32 DSSE layers") {
				t.Skip("in-process only (TestHostileContentMemory)")
			}
			f := verifytest.New(t)
			prefix := fmt.Sprintf("%s/mcpverify-e2e/hostile-%s-%d", s.registry, run, len(c.name))
			f.Host = s.registry
			sigRepo, err := name.NewRepository(prefix + "-signatures")
			if err != nil {
				t.Fatal(err)
			}
			f.SigRepo = sigRepo
			key, rekorKey := f.WriteKeys(t.TempDir())
			flags := []string{"--key", key, "--rekor-key", rekorKey, "--registry", s.registry, "--signatures-repo", sigRepo.Name()}
			checkHostileMemory(t, f, flags, c, hostileRun{8, []string{"-j", "8"}}, func(i int) name.Repository {
				r, err := name.NewRepository(fmt.Sprintf("%s-%d", prefix, i))
				if err != nil {
					t.Fatal(err)
				}
				return r
			})
		})
	}
}
