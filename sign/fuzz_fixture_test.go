package sign

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
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// fuzzFixture holds fixed keys (so that seeds and crashers kept in testdata/fuzz stay
// meaningful across runs), an image, its genuine signature and attestation as publish
// writes them (payload or envelope embedded, bundle of the fixture's log), and the
// manifests the fuzz targets start from.
type fuzzFixture struct {
	signKey, logKey *ecdsa.PrivateKey
	withLog, noLog  *keys
	img             name.Digest
	h               v1.Hash
	tag             name.Tag
	payload         []byte
	envelope        []byte
	sigLayer        v1.Descriptor
	attLayer        v1.Descriptor
	svc             *Service
}

// fixedKey returns the P-256 key with private scalar d (test-only).
func fixedKey(tb testing.TB, d byte) *ecdsa.PrivateKey {
	raw := bytes.Repeat([]byte{d}, 32)
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), raw)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// failTransport fails every registry request at once: the fuzz targets never reach the
// network, and a layer without embedded data reads as a fetch error.
type failTransport struct{}

func (failTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("fuzz: no network")
}

func newFuzzFixture(tb testing.TB) *fuzzFixture {
	fx := &fuzzFixture{signKey: fixedKey(tb, 0x11), logKey: fixedKey(tb, 0x22)}
	pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(&fx.signKey.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	logID, err := cosign.GetTransparencyLogID(&fx.logKey.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	fx.noLog = &keys{pub: &fx.signKey.PublicKey, pubPEM: pubPEM}
	fx.withLog = &keys{pub: &fx.signKey.PublicKey, pubPEM: pubPEM, log: &logKey{pub: &fx.logKey.PublicKey, id: logID}}
	fx.h = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	if fx.img, err = name.NewDigest("registry.example/mcp/fetch@" + fx.h.String()); err != nil {
		tb.Fatal(err)
	}
	repo, err := name.NewRepository("registry.example/mcp/signatures")
	if err != nil {
		tb.Fatal(err)
	}
	fx.tag = Tag(repo, fx.h, SignatureSuffix)
	fx.svc = &Service{store: NewStore(repo, remote.WithTransport(failTransport{})).WithReads(failTransport{}, nil)}

	fx.payload, err = Payload(fx.img, map[string]string{catalog.RevisionLabel: strings.Repeat("c", 40)})
	if err != nil {
		tb.Fatal(err)
	}
	digest := sha256.Sum256(fx.payload)
	sig, err := ecdsa.SignASN1(rand.Reader, fx.signKey, digest[:])
	if err != nil {
		tb.Fatal(err)
	}
	b64sig := base64.StdEncoding.EncodeToString(sig)
	fx.sigLayer = fx.descriptor(SimpleSigningMediaType, fx.payload, map[string]string{
		SignatureAnnotation: b64sig,
		BundleAnnotation: fx.bundle(tb, map[string]any{"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": map[string]any{
			"data":      map[string]any{"hash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(digest[:])}},
			"signature": map[string]any{"content": b64sig, "publicKey": map[string]any{"content": base64.StdEncoding.EncodeToString(pubPEM)}},
		}}),
	})

	statement := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"registry.example/mcp/fetch","digest":{"sha256":%q}}],"predicateType":%q,"predicate":{"buildDefinition":{}}}`, fx.h.Hex, SLSAProvenanceV1)
	signer, err := signature.LoadECDSASigner(fx.signKey, crypto.SHA256)
	if err != nil {
		tb.Fatal(err)
	}
	fx.envelope, err = dsse.WrapSigner(signer, InTotoPayloadType).SignMessage(strings.NewReader(statement))
	if err != nil {
		tb.Fatal(err)
	}
	var env struct {
		Signatures []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	}
	if err := json.Unmarshal(fx.envelope, &env); err != nil || len(env.Signatures) != 1 {
		tb.Fatalf("fixture envelope: %v", err)
	}
	envHash := sha256.Sum256(fx.envelope)
	fx.attLayer = fx.descriptor(DSSEMediaType, fx.envelope, map[string]string{
		PredicateTypeAnnotation: SLSAProvenanceV1,
		BundleAnnotation: fx.bundle(tb, map[string]any{"apiVersion": "0.0.1", "kind": "dsse", "spec": map[string]any{
			"envelopeHash": map[string]any{"algorithm": "sha256", "value": hex.EncodeToString(envHash[:])},
			"signatures":   []any{map[string]any{"signature": env.Signatures[0].Sig, "verifier": base64.StdEncoding.EncodeToString(pubPEM)}},
		}}),
	})
	return fx
}

// descriptor is a layer descriptor of content with its data embedded, as publish writes it.
func (fx *fuzzFixture) descriptor(mt string, content []byte, ann map[string]string) v1.Descriptor {
	h, n, _ := v1.SHA256(bytes.NewReader(content))
	return v1.Descriptor{MediaType: types.MediaType(mt), Size: n, Digest: h, Annotations: ann, Data: content}
}

// bundle returns the JSON bundle annotation of a log entry with body, its SET signed by
// the fixture's log key as Rekor signs it (ECDSA over SHA-256 of the canonical payload).
func (fx *fuzzFixture) bundle(tb testing.TB, body map[string]any) string {
	raw, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	p := bundle.RekorPayload{Body: base64.StdEncoding.EncodeToString(raw), IntegratedTime: 1700000000, LogIndex: 7, LogID: fx.withLog.log.id}
	j, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	canon, err := jsoncanonicalizer.Transform(j)
	if err != nil {
		tb.Fatal(err)
	}
	d := sha256.Sum256(canon)
	set, err := ecdsa.SignASN1(rand.Reader, fx.logKey, d[:])
	if err != nil {
		tb.Fatal(err)
	}
	out, err := json.Marshal(bundle.RekorBundle{SignedEntryTimestamp: set, Payload: p})
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}

// manifest is an OCI image manifest (as the .sig/.att tags hold) with layers.
func manifest(tb testing.TB, layers ...v1.Descriptor) []byte {
	m := v1.Manifest{
		SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Size: 2, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}},
		Layers: layers,
	}
	b, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// seedManifests are the genuine manifest and variants one step from it: without embedded
// data, with another layer first, with annotations removed or swapped, with the bundle
// of the other kind.
func (fx *fuzzFixture) seedManifests(tb testing.TB, genuine, other v1.Descriptor) [][]byte {
	noData := genuine
	noData.Data = nil
	noBundle := genuine
	noBundle.Annotations = map[string]string{}
	for k, v := range genuine.Annotations {
		if k != BundleAnnotation {
			noBundle.Annotations[k] = v
		}
	}
	swapped := genuine
	swapped.Annotations = map[string]string{}
	for k, v := range genuine.Annotations {
		swapped.Annotations[k] = v
	}
	swapped.Annotations[BundleAnnotation] = other.Annotations[BundleAnnotation]
	return [][]byte{
		manifest(tb, genuine),
		manifest(tb, other, genuine),
		manifest(tb, noData),
		manifest(tb, noBundle),
		manifest(tb, swapped),
		manifest(tb),
		[]byte(`{"schemaVersion":2,"layers":[{"mediaType":"` + string(genuine.MediaType) + `","size":1,"digest":"sha256:00","data":"AA=="}]}`),
		[]byte(`{"layers":null}`),
	}
}
