package verify_test

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// Rekor bodies that name the publisher's key (so cosign's key comparison passes) but
// omit fields cosign dereferences without checking: they must fail, not panic.
func TestAttestationRekorBodiesWithoutHash(t *testing.T) {
	cases := map[string]func(pemB64 string) string{
		"intoto v0.0.1 without content hash": func(pk string) string {
			return fmt.Sprintf(`{"apiVersion":"0.0.1","kind":"intoto","spec":{"content":{},"publicKey":%q}}`, pk)
		},
		"intoto v0.0.2 with empty payload and no hash": func(pk string) string {
			return fmt.Sprintf(`{"apiVersion":"0.0.2","kind":"intoto","spec":{"content":{"envelope":{"payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AAAA","publicKey":%q}]}}}}`, pk)
		},
	}
	for n, body := range cases {
		t.Run(n, func(t *testing.T) {
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/hostile"), "v1", verifytest.PinCommit)
			f.Sign(img)
			pk := base64.StdEncoding.EncodeToString(verifytest.PEM(t, &f.Key.PublicKey))
			f.Attest(img, verifytest.ProvSpec{BundleBody: func([]byte) []byte { return []byte(body(pk)) }})
			v, _ := newVerifier(f)
			vd, err := v.Verify(ctxT(t), img, policy())
			if err != nil {
				t.Fatalf("Verify() error = %v, want a definite verdict", err)
			}
			if first, _ := vd.FirstFailure(); vd.Verified || first.Name != verify.CheckProvenance || first.Status != verify.StatusFail {
				t.Fatalf("first failure = %+v, want provenance fail; checks %+v", first, vd.Checks)
			}
		})
	}
}

// panicOnSig panics while reading the .sig manifest (in one of Verify's goroutines).
type panicOnSig struct{ inner http.RoundTripper }

func (p panicOnSig) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, ".sig") {
		panic("hostile content")
	}
	return p.inner.RoundTrip(r)
}

// A panic during a verification (here in a parallel read) ends it as indeterminate: not
// verified, an *Indeterminate error, and the process (a gateway) keeps running.
func TestPanicDuringVerifyIsIndeterminate(t *testing.T) {
	f := verifytest.New(t)
	img := f.PushImage(f.Repo("mcp/panic"), "v1", verifytest.PinCommit)
	f.Sign(img)
	v, _ := newVerifier(f, verify.WithTransport(panicOnSig{http.DefaultTransport}))
	vd, err := v.Verify(ctxT(t), img, policy())
	if !verify.IsIndeterminate(err) || vd == nil || vd.Verified || !vd.Indeterminate || !strings.Contains(vd.Reason, "hostile content") {
		t.Fatalf("Verify() = %+v, %v; want indeterminate naming the panic", vd, err)
	}
}

