package sign_test

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"

	"github.com/mcpbuild/mcpbuild/sign"
)

// A signature and attestation recorded in one log are not reused by a service logging to
// another (their SETs do not verify with its key): both are signed and logged anew, so
// that cosign verifying against the new log finds them. The first log still reuses its own.
func TestBundleOfAnotherLogIsNotReused(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	first, second := &fakeTLog{}, &fakeTLog{}
	svc1, svc2 := newService(t, host, keyA, first), newService(t, host, keyA, second)
	if _, err := svc1.SignImage(ctx, img, claims); err != nil {
		t.Fatal(err)
	}
	if _, err := svc1.Attest(ctx, img, statementFor(img)); err != nil {
		t.Fatal(err)
	}
	if f, err := svc2.FindSignature(ctx, img, claims); f != nil || err != nil {
		t.Errorf("FindSignature in another log = %+v, %v; want none", f, err)
	}
	if f, err := svc2.FindAttestation(ctx, img, sign.SLSAProvenanceV1); f != nil || err != nil {
		t.Errorf("FindAttestation in another log = %+v, %v; want none", f, err)
	}
	sig, err := svc2.SignImage(ctx, img, claims)
	if err != nil || !sig.Appended {
		t.Errorf("SignImage in another log = %+v, %v; want a new signature", sig, err)
	}
	att, err := svc2.Attest(ctx, img, statementFor(img))
	if err != nil || !att.Appended {
		t.Errorf("Attest in another log = %+v, %v; want a new attestation", att, err)
	}
	if second.Count() != 2 {
		t.Errorf("%d entries in the second log, want 2", second.Count())
	}
	again, err := svc1.SignImage(ctx, img, claims)
	if err != nil || again.Appended || first.Count() != 2 {
		t.Errorf("SignImage in the first log again = %+v, %v (%d entries); want its own reused", again, err, first.Count())
	}
}

// A bundle whose SET was altered after the fact is not taken for a log entry.
func TestForgedSETIsNotReused(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	tl := &fakeTLog{}
	svc := newService(t, host, keyA, tl)
	first, err := svc.SignImage(ctx, img, claims)
	if err != nil {
		t.Fatal(err)
	}
	forgeSET(t, first.Tag)
	if f, err := svc.FindSignature(ctx, img, claims); f != nil || err != nil {
		t.Errorf("FindSignature with a forged SET = %+v, %v; want none", f, err)
	}
	again, err := svc.SignImage(ctx, img, claims)
	if err != nil || !again.Appended || tl.Count() != 2 {
		t.Errorf("SignImage over a forged SET = %+v, %v (%d entries); want a new signature", again, err, tl.Count())
	}
}

// forgeSET rewrites the manifest at tag with the first layer's SET altered.
func forgeSET(t *testing.T, tag name.Tag) {
	t.Helper()
	d, err := remote.Get(tag)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(d.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	ann := m["layers"].([]any)[0].(map[string]any)["annotations"].(map[string]any)
	var b bundle.RekorBundle
	if err := json.Unmarshal([]byte(ann[sign.BundleAnnotation].(string)), &b); err != nil {
		t.Fatal(err)
	}
	b.SignedEntryTimestamp[len(b.SignedEntryTimestamp)-1] ^= 1
	nb, _ := json.Marshal(b)
	ann[sign.BundleAnnotation] = string(nb)
	raw, _ := json.Marshal(m)
	if err := remote.Put(tag, recordedManifest(raw)); err != nil {
		t.Fatal(err)
	}
}

// keyedTLog logs with its own key but reports another as the log's key.
type keyedTLog struct {
	fakeTLog
	claimed fakeTLog
}

func (k *keyedTLog) PublicKey(ctx context.Context) (crypto.PublicKey, error) {
	return k.claimed.PublicKey(ctx)
}

// A fresh entry whose SET does not verify with the log's key is never pushed.
func TestFreshEntryMustVerify(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	svc := newService(t, host, keyA, &keyedTLog{})
	var te *sign.TLogError
	if _, err := svc.SignImage(ctx, img, claims); !errors.As(err, &te) {
		t.Errorf("SignImage with an unverifiable SET = %v, want *TLogError", err)
	}
	if _, err := svc.Attest(ctx, img, statementFor(img)); !errors.As(err, &te) {
		t.Errorf("Attest with an unverifiable SET = %v, want *TLogError", err)
	}
	for _, suffix := range []string{sign.SignatureSuffix, sign.AttestationSuffix} {
		if l, err := svc.Store().List(ctx, mustHash(t, img), suffix); err != nil || len(l) != 0 {
			t.Errorf(".%s: %d layers, %v; want nothing pushed", suffix, len(l), err)
		}
	}
}

// otherEnvelopeTLog records a different envelope (by the same key) than the one given.
type otherEnvelopeTLog struct{ fakeTLog }

func (o *otherEnvelopeTLog) UploadAttestation(ctx context.Context, _, pubPEM []byte) (*bundle.RekorBundle, error) {
	return o.fakeTLog.UploadAttestation(ctx, []byte(`{"payloadType":"x","payload":"","signatures":[{"sig":"AAAA"}]}`), pubPEM)
}

// An entry for another envelope by our key does not count as the attestation's entry.
func TestAttestationEntryMustRecordThisEnvelope(t *testing.T) {
	ctx := context.Background()
	host := newRegistry(t, nil)
	img := pushImage(t, host, "mcp/alpha")
	svc := newService(t, host, keyA, &otherEnvelopeTLog{})
	var te *sign.TLogError
	if _, err := svc.Attest(ctx, img, statementFor(img)); !errors.As(err, &te) {
		t.Errorf("Attest with an entry for another envelope = %v, want *TLogError", err)
	}
	if l, err := svc.Store().List(ctx, mustHash(t, img), sign.AttestationSuffix); err != nil || len(l) != 0 {
		t.Errorf("%d layers, %v; want nothing pushed", len(l), err)
	}
}
