package sign_test

import (
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
)

// newRegistry starts ggcr's in-process registry, optionally behind a wrapping handler.
func newRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	return signtest.Registry(t, wrap)
}

// pushImage pushes a random image to host/repo:latest and returns its digest reference.
func pushImage(t *testing.T, host, repo string) name.Digest {
	t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(host + "/" + repo + ":latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	return tag.Context().Digest(d.String())
}

// fakeTLog is an in-memory transparency log with real SETs (signtest.TLog).
type fakeTLog = signtest.TLog

// newService returns a Service signing with key into host/mcp/signatures.
func newService(t *testing.T, host, key string, tl sign.TLog) *sign.Service {
	t.Helper()
	return signtest.Service(t, host, key, tl)
}
