package sign_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/sign/signtest"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
	"github.com/sigstore/cosign/v2/pkg/oci/mutate"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
)

var claims = map[string]string{catalog.RevisionLabel: "0123456789abcdef0123456789abcdef01234567"}

func rawManifest(t *testing.T, tag name.Tag) *v1.Manifest {
	t.Helper()
	return signtest.RawManifest(t, tag)
}

func TestSignImageLayout(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	tl := &fakeTLog{}
	svc := newService(t, host, keyA, tl)

	a, err := svc.SignImage(ctx, img, claims)
	if err != nil {
		t.Fatal(err)
	}
	wantTag := host + "/mcp/signatures:" + strings.ReplaceAll(img.DigestStr(), ":", "-") + ".sig"
	if a.Tag.String() != wantTag || !a.Appended || a.LogIndex != 1 {
		t.Errorf("SignImage() = %+v, want tag %s, appended, log index 1", a, wantTag)
	}
	m := rawManifest(t, a.Tag)
	if m.Config.MediaType != types.OCIConfigJSON || len(m.Layers) != 1 {
		t.Fatalf("manifest config %s, %d layers", m.Config.MediaType, len(m.Layers))
	}
	l := m.Layers[0]
	payload, _ := sign.Payload(img, claims)
	if l.MediaType != sign.SimpleSigningMediaType || !bytes.Equal(l.Data, payload) {
		t.Errorf("layer %s data %q, want payload in data", l.MediaType, l.Data)
	}
	sig, _ := base64.StdEncoding.DecodeString(l.Annotations[sign.SignatureAnnotation])
	pub, _ := mustSigner(t, keyA).PublicKey(ctx)
	if err := sign.VerifySignature(pub, payload, sig); err != nil {
		t.Errorf("signature annotation does not verify: %v", err)
	}
	var b struct {
		SignedEntryTimestamp []byte
		Payload              struct{ LogIndex int64 }
	}
	if err := json.Unmarshal([]byte(l.Annotations[sign.BundleAnnotation]), &b); err != nil || b.Payload.LogIndex != 1 {
		t.Errorf("bundle annotation %q: %v", l.Annotations[sign.BundleAnnotation], err)
	}
	// The blob is pushed too, so readers that ignore "data" work.
	rl, err := remote.Layer(a.Tag.Context().Digest(l.Digest.String()))
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := rl.Compressed()
	blob, _ := io.ReadAll(rc)
	if !bytes.Equal(blob, payload) {
		t.Errorf("blob = %q, want payload", blob)
	}
	// Nothing was written to the image's own repository.
	if _, err := remote.Get(img.Context().Tag(strings.ReplaceAll(img.DigestStr(), ":", "-") + ".sig")); err == nil {
		t.Error("signature tag exists in the image repository")
	}
}

// cosign's own verification code reads what we wrote (key, claims, digest).
func TestCosignLibraryVerifiesSignature(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	svc := newService(t, host, keyA, nil)
	if _, err := svc.SignImage(ctx, img, claims); err != nil {
		t.Fatal(err)
	}
	verifier := func(key string) *cosign.CheckOpts {
		pub, _ := mustSigner(t, key).PublicKey(ctx)
		v, err := cosignVerifier(pub)
		if err != nil {
			t.Fatal(err)
		}
		return &cosign.CheckOpts{
			SigVerifier: v, IgnoreTlog: true, ClaimVerifier: cosign.SimpleClaimVerifier,
			Annotations:        map[string]any{catalog.RevisionLabel: claims[catalog.RevisionLabel]},
			RegistryClientOpts: []ociremote.Option{ociremote.WithTargetRepository(svc.Store().Repository())},
		}
	}
	sigs, _, err := cosign.VerifyImageSignatures(ctx, img, verifier(keyA))
	if err != nil || len(sigs) != 1 {
		t.Fatalf("cosign VerifyImageSignatures = %d sigs, %v", len(sigs), err)
	}
	if _, _, err := cosign.VerifyImageSignatures(ctx, img, verifier(keyB)); err == nil {
		t.Error("cosign verified our signature with another key")
	}
}

