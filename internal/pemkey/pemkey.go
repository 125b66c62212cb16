// Package pemkey is the one place public keys are loaded from PEM: the publisher's key
// (cosign.pub), a Rekor log's key, read from a file or from bytes. mcpbuild (through
// sign) and mcpverify (directly and through verify) both use it; it imports neither.
package pemkey

import (
	"crypto"
	"fmt"

	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/mcpbuild/mcpbuild/internal/trustsrc"
)

// Parse parses a PEM (PKIX or PKCS#1) public key.
func ParsePublic(pemBytes []byte) (crypto.PublicKey, error) {
	k, err := parse(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("decoding public key: %w", err)
	}
	return k, nil
}

// ReadPublic reads the PEM public key in the file at path: a regular file of at most
// trustsrc.MaxKeyFile bytes.
func ReadPublic(path string) (crypto.PublicKey, error) {
	b, err := trustsrc.ReadFile(path, trustsrc.MaxKeyFile)
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	k, err := parse(b)
	if err != nil {
		return nil, fmt.Errorf("parsing public key %s: %w", path, err)
	}
	return k, nil
}

func parse(pemBytes []byte) (crypto.PublicKey, error) {
	return cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
}
