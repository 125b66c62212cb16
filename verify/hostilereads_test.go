package verify_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/mcpbuild/mcpbuild/verify/verifytest"
)

// readKind is how a read is addressed: a manifest by digest, a manifest by tag (nothing
// to compare its bytes with but its own validity), a blob (by digest).
type readKind int

const (
	byDigest readKind = iota
	byTag
	blob
)

// readPlace is one registry read of a verification: setup returns the reference to
// verify (which verifies under strictPolicy), the API path of the read and the path of
// another object a hostile registry could serve instead.
type readPlace struct {
	kind  readKind
	check string
	setup func(t *testing.T, f *verifytest.Fixture) (ref name.Reference, path, other string)
}

func blobPath(repo name.Repository, h v1.Hash) string {
	return "/v2/" + repo.RepositoryStr() + "/blobs/" + h.String()
}

// legacyImage pushes an image signed and attested in cosign's legacy layout, payloads
// as blobs only (no "data" field), so that every read goes to the registry.
func legacyImage(f *verifytest.Fixture, repo name.Repository, tag string) name.Digest {
	img := f.PushImage(repo, tag, verifytest.PinCommit)
	f.Sign(img, blobSig())
	f.Attest(img, verifytest.ProvSpec{NoData: true})
	return img
}

// bundleImage pushes an image signed and attested in cosign v3's bundle format.
func bundleImage(f *verifytest.Fixture, repo name.Repository, tag string) name.Digest {
	img := f.PushImage(repo, tag, verifytest.PinCommit)
	f.SignBundle(img, verifytest.BundleSpec{})
	f.AttestBundle(img, verifytest.ProvSpec{})
	return img
}

