// Command sigstore-kms-testkms is a TEST-ONLY sigstore KMS plugin (sigstore's cliplugin
// protocol): for a key URI testkms://<absolute path of a cosign key file> it signs with that
// key, decrypted with $MCPBUILD_TESTKMS_PASSWORD. It lets the tests run the KMS path of
// `mcpbuild publish --key <kms-uri>` offline; it is no KMS and protects nothing.
//
//	go build -o DIR/sigstore-kms-testkms ./sign/testdata/kmsplugin && PATH=DIR:$PATH
package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/kms/cliplugin/handler"
)

const scheme = "testkms://"

// fileKey serves a cosign key file as the plugin's SignerVerifier.
type fileKey struct {
	signature.SignerVerifier
	signer crypto.Signer
}

func (fileKey) CreateKey(context.Context, string) (crypto.PublicKey, error) {
	return nil, errors.New("testkms: keys cannot be created")
}

func (k fileKey) CryptoSigner(context.Context, func(error)) (crypto.Signer, crypto.SignerOpts, error) {
	return k.signer, crypto.SHA256, nil
}

func (fileKey) SupportedAlgorithms() []string { return []string{"ecdsa-p256-sha256"} }
func (fileKey) DefaultAlgorithm() string      { return "ecdsa-p256-sha256" }

func load(uri string) (*fileKey, error) {
	// sigstore passes the reference without its scheme; accept both forms.
	path := strings.TrimPrefix(uri, scheme)
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("testkms: %w", err)
	}
	sv, err := cosign.LoadPrivateKey(pemBytes, []byte(os.Getenv("MCPBUILD_TESTKMS_PASSWORD")), nil)
	if err != nil {
		return nil, fmt.Errorf("testkms: %w", err)
	}
	cs, ok := sv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("testkms: %T is no crypto.Signer", sv)
	}
	return &fileKey{SignerVerifier: sv, signer: cs}, nil
}

func main() {
	args, err := handler.GetPluginArgs(os.Args)
	if err != nil {
		_ = handler.WriteErrorResponse(os.Stdout, err)
		os.Exit(1)
	}
	if args.InitOptions == nil {
		_ = handler.WriteErrorResponse(os.Stdout, errors.New("testkms: no init options"))
		os.Exit(1)
	}
	k, err := load(args.InitOptions.KeyResourceID)
	if err != nil {
		_ = handler.WriteErrorResponse(os.Stdout, err)
		os.Exit(1)
	}
	if _, err := handler.Dispatch(os.Stdout, os.Stdin, args, k); err != nil {
		os.Exit(1)
	}
}
