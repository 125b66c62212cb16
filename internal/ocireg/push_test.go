package ocireg_test

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/mcpbuild/mcpbuild/internal/ocireg"
)

// pushRegistry is go-containerregistry's registry behind a handler that logs "METHOD
// path" and lets a test answer a request itself (answer returns true).
func pushRegistry(t *testing.T, answer func(w http.ResponseWriter, r *http.Request) bool) (name.Repository, func() []string) {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		if answer != nil && answer(w, r) {
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/mcp/signatures")
	if err != nil {
		t.Fatal(err)
	}
	return repo, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

// A blob the registry does not hold is pushed in two requests (POST, PUT with the bytes),
// after one ping per repository, and can then be read.
func TestPushBlob(t *testing.T) {
	ctx := context.Background()
	repo, seen := pushRegistry(t, nil)
	c := ocireg.New(nil, nil)
	content := []byte(`{"payload":1}`)
	h, err := c.PushBlob(ctx, repo, content)
	if err != nil || h != ocireg.SHA256(content) {
		t.Fatalf("PushBlob() = %v, %v; want %v", h, err, ocireg.SHA256(content))
	}
	if _, err := c.PushBlob(ctx, repo, []byte("second")); err != nil {
		t.Fatal(err)
	}
	want := "GET /v2/ POST /v2/mcp/signatures/blobs/uploads/ PUT POST /v2/mcp/signatures/blobs/uploads/ PUT"
	var got []string
	for _, s := range seen() {
		if strings.HasPrefix(s, "PUT ") {
			s = "PUT" // the upload location is the registry's
		}
		got = append(got, s)
	}
	if strings.Join(got, " ") != want {
		t.Errorf("requests %q; want %q", got, want)
	}
	b, err := c.Blob(ctx, repo, h, int64(len(content)), 1<<10)
	if err != nil || string(b) != string(content) {
		t.Errorf("Blob() = %q, %v; want the bytes pushed", b, err)
	}
}

// A registry that mounts the blob (201 to the POST: it holds it) is sent nothing more; an
// error status is go-containerregistry's *transport.Error, as its writes return.
func TestPushBlobMountedOrRefused(t *testing.T) {
	ctx := context.Background()
	repo, seen := pushRegistry(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && r.URL.Query().Get("mount") != "" && r.URL.Query().Get("from") == "mcp/signatures" {
			w.WriteHeader(http.StatusCreated)
			return true
		}
		return false
	})
	c := ocireg.New(nil, nil)
	if _, err := c.PushBlob(ctx, repo, []byte("held")); err != nil {
		t.Fatal(err)
	}
	if got := seen(); len(got) != 2 || got[1] != "POST /v2/mcp/signatures/blobs/uploads/" {
		t.Errorf("requests %q; want the ping and one POST", got)
	}

	repo, _ = pushRegistry(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut {
			http.Error(w, `{"errors":[{"code":"DENIED"}]}`, http.StatusForbidden)
			return true
		}
		return false
	})
	_, err := ocireg.New(nil, nil).PushBlob(ctx, repo, []byte("refused"))
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusForbidden {
		t.Errorf("PushBlob() error = %v; want a *transport.Error with status 403", err)
	}
}
