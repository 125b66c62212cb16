// Package signtest holds test helpers for packages that sign through sign.Service (sign
// itself, publish): an in-process registry, an in-memory transparency log with real SETs,
// the test-only keys, a provenance statement, and (hostile.go) images co-signed by other
// parties with helpers that check registries kept their layers. For tests only.
package signtest

import (
	"bytes"
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
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mcpbuild/mcpbuild/sign"
)

// The test-only key pairs of testdata/keys (absolute paths) and their password.
var (
	KeyA = keyFile("test-only-a.key")
	KeyB = keyFile("test-only-b.key")
)

// Password decrypts KeyA and KeyB.
const Password = "test-only-password"

// PinA is a pinned commit: the revision label and claim of the co-signed image.
const PinA = "0123456789abcdef0123456789abcdef01234567"

func keyFile(name string) string {
	_, self, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(self), "..", "..", "testdata", "keys", name)
}

var signers sync.Map // path -> sign.Signer (scrypt makes loading slow)

// Signer loads the cosign key file at path (encrypted with Password), once per process.
func Signer(t *testing.T, path string) sign.Signer {
	t.Helper()
	if s, ok := signers.Load(path); ok {
		return s.(sign.Signer)
	}
	s, err := sign.LoadKeyFile(path, []byte(Password))
	if err != nil {
		t.Fatal(err)
	}
	signers.Store(path, s)
	return s
}

// Registry starts go-containerregistry's in-process registry, optionally behind a
// wrapping handler, and returns its host:port.
func Registry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Service returns a Service signing with the key file key into host/mcp/signatures; a
// nil tl signs without log entries (sign.WithoutTLogUnsafe).
func Service(t *testing.T, host, key string, tl sign.TLog) *sign.Service {
	t.Helper()
	repo, err := name.NewRepository(host + "/mcp/signatures")
	if err != nil {
		t.Fatal(err)
	}
	var opts []sign.Option
	if tl == nil {
		opts = append(opts, sign.WithoutTLogUnsafe())
	}
	s, err := sign.New(Signer(t, key), sign.NewStore(repo), tl, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Statement returns a minimal SLSA v1 provenance statement (in-toto v1) about img.
func Statement(img name.Digest) []byte {
	h := strings.TrimPrefix(img.DigestStr(), "sha256:")
	return []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"` + img.Repository.Name() +
		`","digest":{"sha256":"` + h + `"}}],"predicateType":"https://slsa.dev/provenance/v1",` +
		`"predicate":{"buildDefinition":{"buildType":"https://mobyproject.org/buildkit@v1","externalParameters":{}},"runDetails":{"builder":{"id":""}}}}`)
}

// Hash returns d's digest.
func Hash(t *testing.T, d name.Digest) v1.Hash {
	t.Helper()
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// RawManifest reads tag's manifest with go-containerregistry; it must be an OCI manifest.
func RawManifest(t *testing.T, tag name.Tag) *v1.Manifest {
	t.Helper()
	d, err := remote.Get(tag)
	if err != nil {
		t.Fatalf("remote.Get(%s) = %v", tag, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	if d.MediaType != types.OCIManifestSchema1 {
		t.Errorf("manifest media type = %s, want OCI", d.MediaType)
	}
	return m
}

// DescEqual reports whether two descriptors are the same, field by field (as JSON).
func DescEqual(a, b v1.Descriptor) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// CosignVerifier returns cosign's own verifier for pub.
func CosignVerifier(pub crypto.PublicKey) (signature.Verifier, error) {
	return signature.LoadDefaultVerifier(pub, *cosign.GetDefaultLoadOptions(nil)...)
}

// TLog is an in-memory transparency log: it returns cosign bundles whose bodies are the
// hashedrekord / dsse bodies Rekor would record, with a real SignedEntryTimestamp by its
// own ECDSA key and the matching log ID (the real log is exercised by the e2e tests).
//
// As Rekor does, it records an entry once: uploading an identical body again returns the
// existing entry (Rekor answers 409 and the client fetches it).
type TLog struct {
	Pub  crypto.PublicKey // when set, the key PublicKey reports instead of its own (a log whose recorded entries we hold)
	Fail error            // every upload fails with it, nothing is recorded
	Lose error            // every upload is recorded, then fails with it (the answer is lost)

	mu      sync.Mutex
	key     *ecdsa.PrivateKey
	next    int64
	entries map[string]*bundle.RekorBundle // by body
}

var _ sign.TLog = (*TLog)(nil)

func (f *TLog) logKey() *ecdsa.PrivateKey {
	if f.key == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		f.key = k
	}
	return f.key
}

// PublicKey returns the log's key (Pub when set).
func (f *TLog) PublicKey(context.Context) (crypto.PublicKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Pub != nil {
		return f.Pub, nil
	}
	return &f.logKey().PublicKey, nil
}

func (f *TLog) entry(body map[string]any) (*bundle.RekorBundle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Fail != nil {
		return nil, f.Fail
	}
	b, _ := json.Marshal(body)
	if e, ok := f.entries[string(b)]; ok {
		return e, f.Lose
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
	if f.Lose != nil {
		return nil, f.Lose
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

// UploadSignature records a hashedrekord entry.
func (f *TLog) UploadSignature(_ context.Context, sig, payload, pubPEM []byte) (*bundle.RekorBundle, error) {
	h := sha256.Sum256(payload)
	return f.entry(map[string]any{"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": map[string]any{
		"data":      map[string]any{"hash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(h[:])}},
		"signature": map[string]any{"content": base64.StdEncoding.EncodeToString(sig), "publicKey": map[string]any{"content": base64.StdEncoding.EncodeToString(pubPEM)}},
	}})
}

// UploadAttestation records a dsse entry.
func (f *TLog) UploadAttestation(_ context.Context, env, pubPEM []byte) (*bundle.RekorBundle, error) {
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

// Count returns how many entries the log holds.
func (f *TLog) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.entries)
}

// SetLose sets Lose while uploads may run.
func (f *TLog) SetLose(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Lose = err
}

// SetFail sets Fail while uploads may run.
func (f *TLog) SetFail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Fail = err
}
