package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Service signs image digests and attaches signatures and attestations in cosign's layout:
// sign, record in the transparency log, then push (never push before the log entry).
type Service struct {
	signer Signer
	store  *Store
	tlog   TLog
	log    *slog.Logger
}

// Option configures a Service.
type Option func(*options) error

type options struct {
	noTLog bool
	log    *slog.Logger
}

// WithoutTLogUnsafe allows a nil TLog: signatures are pushed without a transparency-log
// entry (`--tlog-upload=false`). Verifiers that require the log will reject them.
func WithoutTLogUnsafe() Option { return func(o *options) error { o.noTLog = true; return nil } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return errors.New("nil logger")
		}
		o.log = l
		return nil
	}
}

// New returns a Service. tlog is required unless WithoutTLogUnsafe is given, and must then
// be nil.
func New(signer Signer, store *Store, tlog TLog, opts ...Option) (*Service, error) {
	o := options{log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	switch {
	case signer == nil:
		return nil, errors.New("sign.New: nil signer")
	case store == nil:
		return nil, errors.New("sign.New: nil store")
	case tlog == nil && !o.noTLog:
		return nil, errors.New("sign.New: nil transparency log (pass WithoutTLogUnsafe to sign without one)")
	case tlog != nil && o.noTLog:
		return nil, errors.New("sign.New: WithoutTLogUnsafe given together with a transparency log")
	}
	return &Service{signer: signer, store: store, tlog: tlog, log: o.log}, nil
}

// tlogURL names the log in errors (Rekor knows its URL; other TLogs may not).
func (s *Service) tlogURL() string {
	if u, ok := s.tlog.(interface{ URL() string }); ok {
		return u.URL()
	}
	return "(transparency log)"
}

// keys are the signer's public key (and its PEM, as log entries carry it) and the log's
// key (nil without a log), read once per operation.
type keys struct {
	pub    crypto.PublicKey
	pubPEM []byte
	log    *logKey
}

func (s *Service) keys(ctx context.Context) (*keys, error) {
	pub, err := s.signer.PublicKey(ctx)
	if err != nil {
		return nil, err
	}
	pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	lk, err := s.logKey(ctx)
	if err != nil {
		return nil, err
	}
	return &keys{pub: pub, pubPEM: pubPEM, log: lk}, nil
}

// Store returns the signatures store.
func (s *Service) Store() *Store { return s.store }

// Attached describes a signature or attestation present in the signatures repository.
type Attached struct {
	Tag      name.Tag
	Digest   v1.Hash // digest of the layer (payload or envelope)
	LogIndex int64   // Rekor log index from the bundle; -1 when there is none
	Appended bool    // false: it was already there, nothing was written or logged
}

func attached(a *Attachment) (*Attached, error) {
	out := &Attached{Tag: a.Tag, Digest: a.Layer.Digest, LogIndex: -1, Appended: a.Appended}
	// An unreadable bundle only matters to a service with a log, whose find already
	// rejected it; without one it just means "no log index".
	var b bundle.RekorBundle
	if raw, ok := a.Layer.Annotations[BundleAnnotation]; ok && json.Unmarshal([]byte(raw), &b) == nil {
		out.LogIndex = b.Payload.LogIndex
	}
	return out, nil
}

// SignImage signs img's simple-signing payload with claims (see Payload), uploads a
// hashedrekord entry and appends the signature to <sigrepo>:sha256-<hex>.sig. When a
// signature of this key over the identical payload is already there (with a log entry for
// it, unless the service has no log), it is reused: no new layer, no new log entry. A
// signature an interrupted run staged (see Store.Attach) is logged and attached instead of
// a new one.
func (s *Service) SignImage(ctx context.Context, img name.Digest, claims map[string]string) (*Attached, error) {
	payload, err := Payload(img, claims)
	if err != nil {
		return nil, err
	}
	h, err := v1.NewHash(img.DigestStr())
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", img, err)
	}
	k, err := s.keys(ctx)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", img, err)
	}
	a, err := s.store.Attach(ctx, h, SignatureSuffix, Attacher{
		Find: func(_ context.Context, existing []Layer) (*Layer, error) {
			return findSignature(existing, payload, k), nil
		},
		Create: func(ctx context.Context) (oci.Signature, error) {
			sig, err := s.signer.Sign(ctx, payload)
			if err != nil {
				return nil, fmt.Errorf("signing %s: %w", img, err)
			}
			return static.NewSignature(payload, base64.StdEncoding.EncodeToString(sig))
		},
		Resume: func(_ context.Context, staged Layer, content []byte) (oci.Signature, error) {
			b64 := staged.Annotations[SignatureAnnotation]
			sig, err := base64.StdEncoding.DecodeString(b64)
			if staged.MediaType != SimpleSigningMediaType || !bytes.Equal(content, payload) || err != nil || VerifySignature(k.pub, payload, sig) != nil {
				s.log.Debug("staged signature is not this key's over this payload; signing anew", "image", img.String())
				return nil, nil
			}
			s.log.Info("logging the signature an interrupted run staged", "image", img.String())
			return static.NewSignature(payload, b64)
		},
		Log: s.logSignature(img, payload, k),
	})
	if err != nil {
		return nil, fmt.Errorf("attaching signature of %s: %w", img, err)
	}
	return attached(a)
}

