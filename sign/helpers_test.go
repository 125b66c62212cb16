package sign_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
)

// newRegistry starts ggcr's in-process registry, optionally behind a wrapping handler.
func newRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
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

// fakeTLog is an in-memory transparency log: it returns cosign bundles whose bodies are
// the hashedrekord / dsse bodies Rekor would record, with a real SignedEntryTimestamp by
// its own ECDSA key and the matching log ID (the real log is exercised by the e2e tests).
//
// As Rekor does, it records an entry once: uploading an identical body again returns the
// existing entry (Rekor answers 409 and the client fetches it).
type fakeTLog struct {
	mu      sync.Mutex
	key     *ecdsa.PrivateKey
	pub     crypto.PublicKey // when set, the key PublicKey reports instead of key's (a log whose recorded entries we hold)
	next    int64
	entries map[string]*bundle.RekorBundle // by body
	fail    error                          // every upload fails with it, nothing is recorded
	lose    error                          // every upload is recorded, then fails with it (the answer is lost)
}

func (f *fakeTLog) logKey() *ecdsa.PrivateKey {
	if f.key == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		f.key = k
	}
	return f.key
}

func (f *fakeTLog) PublicKey(context.Context) (crypto.PublicKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pub != nil {
		return f.pub, nil
	}
	return &f.logKey().PublicKey, nil
}

func (f *fakeTLog) entry(body map[string]any) (*bundle.RekorBundle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	b, _ := json.Marshal(body)
	if e, ok := f.entries[string(b)]; ok {
		return e, f.lose
	}
	f.next++
	id, err := cosign.GetTransparencyLogID(&f.logKey().PublicKey)
	if err != nil {
		return nil, err
	}
	p := bundle.RekorPayload{
		Body: base64.StdEncoding.EncodeToString(b), IntegratedTime: 1700000000, LogIndex: f.next, LogID: id,
	}
	e := &bundle.RekorBundle{SignedEntryTimestamp: signSET(f.logKey(), p), Payload: p}
	if f.entries == nil {
		f.entries = map[string]*bundle.RekorBundle{}
	}
	f.entries[string(b)] = e
	if f.lose != nil {
		return nil, f.lose
	}
	return e, nil
}

// signSET signs a bundle payload as Rekor does: ECDSA over SHA-256 of its canonical JSON.
func signSET(k *ecdsa.PrivateKey, p bundle.RekorPayload) []byte {
	j, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	canon, err := jsoncanonicalizer.Transform(j)
	if err != nil {
		panic(err)
	}
	h := sha256.Sum256(canon)
	sig, err := ecdsa.SignASN1(rand.Reader, k, h[:])
	if err != nil {
		panic(err)
	}
	return sig
}

func (f *fakeTLog) UploadSignature(_ context.Context, sig, payload, pubPEM []byte) (*bundle.RekorBundle, error) {
	h := sha256.Sum256(payload)
	return f.entry(map[string]any{"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": map[string]any{
		"data":      map[string]any{"hash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(h[:])}},
		"signature": map[string]any{"content": base64.StdEncoding.EncodeToString(sig), "publicKey": map[string]any{"content": base64.StdEncoding.EncodeToString(pubPEM)}},
	}})
}

func (f *fakeTLog) UploadAttestation(_ context.Context, env, pubPEM []byte) (*bundle.RekorBundle, error) {
	var e struct {
		Payload    []byte `json:"payload"`
		Signatures []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(env, &e); err != nil || len(e.Signatures) == 0 {
		return nil, errors.New("fake tlog: bad envelope")
	}
	h, ph := sha256.Sum256(env), sha256.Sum256(e.Payload)
	return f.entry(map[string]any{"apiVersion": "0.0.1", "kind": "dsse", "spec": map[string]any{
		"envelopeHash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(h[:])},
		"payloadHash":  map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(ph[:])},
		"signatures":   []any{map[string]any{"signature": e.Signatures[0].Sig, "verifier": base64.StdEncoding.EncodeToString(pubPEM)}},
	}})
}

// count returns how many entries the log holds.
func (f *fakeTLog) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.entries)
}

func (f *fakeTLog) setLose(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lose = err
}

func (f *fakeTLog) setFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = err
}

// newService returns a Service signing with key into host/mcp/signatures.
func newService(t *testing.T, host, key string, tl sign.TLog) *sign.Service {
	t.Helper()
	repo, err := name.NewRepository(host + "/mcp/signatures")
	if err != nil {
		t.Fatal(err)
	}
	var opts []sign.Option
	if tl == nil {
		opts = append(opts, sign.WithoutTLogUnsafe())
	}
	s, err := sign.New(mustSigner(t, key), sign.NewStore(repo), tl, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