// A registry serving a huge manifest (ggcr alone accepts 100 MiB per manifest, and one
// verification reads several) is refused after the OCI distribution limit of 4 MiB, with
// or without a Content-Length: the registry failing, so could not check, naming the limit.
func TestOversizeManifestRefused(t *testing.T) {
	huge := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[` +
		strings.Repeat(`{"mediaType":"x","size":1,"digest":"sha256:`+strings.Repeat("0", 64)+`"},`, 50000) +
		`{"mediaType":"x","size":1,"digest":"sha256:` + strings.Repeat("0", 64) + `"}]}`
	for _, which := range []string{".sig", "v1"} {
		t.Run(which, func(t *testing.T) {
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/huge"), "v1", verifytest.PinCommit)
			f.Sign(img)
			var served int
			f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.Contains(r.URL.Path, "/manifests/") || !strings.HasSuffix(r.URL.Path, which) {
					return false
				}
				served++
				w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
				if which == "v1" {
					w.Header().Set("Content-Length", fmt.Sprint(len(huge)))
				}
				_, _ = io.WriteString(w, huge)
				return true
			}
			v, _ := newVerifier(f)
			vd, err := v.Verify(ctxT(t), img.Context().Tag("v1"), policy())
			want := map[string]string{".sig": verify.CheckSignature, "v1": verify.CheckDigest}[which]
			limit := "4194304 byte manifest limit"
			if which == ".sig" { // sent without a length: its 50000 layers pass MaxJSONValues first (budget.go)
				limit = "more than 16384 JSON values"
			}
			c := vd.Check(want)
			if served == 0 || !verify.IsIndeterminate(err) || vd.Verified || c.Status != verify.StatusError || !strings.Contains(c.Detail, limit) {
				t.Fatalf("served %d; Verify() = %+v, %v; want %s error naming the limit", served, vd, err, want)
			}
		})
	}
}

// docker-reference names the repository; a tag in it is allowed, a name without the
// registry (nothing implied) or with another one is not.
func TestDockerReferenceForms(t *testing.T) {
	for _, c := range []struct {
		ref  func(repo string) string
		want bool
	}{
		{func(r string) string { return r + ":v1" }, true},
		{func(r string) string { return r[strings.Index(r, "/")+1:] }, false},
		{func(r string) string { return "docker.io/" + r[strings.Index(r, "/")+1:] }, false},
		{func(r string) string { return r + "/sub" }, false},
	} {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/ref"), "v1", verifytest.PinCommit)
		ref := c.ref(img.Context().Name())
		f.Sign(img, verifytest.SigSpec{DockerRef: ref})
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, policy())
		if err != nil || vd.Verified != c.want || !c.want && vd.Check(verify.CheckSignature).Status != verify.StatusFail {
			t.Errorf("docker-reference %q: verified %v (%s), err %v; want verified %v", ref, vd.Verified, vd.Reason, err, c.want)
		}
	}
}

// A signature payload blob far larger than its descriptor says is refused after the
// declared size, and a descriptor declaring more than 1 MiB (no simple-signing payload
// is that big) is not read at all: the registry failing, so could not check.
func TestOversizePayloadRefused(t *testing.T) {
	t.Run("served", func(t *testing.T) {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/bigpayload"), "v1", verifytest.PinCommit)
		l := f.Sign(img, blobSig())[0]
		var served int
		f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, "/blobs/"+l.Desc.Digest.String()) {
				return false
			}
			served++
			_, _ = w.Write(make([]byte, 3<<20))
			return true
		}
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, policy())
		c := vd.Check(verify.CheckSignature)
		if served == 0 || !verify.IsIndeterminate(err) || vd.Verified || c.Status != verify.StatusError ||
			!strings.Contains(c.Detail, fmt.Sprintf("more than the %d bytes its descriptor declares", len(l.Payload))) {
			t.Fatalf("served %d; Verify() = %+v, %v; want signature error naming the declared size", served, vd, err)
		}
	})
	t.Run("declared", func(t *testing.T) {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/bigpayload"), "v1", verifytest.PinCommit)
		l := f.Signature(img, blobSig())
		l.Desc.Size = 3 << 20
		h, _ := v1.NewHash(img.DigestStr())
		f.PushLayers(sign.Tag(f.SigRepo, h, sign.SignatureSuffix), l)
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, policy())
		c := vd.Check(verify.CheckSignature)
		if !verify.IsIndeterminate(err) || vd.Verified || c.Status != verify.StatusError || !strings.Contains(c.Detail, "more than the 1048576 byte limit") {
			t.Fatalf("Verify() = %+v, %v; want signature error naming the 1 MiB limit", vd, err)
		}
		if n := f.Hostile.Count(http.MethodGet, "/blobs/"+l.Desc.Digest.String()); n != 0 {
			t.Fatalf("the oversize payload was read %d times", n)
		}
	})
}

// The SET covers integratedTime (and logIndex): a bundle whose payload was edited after
// the log signed it fails the tlog check.
func TestSETOverEditedBundlePayload(t *testing.T) {
	for _, field := range []string{"integratedTime", "logIndex"} {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/set"), "v1", verifytest.PinCommit)
		l := f.Signature(img, verifytest.SigSpec{})
		var b map[string]any
		if err := json.Unmarshal([]byte(l.Desc.Annotations[sign.BundleAnnotation]), &b); err != nil {
			t.Fatal(err)
		}
		p := b["Payload"].(map[string]any)
		p[field] = p[field].(float64) + 1
		raw, _ := json.Marshal(b)
		l.Desc.Annotations[sign.BundleAnnotation] = string(raw)
		h, _ := v1.NewHash(img.DigestStr())
		f.PushLayers(sign.Tag(f.SigRepo, h, sign.SignatureSuffix), l)
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, policy())
		if first, _ := vd.FirstFailure(); err != nil || vd.Verified || first.Name != verify.CheckTLog || first.Status != verify.StatusFail {
			t.Errorf("%s edited: first failure %+v, err %v; want tlog fail", field, first, err)
		}
	}
}

// A tag resolving to an index is verified on the index digest: a signature of one of
// its platform images does not sign the index (unsigned, a definite failure).
func TestSignatureOnIndexChildOnly(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/idxchild")
	idx := f.PushIndex(repo, "latest", verifytest.PinCommit)
	m, err := remote.Index(idx)
	if err != nil {
		t.Fatal(err)
	}
	im, err := m.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range im.Manifests {
		f.Sign(repo.Digest(d.Digest.String()))
	}
	v, _ := newVerifier(f)
	vd, err := v.Verify(ctxT(t), repo.Tag("latest"), policy())
	if first, _ := vd.FirstFailure(); err != nil || vd.Verified || first.Name != verify.CheckSignature || !strings.Contains(first.Detail, "unsigned") {
		t.Fatalf("first failure %+v, err %v; want signature fail (unsigned index)", first, err)
	}
}

// rawSigLayer signs payload as-is with the fixture key, with a correct Rekor bundle.
func rawSigLayer(t *testing.T, f *verifytest.Fixture, payload []byte) *verifytest.SigLayer {
	t.Helper()
	signer, err := signature.LoadECDSASignerVerifier(f.Key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signer.SignMessage(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(payload)
	return &verifytest.SigLayer{Payload: payload, Desc: v1.Descriptor{MediaType: sign.SimpleSigningMediaType,
		Size: int64(len(payload)), Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}, Data: payload,
		Annotations: map[string]string{sign.SignatureAnnotation: base64.StdEncoding.EncodeToString(sig),
			sign.BundleAnnotation: f.RekorBundle(f.RekorKey, hashedRekord(t, sig, payload, verifytest.PEM(t, &f.Key.PublicKey)))}}}
}

// Payloads signed by the key but odd: the value checked is the one Go's encoding/json
// (and so cosign) reads, and near-misses of the digest or type fail.
func TestOddSignedPayloads(t *testing.T) {
	f := verifytest.New(t)
	repo := f.Repo("mcp/payload")
	img := f.PushImage(repo, "v1", verifytest.PinCommit)
	other := f.PushImage(repo, "other", verifytest.PinCommit)
	doc := func(digests ...string) string {
		var b strings.Builder
		b.WriteString(`{"critical":{"identity":{"docker-reference":"` + repo.Name() + `"},"image":{`)
		for i, d := range digests {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"docker-manifest-digest":"` + d + `"`)
		}
		b.WriteString(`},"type":"cosign container image signature"},"optional":{}}`)
		return b.String()
	}
	hexOf := strings.TrimPrefix(img.DigestStr(), "sha256:")
	cases := []struct {
		name    string
		payload string
		want    bool
	}{
		{"plain", doc(img.DigestStr()), true},
		{"duplicate key, last names another image", doc(img.DigestStr(), other.DigestStr()), false},
		{"uppercase digest", doc("sha256:" + strings.ToUpper(hexOf)), false},
		{"digest with a space", doc(img.DigestStr() + " "), false},
		{"bare hex", doc(hexOf), false},
		{"other type", strings.Replace(doc(img.DigestStr()), "cosign container image signature", "Cosign Container Image Signature", 1), false},
		{"digest outside critical", `{"critical":{"identity":{"docker-reference":"` + repo.Name() + `"},"image":{},"type":"cosign container image signature"},"docker-manifest-digest":"` + img.DigestStr() + `"}`, false},
	}
	h, _ := v1.NewHash(img.DigestStr())
	v, _ := newVerifier(f)
	for _, c := range cases {
		f.PushLayers(sign.Tag(f.SigRepo, h, sign.SignatureSuffix), rawSigLayer(t, f, []byte(c.payload)))
		vd, err := v.Verify(ctxT(t), img, policy())
		if err != nil || vd.Verified != c.want {
			t.Errorf("%s: verified %v (%s), err %v; want %v", c.name, vd.Verified, vd.Reason, err, c.want)
		}
	}
}