// logSignature returns the Attacher.Log of SignImage: upload a hashedrekord entry and
// check that the entry returned (new, or the existing one for identical bytes) records this
// signature, key and payload in this log. Nil without a log.
func (s *Service) logSignature(img name.Digest, payload []byte, k *keys) func(context.Context, oci.Signature) (oci.Signature, error) {
	if s.tlog == nil {
		return nil
	}
	return func(ctx context.Context, sig oci.Signature) (oci.Signature, error) {
		b64, err := sig.Base64Signature()
		if err != nil {
			return nil, err
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, fmt.Errorf("signature of %s: %w", img, err)
		}
		b, err := s.tlog.UploadSignature(ctx, raw, payload, k.pubPEM)
		if err != nil {
			return nil, fmt.Errorf("recording signature of %s: %w", img, err)
		}
		if body, ok := bundleBody(b); !ok || !body.bindsSignature(b64, k.pubPEM, payloadHash(payload)) {
			return nil, &TLogError{URL: s.tlogURL(), Err: fmt.Errorf("entry %d returned for %s does not record this signature", b.Payload.LogIndex, img)}
		}
		if !k.log.verifies(b) {
			return nil, &TLogError{URL: s.tlogURL(), Err: fmt.Errorf("entry %d returned for %s: log ID or signed entry timestamp does not verify with the log's key", b.Payload.LogIndex, img)}
		}
		s.log.Debug("tlog entry", "image", img.String(), "logIndex", b.Payload.LogIndex)
		return static.NewSignature(payload, b64, static.WithBundle(b))
	}
}

// FindSignature returns the signature of this key over img's payload with claims when it is
// already attached (with its log entry when the service has a log), else nil. Read-only.
func (s *Service) FindSignature(ctx context.Context, img name.Digest, claims map[string]string) (*Attached, error) {
	payload, err := Payload(img, claims)
	if err != nil {
		return nil, err
	}
	h, k, layers, err := s.listAttached(ctx, img, SignatureSuffix)
	if err != nil {
		return nil, err
	}
	l := findSignature(layers, payload, k)
	if l == nil {
		return nil, nil
	}
	return attached(&Attachment{Tag: Tag(s.store.Repository(), h, SignatureSuffix), Layer: *l})
}

// findSignature returns the first layer that is a signature by k.pub over exactly payload,
// and, when the service logs (k.log not nil), carries a bundle of that log (log ID and SET
// verified with its key) whose hashedrekord body binds that signature, key and payload hash.
func findSignature(layers []Layer, payload []byte, k *keys) *Layer {
	want := sha256.Sum256(payload)
	for i := range layers {
		l := &layers[i]
		if l.MediaType != SimpleSigningMediaType || l.Digest.Algorithm != "sha256" || l.Digest.Hex != hex.EncodeToString(want[:]) {
			continue
		}
		b64 := l.Annotations[SignatureAnnotation]
		sig, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || VerifySignature(k.pub, payload, sig) != nil {
			continue
		}
		if k.log != nil {
			b, body, ok := decodeBundle(l.Annotations[BundleAnnotation])
			if !ok || !body.bindsSignature(b64, k.pubPEM, want[:]) || !k.log.verifies(b) {
				continue
			}
		}
		return l
	}
	return nil
}

func payloadHash(p []byte) []byte {
	h := sha256.Sum256(p)
	return h[:]
}

// listAttached reads what is attached to img under suffix ("sig" or "att"), with the
// digest and the keys the Find* methods match it against. Read-only.
func (s *Service) listAttached(ctx context.Context, img name.Digest, suffix string) (v1.Hash, *keys, []Layer, error) {
	h, err := v1.NewHash(img.DigestStr())
	if err != nil {
		return v1.Hash{}, nil, nil, err
	}
	k, err := s.keys(ctx)
	if err != nil {
		return v1.Hash{}, nil, nil, err
	}
	layers, err := s.store.List(ctx, h, suffix)
	if err != nil {
		return v1.Hash{}, nil, nil, err
	}
	return h, k, layers, nil
}
