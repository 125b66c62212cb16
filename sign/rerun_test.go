package sign_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ggcrmutate "github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/mcpbuild/mcpbuild/catalog"
	"github.com/mcpbuild/mcpbuild/sign"
	"github.com/mcpbuild/mcpbuild/verify"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci/empty"
)

// refuseFinalPush makes the registry refuse, while armed, every manifest PUT that attaches
// a logged layer (its body carries a bundle annotation): the process "dies" after the log
// entry was made and before the signature reached the registry.
func refuseFinalPush(armed *atomic.Bool) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if armed.Load() && r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				if bytes.Contains(body, []byte(sign.BundleAnnotation)) {
					http.Error(w, `{"errors":[{"code":"MANIFEST_INVALID","message":"killed"}]}`, http.StatusBadRequest)
					return
				}
			}
			h.ServeHTTP(w, r)
		})
	}
}

// statementAt is statementFor(img) from another build of the same image: BuildKit's
// provenance differs per build (timestamps, invocation ID).
func statementAt(img name.Digest, started string) []byte {
	return bytes.Replace(statementFor(img), []byte(`"runDetails":{`),
		[]byte(`"runDetails":{"metadata":{"startedOn":"`+started+`"},`), 1)
}

// A run that dies at any point between signing and the registry push, then a re-run (a new
// Service: a new process, sharing only the registry and the log), leaves exactly one log
// entry and one layer, and that layer carries that entry. For attestations the re-run has
// a new build's provenance (another statement about the same image).
func TestRerunAfterInterruptedRunMakesNoSecondEntry(t *testing.T) {
	ctx := context.Background()
	lost := errors.New("connection reset: the answer was lost")
	for _, kind := range []string{"signature", "attestation"} {
		for _, tc := range []struct {
			name                   string
			refusePush, lose, fail bool
		}{
			{name: "after the upload, before the push", refusePush: true},
			{name: "during the upload, after the log recorded it", lose: true},
			{name: "before the upload", fail: true},
		} {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				var armed atomic.Bool
				armed.Store(tc.refusePush)
				host := newRegistry(t, refuseFinalPush(&armed))
				img := pushImage(t, host, "mcp/alpha")
				tl := &fakeTLog{}
				if tc.lose {
					tl.SetLose(lost)
				}
				if tc.fail {
					tl.SetFail(lost)
				}
				do := func(run string) (*sign.Attached, error) {
					svc := newService(t, host, keyA, tl)
					if kind == "signature" {
						return svc.SignImage(ctx, img, claims)
					}
					return svc.Attest(ctx, img, statementAt(img, run))
				}
				if _, err := do("2026-01-01T00:00:00Z"); err == nil {
					t.Fatal("the interrupted run succeeded")
				}
				armed.Store(false)
				tl.SetLose(nil)
				tl.SetFail(nil)
				a, err := do("2026-01-01T00:05:00Z")
				if err != nil {
					t.Fatalf("re-run: %v", err)
				}
				if n := tl.Count(); n != 1 {
					t.Errorf("the log holds %d entries for one %s, want 1", n, kind)
				}
				layers, err := newService(t, host, keyA, tl).Store().List(ctx, mustHash(t, img), suffixOf(kind))
				if err != nil || len(layers) != 1 {
					t.Fatalf("%d layers, %v; want 1", len(layers), err)
				}
				if b := bundleOf(t, layers[0]); a.LogIndex != 1 || b.Payload.LogIndex != 1 {
					t.Errorf("attached log index %d, layer's bundle %d; want entry 1", a.LogIndex, b.Payload.LogIndex)
				}
				if m := rawManifest(t, a.Tag); m.Annotations[sign.PendingAnnotation] != "" {
					t.Errorf("the staged record outlived the push: %v", m.Annotations)
				}
			})
		}
	}
}

func suffixOf(kind string) string {
	if kind == "signature" {
		return sign.SignatureSuffix
	}
	return sign.AttestationSuffix
}

// bundleOf decodes a layer's bundle annotation.
func bundleOf(t *testing.T, l sign.Layer) *bundle.RekorBundle {
	t.Helper()
	var b bundle.RekorBundle
	if err := json.Unmarshal([]byte(l.Annotations[sign.BundleAnnotation]), &b); err != nil {
		t.Fatalf("bundle annotation: %v", err)
	}
	return &b
}