func TestSignImageIdempotent(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	tl := &fakeTLog{}
	svc := newService(t, host, keyA, tl)
	first, err := svc.SignImage(ctx, img, claims)
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.SignImage(ctx, img, claims)
	if err != nil {
		t.Fatal(err)
	}
	if second.Appended || second.LogIndex != first.LogIndex || tl.Count() != 1 {
		t.Errorf("second SignImage = %+v (first %+v), tlog uploads %d; want reuse, 1 upload", second, first, tl.Count())
	}
	if n := len(rawManifest(t, first.Tag).Layers); n != 1 {
		t.Errorf("%d layers after two identical signs, want 1", n)
	}
	found, err := svc.FindSignature(ctx, img, claims)
	if err != nil || found == nil || found.LogIndex != first.LogIndex {
		t.Errorf("FindSignature = %+v, %v", found, err)
	}
	// A different claim is a different payload: signed anew.
	other := map[string]string{catalog.RevisionLabel: strings.Repeat("f", 40)}
	if f, _ := svc.FindSignature(ctx, img, other); f != nil {
		t.Error("FindSignature matched a payload with other claims")
	}
	third, err := svc.SignImage(ctx, img, other)
	if err != nil || !third.Appended || tl.Count() != 2 {
		t.Errorf("SignImage(other claims) = %+v, %v, uploads %d", third, err, tl.Count())
	}
	// A log-less signature by the same key does not count for a logging service.
	img2 := pushImage(t, host, "mcp/beta")
	if _, err := newService(t, host, keyA, nil).SignImage(ctx, img2, claims); err != nil {
		t.Fatal(err)
	}
	a, err := svc.SignImage(ctx, img2, claims)
	if err != nil || !a.Appended || a.LogIndex < 0 {
		t.Errorf("SignImage over a log-less signature = %+v, %v; want a new logged layer", a, err)
	}
}

func TestCoSignaturesSurvive(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	svcB := newService(t, host, keyB, nil)
	if _, err := svcB.SignImage(ctx, img, nil); err != nil {
		t.Fatal(err)
	}
	tag := sign.Tag(svcB.Store().Repository(), mustHash(t, img), sign.SignatureSuffix)
	before := rawManifest(t, tag).Layers[0]

	svcA := newService(t, host, keyA, &fakeTLog{})
	if _, err := svcA.SignImage(ctx, img, claims); err != nil {
		t.Fatal(err)
	}
	m := rawManifest(t, tag)
	if len(m.Layers) != 2 || !descEqual(m.Layers[0], before) {
		t.Fatalf("after our sign: %d layers, first kept verbatim: %v", len(m.Layers), descEqual(m.Layers[0], before))
	}
	ours := m.Layers[1]

	// cosign's own append (as `cosign sign` does it) keeps our layer, data field included.
	opts := []ociremote.Option{ociremote.WithTargetRepository(svcA.Store().Repository())}
	payload, _ := sign.Payload(img, map[string]string{"by": "cosign"})
	sig, _ := mustSigner(t, keyB).Sign(ctx, payload)
	ociSig, _ := static.NewSignature(payload, base64.StdEncoding.EncodeToString(sig))
	se, err := mutate.AttachSignatureToEntity(ociremote.SignedUnknown(img, opts...), ociSig)
	if err != nil {
		t.Fatal(err)
	}
	if err := ociremote.WriteSignatures(img.Repository, se, opts...); err != nil {
		t.Fatal(err)
	}
	m = rawManifest(t, tag)
	if len(m.Layers) != 3 || !descEqual(m.Layers[1], ours) || !descEqual(m.Layers[0], before) {
		t.Errorf("after cosign's append: %d layers, ours kept: %v", len(m.Layers), len(m.Layers) > 1 && descEqual(m.Layers[1], ours))
	}
	if f, err := svcA.FindSignature(ctx, img, claims); err != nil || f == nil {
		t.Errorf("our signature not found after cosign's append: %v", err)
	}
}

func TestParallelSignersSameTag(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	repo, _ := name.NewRepository(host + "/mcp/signatures")
	store := sign.NewStore(repo)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		key := keyA
		if i%2 == 1 {
			key = keyB
		}
		svc, err := sign.New(mustSigner(t, key), store, nil, sign.WithoutTLogUnsafe())
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.SignImage(ctx, img, map[string]string{"n": string(rune('a' + i))})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := len(rawManifest(t, sign.Tag(repo, mustHash(t, img), "sig")).Layers); n != 6 {
		t.Errorf("%d layers after 6 parallel signs through one store, want 6", n)
	}
}