// A signed revision claim that is present but not a string is a mismatch, not an absent
// claim (which is only skipped without RequireSignedRevision).
func TestNonStringRevisionClaim(t *testing.T) {
	for n, val := range map[string]any{"number": 1234, "list": []string{verifytest.PinCommit}, "null": nil, "object": map[string]string{"v": verifytest.PinCommit}} {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/claim"), "v1", verifytest.PinCommit)
		f.Sign(img, verifytest.SigSpec{Claims: map[string]any{catalog.RevisionLabel: val}})
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, policy())
		if first, _ := vd.FirstFailure(); err != nil || vd.Verified || first.Name != verify.CheckSignedRevision {
			t.Errorf("%s claim: first failure %+v, err %v; want signed-revision fail", n, first, err)
		}
	}
}

// Near-misses of the pin in the label fail: equal means equal.
func TestLabelNearMisses(t *testing.T) {
	for _, label := range []string{verifytest.PinCommit + " ", " " + verifytest.PinCommit, verifytest.PinCommit[:12],
		strings.ToUpper(verifytest.PinCommit), verifytest.PinCommit + "\n", verifytest.PinCommit + "0"} {
		f := verifytest.New(t)
		img := f.PushImage(f.Repo("mcp/label"), "v1", label)
		f.Sign(img)
		v, _ := newVerifier(f)
		vd, err := v.Verify(ctxT(t), img, policy())
		if first, _ := vd.FirstFailure(); err != nil || vd.Verified || first.Name != verify.CheckLabel {
			t.Errorf("label %q: first failure %+v, err %v; want label fail", label, first, err)
		}
	}
}

// A config blob whose content does not match its digest (the registry lies, or the
// transfer was corrupted: they look the same) cannot be checked, and never verifies.
func TestConfigContentNotMatchingDigest(t *testing.T) {
	f := verifytest.New(t)
	img := f.PushImage(f.Repo("mcp/cfglie"), "v1", verifytest.PinCommit)
	f.Sign(img)
	im, err := remote.Image(img)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := im.ConfigName()
	f.Hook = func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/blobs/"+cfg.String()) {
			return false
		}
		_, _ = io.WriteString(w, `{"config":{"Labels":{"org.opencontainers.image.revision":"`+verifytest.PinCommit+`"}}}`)
		return true
	}
	v, _ := newVerifier(f)
	vd, err := v.Verify(ctxT(t), img, policy())
	if vd.Verified || !verify.IsIndeterminate(err) || vd.Check(verify.CheckLabel).Status != verify.StatusError {
		t.Fatalf("Verify() = %+v, %v; want label error (indeterminate)", vd, err)
	}
}
