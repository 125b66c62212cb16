package verify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// fuzzFixture holds what the fuzz targets share: fixed keys (so that inputs kept in
// testdata/fuzz stay meaningful across runs: a signature in a seed still verifies), the
// image, Verifiers with and without the log (and one reading an in-memory registry), and
// genuine content made by verifytest with those keys (a signature layer, a provenance
// attestation), from which the seeds are made.
type fuzzFixture struct {
	key, logKey *ecdsa.PrivateKey
	keyDER      []byte // the signing key's PKIX DER (what a log entry must name)
	logID       string // hex SHA-256 of the log key's DER
	vt          *verifytest.Fixture
	img         name.Digest
	repo        name.Repository
	digest      v1.Hash
	v, vNoLog   *Verifier            // with the log key; with the insecure opt-out
	regV        *Verifier            // reads from reg (the in-memory registry)
	reg         *memRegistry         // serves what a target puts there
	sigLayer    *verifytest.SigLayer // genuine signature (payload embedded, bundle)
	attLayer    *verifytest.SigLayer // genuine provenance attestation (envelope embedded, bundle)
	statement   []byte               // the attestation's in-toto statement
}

// fixedKey returns the test-only P-256 key with private scalar d repeated.
func fixedKey(tb testing.TB, d byte) *ecdsa.PrivateKey {
	k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), bytes.Repeat([]byte{d}, 32))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func newFuzzFixture(f testing.TB) *fuzzFixture {
	fx := &fuzzFixture{key: fixedKey(f, 0x41), logKey: fixedKey(f, 0x42)}
	var err error
	if fx.keyDER, err = cryptoutils.MarshalPublicKeyToDER(&fx.key.PublicKey); err != nil {
		f.Fatal(err)
	}
	if fx.logID, err = cosign.GetTransparencyLogID(&fx.logKey.PublicKey); err != nil {
		f.Fatal(err)
	}
	fx.vt = verifytest.New(f)
	fx.vt.Key, fx.vt.RekorKey = fx.key, fx.logKey
	fx.img, err = name.NewDigest("registry.example/mcp/fetch@sha256:" + strings.Repeat("ab", 32))
	if err != nil {
		f.Fatal(err)
	}
	fx.repo = fx.img.Context()
	fx.digest, _ = v1.NewHash(fx.img.DigestStr())
	mk := func(t http.RoundTripper, tlog bool) *Verifier {
		o := WithoutTLogUnsafe()
		if tlog {
			o = WithRekorPublicKey(&fx.logKey.PublicKey)
		}
		v, err := New(&fx.key.PublicKey, o, WithTransport(t))
		if err != nil {
			f.Fatal(err)
		}
		return v
	}
	fx.reg = &memRegistry{}
	fx.v, fx.vNoLog, fx.regV = mk(noNetwork{}, true), mk(noNetwork{}, false), mk(fx.reg, true)
	fx.sigLayer = fx.vt.Signature(fx.img, verifytest.SigSpec{})
	fx.attLayer = fx.vt.Attestation(fx.img, verifytest.ProvSpec{})
	var env struct{ Payload []byte }
	if err := json.Unmarshal(fx.attLayer.Payload, &env); err != nil {
		f.Fatal(err)
	}
	fx.statement = env.Payload
	return fx
}

// policy is the pin the targets verify against: verifytest's project and commit, in
// directory dir; mode 1 adds a mirror of github.com, mode 2 pins the commit alone, mode
// 3 names the project scp-like (git@github.com:...) with a mirror.
func (fx *fuzzFixture) policy(mode uint8, dir string) Policy {
	p := Policy{Pin: catalog.Pin{Project: verifytest.Project, Commit: verifytest.PinCommit, Directory: dir}}
	switch mode % 4 {
	case 1:
		p.SourceMirrors = catalog.Mirrors{{From: "https://github.com/", To: "https://mirror.example/"}}
	case 2:
		p.Pin.Project, p.Pin.Directory = "", ""
	case 3:
		p.Pin.Project = "git@github.com:example/mcp-server.git"
		p.SourceMirrors = catalog.Mirrors{{From: "git@github.com:", To: "https://mirror.example/"}}
	}
	return p
}