func configOf(t *testing.T, ref name.Reference) v1.Hash {
	t.Helper()
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	h, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func layerOf(t *testing.T, ref name.Reference) v1.Hash {
	t.Helper()
	var m v1.Manifest
	if err := json.Unmarshal(rawManifestOf(t, ref), &m); err != nil || len(m.Layers) == 0 {
		t.Fatalf("manifest %s: %v, %d layers", ref, err, len(m.Layers))
	}
	return m.Layers[0].Digest
}

// sigReferrer returns the digest of img's signature bundle referrer and of its bundle.
func sigReferrer(t *testing.T, f *verifytest.Fixture, img name.Digest) (v1.Hash, v1.Hash) {
	t.Helper()
	h, _ := v1.NewHash(img.DigestStr())
	var idx v1.IndexManifest
	if err := json.Unmarshal(rawManifestOf(t, f.SigRepo.Tag(h.Algorithm+"-"+h.Hex)), &idx); err != nil {
		t.Fatal(err)
	}
	for _, d := range idx.Manifests {
		var m v1.Manifest
		ref := f.SigRepo.Digest(d.Digest.String())
		if err := json.Unmarshal(rawManifestOf(t, ref), &m); err != nil {
			t.Fatal(err)
		}
		if m.Annotations["dev.sigstore.bundle.predicateType"] == verifytest.CosignSignPredicate {
			return d.Digest, m.Layers[0].Digest
		}
	}
	t.Fatal("no signature referrer")
	return v1.Hash{}, v1.Hash{}
}

func readPlaces() map[string]readPlace {
	return map[string]readPlace{
		"image manifest by digest": {byDigest, verify.CheckDigest, func(t *testing.T, f *verifytest.Fixture) (name.Reference, string, string) {
			repo := f.Repo("mcp/reads")
			x, y := legacyImage(f, repo, "v1"), legacyImage(f, repo, "other")
			return x, rawPath(x), rawPath(y)
		}},
		"image manifest by tag": {byTag, verify.CheckDigest, func(t *testing.T, f *verifytest.Fixture) (name.Reference, string, string) {
			repo := f.Repo("mcp/reads")
			x := legacyImage(f, repo, "v1")
			return repo.Tag("v1"), rawPath(repo.Tag("v1")), blobPath(repo, configOf(t, x))
		}},
		"platform manifest of an index": {byDigest, verify.CheckLabel, func(t *testing.T, f *verifytest.Fixture) (name.Reference, string, string) {
			repo := f.Repo("mcp/reads")
			idx := f.PushIndex(repo, "v1", verifytest.PinCommit)
			f.Sign(idx)
			f.Attest(idx)
			var im v1.IndexManifest
			if err := json.Unmarshal(rawManifestOf(t, idx), &im); err != nil {
				t.Fatal(err)
			}
			child := map[string]string{}
			for _, d := range im.Manifests {
				child[d.Platform.Architecture] = rawPath(repo.Digest(d.Digest.String()))
			}
			return idx, child["amd64"], child["arm64"]
		}},
		"image config": {blob, verify.CheckLabel, func(t *testing.T, f *verifytest.Fixture) (name.Reference, string, string) {
			repo := f.Repo("mcp/reads")
			x, y := legacyImage(f, repo, "v1"), legacyImage(f, repo, "other") // same label
			return x, blobPath(repo, configOf(t, x)), blobPath(repo, configOf(t, y))
		}},
		".sig manifest": {byTag, verify.CheckSignature, func(t *testing.T, f *verifytest.Fixture) (name.Reference, string, string) {
			repo := f.Repo("mcp/reads")
			x := legacyImage(f, repo, "v1")
			return x, rawPath(sigTag(f, x, sign.SignatureSuffix)), blobPath(repo, configOf(t, x))
		}},
		"signature payload blob": {blob, verify.CheckSignature, func(t *testing.T, f *verifytest.Fixture) (name.Reference, string, string) {
			repo := f.Repo("mcp/reads")
			x, y := legacyImage(f, repo, "v1"), legacyImage(f, repo, "other")
			return x, blobPath(f.SigRepo, layerOf(t, sigTag(f, x, sign.SignatureSuffix))),
				blobPath(f.SigRepo, layerOf(t, sigTag(f, y, sign.SignatureSuffix)))
		}},
		".att manifest": {byTag, verify.CheckProvenance, func(t *testing.T, f *verifytest.Fixture) (name.Reference, string, string) {
			repo := f.Repo("mcp/reads")
			x := legacyImage(f, repo, "v1")
			return x, rawPath(sigTag(f, x, sign.AttestationSuffix)), blobPath(repo, configOf(t, x))
		}},
		"attestation envelope blob": {blob, verify.CheckProvenance, func(t *testing.T, f *verifytest.Fixture) (name.Reference, string, string) {
			repo := f.Repo("mcp/reads")
			x, y := legacyImage(f, repo, "v1"), legacyImage(f, repo, "other")
			return x, blobPath(f.SigRepo, layerOf(t, sigTag(f, x, sign.AttestationSuffix))),
				blobPath(f.SigRepo, layerOf(t, sigTag(f, y, sign.AttestationSuffix)))
		}},
		"referrers index": {byTag, verify.CheckSignature, func(t *testing.T, f *verifytest.Fixture) (name.Reference, string, string) {
			repo := f.Repo("mcp/reads")
			x := bundleImage(f, repo, "v1")
			h, _ := v1.NewHash(x.DigestStr())
			return x, rawPath(f.SigRepo.Tag(h.Algorithm + "-" + h.Hex)), blobPath(repo, configOf(t, x))
		}},
		"bundle referrer manifest": {byDigest, verify.CheckSignature, func(t *testing.T, f *verifytest.Fixture) (name.Reference, string, string) {
			repo := f.Repo("mcp/reads")
			x, y := bundleImage(f, repo, "v1"), bundleImage(f, repo, "other")
			mx, _ := sigReferrer(t, f, x)
			my, _ := sigReferrer(t, f, y)
			return x, rawPath(f.SigRepo.Digest(mx.String())), rawPath(f.SigRepo.Digest(my.String()))
		}},
		"bundle blob": {blob, verify.CheckSignature, func(t *testing.T, f *verifytest.Fixture) (name.Reference, string, string) {
			repo := f.Repo("mcp/reads")
			x, y := bundleImage(f, repo, "v1"), bundleImage(f, repo, "other")
			_, bx := sigReferrer(t, f, x)
			_, by := sigReferrer(t, f, y)
			return x, blobPath(f.SigRepo, bx), blobPath(f.SigRepo, by)
		}},
	}
}

// readFault is one way a hostile registry answers a read; want is what the check's
// detail must name, by kind of read ("" for a blob: the answer is harmless, because the
// bytes are right and a blob's Content-Type is not evidence of anything).
type readFault struct {
	action func(f *verifytest.Fixture, other string) hostile.Action
	want   map[readKind][]string
}

func everyKind(s ...string) map[readKind][]string {
	return map[readKind][]string{byDigest: s, byTag: s, blob: s}
}

func readFaults() map[string]readFault {
	const html = "<html><body><h1>502 Bad Gateway</h1>The upstream is having a moment.</body></html>"
	return map[string]readFault{
		// The worst case: another object's bytes under every header of the real answer
		// (Content-Type, Docker-Content-Digest naming the object asked for).
		"another object's body, the real headers": {func(f *verifytest.Fixture, other string) hostile.Action {
			body := fetchPath(f, other)
			return hostile.Edit(func(_ *http.Request, r *hostile.Response) { r.Body = body })
		}, map[readKind][]string{byDigest: {"hashing to"}, byTag: {"Docker-Content-Digest says"}, blob: {"hashing to", "its descriptor declares"}}},
		"another object, its own headers": {func(_ *verifytest.Fixture, other string) hostile.Action {
			return hostile.ServeFrom(other)
		}, map[readKind][]string{byDigest: {"hashing to"}, byTag: {"is not accepted"}, blob: {"hashing to", "its descriptor declares"}}},
		"schema1 Content-Type": {func(*verifytest.Fixture, string) hostile.Action {
			return hostile.SetHeader("Content-Type", schema1)
		}, map[readKind][]string{byDigest: {"schema1"}, byTag: {"schema1"}}},
		"HTML 200": {func(*verifytest.Fixture, string) hostile.Action {
			return hostile.Respond(http.StatusOK, html, "Content-Type", "text/html; charset=utf-8")
		}, map[readKind][]string{byDigest: {"hashing to"}, byTag: {"text/html is not accepted"}, blob: {"hashing to"}}},
		"another manifest Content-Type": {func(*verifytest.Fixture, string) hostile.Action {
			return hostile.Edit(func(_ *http.Request, r *hostile.Response) {
				wrong := "application/vnd.oci.image.index.v1+json"
				if strings.Contains(r.Header.Get("Content-Type"), "index") {
					wrong = "application/vnd.oci.image.manifest.v1+json"
				}
				r.Header.Set("Content-Type", wrong)
			})
		}, map[readKind][]string{byDigest: {"does not match Content-Type", "is not accepted"}, byTag: {"does not match Content-Type", "is not accepted"}}},
		"oversized": {func(*verifytest.Fixture, string) hostile.Action {
			return hostile.Edit(func(_ *http.Request, r *hostile.Response) {
				r.Body = append(r.Body, bytes.Repeat([]byte(" "), 4<<20+1)...)
			})
		}, everyKind("registry announces")},
		"oversized, no Content-Length": {func(*verifytest.Fixture, string) hostile.Action {
			return padChunked(4<<20 + 1)
		}, everyKind("registry sent more than")},
		"truncated": {func(*verifytest.Fixture, string) hostile.Action { return hostile.Truncate(20) }, everyKind("unexpected EOF")},
	}
}

// fetchPath GETs path from the fixture's registry as it is (no rules yet).
func fetchPath(f *verifytest.Fixture, path string) []byte {
	resp, err := http.Get(f.Server.URL + path)
	if err != nil {
		f.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		f.T.Fatal(path, resp.Status, err)
	}
	return b
}

// padChunked sends the real answer followed by n spaces, chunked (no Content-Length).
func padChunked(n int) hostile.Action {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		w.(http.Flusher).Flush()
		_, _ = w.Write(bytes.Repeat([]byte(" "), n))
	}
}

