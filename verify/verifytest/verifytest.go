// Package verifytest makes signed images in an in-process registry for tests: real
// ECDSA signatures, real Rekor SETs from a test-only log key, SLSA provenance, and the
// tampered variants of the tamper matrix. Test-only keys are generated per Fixture.
package verifytest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/go-openapi/strfmt"
	"github.com/go-openapi/swag"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/sign"
)

const (
	PinCommit   = "0123456789abcdef0123456789abcdef01234567"
	OtherCommit = "89abcdef0123456789abcdef0123456789abcdef"
	Project     = "https://github.com/example/mcp-server"
)

// TB is the part of testing.TB the fixture uses (examples pass their own).
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}

// Fixture is an in-process registry (ggcr registry.New behind the hostile harness and
// httptest, with a hook for faults), a test-only signing key and a test-only Rekor log key
// that makes real SETs. Requests go to Hook first, then to Hostile's rules (add them with
// f.Hostile.On after setting up the registry), then to the registry.
type Fixture struct {
	T        TB
	Server   *httptest.Server
	Host     string
	Hook     func(w http.ResponseWriter, r *http.Request) bool // true: handled (fault)
	Hostile  *hostile.Server                                   // rules and request log
	Key      *ecdsa.PrivateKey                                 // publisher's signing key
	RekorKey *ecdsa.PrivateKey                                 // transparency log key (makes SETs)
	SigRepo  name.Repository                                   // <host>/mcp/signatures
	logIndex int64
}

func New(t TB) *Fixture {
	t.Helper()
	f := &Fixture{T: t, Key: NewKey(t), RekorKey: NewKey(t)}
	f.Hostile = hostile.NewRegistry()
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.Hook != nil && f.Hook(w, r) {
			return
		}
		f.Hostile.ServeHTTP(w, r)
	}))
	// Release hanging rules before closing the server (which waits for them).
	t.Cleanup(func() { f.Hostile.Close(); f.Server.Close() })
	f.Host = strings.TrimPrefix(f.Server.URL, "http://")
	f.SigRepo = f.Repo("mcp/signatures")
	return f
}

func NewKey(t TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (f *Fixture) Repo(path string) name.Repository {
	r, err := name.NewRepository(f.Host + "/" + path)
	if err != nil {
		f.T.Fatal(err)
	}
	return r
}

// pushImage pushes a random single-layer image with the revision label (none when
// label is empty) under repo:tag and returns its digest reference.
func (f *Fixture) PushImage(repo name.Repository, tag, label string) name.Digest {
	f.T.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		f.T.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		f.T.Fatal(err)
	}
	cf = cf.DeepCopy()
	if label != "" {
		cf.Config.Labels = map[string]string{catalog.RevisionLabel: label}
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		f.T.Fatal(err)
	}
	if err := remote.Write(repo.Tag(tag), img); err != nil {
		f.T.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		f.T.Fatal(err)
	}
	return repo.Digest(h.String())
}

// SigSpec describes one signature layer; the zero value is a correct signature of img.
type SigSpec struct {
	Digest    string            // signed digest (default: the image's)
	DockerRef string            // docker-reference (default: the image repository)
	Claims    map[string]any    // optional claims (default: revision = PinCommit)
	Key       *ecdsa.PrivateKey // signing key (default: the fixture's)
	RekorKey  *ecdsa.PrivateKey // log key of the SET (default: the fixture's)
	NoBundle  bool              // no Rekor bundle annotation
	NoData    bool              // payload only as a blob (as cosign does), no "data" field
	B64Sig    string            // overrides the signature annotation
	BundleOf  *SigLayer         // use that signature's Rekor bundle
}

// SigLayer is one signature layer: its descriptor (annotations, "data"), payload, bundle.
type SigLayer struct {
	Desc    v1.Descriptor
	Payload []byte
	Bundle  string
}

func (f *Fixture) Signature(img name.Digest, s SigSpec) *SigLayer {
	f.T.Helper()
	if s.Digest == "" {
		s.Digest = img.DigestStr()
	}
	if s.DockerRef == "" {
		s.DockerRef = img.Context().Name()
	}
	if s.Claims == nil {
		s.Claims = map[string]any{catalog.RevisionLabel: PinCommit}
	}
	if s.Key == nil {
		s.Key = f.Key
	}
	if s.RekorKey == nil {
		s.RekorKey = f.RekorKey
	}
	p, err := json.Marshal(payload.SimpleContainerImage{
		Critical: payload.Critical{Identity: payload.Identity{DockerReference: s.DockerRef},
			Image: payload.Image{DockerManifestDigest: s.Digest}, Type: payload.CosignSignatureType},
		Optional: s.Claims,
	})
	if err != nil {
		f.T.Fatal(err)
	}
	signer, err := signature.LoadECDSASignerVerifier(s.Key, crypto.SHA256)
	if err != nil {
		f.T.Fatal(err)
	}
	sig, err := signer.SignMessage(bytes.NewReader(p))
	if err != nil {
		f.T.Fatal(err)
	}
	l := &SigLayer{Payload: p}
	b64 := base64.StdEncoding.EncodeToString(sig)
	ann := map[string]string{sign.SignatureAnnotation: b64}
	if s.B64Sig != "" {
		ann[sign.SignatureAnnotation] = s.B64Sig
	}
	switch {
	case s.BundleOf != nil:
		l.Bundle = s.BundleOf.Bundle
	case !s.NoBundle:
		l.Bundle = f.RekorBundle(s.RekorKey, f.hashedRekordBody(sig, p, &s.Key.PublicKey))
	}
	if l.Bundle != "" {
		ann[sign.BundleAnnotation] = l.Bundle
	}
	sum := sha256.Sum256(p)
	l.Desc = v1.Descriptor{MediaType: sign.SimpleSigningMediaType, Size: int64(len(p)),
		Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}, Annotations: ann}
	if !s.NoData {
		l.Desc.Data = p
	}
	return l
}

