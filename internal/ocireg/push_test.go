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
	"sync/atomic"
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
	h, uploaded, err := c.PushBlob(ctx, repo, content)
	if err != nil || h != ocireg.SHA256(content) || !uploaded {
		t.Fatalf("PushBlob() = %v, %v, %v; want %v, uploaded", h, uploaded, err, ocireg.SHA256(content))
	}
	if _, _, err := c.PushBlob(ctx, repo, []byte("second")); err != nil {
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
	if _, uploaded, err := c.PushBlob(ctx, repo, []byte("held")); err != nil || uploaded {
		t.Fatalf("PushBlob() = uploaded %v, %v; want a mount (not uploaded: the caller reads it back)", uploaded, err)
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
	_, _, err := ocireg.New(nil, nil).PushBlob(ctx, repo, []byte("refused"))
	var te *transport.Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusForbidden {
		t.Errorf("PushBlob() error = %v; want a *transport.Error with status 403", err)
	}
}

// A redirect is not followed (net/http would carry the POST to any host as a GET, whose
// 201 would read as a mount), and an upload location on another host is not the registry:
// the bytes may go there, but PushBlob does not say they were uploaded.
func TestPushBlobElsewhere(t *testing.T) {
	ctx := context.Background()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(other.Close)

	repo, _ := pushRegistry(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost {
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
			return true
		}
		return false
	})
	if _, _, err := ocireg.New(nil, nil).PushBlob(ctx, repo, []byte("redirected")); err == nil {
		t.Error("PushBlob() followed a redirect of its POST and took the answer as a mount")
	}
	if n := elsewhere.Load(); n != 0 {
		t.Errorf("the other host got %d requests; want none", n)
	}

	repo, _ = pushRegistry(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost {
			w.Header().Set("Location", other.URL+"/upload/1")
			w.WriteHeader(http.StatusAccepted)
			return true
		}
		return false
	})
	if _, uploaded, err := ocireg.New(nil, nil).PushBlob(ctx, repo, []byte("elsewhere")); err != nil || uploaded {
		t.Errorf("PushBlob() to an upload location on another host = uploaded %v, %v; want not uploaded (read it back)", uploaded, err)
	}
}