// fuzzCtx is a fresh verification context (its own budget).
func fuzzCtx() context.Context { return withBudget(context.Background()) }

// signSET returns a cosign bundle annotation for body as the fixture's log signs it (the
// SET over the canonical JSON of the entry, computed here: see canonicalEntry).
func (fx *fuzzFixture) signSET(tb testing.TB, body []byte, integratedTime, logIndex int64) string {
	b64 := base64.StdEncoding.EncodeToString(body)
	d := sha256.Sum256(canonicalEntry(b64, integratedTime, fx.logID, logIndex))
	set, err := ecdsa.SignASN1(rand.Reader, fx.logKey, d[:])
	if err != nil {
		tb.Fatal(err)
	}
	out, err := json.Marshal(map[string]any{"SignedEntryTimestamp": set, "Payload": map[string]any{
		"body": b64, "integratedTime": integratedTime, "logIndex": logIndex, "logID": fx.logID}})
	if err != nil {
		tb.Fatal(err)
	}
	return string(out)
}

// signB64 signs msg's SHA-256 with the fixture key, base64 (a cosign signature).
func (fx *fuzzFixture) signB64(tb testing.TB, msg []byte) string {
	d := sha256.Sum256(msg)
	sig, err := ecdsa.SignASN1(rand.Reader, fx.key, d[:])
	if err != nil {
		tb.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// envelope returns a DSSE envelope of payload signed with the fixture key (PAE computed
// here).
func (fx *fuzzFixture) envelope(tb testing.TB, payloadType string, payload []byte) []byte {
	d := sha256.Sum256(pae(payloadType, payload))
	sig, err := ecdsa.SignASN1(rand.Reader, fx.key, d[:])
	if err != nil {
		tb.Fatal(err)
	}
	out, err := json.Marshal(map[string]any{"payloadType": payloadType, "payload": payload,
		"signatures": []any{map[string]any{"keyid": "", "sig": sig}}})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// embedded is a layer descriptor of content with its data embedded, as publish writes it.
func embedded(mt string, content []byte, ann map[string]string) v1.Descriptor {
	return v1.Descriptor{MediaType: types.MediaType(mt), Size: int64(len(content)), Digest: sha256Of(content), Annotations: ann, Data: content}
}

// noNetwork fails every request: content that is not embedded is a failed read.
type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("fuzz: no network")
}

// memRegistry serves manifests and blobs of one repository from memory, by the digest of
// their bytes: /v2/ answers 200 (no auth), a known path its content, anything else 404.
// A target sets the content before each verification (a fuzz worker runs one input at a
// time).
type memRegistry struct {
	items map[string]memItem // URL path -> content
}

// memItem is a manifest (with its Content-Type) or, when contentType is "", a blob.
type memItem struct {
	contentType string
	body        []byte
}

// set replaces the registry's content with items, in repository repo.
func (r *memRegistry) set(repo name.Repository, items ...memItem) {
	r.items = map[string]memItem{}
	for _, it := range items {
		kind := "/manifests/"
		if it.contentType == "" {
			kind, it.contentType = "/blobs/", "application/octet-stream"
		}
		r.items["/v2/"+repo.RepositoryStr()+kind+sha256Of(it.body).String()] = it
	}
}

func (r *memRegistry) RoundTrip(req *http.Request) (*http.Response, error) {
	resp := &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}, Request: req, Body: io.NopCloser(strings.NewReader(""))}
	if req.URL.Path == "/v2/" {
		resp.StatusCode = http.StatusOK
	}
	if it, ok := r.items[req.URL.Path]; ok {
		resp.StatusCode, resp.ContentLength = http.StatusOK, int64(len(it.body))
		resp.Header.Set("Content-Type", it.contentType)
		resp.Body = io.NopCloser(bytes.NewReader(it.body))
	}
	resp.Status = fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	return resp, nil
}

// sigAnnotations are a signature layer's annotations: the signature and, unless bun is
// nil, the bundle.
func sigAnnotations(b64sig string, bun *string) map[string]string {
	ann := map[string]string{sign.SignatureAnnotation: b64sig}
	if bun != nil {
		ann[sign.BundleAnnotation] = *bun
	}
	return ann
}

// hexSHA256 is the lowercase hex SHA-256 of b.
func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
