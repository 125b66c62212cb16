package signtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ggcrmutate "github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	cosignmutate "github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"

	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/internal/hostile"
	"github.com/mcpbuild/mcpbuild/internal/ocireg"
	"github.com/mcpbuild/mcpbuild/sign"
)

// Paths hostile rules match: the .sig and .att tags, the co-signed image's tag and the
// image by digest.
const (
	SigPath      = `/manifests/sha256-[0-9a-f]{64}\.sig$`
	AttPath      = `/manifests/sha256-[0-9a-f]{64}\.att$`
	ImageTagPath = `/v2/mcp/alpha/manifests/latest$`
	ImageDigPath = `/v2/mcp/alpha/manifests/sha256:`
)

// Fast retries 5xx answers to writes once, briefly (the CLI switches ggcr's retries off:
// its transport retries). Reads are the Store's own and not retried here.
var Fast = remote.WithRetryBackoff(remote.Backoff{Duration: 10 * time.Millisecond, Factor: 1, Steps: 2})

// Is500 reports whether err is a read the registry answered with a 500 (could not check).
func Is500(err error) bool {
	var re *ocireg.Error
	return errors.As(err, &re) && re.StatusCode == http.StatusInternalServerError
}

// CouldNotCheck reports whether err is a registry read that failed otherwise than with a
// 404: the registry could not be checked (exit 3 in the CLI).
func CouldNotCheck(err error) bool {
	var re *ocireg.Error
	return errors.As(err, &re) && !errors.Is(err, ocireg.ErrNotFound)
}

// Count returns how many requests s served with method to paths matching the regular
// expression path, after the first since.
func Count(s *hostile.Server, since int, method, path string) int {
	re := regexp.MustCompile(path)
	n := 0
	for _, e := range s.Log()[since:] {
		if e.Method == method && re.MatchString(e.Path) {
			n++
		}
	}
	return n
}

// CoSigned is an image, labelled with PinA and pushed by digest only (Tag is where a
// build would push it), that other parties signed and attested: key B with sign
// (signature and attestation) and a cosign-library append (a second signature by key B).
type CoSigned struct {
	Img            name.Digest
	Image          v1.Image
	Tag            name.Tag // host/mcp/alpha:latest, not pushed
	Sig, Att       name.Tag // its .sig and .att tags in host/mcp/signatures
	SigBefore      []v1.Descriptor
	AttBefore      []v1.Descriptor
	RawSig, RawAtt []byte
}

