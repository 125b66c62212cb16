package verifytest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/rekor/pkg/tle"
	rekortypes "github.com/sigstore/rekor/pkg/types"
	_ "github.com/sigstore/rekor/pkg/types/dsse/v0.0.1" // registers the dsse entry type
	"github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/mcpbuild/mcpbuild/catalog"
)

// Media and predicate types of cosign v3's default signature format.
const (
	BundleMediaType     = "application/vnd.dev.sigstore.bundle.v0.3+json"
	CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"
)

// BundleSpec describes a cosign v3 style signature: a Sigstore bundle v0.3 holding a
// DSSE in-toto statement, with a Rekor dsse entry (SET and a one-leaf inclusion proof).
// The zero value is a correct signature of the image.
type BundleSpec struct {
	Key           *ecdsa.PrivateKey // default: the fixture's
	RekorKey      *ecdsa.PrivateKey // default: the fixture's
	PredicateType string            // default CosignSignPredicate
	SubjectHex    string            // default: the image digest
	Claims        map[string]string // subject annotations (default: revision = PinCommit)
	// LogOtherEnvelope logs another signature of the same statement: the tlog entry is
	// valid but records a different envelope than the bundle carries.
	LogOtherEnvelope bool
}

// SignBundle stores a bundle signature of img the way cosign v3 does: a referrer manifest
// (artifactType bundle, subject img) in the signatures repository, listed by the
// referrers fallback index tagged sha256-<hex>.
func (f *Fixture) SignBundle(img name.Digest, s BundleSpec) {
	f.T.Helper()
	h, _ := v1.NewHash(img.DigestStr())
	f.pushReferrer(h, f.SignatureBundle(img, &s), s.PredicateType, "")
}

// SignatureBundle returns the bundle SignBundle stores for img (s's defaults filled in).
func (f *Fixture) SignatureBundle(img name.Digest, s *BundleSpec) []byte {
	f.T.Helper()
	h, _ := v1.NewHash(img.DigestStr())
	if s.Key == nil {
		s.Key = f.Key
	}
	if s.RekorKey == nil {
		s.RekorKey = f.RekorKey
	}
	if s.PredicateType == "" {
		s.PredicateType = CosignSignPredicate
	}
	if s.SubjectHex == "" {
		s.SubjectHex = h.Hex
	}
	if s.Claims == nil {
		s.Claims = map[string]string{catalog.RevisionLabel: PinCommit}
	}
	stmt, err := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"digest": map[string]string{"sha256": s.SubjectHex}, "annotations": s.Claims}},
		"predicateType": s.PredicateType, "predicate": map[string]any{},
	})
	f.check(err)
	return f.bundleJSON(stmt, s.Key, s.RekorKey, s.LogOtherEnvelope)
}

// StatementBundle signs stmt (an in-toto statement) with key as a DSSE envelope, logs it
// in rekorKey's log (a Rekor dsse entry with a SET and an inclusion proof) and returns
// both as a Sigstore bundle v0.3, as cosign v3 writes it.
func (f *Fixture) StatementBundle(stmt []byte, key, rekorKey *ecdsa.PrivateKey) []byte {
	f.T.Helper()
	return f.bundleJSON(stmt, key, rekorKey, false)
}

// ProvenanceBundle returns the bundle AttestBundle stores for img.
func (f *Fixture) ProvenanceBundle(img name.Digest, s ProvSpec) []byte {
	f.T.Helper()
	stmt := f.provenanceStatement(img, &s) // fills in s.Key
	return f.bundleJSON(stmt, s.Key, f.RekorKey, false)
}

// AttestBundle stores a SLSA v1 provenance attestation of img the way cosign v3 does by
// default: a Sigstore bundle referrer, added to the fallback index.
func (f *Fixture) AttestBundle(img name.Digest, s ProvSpec) {
	f.T.Helper()
	h, _ := v1.NewHash(img.DigestStr())
	f.pushReferrer(h, f.ProvenanceBundle(img, s), "https://slsa.dev/provenance/v1", "")
}

// bundleJSON signs stmt as a DSSE envelope with key, logs it (Rekor dsse entry signed by
// rekorKey) and returns both in a bundle v0.3.
func (f *Fixture) bundleJSON(stmt []byte, key, rekorKey *ecdsa.PrivateKey, logOther bool) []byte {
	f.T.Helper()
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	f.check(err)
	envJSON, err := dsse.WrapSigner(sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(stmt))
	f.check(err)
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []struct {
			KeyID string `json:"keyid"`
			Sig   string `json:"sig"`
		} `json:"signatures"`
	}
	f.check(json.Unmarshal(envJSON, &env))
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	f.check(err)
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	f.check(err)

	logged := envJSON
	if logOther { // ECDSA signatures are randomized: signing again gives another envelope
		logged, err = dsse.WrapSigner(sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(stmt))
		f.check(err)
	}
	tlogEntry := f.dsseLogEntry(logged, &key.PublicKey, rekorKey)
	b := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:     &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{Hint: ""}},
			TlogEntries: []*protorekor.TransparencyLogEntry{tlogEntry},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: env.PayloadType,
			Signatures: []*protodsse.Signature{{Sig: sig, Keyid: env.Signatures[0].KeyID}},
		}},
	}
	raw, err := protojson.Marshal(b)
	f.check(err)
	return raw
}

