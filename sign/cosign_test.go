package sign_test

import (
	"crypto"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/signature"
)

func cosignVerifier(pub crypto.PublicKey) (signature.Verifier, error) {
	return signature.LoadDefaultVerifier(pub, *cosign.GetDefaultLoadOptions(nil)...)
}
