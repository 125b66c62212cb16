package sign

import (
	"bytes"
	"context"
	"crypto"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"
)

// Signer signs payload bytes with one key. Implementations: a cosign-format key file
// (LoadKeyFile, LoadKey) and KMS keys (OpenSigner).
type Signer interface {
	// Sign returns the raw signature over payload (cosign's scheme for the key type,
	// ECDSA P-256 with SHA-256 for cosign's generated keys).
	Sign(ctx context.Context, payload []byte) ([]byte, error)
	// PublicKey returns the key that verifies Sign's signatures.
	PublicKey(ctx context.Context) (crypto.PublicKey, error)
}

// KeyError reports a key that could not be loaded: a missing or unreadable file, a
// malformed key, a wrong password, an unknown KMS provider. Key names the file or URI;
// the password never appears in it.
type KeyError struct {
	Key string
	Err error
}

func (e *KeyError) Error() string { return fmt.Sprintf("loading key %s: %v", e.Key, e.Err) }
func (e *KeyError) Unwrap() error { return e.Err }

// ErrWrongPassword is wrapped by a KeyError when a cosign key file does not decrypt.
var ErrWrongPassword = errors.New("wrong password for encrypted key (or corrupt key)")

// svSigner adapts a sigstore SignerVerifier (file key or KMS) to Signer.
type svSigner struct {
	sv signature.SignerVerifier
}

func (s *svSigner) Sign(ctx context.Context, payload []byte) ([]byte, error) {
	sig, err := s.sv.SignMessage(bytes.NewReader(payload), sigopts.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("signing payload: %w", err)
	}
	return sig, nil
}

func (s *svSigner) PublicKey(ctx context.Context) (crypto.PublicKey, error) {
	pub, err := s.sv.PublicKey(sigopts.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("reading public key: %w", err)
	}
	return pub, nil
}

// LoadKeyFile loads a cosign-format encrypted private key (PEM type "ENCRYPTED SIGSTORE
// PRIVATE KEY" or "ENCRYPTED COSIGN PRIVATE KEY", as written by `cosign generate-key-pair`
// and GenerateKeyPair). The caller passes the password; it is never logged.
func LoadKeyFile(path string, password []byte) (Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &KeyError{Key: path, Err: err}
	}
	s, err := LoadKey(b, password)
	if err != nil {
		var ke *KeyError
		if errors.As(err, &ke) {
			ke.Key = path
		}
		return nil, err
	}
	return s, nil
}

// LoadKey is LoadKeyFile on the PEM bytes.
func LoadKey(pemBytes, password []byte) (Signer, error) {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		return nil, &KeyError{Key: "(pem)", Err: errors.New("not a PEM file")}
	}
	if blk.Type != cosign.CosignPrivateKeyPemType && blk.Type != cosign.SigstorePrivateKeyPemType {
		return nil, &KeyError{Key: "(pem)", Err: fmt.Errorf("PEM type %q is not a cosign private key (want %q)",
			blk.Type, cosign.SigstorePrivateKeyPemType)}
	}
	sv, err := cosign.LoadPrivateKey(pemBytes, password, nil)
	if err != nil {
		// Only on the error path: tell a wrong password from a corrupt key by trying the
		// decryption alone (cosign wraps that failure in an unexported error).
		if _, derr := encrypted.Decrypt(blk.Bytes, password); derr != nil {
			err = fmt.Errorf("%w: %v", ErrWrongPassword, derr)
		}
		return nil, &KeyError{Key: "(pem)", Err: err}
	}
	return &svSigner{sv: sv}, nil
}

// GenerateKeyPair returns a new ECDSA P-256 key pair in cosign's format: the private key
// PEM-encrypted with password (scrypt + secretbox, PEM type "ENCRYPTED SIGSTORE PRIVATE
// KEY") and the public key as a PKIX PEM. cosign loads both.
func GenerateKeyPair(password []byte) (privPEM, pubPEM []byte, err error) {
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return nil, nil, fmt.Errorf("generating key pair: %w", err)
	}
	return kb.PrivateBytes, kb.PublicBytes, nil
}

// PublicKeyPEM returns s's public key as PKIX PEM, the form Rekor entries carry.
func PublicKeyPEM(ctx context.Context, s Signer) ([]byte, error) {
	pub, err := s.PublicKey(ctx)
	if err != nil {
		return nil, err
	}
	b, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return b, nil
}

// verifierFor returns a sigstore verifier for pub with cosign's default load options
// (ED25519ph for ed25519 keys, SHA-256 otherwise).
func verifierFor(pub crypto.PublicKey) (signature.Verifier, error) {
	return signature.LoadDefaultVerifier(pub, *cosign.GetDefaultLoadOptions(nil)...)
}

// VerifySignature checks sig over payload with pub.
func VerifySignature(pub crypto.PublicKey, payload, sig []byte) error {
	v, err := verifierFor(pub)
	if err != nil {
		return fmt.Errorf("loading verifier: %w", err)
	}
	return v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload))
}

// messageSigner adapts a Signer to sigstore's signature.Signer (the DSSE wrapper needs
// that interface). The context travels with each call as sigopts.WithContext; it is never
// kept in the struct.
type messageSigner struct{ s Signer }

// callContext returns the context given to a sigstore call through WithContext options.
func callContext[O interface{ ApplyContext(*context.Context) }](opts []O) context.Context {
	ctx := context.Background()
	for _, o := range opts {
		o.ApplyContext(&ctx)
	}
	return ctx
}

func (m messageSigner) PublicKey(opts ...signature.PublicKeyOption) (crypto.PublicKey, error) {
	return m.s.PublicKey(callContext(opts))
}

func (m messageSigner) SignMessage(r io.Reader, opts ...signature.SignOption) ([]byte, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return m.s.Sign(callContext(opts), b)
}
