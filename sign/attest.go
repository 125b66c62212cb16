package sign

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
	sigopts "github.com/sigstore/sigstore/pkg/signature/options"
)

// bindStatement checks an in-toto statement for img and returns the bytes to sign: the
// statement as given when a subject names img's digest; with the subject set to img when
// the statement has none; an error when its subjects name other artifacts only.
func bindStatement(img name.Digest, h v1.Hash, statement []byte) ([]byte, *statementHead, error) {
	if len(bytes.TrimSpace(statement)) == 0 {
		return nil, nil, errors.New("empty in-toto statement for " + img.String())
	}
	head, err := parseStatementHead(statement)
	if err != nil {
		return nil, nil, fmt.Errorf("decoding in-toto statement for %s: %w", img, err)
	}
	if head.PredicateType == "" {
		return nil, nil, fmt.Errorf("in-toto statement for %s has no predicateType", img)
	}
	if head.names(h) {
		return statement, head, nil
	}
	if len(head.Subject) > 0 {
		return nil, nil, fmt.Errorf("in-toto statement subjects do not name %s", img)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(statement, &doc); err != nil {
		return nil, nil, fmt.Errorf("decoding in-toto statement for %s: %w", img, err)
	}
	subj, err := json.Marshal([]map[string]any{{
		"name": img.Repository.Name(), "digest": map[string]string{h.Algorithm: h.Hex},
	}})
	if err != nil {
		return nil, nil, err
	}
	doc["subject"] = subj
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	head.Subject = append(head.Subject, subject{img.Repository.Name(), map[string]string{h.Algorithm: h.Hex}})
	return out, head, nil
}

// Attest signs an in-toto statement about img (e.g. SLSA v1 provenance) as a DSSE envelope
// (payloadType application/vnd.in-toto+json), records it in the log as a dsse entry, and
// appends it to <sigrepo>:sha256-<hex>.att as cosign attest does (layer media type
// application/vnd.dsse.envelope.v1+json, annotation predicateType). When this key already
// attested a statement of the same predicate type about img, that one is reused; so is one
// an interrupted run staged (see Store.Attach), even from an earlier build's statement.
func (s *Service) Attest(ctx context.Context, img name.Digest, statement []byte) (*Attached, error) {
	h, err := v1.NewHash(img.DigestStr())
	if err != nil {
		return nil, fmt.Errorf("attesting %s: %w", img, err)
	}
	body, head, err := bindStatement(img, h, statement)
	if err != nil {
		return nil, err
	}
	k, err := s.keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("attesting %s: %w", img, err)
	}
	v, err := verifierFor(k.pub)
	if err != nil {
		return nil, err
	}
	a, err := s.store.Attach(ctx, h, AttestationSuffix, Attacher{
		Find: func(ctx context.Context, existing []Layer) (*Layer, error) {
			return s.findAttestation(ctx, existing, h, head.PredicateType, k)
		},
		Create: func(ctx context.Context) (oci.Signature, error) {
			env, err := dsse.WrapSigner(messageSigner{s: s.signer}, InTotoPayloadType).SignMessage(bytes.NewReader(body), sigopts.WithContext(ctx))
			if err != nil {
				return nil, fmt.Errorf("signing attestation for %s: %w", img, err)
			}
			return newAttestation(env, head.PredicateType)
		},
		// A staged envelope may hold an earlier build's provenance of the same image: it is
		// this key's attestation of this predicate type about img all the same, as the one
		// Find would accept.
		Resume: func(_ context.Context, staged Layer, env []byte) (oci.Signature, error) {
			if staged.MediaType != DSSEMediaType || staged.Annotations[PredicateTypeAnnotation] != head.PredicateType ||
				!envelopeAbout(v, env, h, head.PredicateType) {
				s.log.Debug("staged attestation is not this key's about this image; signing anew", "image", img.String())
				return nil, nil
			}
			s.log.Info("logging the attestation an interrupted run staged", "image", img.String())
			return newAttestation(env, head.PredicateType)
		},
		Log: s.logAttestation(img, head.PredicateType, k),
	})
	if err != nil {
		return nil, fmt.Errorf("attaching attestation of %s: %w", img, err)
	}
	return attached(a)
}