// dsseLogEntry makes a Rekor v1 dsse entry for the envelope with a SET and a one-leaf
// inclusion proof whose checkpoint is signed by rekorKey.
func (f *Fixture) dsseLogEntry(envJSON []byte, pub crypto.PublicKey, rekorKey *ecdsa.PrivateKey) *protorekor.TransparencyLogEntry {
	ctx := context.Background()
	pe, err := rekortypes.NewProposedEntry(ctx, "dsse", "0.0.1", rekortypes.ArtifactProperties{
		ArtifactBytes: envJSON, PublicKeyBytes: [][]byte{PEM(f.T, pub)}, PKIFormat: "x509"})
	f.check(err)
	ei, err := rekortypes.CreateVersionedEntry(pe)
	f.check(err)
	body, err := rekortypes.CanonicalizeEntry(ctx, ei)
	f.check(err)

	der, err := cryptoutils.MarshalPublicKeyToDER(&rekorKey.PublicKey)
	f.check(err)
	id := sha256.Sum256(der)
	logID := hex.EncodeToString(id[:])
	b64 := base64.StdEncoding.EncodeToString(body)
	rb := f.rekorPayloadSET(rekorKey, b64, logID)

	leaf := sha256.Sum256(append([]byte{0}, body...))
	signer, err := signature.LoadECDSASigner(rekorKey, crypto.SHA256)
	f.check(err)
	cp, err := util.CreateAndSignCheckpoint(ctx, "rekor.test", 1, 1, leaf[:], signer)
	f.check(err)
	root := hex.EncodeToString(leaf[:])
	idx, size, cps := rb.Payload.LogIndex, int64(1), string(cp)
	zero := int64(0)
	anon := models.LogEntryAnon{
		Body: b64, IntegratedTime: &rb.Payload.IntegratedTime, LogIndex: &idx, LogID: &logID,
		Verification: &models.LogEntryAnonVerification{
			SignedEntryTimestamp: strfmt.Base64(rb.SignedEntryTimestamp),
			InclusionProof:       &models.InclusionProof{LogIndex: &zero, TreeSize: &size, RootHash: &root, Hashes: []string{}, Checkpoint: &cps},
		},
	}
	e, err := tle.GenerateTransparencyLogEntry(anon)
	f.check(err)
	return e
}

// pushReferrer stores a referrer of h holding the bundle; distinct makes otherwise equal
// referrer manifests distinct.
func (f *Fixture) pushReferrer(h v1.Hash, bundleJSON []byte, predicate, distinct string) {
	repo := f.SigRepo
	empty := []byte("{}")
	f.blob(repo, empty)
	f.blob(repo, bundleJSON)
	m := map[string]any{
		"schemaVersion": 2, "mediaType": string(types.OCIManifestSchema1), "artifactType": BundleMediaType,
		"config":  v1.Descriptor{MediaType: "application/vnd.oci.empty.v1+json", Size: 2, Digest: hashOf(empty)},
		"layers":  []v1.Descriptor{{MediaType: BundleMediaType, Size: int64(len(bundleJSON)), Digest: hashOf(bundleJSON)}},
		"subject": v1.Descriptor{MediaType: types.OCIManifestSchema1, Digest: h, Size: 1},
		"annotations": map[string]string{"dev.sigstore.bundle.predicateType": predicate,
			"org.opencontainers.image.created": time.Now().UTC().Format(time.RFC3339)},
	}
	if distinct != "" {
		m["annotations"].(map[string]string)["test.distinct"] = distinct
	}
	raw, err := json.Marshal(m)
	f.check(err)
	md := hashOf(raw)
	f.check(putManifest(repo.Digest(md.String()), raw, types.OCIManifestSchema1))
	tag := repo.Tag(h.Algorithm + "-" + h.Hex)
	im := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	if d, err := remote.Get(tag); err == nil { // add to the existing fallback index
		f.check(json.Unmarshal(d.Manifest, &im))
	}
	for _, d := range im.Manifests {
		if d.Digest == md {
			return // ggcr's registry maintains the fallback tag of manifests with a subject itself
		}
	}
	im.Manifests = append(im.Manifests, v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: int64(len(raw)), Digest: md, ArtifactType: BundleMediaType})
	idx, err := json.Marshal(im)
	f.check(err)
	f.check(putManifest(tag, idx, types.OCIImageIndex))
}

func (f *Fixture) check(err error) {
	if err != nil {
		f.T.Helper()
		f.T.Fatal(err)
	}
}