// Every read of a verification (manifests by digest and by tag, the blobs they name)
// against every way of serving something else: never verified; could not check, with the
// check that read it in error and its detail naming what was wrong. Only a blob with the
// right bytes under a wrong Content-Type verifies: the digest proves the bytes.
func TestHostileReadMatrix(t *testing.T) {
	for pn, pl := range readPlaces() {
		t.Run(pn, func(t *testing.T) {
			f := verifytest.New(t)
			ref, path, other := pl.setup(t, f)
			v, _ := newVerifier(f)
			if vd, err := v.Verify(ctxT(t), ref, strictPolicy()); err != nil || !vd.Verified {
				t.Fatalf("without faults: %+v, %v; want verified", vd, err)
			}
			for fn, fault := range readFaults() {
				t.Run(fn, func(t *testing.T) {
					f.Hostile.Clear()
					rule := f.Hostile.On(http.MethodGet, "^"+regexp.QuoteMeta(path)+"$", fault.action(f, other))
					vd, err := v.Verify(ctxT(t), ref, strictPolicy())
					if rule.Hits() == 0 {
						t.Fatalf("the fault never hit %s", path)
					}
					want, ok := fault.want[pl.kind]
					if !ok {
						if err != nil || !vd.Verified {
							t.Fatalf("Verify() = %+v, %v; want verified (the bytes are right)", vd, err)
						}
						return
					}
					if vd == nil || vd.Verified || !vd.Indeterminate || !verify.IsIndeterminate(err) {
						t.Fatalf("Verify() = %+v, %v; want indeterminate", vd, err)
					}
					c := vd.Check(pl.check)
					named := false
					for _, w := range want {
						named = named || strings.Contains(c.Detail, w)
					}
					if c.Status != verify.StatusError || !named || strings.Contains(vd.Reason, "unsigned") {
						t.Fatalf("%s check = %+v; want error naming %q", pl.check, c, want)
					}
				})
			}
		})
	}
}