// NewCoSigned pushes and co-signs an image in host.
func NewCoSigned(t *testing.T, host string) CoSigned {
	t.Helper()
	ctx := context.Background()
	img, err := random.Image(32, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf.Config.Labels = map[string]string{catalog.RevisionLabel: PinA}
	if img, err = ggcrmutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(host + "/mcp/alpha:latest")
	d, _ := img.Digest()
	dig := tag.Context().Digest(d.String())
	if err := remote.Write(dig, img); err != nil {
		t.Fatal(err)
	}
	c := CoSigned{Img: dig, Image: img, Tag: tag}

	svcB := Service(t, host, KeyB, nil)
	if _, err := svcB.SignImage(ctx, dig, nil); err != nil {
		t.Fatal(err)
	}
	repo := svcB.Store().Repository()
	opts := []ociremote.Option{ociremote.WithTargetRepository(repo)}
	payload, _ := sign.Payload(dig, map[string]string{"by": "cosign"})
	sig, _ := Signer(t, KeyB).Sign(ctx, payload)
	ociSig, _ := static.NewSignature(payload, base64.StdEncoding.EncodeToString(sig))
	se, err := cosignmutate.AttachSignatureToEntity(ociremote.SignedUnknown(dig, opts...), ociSig)
	if err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteSignatures(dig.Repository, se, opts...); err != nil {
		t.Fatal(err)
	}
	if _, err := svcB.Attest(ctx, dig, Statement(dig)); err != nil {
		t.Fatal(err)
	}
	c.Sig = sign.Tag(repo, Hash(t, dig), sign.SignatureSuffix)
	c.Att = sign.Tag(repo, Hash(t, dig), sign.AttestationSuffix)
	c.RawSig, c.SigBefore = ManifestAt(t, c.Sig)
	c.RawAtt, c.AttBefore = ManifestAt(t, c.Att)
	if len(c.SigBefore) != 2 || len(c.AttBefore) != 1 {
		t.Fatalf("setup: %d signature and %d attestation layers, want 2 and 1", len(c.SigBefore), len(c.AttBefore))
	}
	return c
}

// ManifestAt returns tag's manifest as served and its layers.
func ManifestAt(t *testing.T, tag name.Tag) ([]byte, []v1.Descriptor) {
	t.Helper()
	d, err := remote.Get(tag)
	if err != nil {
		t.Fatalf("reading %s: %v", tag, err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(d.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	return d.Manifest, m.Layers
}

// Keeps checks (with every hostile rule removed) that tag still lists each of before,
// verbatim, and has extra layers more.
func Keeps(t *testing.T, s *hostile.Server, tag name.Tag, before []v1.Descriptor, extra int) {
	t.Helper()
	s.Clear()
	_, now := ManifestAt(t, tag)
	for i, b := range before {
		found := false
		for _, n := range now {
			found = found || DescEqual(b, n)
		}
		if !found {
			t.Errorf("%s lost layer %d (%s) of another party", tag.TagStr(), i, b.Digest)
		}
	}
	if len(now) != len(before)+extra {
		t.Errorf("%s has %d layers, want %d kept + %d", tag.TagStr(), len(now), len(before), extra)
	}
}

// VerifiesKeyB checks with cosign's own verification code that key B's two signatures on
// img still verify.
func VerifiesKeyB(t *testing.T, s *hostile.Server, img name.Digest, repo name.Repository) {
	t.Helper()
	s.Clear()
	ctx := context.Background()
	pub, _ := Signer(t, KeyB).PublicKey(ctx)
	v, err := CosignVerifier(pub)
	if err != nil {
		t.Fatal(err)
	}
	sigs, _, err := cosign.VerifyImageSignatures(ctx, img, &cosign.CheckOpts{
		SigVerifier: v, IgnoreTlog: true, ClaimVerifier: cosign.SimpleClaimVerifier,
		RegistryClientOpts: []ociremote.Option{ociremote.WithTargetRepository(repo)},
	})
	if err != nil || len(sigs) != 2 {
		t.Errorf("cosign verify with key B: %d signatures, %v; want 2", len(sigs), err)
	}
}

// AfterPut installs rules on path: PUTs pass through and mark it written (only final
// PUTs when final, see IsFinalPut); later GETs get action, earlier ones pass through.
func AfterPut(s *hostile.Server, path string, final bool, action hostile.Action) {
	var put atomic.Bool
	s.On(http.MethodPut, path, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		mark := !final || IsFinalPut(r)
		next.ServeHTTP(w, r)
		if mark {
			put.Store(true)
		}
	})
	s.On(http.MethodGet, path, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if put.Load() {
			action(w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// IsFinalPut reports whether a manifest PUT is a final write (it stages nothing, see
// sign.PendingAnnotation); the body is left readable.
func IsFinalPut(r *http.Request) bool {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return !bytes.Contains(body, []byte(sign.PendingAnnotation))
}

// IsStagingPut reports whether a manifest PUT stages an item (the body is left readable).
func IsStagingPut(r *http.Request) bool { return !IsFinalPut(r) }

// OnPut answers the first n manifest PUTs to path that which accepts with action (n 0:
// all of them); the others pass through.
func OnPut(s *hostile.Server, path string, which func(*http.Request) bool, n int32, action hostile.Action) {
	var hits atomic.Int32
	s.On(http.MethodPut, path, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if which(r) && (n == 0 || hits.Add(1) <= n) {
			action(w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// OnFinalPut answers every final manifest PUT to path with action.
func OnFinalPut(s *hostile.Server, path string, action hostile.Action) {
	OnPut(s, path, IsFinalPut, 0, action)
}

// WithoutLayer removes the layers with digest d from an image manifest (JSON kept as is
// otherwise).
func WithoutLayer(t *testing.T, raw []byte, d v1.Hash) []byte {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Errorf("manifest: %v", err)
		return raw
	}
	var layers []map[string]any
	if err := json.Unmarshal(m["layers"], &layers); err != nil {
		t.Errorf("manifest layers: %v", err)
		return raw
	}
	kept := layers[:0]
	for _, l := range layers {
		if l["digest"] != d.String() {
			kept = append(kept, l)
		}
	}
	m["layers"], _ = json.Marshal(kept)
	out, _ := json.Marshal(m)
	return out
}

// WithoutB serves the manifest without key B's first signature, as a registry that lost
// it would (without a Docker-Content-Digest naming the manifest that has it).
func WithoutB(t *testing.T, c CoSigned) hostile.Action {
	return hostile.Edit(func(_ *http.Request, resp *hostile.Response) {
		resp.Body = WithoutLayer(t, resp.Body, c.SigBefore[0].Digest)
		resp.Header.Del("Docker-Content-Digest")
	})
}

// LosesOnPut stores a manifest PUT without the layers of digest d: a registry (or a
// concurrent writer) that loses another party's layer.
func LosesOnPut(t *testing.T, d v1.Hash) hostile.Action {
	return func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		body, _ := io.ReadAll(r.Body)
		body = WithoutLayer(t, body, d)
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
		r2.Header.Set("Content-Length", strconv.Itoa(len(body)))
		next.ServeHTTP(w, r2)
	}
}

// StaleGet answers GETs with raw (an older manifest of the tag).
func StaleGet(raw []byte) hostile.Action {
	return hostile.Respond(http.StatusOK, string(raw), "Content-Type", "application/vnd.oci.image.manifest.v1+json")
}
