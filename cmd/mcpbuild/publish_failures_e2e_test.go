//go:build e2e

package main

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/sign"
)

// TestE2EPublishFailures: each failure is a clear error with its exit code and leaves
// nothing in the signatures repository.
func TestE2EPublishFailures(t *testing.T) {
	s := e2eSign(t)
	pattern := filepath.Join(s.catalog, "pinned")
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	for _, tc := range []struct {
		name  string
		pw    string
		key   string
		extra []string
		code  int
		want  string
	}{
		{"wrong password", "wrong", e2eKeyA, nil, cliutil.ExitUsage, "wrong password"},
		{"missing key", testPass, "/nonexistent/cosign.key", nil, cliutil.ExitUsage, "no such file"},
		{"rekor down", testPass, e2eKeyA, []string{"--rekor-url", "http://" + closed()}, cliutil.ExitUnreachable, "unreachable"},
		{"registry down", testPass, e2eKeyA, []string{"--registry", closed()}, cliutil.ExitUnreachable, "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(cliutil.EnvCosignPassword, tc.pw)
			tag, sigRepo := s.unique(t)
			rs, stderr, code, err := s.publish(t, tag, sigRepo, tc.key, append(tc.extra, pattern)...)
			if code != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("exit %d, err %v; want exit %d and %q\n%s", code, err, tc.code, tc.want, stderr)
			}
			for _, r := range rs {
				if r.Status != sign.Failed {
					t.Errorf("report %+v", r)
				}
			}
			repo, _ := name.NewRepository(sigRepo)
			if tags, err := remote.List(repo); err == nil && len(tags) > 0 {
				t.Errorf("signatures repository has tags %v after a failed publish", tags)
			}
		})
	}
}
