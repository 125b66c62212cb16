package verify_test

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
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/go-openapi/strfmt"
	"github.com/go-openapi/swag"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/mcpbuild/mcpbuild/sign"
)

const (
	pinCommit   = "0123456789abcdef0123456789abcdef01234567"
	otherCommit = "89abcdef0123456789abcdef0123456789abcdef"
	project     = "https://github.com/example/mcp-server"
)

// fixture is an in-process registry (ggcr registry.New behind httptest, with a hook for
// faults), a test-only signing key and a test-only Rekor log key that makes real SETs.
type fixture struct {
	t        *testing.T
	srv      *httptest.Server
	host     string
	hook     func(w http.ResponseWriter, r *http.Request) bool // true: handled (fault)
	key      *ecdsa.PrivateKey
	rekorKey *ecdsa.PrivateKey
	sigRepo  name.Repository
	logIndex int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, key: newKey(t), rekorKey: newKey(t)}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.hook != nil && f.hook(w, r) {
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	f.host = strings.TrimPrefix(f.srv.URL, "http://")
	f.sigRepo = f.repo("mcp/signatures")
	return f
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (f *fixture) repo(path string) name.Repository {
	r, err := name.NewRepository(f.host + "/" + path)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// pushImage pushes a random single-layer image with the revision label (none when
// label is empty) under repo:tag and returns its digest reference.
func (f *fixture) pushImage(repo name.Repository, tag, label string) name.Digest {
	f.t.Helper()
	img, err := random.Image(64, 1)
	if err != nil {
		f.t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		f.t.Fatal(err)
	}
	cf = cf.DeepCopy()
	if label != "" {
		cf.Config.Labels = map[string]string{sign.RevisionClaim: label}
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := remote.Write(repo.Tag(tag), img); err != nil {
		f.t.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		f.t.Fatal(err)
	}
	return repo.Digest(h.String())
}

// sigSpec describes one signature layer; the zero value is a correct signature of img.
type sigSpec struct {
	digest    string         // signed digest (default: the image's)
	dockerRef string         // docker-reference (default: the image repository)
	claims    map[string]any // optional claims (default: revision = pin)
	key       *ecdsa.PrivateKey
	rekorKey  *ecdsa.PrivateKey
	noBundle  bool
	noData    bool   // payload only as a blob (as cosign does)
	b64sig    string // overrides the signature annotation
	bundleOf  *sigLayer
}

type sigLayer struct {
	desc    v1.Descriptor
	payload []byte
	bundle  string
}

func (f *fixture) signature(img name.Digest, s sigSpec) *sigLayer {
	f.t.Helper()
	if s.digest == "" {
		s.digest = img.DigestStr()
	}
	if s.dockerRef == "" {
		s.dockerRef = img.Context().Name()
	}
	if s.claims == nil {
		s.claims = map[string]any{sign.RevisionClaim: pinCommit}
	}
	if s.key == nil {
		s.key = f.key
	}
	if s.rekorKey == nil {
		s.rekorKey = f.rekorKey
	}
	p, err := json.Marshal(payload.SimpleContainerImage{
		Critical: payload.Critical{Identity: payload.Identity{DockerReference: s.dockerRef},
			Image: payload.Image{DockerManifestDigest: s.digest}, Type: payload.CosignSignatureType},
		Optional: s.claims,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	signer, err := signature.LoadECDSASignerVerifier(s.key, crypto.SHA256)
	if err != nil {
		f.t.Fatal(err)
	}
	sig, err := signer.SignMessage(bytes.NewReader(p))
	if err != nil {
		f.t.Fatal(err)
	}
	l := &sigLayer{payload: p}
	b64 := base64.StdEncoding.EncodeToString(sig)
	ann := map[string]string{sign.SignatureAnnotation: b64}
	if s.b64sig != "" {
		ann[sign.SignatureAnnotation] = s.b64sig
	}
	switch {
	case s.bundleOf != nil:
		l.bundle = s.bundleOf.bundle
	case !s.noBundle:
		l.bundle = f.rekorBundle(s.rekorKey, f.hashedRekordBody(sig, p, &s.key.PublicKey))
	}
	if l.bundle != "" {
		ann[sign.BundleAnnotation] = l.bundle
	}
	sum := sha256.Sum256(p)
	l.desc = v1.Descriptor{MediaType: sign.SimpleSigningMediaType, Size: int64(len(p)),
		Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}, Annotations: ann}
	if !s.noData {
		l.desc.Data = p
	}
	return l
}

func pemOf(t *testing.T, pub crypto.PublicKey) []byte {
	b, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f *fixture) hashedRekordBody(sig, p []byte, pub crypto.PublicKey) []byte {
	sum := sha256.Sum256(p)
	e := &models.Hashedrekord{APIVersion: swag.String("0.0.1"), Spec: models.HashedrekordV001Schema{
		Data: &models.HashedrekordV001SchemaData{Hash: &models.HashedrekordV001SchemaDataHash{
			Algorithm: swag.String("sha256"), Value: swag.String(hex.EncodeToString(sum[:]))}},
		Signature: &models.HashedrekordV001SchemaSignature{Content: strfmt.Base64(sig),
			PublicKey: &models.HashedrekordV001SchemaSignaturePublicKey{Content: strfmt.Base64(pemOf(f.t, pub))}},
	}}
	b, err := json.Marshal(e)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// rekorBundle makes a cosign bundle annotation whose SET is signed by rekorKey.
func (f *fixture) rekorBundle(rekorKey *ecdsa.PrivateKey, body []byte) string {
	f.t.Helper()
	der, err := cryptoutils.MarshalPublicKeyToDER(&rekorKey.PublicKey)
	if err != nil {
		f.t.Fatal(err)
	}
	id := sha256.Sum256(der)
	f.logIndex++
	rp := bundle.RekorPayload{Body: base64.StdEncoding.EncodeToString(body), IntegratedTime: time.Now().Unix(),
		LogIndex: f.logIndex, LogID: hex.EncodeToString(id[:])}
	raw, err := json.Marshal(rp)
	if err != nil {
		f.t.Fatal(err)
	}
	canon, err := jsoncanonicalizer.Transform(raw)
	if err != nil {
		f.t.Fatal(err)
	}
	signer, err := signature.LoadECDSASigner(rekorKey, crypto.SHA256)
	if err != nil {
		f.t.Fatal(err)
	}
	set, err := signer.SignMessage(bytes.NewReader(canon))
	if err != nil {
		f.t.Fatal(err)
	}
	out, err := json.Marshal(bundle.RekorBundle{SignedEntryTimestamp: set, Payload: rp})
	if err != nil {
		f.t.Fatal(err)
	}
	return string(out)
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
func (f *fixture) pushLayers(ref name.Tag, layers ...*sigLayer) {
	f.t.Helper()
	cfg := []byte("{}")
	f.blob(ref.Context(), cfg)
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(cfg)), Digest: hashOf(cfg)}}
	for _, l := range layers {
		f.blob(ref.Context(), l.payload)
		m.Layers = append(m.Layers, l.desc)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := remote.Put(ref, rawManifest{raw: raw, mt: types.OCIManifestSchema1}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) blob(repo name.Repository, b []byte) {
	f.t.Helper()
	l := staticLayer(b)
	if err := remote.WriteLayer(repo, l); err != nil {
		f.t.Fatal(err)
	}
}

func hashOf(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

// sign stores correct signatures (or those of specs) for img in the signatures repository.
func (f *fixture) sign(img name.Digest, specs ...sigSpec) []*sigLayer {
	f.t.Helper()
	if len(specs) == 0 {
		specs = []sigSpec{{}}
	}
	var ls []*sigLayer
	for _, s := range specs {
		ls = append(ls, f.signature(img, s))
	}
	h, _ := v1.NewHash(img.DigestStr())
	f.pushLayers(sign.Tag(f.sigRepo, h, sign.SignatureSuffix), ls...)
	return ls
}

// provSpec describes a provenance attestation; zero value: correct.
type provSpec struct {
	subject  string // sha256 hex (default: image's)
	commit   string
	project  string
	key      *ecdsa.PrivateKey
	noBundle bool
}

func (f *fixture) attest(img name.Digest, s provSpec) {
	f.t.Helper()
	h, _ := v1.NewHash(img.DigestStr())
	if s.subject == "" {
		s.subject = h.Hex
	}
	if s.commit == "" {
		s.commit = pinCommit
	}
	if s.project == "" {
		s.project = project
	}
	if s.key == nil {
		s.key = f.key
	}
	stmt := map[string]any{
		"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://slsa.dev/provenance/v1",
		"subject": []any{map[string]any{"name": img.Context().Name(), "digest": map[string]string{"sha256": s.subject}}},
		"predicate": map[string]any{
			"buildDefinition": map[string]any{
				"buildType": "https://mobyproject.org/buildkit@v1",
				"externalParameters": map[string]any{"configSource": map[string]any{
					"uri": s.project + ".git#" + s.commit + ":servers/alpha", "digest": map[string]string{"sha1": s.commit}}},
				"resolvedDependencies": []any{map[string]any{"uri": s.project + ".git#" + s.commit, "digest": map[string]string{"sha1": s.commit}}},
			},
			"runDetails": map[string]any{"builder": map[string]any{"id": "mcpbuild"}},
		},
	}
	sj, err := json.Marshal(stmt)
	if err != nil {
		f.t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(s.key, crypto.SHA256)
	if err != nil {
		f.t.Fatal(err)
	}
	env, err := dsse.WrapSigner(sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(sj))
	if err != nil {
		f.t.Fatal(err)
	}
	ann := map[string]string{sign.SignatureAnnotation: "", sign.PredicateTypeAnnotation: "https://slsa.dev/provenance/v1"}
	if !s.noBundle {
		eh, ph := sha256.Sum256(env), sha256.Sum256(sj)
		pk := strfmt.Base64(pemOf(f.t, &s.key.PublicKey))
		body, err := json.Marshal(&models.Intoto{APIVersion: swag.String("0.0.1"), Spec: models.IntotoV001Schema{
			Content: &models.IntotoV001SchemaContent{
				Hash:        &models.IntotoV001SchemaContentHash{Algorithm: swag.String("sha256"), Value: swag.String(hex.EncodeToString(eh[:]))},
				PayloadHash: &models.IntotoV001SchemaContentPayloadHash{Algorithm: swag.String("sha256"), Value: swag.String(hex.EncodeToString(ph[:]))},
			},
			PublicKey: &pk,
		}})
		if err != nil {
			f.t.Fatal(err)
		}
		ann[sign.BundleAnnotation] = f.rekorBundle(f.rekorKey, body)
	}
	l := &sigLayer{payload: env, desc: v1.Descriptor{MediaType: sign.DSSEMediaType, Size: int64(len(env)),
		Digest: hashOf(env), Annotations: ann, Data: env}}
	f.pushLayers(sign.Tag(f.sigRepo, h, sign.AttestationSuffix), l)
}

var _ = context.Background

// pushIndex pushes a two-platform index whose linux/amd64 image has the label.
func (f *fixture) pushIndex(repo name.Repository, tag, label string) name.Digest {
	f.t.Helper()
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"arm64", "amd64"} {
		img, err := random.Image(64, 1)
		if err != nil {
			f.t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", arch
		if arch == "amd64" {
			cf.Config.Labels = map[string]string{sign.RevisionClaim: label}
		}
		img, err = mutate.ConfigFile(img, cf)
		if err != nil {
			f.t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	idx := mutate.AppendManifests(mutate.IndexMediaType(empty.Index, types.OCIImageIndex), adds...)
	if err := remote.WriteIndex(repo.Tag(tag), idx); err != nil {
		f.t.Fatal(err)
	}
	h, _ := idx.Digest()
	return repo.Digest(h.String())
}
