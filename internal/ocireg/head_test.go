package ocireg

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestHead(t *testing.T) {
	d := SHA256([]byte(testManifest)).String()
	repo, accept := testRegistry(t, map[string]answer{
		"/v2/r/manifests/good":    {ct: MediaOCIManifest, header: map[string]string{"Docker-Content-Digest": d}},
		"/v2/r/manifests/none":    {ct: MediaOCIManifest},
		"/v2/r/manifests/sha512":  {ct: MediaOCIManifest, header: map[string]string{"Docker-Content-Digest": "sha512:" + strings.Repeat("ab", 64)}},
		"/v2/r/manifests/garbage": {ct: MediaOCIManifest, header: map[string]string{"Docker-Content-Digest": "sha256:../../x"}},
		"/v2/r/manifests/denied":  {status: http.StatusUnauthorized},
		"/v2/r/manifests/broken":  {status: http.StatusInternalServerError},
	})
	c := New(nil, nil)
	ctx := context.Background()
	h, ok, err := c.Head(ctx, repo.Tag("good"), AcceptImage)
	if err != nil || !ok || h.String() != d {
		t.Fatalf("Head(good) = %v %v %v, want %s", h, ok, err, d)
	}
	if got, _ := accept.Load().(string); got != strings.Join(AcceptImage, ", ") {
		t.Errorf("Accept = %q", got)
	}
	for _, tag := range []string{"none", "sha512", "garbage"} {
		if _, ok, err := c.Head(ctx, repo.Tag(tag), AcceptImage); ok || err != nil {
			t.Errorf("Head(%s) = %v, %v; want no digest, no error (the caller GETs)", tag, ok, err)
		}
	}
	if _, _, err := c.Head(ctx, repo.Tag("absent"), AcceptImage); !errors.Is(err, ErrNotFound) {
		t.Errorf("Head(absent) = %v, want ErrNotFound", err)
	}
	for _, tag := range []string{"denied", "broken"} {
		var e *Error
		if _, _, err := c.Head(ctx, repo.Tag(tag), AcceptImage); !errors.As(err, &e) || errors.Is(err, ErrNotFound) {
			t.Errorf("Head(%s) = %v, want an *Error that is not ErrNotFound", tag, err)
		}
	}
}
