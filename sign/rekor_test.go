package sign_test

import (
	"context"
	"crypto"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/mcpbuild/mcpbuild/internal/pemkey"
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

// Ping also needs the log's public key (bundles are checked with it); PublicKey reads it
// once and parses it.
func TestRekorPingNeedsPublicKey(t *testing.T) {
	ctx := context.Background()
	logPEM, err := os.ReadFile(pubB) // any PEM public key plays the log's
	if err != nil {
		t.Fatal(err)
	}
	var keyReads atomic.Int32
	serveKey := atomic.Bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/log":
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"rootHash":"` + strings.Repeat("0", 64) + `","signedTreeHead":"sth","treeSize":1,"treeID":"1"}`))
		case "/api/v1/log/publicKey":
			keyReads.Add(1)
			if !serveKey.Load() {
				http.Error(w, `{"code":500,"message":"no key"}`, http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/x-pem-file")
			_, _ = w.Write(logPEM)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	r, err := sign.NewRekor(srv.URL, 0)
	if err != nil {
		t.Fatal(err)
	}
	var te *sign.TLogError
	if err := r.Ping(ctx); !errors.As(err, &te) {
		t.Errorf("Ping without a public key = %v, want *TLogError", err)
	}
	serveKey.Store(true)
	if err := r.Ping(ctx); err != nil {
		t.Fatalf("Ping = %v", err)
	}
	got, err := r.PublicKey(ctx)
	want, _ := pemkey.ParsePublic(logPEM)
	if err != nil || !want.(interface{ Equal(crypto.PublicKey) bool }).Equal(got) {
		t.Errorf("PublicKey() = %v, %v; want the served key", got, err)
	}
	if n := keyReads.Load(); n != 2 {
		t.Errorf("public key read %d times, want 2 (one failed, then cached)", n)
	}
}
