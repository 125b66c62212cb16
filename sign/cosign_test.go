package sign_test

import (
	"crypto"
	"github.com/mcpbuild/mcpbuild/sign/signtest"

	"github.com/sigstore/sigstore/pkg/signature"
)

func cosignVerifier(pub crypto.PublicKey) (signature.Verifier, error) {
	return signtest.CosignVerifier(pub)
}
