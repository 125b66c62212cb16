package sign

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Cosign's storage layout, shared by publish (writer) and verify (reader). Pure: no I/O.
const (
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	DSSEMediaType          = "application/vnd.dsse.envelope.v1+json"

	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	BundleAnnotation    = "dev.sigstore.cosign/bundle"

	SignatureSuffix   = "sig"
	AttestationSuffix = "att"

	// PredicateTypeAnnotation is the layer annotation cosign sets on attestations.
	PredicateTypeAnnotation = "predicateType"
	// InTotoPayloadType is the DSSE payloadType of an in-toto statement.
	InTotoPayloadType = "application/vnd.in-toto+json"
	// SLSAProvenanceV1 is the predicate type of SLSA v1 provenance
	// (`cosign verify-attestation --type slsaprovenance1`).
	SLSAProvenanceV1 = "https://slsa.dev/provenance/v1"

	// MaxEmbeddedData is the largest layer content that is also embedded in its manifest
	// descriptor's OCI "data" field (payloads and envelopes larger than this are read from
	// their blob only).
	MaxEmbeddedData = 16 << 10
)

// Tag returns <repo>:sha256-<hex>.<suffix>, where cosign stores the signatures (suffix
// "sig") or attestations ("att") of the image with digest d.
func Tag(repo name.Repository, d v1.Hash, suffix string) name.Tag {
	t := strings.ReplaceAll(d.String(), ":", "-") + "." + suffix
	return repo.Tag(t)
}
