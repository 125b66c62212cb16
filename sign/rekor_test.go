package sign_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/mcpbuild/mcpbuild/sign"
)

// Error paths only: the real Rekor is exercised by the e2e tests.
func TestRekorErrors(t *testing.T) {
	ctx := context.Background()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"code":500,"message":"trillian down"}`, http.StatusInternalServerError)
	}))
	t.Cleanup(broken.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	repo, _ := name.NewRepository(host + "/mcp/signatures")
	for _, url := range []string{broken.URL, closed} {
		r, err := sign.NewRekor(url, 0)
		if err != nil {
			t.Fatal(err)
		}
		var te *sign.TLogError
		if err := r.Ping(ctx); !errors.As(err, &te) || te.URL != url {
			t.Errorf("Ping(%s) = %v, want *TLogError naming the URL", url, err)
		}
		svc, err := sign.New(mustSigner(t, keyA), sign.NewStore(repo), r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SignImage(ctx, img, claims); !errors.As(err, &te) {
			t.Errorf("SignImage with log %s = %v, want *TLogError", url, err)
		}
		if layers, err := svc.Store().List(ctx, mustHash(t, img), sign.SignatureSuffix); err != nil || len(layers) != 0 {
			t.Errorf("after failed upload: %d layers, %v; want nothing pushed", len(layers), err)
		}
	}
}
