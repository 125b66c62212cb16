//go:build e2e

package build_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpbuild/mcpbuild/build"
)

// tlsStack is the local stack's second buildkitd (tcp:// with mutual TLS) and its
// certificate directories: client/ (the right CA and client certificate) and wrong/ (a CA
// and client certificate unrelated to buildkitd's).
type tlsStack struct {
	addr          string
	client, wrong string
}

func (s tlsStack) config(dir string) build.TLSConfig {
	return build.TLSConfig{CACert: filepath.Join(dir, "ca.pem"), Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem")}
}

func tlsDaemon(t *testing.T) (e2eEnv, tlsStack) {
	t.Helper()
	e := stack(t)
	s := tlsStack{os.Getenv("MCPBUILD_E2E_BUILDKIT_TLS_ADDR"), os.Getenv("MCPBUILD_E2E_BUILDKIT_TLS_DIR"), os.Getenv("MCPBUILD_E2E_BUILDKIT_TLS_WRONG_DIR")}
	if s.addr == "" || s.client == "" || s.wrong == "" {
		t.Fatal("MCPBUILD_E2E_BUILDKIT_TLS_ADDR, _DIR or _WRONG_DIR unset: .stack/env is from a hack/stack without buildkitd-tls; run hack/stack up")
	}
	return e, s
}

// TestE2ETLSBuildKit builds over the mutual-TLS buildkitd: the image is the one the
// unix-socket buildkitd pushes for the same pin.
func TestE2ETLSBuildKit(t *testing.T) {
	e, s := tlsDaemon(t)
	srv := server("tls", e.git+"/mcp-pinned.git", fixtureCommit(t, "mcp-pinned", "02-v0.2.0"), "")
	over := e
	over.buildkit = s.addr
	overTLS, err := newBuilder(t, over, build.PlanOptions{}, build.WithTLS(s.config(s.client))).Build(context.Background(), srv)
	if err != nil {
		t.Fatalf("Build() over %s = %v", s.addr, err)
	}
	overUnix, err := newBuilder(t, e, build.PlanOptions{}).Build(context.Background(), srv)
	if err != nil {
		t.Fatal(err)
	}
	if overTLS.Image != overUnix.Image || overTLS.Provenance == nil {
		t.Errorf("over TLS %s (provenance %d bytes), over unix:// %s; want the same image", overTLS.Image, len(overTLS.Provenance), overUnix.Image)
	}
}

// TestE2ETLSHandshakeFailures: a wrong CA, no client certificate, a client certificate of
// another CA, a wrong server name and no TLS at all are *UnreachableError naming the
// address, wrapping a *TLSError that says what failed.
func TestE2ETLSHandshakeFailures(t *testing.T) {
	e, s := tlsDaemon(t)
	good := s.config(s.client)
	wrong := s.config(s.wrong)
	tests := []struct {
		name string
		opts []build.Option
		want string // in the message
	}{
		{"wrong CA", []build.Option{build.WithTLS(build.TLSConfig{CACert: wrong.CACert, Cert: good.Cert, Key: good.Key})},
			"signed by an unknown authority (check --tlscacert"},
		{"no client certificate", []build.Option{build.WithTLS(build.TLSConfig{CACert: good.CACert})},
			"requires a client certificate and none was sent (set --tlscert and --tlskey)"},
		{"client certificate of another CA", []build.Option{build.WithTLS(build.TLSConfig{CACert: good.CACert, Cert: wrong.Cert, Key: wrong.Key})},
			"signed by a CA it trusts, and the one given is not (so none was sent) (check --tlscert)"},
		{"wrong server name", []build.Option{build.WithTLS(build.TLSConfig{CACert: good.CACert, Cert: good.Cert, Key: good.Key, ServerName: "buildkitd.invalid"})},
			"buildkitd.invalid (check --tlsservername"},
		{"no TLS", nil, "speaks TLS and no TLS options were given (set --tlscacert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append(tt.opts, build.WithConnectTimeout(10*time.Second))
			_, err := build.NewBuildKit(context.Background(), s.addr, build.PlanOptions{Registry: e.registry}, opts...)
			assertUnreachable(t, err, build.ServiceBuildKit, s.addr)
			var te *build.TLSError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v, want a *TLSError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
			t.Logf("%s: %v", tt.name, err)
		})
	}
}