// sigOf returns the signature a layer carries (decoded).
func sigOf(t *testing.T, l sign.Layer) []byte {
	t.Helper()
	s, err := base64.StdEncoding.DecodeString(l.Annotations[sign.SignatureAnnotation])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stageRecord writes a .sig/.att manifest with no layers whose PendingAnnotation holds d
// (and pushes blob, when given), as a hostile or confused registry might serve it.
func stageRecord(t *testing.T, tag name.Tag, d v1.Descriptor, annotation string, blob []byte) {
	t.Helper()
	if blob != nil {
		if err := remote.WriteLayer(tag.Context(), static.NewLayer(blob, d.MediaType)); err != nil {
			t.Fatal(err)
		}
	}
	if annotation == "" {
		j, _ := json.Marshal(d)
		annotation = string(j)
	}
	img := ggcrmutate.Annotations(empty.Signatures(), map[string]string{sign.PendingAnnotation: annotation}).(v1.Image)
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
}

// pendingOf returns the staged descriptor in tag's manifest.
func pendingOf(t *testing.T, tag name.Tag) v1.Descriptor {
	t.Helper()
	var d v1.Descriptor
	if err := json.Unmarshal([]byte(rawManifest(t, tag).Annotations[sign.PendingAnnotation]), &d); err != nil {
		t.Fatalf("staged record of %s: %v", tag, err)
	}
	return d
}

// What a registry serves as staged is checked like any layer: a record that is not this
// key's signature over this payload (or attestation about this image) is not logged; the
// run signs anew. A staged blob that cannot be read fails the run without any upload; one
// that is gone (404) is ignored.
func TestStagedRecordIsCheckedBeforeItIsLogged(t *testing.T) {
	ctx := context.Background()
	down := errors.New("log down")
	var refuseBlob atomic.Value // digest string the registry answers 500 for
	refuseBlob.Store("")
	host := newRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if d := refuseBlob.Load().(string); d != "" && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+d) {
				http.Error(w, "boom", http.StatusInternalServerError)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	repo, _ := name.NewRepository(host + "/mcp/signatures")
	// stagedBy leaves what an interrupted run by key staged for kind about img.
	stagedBy := func(key, kind string, img name.Digest) v1.Descriptor {
		t.Helper()
		svc := newService(t, host, key, &fakeTLog{Fail: down})
		var err error
		if kind == "signature" {
			_, err = svc.SignImage(ctx, img, claims)
		} else {
			_, err = svc.Attest(ctx, img, statementFor(img))
		}
		if !errors.Is(err, down) {
			t.Fatalf("interrupted run: %v", err)
		}
		return pendingOf(t, sign.Tag(repo, mustHash(t, img), suffixOf(kind)))
	}
	other := pushImage(t, host, "mcp/other")
	otherSig, otherAtt := stagedBy(keyA, "signature", other), stagedBy(keyA, "attestation", other)

	for i, tc := range []struct {
		name, kind string
		stage      func(tag name.Tag, img name.Digest)
		failsWith  string // the run fails, nothing is logged or attached
	}{
		{name: "another key's signature", kind: "signature", stage: func(_ name.Tag, img name.Digest) { stagedBy(keyB, "signature", img) }},
		{name: "our signature of another image", kind: "signature", stage: func(tag name.Tag, _ name.Digest) { stageRecord(t, tag, otherSig, "", nil) }},
		{name: "our signature with a forged signature annotation", kind: "signature", stage: func(tag name.Tag, img name.Digest) {
			d := stagedBy(keyA, "signature", img)
			d.Annotations = map[string]string{sign.SignatureAnnotation: base64.StdEncoding.EncodeToString([]byte("forged"))}
			stageRecord(t, tag, d, "", nil)
		}},
		{name: "garbage", kind: "signature", stage: func(tag name.Tag, _ name.Digest) { stageRecord(t, tag, v1.Descriptor{}, "{not json", nil) }},
		{name: "embedded data not matching its digest", kind: "signature", stage: func(tag name.Tag, img name.Digest) {
			d := stagedBy(keyA, "signature", img)
			d.Data = []byte("something else")
			stageRecord(t, tag, d, "", nil)
		}},
		{name: "a blob that is gone", kind: "signature", stage: func(tag name.Tag, _ name.Digest) {
			stageRecord(t, tag, v1.Descriptor{MediaType: sign.SimpleSigningMediaType, Size: 3, Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}}, "", nil)
		}},
		{name: "a blob the registry fails to serve", kind: "signature", failsWith: "interrupted run staged", stage: func(tag name.Tag, img name.Digest) {
			d := stagedBy(keyA, "signature", img)
			d.Data = nil
			stageRecord(t, tag, d, "", nil)
			refuseBlob.Store(d.Digest.String())
		}},
		{name: "another key's attestation", kind: "attestation", stage: func(_ name.Tag, img name.Digest) { stagedBy(keyB, "attestation", img) }},
		{name: "our attestation about another image", kind: "attestation", stage: func(tag name.Tag, _ name.Digest) { stageRecord(t, tag, otherAtt, "", nil) }},
		{name: "our attestation of another predicate type", kind: "attestation", stage: func(_ name.Tag, img name.Digest) {
			svc := newService(t, host, keyA, &fakeTLog{Fail: down})
			other := bytes.ReplaceAll(statementFor(img), []byte(sign.SLSAProvenanceV1), []byte("https://example.com/other/v1"))
			if _, err := svc.Attest(ctx, img, other); !errors.Is(err, down) {
				t.Fatalf("interrupted run: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refuseBlob.Store("")
			img := pushImage(t, host, fmt.Sprintf("mcp/case-%d", i))
			tag := sign.Tag(repo, mustHash(t, img), suffixOf(tc.kind))
			tc.stage(tag, img)
			tl := &fakeTLog{}
			st := sign.NewStore(repo, remote.WithRetryStatusCodes()) // a 500 is final, not retried
			svc, err := sign.New(mustSigner(t, keyA), st, tl)
			if err != nil {
				t.Fatal(err)
			}
			var a *sign.Attached
			if tc.kind == "signature" {
				a, err = svc.SignImage(ctx, img, claims)
			} else {
				a, err = svc.Attest(ctx, img, statementFor(img))
			}
			layers, lerr := st.List(ctx, mustHash(t, img), suffixOf(tc.kind))
			if lerr != nil {
				t.Fatal(lerr)
			}
			if tc.failsWith != "" {
				if err == nil || !strings.Contains(err.Error(), tc.failsWith) || tl.Count() != 0 || len(layers) != 0 {
					t.Errorf("run = %v, %d log entries, %d layers; want an error %q, nothing logged or attached", err, tl.Count(), len(layers), tc.failsWith)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tl.Count() != 1 || len(layers) != 1 || !a.Appended {
				t.Fatalf("%d log entries, %d layers, %+v; want our new one", tl.Count(), len(layers), a)
			}
			// What was attached is ours and about img, whatever was staged.
			var found *sign.Attached
			if tc.kind == "signature" {
				found, err = svc.FindSignature(ctx, img, claims)
			} else {
				found, err = svc.FindAttestation(ctx, img, sign.SLSAProvenanceV1)
			}
			if err != nil || found == nil || found.LogIndex != 1 {
				t.Errorf("Find after the run = %+v, %v; want our logged layer", found, err)
			}
			if m := rawManifest(t, tag); m.Annotations[sign.PendingAnnotation] != "" {
				t.Errorf("staged record left after the push")
			}
		})
	}
}

// While a first signature is only staged (the log upload failed), verifiers see a .sig tag
// with no signature: a definite "not verified" on the signature check, as for an unsigned
// image, never "could not verify".
func TestStagedOnlyReadsAsUnsigned(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	tl := &fakeTLog{Fail: errors.New("log down")}
	if _, err := newService(t, host, keyA, tl).SignImage(ctx, img, claims); err == nil {
		t.Fatal("SignImage with the log down succeeded")
	}
	pub, _ := mustSigner(t, keyA).PublicKey(ctx)
	logKey, _ := tl.PublicKey(ctx)
	vd, err := verify.Image(ctx, img.String(), verify.ImageOptions{
		Key: pub, RekorKey: logKey, Pin: catalog.Pin{Commit: claims[catalog.RevisionLabel]},
		SignaturesRepository: host + "/mcp/signatures",
	})
	if err != nil || vd.Verified || vd.Indeterminate || !strings.HasPrefix(vd.Reason, verify.CheckSignature+":") {
		t.Errorf("verify.Image of a staged-only signature = %+v, %v; want not verified on the signature check", vd, err)
	}
}