func newAttestation(env []byte, predicateType string, opts ...static.Option) (oci.Signature, error) {
	return static.NewAttestation(env, append([]static.Option{
		static.WithLayerMediaType(types.MediaType(DSSEMediaType)),
		static.WithAnnotations(map[string]string{PredicateTypeAnnotation: predicateType}),
	}, opts...)...)
}

// logAttestation returns the Attacher.Log of Attest: upload a dsse entry and check that the
// entry returned records this envelope and key in this log. Nil without a log.
func (s *Service) logAttestation(img name.Digest, predicateType string, k *keys) func(context.Context, oci.Signature) (oci.Signature, error) {
	if s.tlog == nil {
		return nil
	}
	return func(ctx context.Context, att oci.Signature) (oci.Signature, error) {
		env, err := att.Payload()
		if err != nil {
			return nil, err
		}
		b, err := s.tlog.UploadAttestation(ctx, env, k.pubPEM)
		if err != nil {
			return nil, fmt.Errorf("recording attestation of %s: %w", img, err)
		}
		if body, ok := bundleBody(b); !ok || !body.bindsEnvelope(sha256Hex(env), k.pub) {
			return nil, &TLogError{URL: s.tlogURL(), Err: fmt.Errorf("entry %d returned for the attestation of %s does not record it", b.Payload.LogIndex, img)}
		}
		if !k.log.verifies(b) {
			return nil, &TLogError{URL: s.tlogURL(), Err: fmt.Errorf("entry %d returned for the attestation of %s: log ID or signed entry timestamp does not verify with the log's key", b.Payload.LogIndex, img)}
		}
		s.log.Debug("tlog entry", "image", img.String(), "logIndex", b.Payload.LogIndex)
		return newAttestation(env, predicateType, static.WithBundle(b))
	}
}

// FindAttestation returns this key's attestation of predicateType about img when attached
// (with its log entry when the service logs), else nil. Read-only.
func (s *Service) FindAttestation(ctx context.Context, img name.Digest, predicateType string) (*Attached, error) {
	h, k, layers, err := s.listAttached(ctx, img, AttestationSuffix)
	if err != nil {
		return nil, err
	}
	l, err := s.findAttestation(ctx, layers, h, predicateType, k)
	if err != nil || l == nil {
		return nil, err
	}
	return attached(&Attachment{Tag: Tag(s.store.Repository(), h, AttestationSuffix), Layer: *l})
}

// findAttestation returns the first layer that is a DSSE envelope by k.pub of an in-toto
// statement of predicateType about h, and, when the service logs, carries a bundle of that
// log whose dsse body records exactly this envelope and key.
func (s *Service) findAttestation(ctx context.Context, layers []Layer, h v1.Hash, predicateType string, k *keys) (*Layer, error) {
	v, err := verifierFor(k.pub)
	if err != nil {
		return nil, err
	}
	for i := range layers {
		l := &layers[i]
		if l.MediaType != DSSEMediaType || l.Annotations[PredicateTypeAnnotation] != predicateType {
			continue
		}
		if k.log != nil {
			b, body, ok := decodeBundle(l.Annotations[BundleAnnotation])
			if !ok || l.Digest.Algorithm != "sha256" || !body.bindsEnvelope(l.Digest.Hex, k.pub) || !k.log.verifies(b) {
				continue
			}
		}
		env, err := s.store.document(ctx, *l)
		if err != nil {
			return nil, err
		}
		if envelopeAbout(v, env, h, predicateType) {
			return l, nil
		}
	}
	return nil, nil
}

// envelopeAbout reports whether env is a DSSE envelope of an in-toto statement of
// predicateType about h whose signature verifies with v.
func envelopeAbout(v signature.Verifier, env []byte, h v1.Hash, predicateType string) bool {
	var payload []byte
	wv := dsse.WrapVerifier(v, dsse.WithExpectedPayloadType(InTotoPayloadType), dsse.WithDecodedPayload(&payload))
	if wv.VerifySignature(bytes.NewReader(env), nil) != nil {
		return false
	}
	head, err := parseStatementHead(payload)
	return err == nil && head.PredicateType == predicateType && head.names(h)
}
