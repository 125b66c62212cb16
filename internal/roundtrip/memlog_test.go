package roundtrip_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/go-openapi/strfmt"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/types"
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1"         // the dsse kind, as Rekor registers it
	_ "github.com/sigstore/rekor/pkg/types/hashedrekord/v0.0.1" // the hashedrekord kind
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/mcpbuild/mcpbuild/sign"
)

// memLog is a sign.TLog in memory that records entries as a Rekor v1 server does: the
// proposed entry (the one sign.Rekor uploads) is validated and canonicalized by Rekor's
// own entry types (which check the signature or envelope against the key), and the
// bundle's SignedEntryTimestamp is the log key's signature over the canonical JSON of
// {body, integratedTime, logID, logIndex}. It has no Merkle tree: verify checks bundles
// offline by their SET.
type memLog struct {
	key *ecdsa.PrivateKey

	mu      sync.Mutex
	entries map[string]*bundle.RekorBundle // by canonical body
}

var _ sign.TLog = (*memLog)(nil)

func (l *memLog) PublicKey(context.Context) (crypto.PublicKey, error) { return &l.key.PublicKey, nil }

func (l *memLog) UploadSignature(ctx context.Context, sig, payload, pubPEM []byte) (*bundle.RekorBundle, error) {
	h := sha256.Sum256(payload)
	return l.record(ctx, &models.Hashedrekord{APIVersion: ptr("0.0.1"), Spec: &models.HashedrekordV001Schema{
		Data: &models.HashedrekordV001SchemaData{Hash: &models.HashedrekordV001SchemaDataHash{
			Algorithm: ptr(models.HashedrekordV001SchemaDataHashAlgorithmSha256), Value: ptr(hex.EncodeToString(h[:])),
		}},
		Signature: &models.HashedrekordV001SchemaSignature{
			Content: sig, PublicKey: &models.HashedrekordV001SchemaSignaturePublicKey{Content: pubPEM},
		},
	}})
}

func (l *memLog) UploadAttestation(ctx context.Context, envelope, pubPEM []byte) (*bundle.RekorBundle, error) {
	return l.record(ctx, &models.DSSE{APIVersion: ptr("0.0.1"), Spec: &models.DSSEV001Schema{
		ProposedContent: &models.DSSEV001SchemaProposedContent{Envelope: ptr(string(envelope)), Verifiers: []strfmt.Base64{pubPEM}},
	}})
}

// record appends the entry (an identical one already recorded is returned again, as
// Rekor answers 409 and the client reads the entry) and returns its bundle.
func (l *memLog) record(ctx context.Context, pe models.ProposedEntry) (*bundle.RekorBundle, error) {
	e, err := types.CreateVersionedEntry(pe)
	if err != nil {
		return nil, fmt.Errorf("memlog: refusing %s entry: %w", pe.Kind(), err)
	}
	body, err := types.CanonicalizeEntry(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("memlog: canonicalizing %s entry: %w", pe.Kind(), err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.entries[string(body)]; ok {
		return b, nil
	}
	logID, err := cosign.GetTransparencyLogID(&l.key.PublicKey)
	if err != nil {
		return nil, err
	}
	p := bundle.RekorPayload{Body: base64.StdEncoding.EncodeToString(body), IntegratedTime: time.Now().Unix(),
		LogIndex: int64(len(l.entries)), LogID: logID}
	set, err := l.sign(p)
	if err != nil {
		return nil, err
	}
	b := &bundle.RekorBundle{SignedEntryTimestamp: set, Payload: p}
	if l.entries == nil {
		l.entries = map[string]*bundle.RekorBundle{}
	}
	l.entries[string(body)] = b
	return b, nil
}

// sign makes the SET: the log key's ECDSA signature over SHA-256 of the payload's
// canonical JSON.
func (l *memLog) sign(p bundle.RekorPayload) ([]byte, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	canon, err := jsoncanonicalizer.Transform(raw)
	if err != nil {
		return nil, err
	}
	s, err := signature.LoadECDSASigner(l.key, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return s.SignMessage(bytes.NewReader(canon))
}

// count returns how many entries the log holds.
func (l *memLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

func ptr[T any](v T) *T { return &v }