// A registry that accepts the manifest PUT but does not keep it: publish must not report it.
func TestReadBackFailure(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, ".sig") {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusCreated)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	img := pushImage(t, host, "mcp/alpha")
	_, err := newService(t, host, keyA, nil).SignImage(ctx, img, claims)
	if !errors.Is(err, sign.ErrNotPersisted) {
		t.Errorf("SignImage against a dropping registry = %v, want ErrNotPersisted", err)
	}
}

func TestTLogFailurePushesNothing(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	boom := errors.New("log down")
	svc := newService(t, host, keyA, &fakeTLog{Fail: boom})
	if _, err := svc.SignImage(ctx, img, claims); !errors.Is(err, boom) {
		t.Fatalf("SignImage = %v, want the log error", err)
	}
	if _, err := svc.Attest(ctx, img, statementFor(img)); !errors.Is(err, boom) {
		t.Fatalf("Attest = %v, want the log error", err)
	}
	// Nothing is attached; the tag holds only what was staged for the re-run (no layer).
	for _, suffix := range []string{"sig", "att"} {
		tag := sign.Tag(svc.Store().Repository(), mustHash(t, img), suffix)
		if m := rawManifest(t, tag); len(m.Layers) != 0 || m.Annotations[sign.PendingAnnotation] == "" {
			t.Errorf(".%s: %d layers, staged %q; want none attached, one staged", suffix, len(m.Layers), m.Annotations[sign.PendingAnnotation])
		}
	}
}

func TestNewRequiresTLogOrOptOut(t *testing.T) {
	repo, _ := name.NewRepository("127.0.0.1:1/x")
	s := mustSigner(t, keyA)
	if _, err := sign.New(s, sign.NewStore(repo), nil); err == nil {
		t.Error("New without tlog and without WithoutTLogUnsafe: want error")
	}
	if _, err := sign.New(s, sign.NewStore(repo), &fakeTLog{}, sign.WithoutTLogUnsafe()); err == nil {
		t.Error("New with tlog and WithoutTLogUnsafe: want error")
	}
	if _, err := sign.New(nil, sign.NewStore(repo), &fakeTLog{}); err == nil {
		t.Error("New with nil signer: want error")
	}
}

func mustHash(t *testing.T, d name.Digest) v1.Hash { t.Helper(); return signtest.Hash(t, d) }

func descEqual(a, b v1.Descriptor) bool { return signtest.DescEqual(a, b) }

// Another process's write lands right after ours (the documented cross-process race): the
// read-back shows its manifest, not ours. Once, SignImage pushes again with ours added and
// both survive; every time, it fails naming our layer instead of reporting success.
func TestLostRace(t *testing.T) {
	for _, tc := range []struct {
		name  string
		races int32
	}{{"once", 1}, {"every write", 1000}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var host string
			var raced atomic.Int32
			host = newRegistry(t, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					h.ServeHTTP(w, r)
					if r.Method != http.MethodPut || !strings.HasSuffix(r.URL.Path, ".sig") || raced.Add(1) > tc.races {
						return
					}
					// The other writer read the tag before our push; its append (a manifest
					// with only its own signature) lands now and replaces ours.
					tag, err := name.NewTag(host + "/mcp/signatures:" + r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:])
					if err != nil {
						t.Error(err)
						return
					}
					sig, _ := static.NewSignature([]byte("other writer"), "b3RoZXI=")
					img, err := mutate.AppendSignatures(empty.Signatures(), false, sig)
					if err != nil {
						t.Error(err)
						return
					}
					if err := remote.Write(tag, img); err != nil {
						t.Error(err)
					}
				})
			})
			img := pushImage(t, host, "mcp/alpha")
			a, err := newService(t, host, keyA, nil).SignImage(ctx, img, claims)
			if tc.races == 1 {
				if err != nil || !a.Appended {
					t.Fatalf("SignImage after losing one race = %+v, %v; want our layer pushed again", a, err)
				}
				if m := rawManifest(t, a.Tag); len(m.Layers) != 2 || m.Layers[0].Annotations[sign.SignatureAnnotation] != "b3RoZXI=" || m.Layers[1].Digest != a.Digest {
					t.Errorf("layers %+v; want the other writer's, then ours", m.Layers)
				}
				return
			}
			var lost *sign.LostLayersError
			if !errors.Is(err, sign.ErrNotPersisted) || !errors.As(err, &lost) || !lost.Ours || lost.Writes != 3 {
				t.Errorf("SignImage losing every race = %v; want our layer named lost after 3 writes", err)
			}
		})
	}
}