// A signature layer whose embedded "data" does not hash to its descriptor's digest is
// content not matching its digest: could not check (it might be the good signature),
// unless another signature verifies.
func TestEmbeddedPayloadNotMatchingDigest(t *testing.T) {
	for _, c := range []struct {
		name     string
		others   []verifytest.SigSpec
		verified bool
	}{
		{"alone", nil, false},
		{"beside a signature by another key", []verifytest.SigSpec{{Key: verifytest.NewKey(t)}}, false},
		{"beside a good signature", []verifytest.SigSpec{{}}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := verifytest.New(t)
			img := f.PushImage(f.Repo("mcp/data"), "v1", verifytest.PinCommit)
			l := f.Signature(img, verifytest.SigSpec{})
			l.Desc.Data = f.Signature(img, verifytest.SigSpec{DockerRef: f.Repo("evil/other").Name()}).Payload
			ls := []*verifytest.SigLayer{l}
			for _, s := range c.others {
				ls = append(ls, f.Signature(img, s))
			}
			f.PushLayers(sigTag(f, img, sign.SignatureSuffix), ls...)
			v, _ := newVerifier(f)
			vd, err := v.Verify(ctxT(t), img, policy())
			if c.verified {
				if err != nil || !vd.Verified {
					t.Fatalf("Verify() = %+v, %v; want verified by the good signature", vd, err)
				}
				return
			}
			if sc := vd.Check(verify.CheckSignature); !verify.IsIndeterminate(err) || vd.Verified || sc.Status != verify.StatusError || !strings.Contains(sc.Detail, "embedded data") {
				t.Fatalf("Verify() = %+v, %v; want signature error naming the embedded data", vd, err)
			}
		})
	}
}