func PEM(t TB, pub crypto.PublicKey) []byte {
	b, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *Fixture) hashedRekordBody(sig, p []byte, pub crypto.PublicKey) []byte {
	sum := sha256.Sum256(p)
	e := &models.Hashedrekord{APIVersion: swag.String("0.0.1"), Spec: models.HashedrekordV001Schema{
		Data: &models.HashedrekordV001SchemaData{Hash: &models.HashedrekordV001SchemaDataHash{
			Algorithm: swag.String("sha256"), Value: swag.String(hex.EncodeToString(sum[:]))}},
		Signature: &models.HashedrekordV001SchemaSignature{Content: strfmt.Base64(sig),
			PublicKey: &models.HashedrekordV001SchemaSignaturePublicKey{Content: strfmt.Base64(PEM(f.T, pub))}},
	}}
	b, err := json.Marshal(e)
	if err != nil {
		f.T.Fatal(err)
	}
	return b
}

// rekorBundle makes a cosign bundle annotation whose SET is signed by rekorKey.
func (f *Fixture) RekorBundle(rekorKey *ecdsa.PrivateKey, body []byte) string {
	f.T.Helper()
	der, err := cryptoutils.MarshalPublicKeyToDER(&rekorKey.PublicKey)
	f.check(err)
	id := sha256.Sum256(der)
	out, err := json.Marshal(f.rekorPayloadSET(rekorKey, base64.StdEncoding.EncodeToString(body), hex.EncodeToString(id[:])))
	f.check(err)
	return string(out)
}

// rekorPayloadSET makes the next log position's payload and signs its SET with rekorKey.
func (f *Fixture) rekorPayloadSET(rekorKey *ecdsa.PrivateKey, b64body, logID string) *bundle.RekorBundle {
	f.T.Helper()
	f.logIndex++
	rp := bundle.RekorPayload{Body: b64body, IntegratedTime: time.Now().Unix(), LogIndex: f.logIndex, LogID: logID}
	raw, err := json.Marshal(rp)
	f.check(err)
	canon, err := jsoncanonicalizer.Transform(raw)
	f.check(err)
	signer, err := signature.LoadECDSASigner(rekorKey, crypto.SHA256)
	f.check(err)
	set, err := signer.SignMessage(bytes.NewReader(canon))
	f.check(err)
	return &bundle.RekorBundle{SignedEntryTimestamp: set, Payload: rp}
}

// putManifest pushes raw as ref's manifest.
func putManifest(ref name.Reference, raw []byte, mt types.MediaType) error {
	return remote.Put(ref, rawManifest{raw: raw, mt: mt})
}

// rawManifest is a manifest pushed as-is.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// pushLayers writes a cosign-layout manifest (empty OCI config, the given layers; their
// payloads are uploaded as blobs too) at ref.
func (f *Fixture) PushLayers(ref name.Tag, layers ...*SigLayer) {
	f.T.Helper()
	cfg := []byte("{}")
	f.blob(ref.Context(), cfg)
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(cfg)), Digest: hashOf(cfg)}}
	pushed := map[v1.Hash]bool{}
	for _, l := range layers {
		if !pushed[l.Desc.Digest] {
			f.blob(ref.Context(), l.Payload)
			pushed[l.Desc.Digest] = true
		}
		m.Layers = append(m.Layers, l.Desc)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		f.T.Fatal(err)
	}
	if err := remote.Put(ref, rawManifest{raw: raw, mt: types.OCIManifestSchema1}); err != nil {
		f.T.Fatal(err)
	}
}

func (f *Fixture) blob(repo name.Repository, b []byte) {
	f.T.Helper()
	l := staticLayer(b)
	if err := remote.WriteLayer(repo, l); err != nil {
		f.T.Fatal(err)
	}
}

func hashOf(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

// sign stores correct signatures (or those of specs) for img in the signatures repository.
func (f *Fixture) Sign(img name.Digest, specs ...SigSpec) []*SigLayer {
	f.T.Helper()
	if len(specs) == 0 {
		specs = []SigSpec{{}}
	}
	var ls []*SigLayer
	for _, s := range specs {
		ls = append(ls, f.Signature(img, s))
	}
	h, _ := v1.NewHash(img.DigestStr())
	f.PushLayers(sign.Tag(f.SigRepo, h, sign.SignatureSuffix), ls...)
	return ls
}
