package sign

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	sigpayload "github.com/sigstore/sigstore/pkg/signature/payload"
)

// Payload returns the cosign simple-signing payload for img: critical.identity.docker-reference
// is img's repository (never the signatures repository), critical.image.docker-manifest-digest
// its digest, and claims (e.g. catalog.RevisionLabel, catalog.SourceLabel) go into "optional". The bytes are
// produced by sigstore's payload package, so they are exactly what `cosign sign -a k=v` signs;
// with no claims "optional" is null, as cosign writes it. Deterministic.
func Payload(img name.Digest, claims map[string]string) ([]byte, error) {
	if img.DigestStr() == "" {
		return nil, fmt.Errorf("building payload for %q: no digest", img.String())
	}
	var ann map[string]any
	if len(claims) > 0 {
		ann = make(map[string]any, len(claims))
		for k, v := range claims {
			if k == "" {
				return nil, fmt.Errorf("building payload for %s: empty claim key", img)
			}
			ann[k] = v
		}
	}
	b, err := sigpayload.Cosign{Image: img, Annotations: ann}.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("building payload for %s: %w", img, err)
	}
	return b, nil
}

// ParsePayload decodes a simple-signing payload (the inverse of Payload). It rejects payloads
// of another type, and JSON null (which sigstore's decoder leaves empty).
func ParsePayload(b []byte) (*sigpayload.SimpleContainerImage, error) {
	var p sigpayload.Cosign
	if err := p.UnmarshalJSON(b); err != nil {
		return nil, fmt.Errorf("decoding simple-signing payload: %w", err)
	}
	if p.Image.DigestStr() == "" {
		return nil, fmt.Errorf("decoding simple-signing payload: no image digest")
	}
	s := p.SimpleContainerImage()
	return &s, nil
}
