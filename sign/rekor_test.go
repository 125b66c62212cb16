package sign_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
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

// lyingTLog records some other signature than the one it was given.
type lyingTLog struct{ fakeTLog }

func (l *lyingTLog) UploadSignature(ctx context.Context, _, payload, pubPEM []byte) (*bundle.RekorBundle, error) {
	return l.fakeTLog.UploadSignature(ctx, []byte("another signature"), payload, pubPEM)
}

func (l *lyingTLog) UploadAttestation(ctx context.Context, env, _ []byte) (*bundle.RekorBundle, error) {
	other, _ := os.ReadFile(pubB)
	return l.fakeTLog.UploadAttestation(ctx, env, other)
}

// An entry that does not record our signature is not attached.
func TestTLogEntryMustBindSignature(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	svc := newService(t, host, keyA, &lyingTLog{})
	var te *sign.TLogError
	if _, err := svc.SignImage(ctx, img, claims); !errors.As(err, &te) {
		t.Errorf("SignImage with a lying log = %v, want *TLogError", err)
	}
	if _, err := svc.Attest(ctx, img, statementFor(img)); !errors.As(err, &te) {
		t.Errorf("Attest with a lying log = %v, want *TLogError", err)
	}
	for _, suffix := range []string{"sig", "att"} {
		if l, _ := svc.Store().List(ctx, mustHash(t, img), suffix); len(l) != 0 {
			t.Errorf(".%s: %d layers pushed with a mismatching log entry", suffix, len(l))
		}
	}
}
