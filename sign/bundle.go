package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"

	"github.com/mcpbuild/mcpbuild/internal/pemkey"
)

// logKey is the transparency log's public key and log ID (hex SHA-256 of its DER), read
// from the log once per operation. A bundle counts as an entry of this log only when its
// log ID names this key and its SignedEntryTimestamp verifies with it; a bundle from
// another log, or with a forged or damaged SET, is not reused (cosign would reject it).
type logKey struct {
	pub *ecdsa.PublicKey
	id  string
}

// logKey returns the log's key, or nil when the service has no log.
func (s *Service) logKey(ctx context.Context) (*logKey, error) {
	if s.tlog == nil {
		return nil, nil
	}
	k, err := s.tlog.PublicKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the transparency log's public key: %w", err)
	}
	ec, ok := k.(*ecdsa.PublicKey)
	if !ok {
		return nil, &TLogError{URL: s.tlogURL(), Err: fmt.Errorf("log key type %T is not ECDSA (cosign verifies SETs with ECDSA keys only)", k)}
	}
	id, err := cosign.GetTransparencyLogID(ec)
	if err != nil {
		return nil, &TLogError{URL: s.tlogURL(), Err: fmt.Errorf("log ID: %w", err)}
	}
	return &logKey{pub: ec, id: id}, nil
}

// verifies reports whether b is an entry of this log: log ID and SET, as cosign checks them.
func (k *logKey) verifies(b *bundle.RekorBundle) bool {
	return b != nil && b.Payload.LogID == k.id && cosign.VerifySET(b.Payload, b.SignedEntryTimestamp, k.pub) == nil
}

// rekorBody is the part of a Rekor entry body (hashedrekord or dsse, v0.0.1) that binds it
// to a signature, key and artifact hash.
type rekorBody struct {
	Kind string `json:"kind"`
	Spec struct {
		Data struct {
			Hash struct {
				Algorithm string `json:"algorithm"`
				Value     string `json:"value"`
			} `json:"hash"`
		} `json:"data"`
		Signature struct {
			Content   string `json:"content"`
			PublicKey struct {
				Content string `json:"content"`
			} `json:"publicKey"`
		} `json:"signature"`
		Signatures []struct {
			Signature string `json:"signature"`
			Verifier  string `json:"verifier"`
		} `json:"signatures"`
		EnvelopeHash struct {
			Algorithm string `json:"algorithm"`
			Value     string `json:"value"`
		} `json:"envelopeHash"`
	} `json:"spec"`
}

// decodeBundle parses a bundle annotation and its entry body; false when either is
// malformed or the SET is missing.
func decodeBundle(annotation string) (*bundle.RekorBundle, *rekorBody, bool) {
	if annotation == "" {
		return nil, nil, false
	}
	var b bundle.RekorBundle
	if json.Unmarshal([]byte(annotation), &b) != nil {
		return nil, nil, false
	}
	body, ok := bundleBody(&b)
	return &b, body, ok
}

func bundleBody(b *bundle.RekorBundle) (*rekorBody, bool) {
	if b == nil || len(b.SignedEntryTimestamp) == 0 {
		return nil, false
	}
	s, ok := b.Payload.Body.(string)
	if !ok {
		return nil, false
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	var body rekorBody
	if json.Unmarshal(raw, &body) != nil {
		return nil, false
	}
	return &body, true
}

// bindsSignature reports whether body is the hashedrekord entry of b64sig by pubPEM over a
// payload with SHA-256 payloadHash.
func (body *rekorBody) bindsSignature(b64sig string, pubPEM, payloadHash []byte) bool {
	sp := body.Spec
	return body.Kind == "hashedrekord" && sp.Data.Hash.Algorithm == "sha256" &&
		sp.Data.Hash.Value == hex.EncodeToString(payloadHash) && sp.Signature.Content == b64sig &&
		sp.Signature.PublicKey.Content == base64.StdEncoding.EncodeToString(pubPEM)
}

// bindsEnvelope reports whether body is the dsse entry of the envelope whose bytes hash to
// envelopeHash (hex SHA-256; Rekor hashes the envelope exactly as uploaded, which is the
// layer content), signed by pub.
func (body *rekorBody) bindsEnvelope(envelopeHash string, pub crypto.PublicKey) bool {
	if body.Kind != "dsse" || body.Spec.EnvelopeHash.Algorithm != "sha256" || body.Spec.EnvelopeHash.Value != envelopeHash {
		return false
	}
	for _, sg := range body.Spec.Signatures {
		pemBytes, err := base64.StdEncoding.DecodeString(sg.Verifier)
		if err != nil {
			continue
		}
		if k, err := pemkey.ParsePublic(pemBytes); err == nil && keysEqual(k, pub) {
			return true
		}
	}
	return false
}

func keysEqual(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}
