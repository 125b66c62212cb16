package sign

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/sigstore/sigstore/pkg/signature/kms"
)

// IsKMSRef reports whether key names a KMS key (scheme://...) rather than a key file.
func IsKMSRef(key string) bool { return strings.Contains(key, "://") }

// newKMSSigner returns a Signer for a KMS key URI through sigstore's kms package
// (awskms://, gcpkms://, azurekms://, hashivault://, or a sigstore-kms-<name> plugin on
// PATH for <name>://). Cloud providers are compiled in only with their build tag
// (kms_aws, kms_gcp, kms_azure, kms_hashivault; see kms_*.go): they cannot be tested
// offline here. Credentials come from each provider's usual environment.
func newKMSSigner(ctx context.Context, uri string) (Signer, error) {
	sv, err := kms.Get(ctx, uri, crypto.SHA256)
	if err != nil {
		var pnf *kms.ProviderNotFoundError
		if errors.As(err, &pnf) {
			err = fmt.Errorf("%w (compiled-in providers: %s; rebuild with -tags kms_aws|kms_gcp|kms_azure|kms_hashivault, or install a sigstore-kms plugin)",
				err, providers())
		}
		return nil, &KeyError{Key: uri, Err: err}
	}
	// Providers connect lazily: read the public key now, so that a wrong key reference or
	// an unreachable KMS fails here, before anything is built or pushed.
	s := &svSigner{sv: sv}
	if _, err := s.PublicKey(ctx); err != nil {
		return nil, &KeyError{Key: uri, Err: err}
	}
	return s, nil
}

func providers() string {
	p := kms.SupportedProviders()
	if len(p) == 0 {
		return "none"
	}
	sort.Strings(p)
	return strings.Join(p, ", ")
}

// OpenSigner returns the Signer for key: a KMS URI (newKMSSigner) or a cosign key file
// (LoadKeyFile). password is called only for key files, so a KMS run never asks for one.
func OpenSigner(ctx context.Context, key string, password func() ([]byte, error)) (Signer, error) {
	if key == "" {
		return nil, &KeyError{Key: "(none)", Err: errors.New("no key given")}
	}
	// cosign key references that are neither files nor KMS URIs: Kubernetes and GitLab
	// secrets, PKCS#11 tokens.
	for _, p := range [...]string{"k8s://", "gitlab://", "pkcs11:"} {
		if strings.HasPrefix(key, p) {
			return nil, &KeyError{Key: key, Err: fmt.Errorf("%s key references are cosign-specific and not supported; export the key to a cosign key file or use a KMS URI", p)}
		}
	}
	if IsKMSRef(key) {
		return newKMSSigner(ctx, key)
	}
	var pw []byte
	if password != nil {
		var err error
		if pw, err = password(); err != nil {
			return nil, &KeyError{Key: key, Err: err}
		}
	}
	return LoadKeyFile(key, pw)
}
