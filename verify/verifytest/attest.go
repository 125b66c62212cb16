package verifytest

import (
	"bytes"
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/go-openapi/strfmt"
	"github.com/go-openapi/swag"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/rekor/pkg/generated/models"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/mcpbuild/mcpbuild/sign"
)

// ProvSpec describes a provenance attestation; zero value: correct.
type ProvSpec struct {
	Subject string // sha256 hex (default: the image's)
	// NoPlatforms leaves the platform manifests of an index out of the subjects (by
	// default, with Subject unset, they are subjects too, as mcpbuild attests an index).
	NoPlatforms bool
	Commit      string // default PinCommit
	Project     string // default Project
	// Directory is the build context's directory in the project (default: the root).
	Directory string
	Key       *ecdsa.PrivateKey // default: the fixture's
	NoBundle  bool
	NoData    bool // envelope only as a blob (as cosign writes it), no "data" field
	// PredicateType replaces SLSA v1's (an SBOM, a scan...); the layer then carries no
	// predicateType annotation, as some tools write it.
	PredicateType string
	// BundleBody, when set, makes the Rekor entry body from the DSSE envelope (a correct
	// SET is still made over it): for hostile or malformed entries.
	BundleBody func(envelope []byte) []byte
	// Edit, when set, changes the statement (a JSON object) before it is signed.
	Edit func(stmt map[string]any)
}

// provenanceStatement returns the SLSA v1 statement of s about img, defaults filled in.
func (f *Fixture) provenanceStatement(img name.Digest, s *ProvSpec) []byte {
	f.T.Helper()
	h, _ := v1.NewHash(img.DigestStr())
	var platforms []any
	if s.Subject == "" && !s.NoPlatforms {
		for _, d := range f.indexChildren(img) {
			platforms = append(platforms, map[string]any{"name": img.Context().Name(), "digest": map[string]string{"sha256": d.Hex}})
		}
	}
	if s.Subject == "" {
		s.Subject = h.Hex
	}
	if s.Commit == "" {
		s.Commit = PinCommit
	}
	if s.Project == "" {
		s.Project = Project
	}
	if s.Key == nil {
		s.Key = f.Key
	}
	subdir := ""
	if s.Directory != "" {
		subdir = ":" + s.Directory
	}
	stmt := map[string]any{
		"_type": "https://in-toto.io/Statement/v1", "predicateType": cmp.Or(s.PredicateType, "https://slsa.dev/provenance/v1"),
		"subject": append([]any{map[string]any{"name": img.Context().Name(), "digest": map[string]string{"sha256": s.Subject}}}, platforms...),
		"predicate": map[string]any{
			"buildDefinition": map[string]any{
				"buildType": "https://mobyproject.org/buildkit@v1",
				"externalParameters": map[string]any{"configSource": map[string]any{
					"uri": s.Project + ".git#" + s.Commit + subdir, "digest": map[string]string{"sha1": s.Commit}}},
				"resolvedDependencies": []any{map[string]any{"uri": s.Project + ".git#" + s.Commit, "digest": map[string]string{"sha1": s.Commit}}},
			},
			"runDetails": map[string]any{"builder": map[string]any{"id": "mcpbuild"}},
		},
	}
	if s.Edit != nil {
		s.Edit(stmt)
	}
	b, err := json.Marshal(stmt)
	f.check(err)
	return b
}

// Attest stores SLSA v1 provenance attestations of img (one per spec; none given: one
// correct one) in cosign's legacy layout (<sigrepo>:sha256-<hex>.att, DSSE envelope
// layers with Rekor intoto bundles).
func (f *Fixture) Attest(img name.Digest, specs ...ProvSpec) {
	f.T.Helper()
	if len(specs) == 0 {
		specs = []ProvSpec{{}}
	}
	h, _ := v1.NewHash(img.DigestStr())
	var ls []*SigLayer
	for _, s := range specs {
		ls = append(ls, f.attestation(img, s))
	}
	f.PushLayers(sign.Tag(f.SigRepo, h, sign.AttestationSuffix), ls...)
}

func (f *Fixture) attestation(img name.Digest, s ProvSpec) *SigLayer {
	f.T.Helper()
	sj := f.provenanceStatement(img, &s)
	sv, err := signature.LoadECDSASignerVerifier(s.Key, crypto.SHA256)
	if err != nil {
		f.T.Fatal(err)
	}
	env, err := dsse.WrapSigner(sv, "application/vnd.in-toto+json").SignMessage(bytes.NewReader(sj))
	if err != nil {
		f.T.Fatal(err)
	}
	ann := map[string]string{sign.SignatureAnnotation: ""}
	if s.PredicateType == "" {
		ann[sign.PredicateTypeAnnotation] = "https://slsa.dev/provenance/v1"
	}
	switch {
	case s.BundleBody != nil:
		ann[sign.BundleAnnotation] = f.RekorBundle(f.RekorKey, s.BundleBody(env))
	case !s.NoBundle:
		eh, ph := sha256.Sum256(env), sha256.Sum256(sj)
		pk := strfmt.Base64(PEM(f.T, &s.Key.PublicKey))
		body, err := json.Marshal(&models.Intoto{APIVersion: swag.String("0.0.1"), Spec: models.IntotoV001Schema{
			Content: &models.IntotoV001SchemaContent{
				Hash:        &models.IntotoV001SchemaContentHash{Algorithm: swag.String("sha256"), Value: swag.String(hex.EncodeToString(eh[:]))},
				PayloadHash: &models.IntotoV001SchemaContentPayloadHash{Algorithm: swag.String("sha256"), Value: swag.String(hex.EncodeToString(ph[:]))},
			},
			PublicKey: &pk,
		}})
		if err != nil {
			f.T.Fatal(err)
		}
		ann[sign.BundleAnnotation] = f.RekorBundle(f.RekorKey, body)
	}
	l := &SigLayer{Payload: env, Desc: v1.Descriptor{MediaType: sign.DSSEMediaType, Size: int64(len(env)),
		Digest: hashOf(env), Annotations: ann}}
	if !s.NoData {
		l.Desc.Data = env
	}
	return l
}
