//go:build e2e

package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/cmd/internal/cliutil"
	"github.com/mcpbuild/mcpbuild/publish"
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
				if r.Status != publish.Failed {
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

// TestE2ERekorFailsOnUpload: Rekor answers the pre-flight but refuses every new entry (a
// proxy turns POSTs into 503). The server fails with exit 3, its image is pushed by the
// build, and no signature or attestation is attached without its log entry (the signature
// is staged for the re-run, see sign.PendingAnnotation).
func TestE2ERekorFailsOnUpload(t *testing.T) {
	s := e2eSign(t)
	target, err := url.Parse(s.rekorURL)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	var posts atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
			http.Error(w, `{"code":503,"message":"trillian unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()
	tag, sigRepo := s.unique(t)
	rs, stderr, code, err := s.publish(t, tag, sigRepo, e2eKeyA, "--rekor-url", proxy.URL, filepath.Join(s.catalog, "pinned"))
	if code != cliutil.ExitUnreachable || err == nil || !strings.Contains(err.Error(), proxy.URL) {
		t.Errorf("exit %d, %v; want 3 naming the log\n%s", code, err, stderr)
	}
	if len(rs) != 1 || rs[0].Status != publish.Failed || rs[0].Image == "" || rs[0].Signature != "" {
		t.Errorf("report %+v; want failed with the pushed image and no signature", rs)
	}
	if posts.Load() == 0 {
		t.Error("no upload was attempted")
	}
	// Nothing is attached: a tag there holds only the staged record for the re-run.
	repo, _ := name.NewRepository(sigRepo)
	tags, _ := remote.List(repo)
	for _, tag := range tags {
		img, err := remote.Image(repo.Tag(tag))
		if err != nil {
			t.Fatal(err)
		}
		if m, err := img.Manifest(); err != nil || len(m.Layers) != 0 || m.Annotations[sign.PendingAnnotation] == "" {
			t.Errorf("%s: %v; want no layer and a staged record, although every upload failed", tag, err)
		}
	}
}
