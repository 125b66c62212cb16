//go:build e2e

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
)

// tlsDaemon is the stack's second buildkitd (mutual TLS) and its certificate directories:
// dir is the right --tlsdir, wrong one from an unrelated CA.
func tlsDaemon(t *testing.T) (addr, dir, wrong string) {
	t.Helper()
	addr, dir, wrong = os.Getenv("MCPBUILD_E2E_BUILDKIT_TLS_ADDR"), os.Getenv("MCPBUILD_E2E_BUILDKIT_TLS_DIR"), os.Getenv("MCPBUILD_E2E_BUILDKIT_TLS_WRONG_DIR")
	if addr == "" || dir == "" || wrong == "" {
		t.Fatal("MCPBUILD_E2E_BUILDKIT_TLS_ADDR, _DIR or _WRONG_DIR unset: .stack/env is from a hack/stack without buildkitd-tls; run hack/stack up")
	}
	for _, v := range []string{cliutil.EnvBuildkitTLSCACert, cliutil.EnvBuildkitTLSCert, cliutil.EnvBuildkitTLSKey, cliutil.EnvBuildkitTLSServerName, cliutil.EnvBuildkitTLSDir} {
		t.Setenv(v, "")
	}
	return addr, dir, wrong
}

func buildJSON(t *testing.T, s e2eStack, args ...string) resultJSON {
	t.Helper()
	args = append([]string{"build", "--registry", s.registry, "--progress", "quiet", "-o", "json", s.mirror()}, args...)
	out, stderr, code, err := run(t, args...)
	var rs []resultJSON
	if code != 0 || json.Unmarshal([]byte(out), &rs) != nil || len(rs) != 1 || rs[0].Status != "built" {
		t.Fatalf("mcpbuild %q: exit %d, %v, stdout %q\n%s", args, code, err, out, stderr)
	}
	return rs[0]
}

// TestE2EBuildOverTLS builds the pinned fixture over the mutual-TLS buildkitd, with the
// flags and with the variables: the image pushed is the one the unix-socket buildkitd
// pushes for the same pin, and the registry has it.
func TestE2EBuildOverTLS(t *testing.T) {
	s := e2e(t)
	addr, dir, _ := tlsDaemon(t)
	unix := os.Getenv(cliutil.EnvBuildkitHost)
	pattern := filepath.Join(s.catalog, "pinned")
	overFlags := buildJSON(t, s, "--buildkit-addr", addr, "--tlscacert", filepath.Join(dir, "ca.pem"),
		"--tlscert", filepath.Join(dir, "cert.pem"), "--tlskey", filepath.Join(dir, "key.pem"), "--tlsservername", "localhost", pattern)
	t.Setenv(cliutil.EnvBuildkitHost, addr)
	t.Setenv(cliutil.EnvBuildkitTLSDir, dir)
	overEnv := buildJSON(t, s, pattern)
	t.Setenv(cliutil.EnvBuildkitTLSDir, "")
	overUnix := buildJSON(t, s, "--buildkit-addr", unix, pattern)
	if overFlags.Image != overUnix.Image || overEnv.Image != overUnix.Image || overFlags.Commit != pinOf(t, s, "pinned") {
		t.Errorf("over TLS (flags) %s, over TLS (variables) %s, over unix:// %s; want one image at %s", overFlags.Image, overEnv.Image, overUnix.Image, pinOf(t, s, "pinned"))
	}
	d, err := name.NewDigest(overFlags.Image)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(d)
	if err != nil || desc.Digest.String() != overFlags.Digest {
		t.Errorf("registry has %v (%v), want %s", desc, err, overFlags.Digest)
	}
}

// TestE2EPublishOverTLS: publish takes the same flags.
func TestE2EPublishOverTLS(t *testing.T) {
	s := e2eSign(t)
	addr, dir, _ := tlsDaemon(t)
	tag, sigRepo := s.unique(t)
	rs, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, "--buildkit-addr", addr, "--tlsdir", dir, filepath.Join(s.catalog, "pinned"))
	if code != 0 || len(rs) != 1 || rs[0].Status != publish.Published || rs[0].Commit != pinOf(t, s.e2eStack, "pinned") {
		t.Fatalf("publish over %s: exit %d, %v, %+v\n%s", addr, code, err, rs, stderr)
	}
}

// TestE2ETLSFailuresExit3: a wrong CA and a missing client certificate are exit 3 with a
// message that says so and names the flag to check; nothing on stdout.
func TestE2ETLSFailuresExit3(t *testing.T) {
	s := e2e(t)
	addr, dir, wrong := tlsDaemon(t)
	pattern := filepath.Join(s.catalog, "pinned")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"wrong CA", []string{"--tlscacert", filepath.Join(wrong, "ca.pem"), "--tlscert", filepath.Join(dir, "cert.pem"), "--tlskey", filepath.Join(dir, "key.pem")},
			"TLS handshake failed: buildkitd's certificate is signed by an unknown authority (check --tlscacert"},
		{"no client certificate", []string{"--tlscacert", filepath.Join(dir, "ca.pem")},
			"TLS handshake failed: buildkitd requires a client certificate and none was sent (set --tlscert and --tlskey)"},
		{"client certificate of another CA", []string{"--tlscacert", filepath.Join(dir, "ca.pem"), "--tlscert", filepath.Join(wrong, "cert.pem"), "--tlskey", filepath.Join(wrong, "key.pem")},
			"requires a client certificate signed by a CA it trusts"},
		{"no TLS", nil, "speaks TLS and no TLS options were given"},
	}
	for _, tt := range tests {
		args := append(append([]string{"build", "--registry", s.registry, "--progress", "quiet", s.mirror(), "--buildkit-addr", addr}, tt.args...), pattern)
		out, _, code, err := run(t, args...)
		if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), addr) || out != "" {
			t.Errorf("%s: exit %d, err %v, stdout %q; want exit 3 naming %s and saying %q", tt.name, code, err, out, addr, tt.want)
		}
	}
}
